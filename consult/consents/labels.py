from __future__ import annotations

from flask_babel import lazy_gettext as _l


def state_labels():
    return {"valid": _l("Valid"), "expired": _l("Expired"), "withdrawn": _l("Withdrawn"),
            "not_yet_valid": _l("Not yet valid")}


def purpose_labels():
    return {"consultation": _l("Multi-professional consultation"),
            "data_exchange": _l("Data exchange between the organisations")}

"""How audit codes read to people, in their language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l


def action_labels():
    return {
        "view": _l("Viewed"), "list": _l("Listed"), "create": _l("Created"),
        "update": _l("Changed"), "transition": _l("State changed"),
        "disclose": _l("Disclosed"), "export": _l("Exported"),
    }


def object_labels():
    return {"client": _l("Client details"), "consent": _l("Consent"),
            "access_report": _l("Access report")}


def purpose_labels():
    return {
        "client_register": _l("Client register"),
        "consent": _l("Recording consent"),
        "consent_withdrawn": _l("Withdrawing consent"),
        "access_report": _l("Client's access report"),
        "access_refused": _l("Access refused"),
    }


def outcome_labels():
    return {"allowed": _l("Allowed"), "denied": _l("Denied")}

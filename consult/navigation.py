"""The main navigation: one entry per page a role uses (later capabilities add theirs);
and the addresses the templates build, the layout's among them."""
from __future__ import annotations

from flask import request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

# (endpoint, label, roles that see it); None means every logged-in user.
ENTRIES = [
    ("home.my_work", _l("My work"), None),
    ("clients.register", _l("Clients"), ("referrer",)),
    ("consultations.requests_list", _l("Consultation requests"),
     ("referrer", "coordinator", "physician")),
    ("meetings.list", _l("Meetings"), ("coordinator", "member", "physician", "referrer")),
    ("actions.list", _l("Action items"), ("referrer", "coordinator", "member", "physician")),
    ("physician.inbox", _l("Physician inbox"), ("physician",)),
    ("availability.page", _l("Availability"), ("physician",)),
    ("indicators.page", _l("Indicators"), ("coordinator", "manager")),
    ("notifications.list", _l("Notifications"), None),
    ("admin.index", _l("Administration"), ("admin",)),
]


def main_navigation() -> list[tuple[str, str]]:
    if not current_user.is_authenticated:
        return []
    return [
        (endpoint, label)
        for endpoint, label, roles in ENTRIES
        if roles is None or current_user.has_role(*roles)
    ]


def address_cache():
    """`url_for` for the templates. An address without arguments (the navigation, the
    header's links) or of a static file is the same on every request under one mount
    point: it is built once per mount point, not on every page (a page's layout built
    nineteen of them). Any other call is `url_for` itself."""
    built: dict[tuple, str] = {}

    def page_url(endpoint: str, **values) -> str:
        if values and not (endpoint == "static" and values.keys() == {"filename"}):
            return url_for(endpoint, **values)
        key = (request.script_root, endpoint, values.get("filename"))
        address = built.get(key)
        if address is None:
            address = built[key] = url_for(endpoint, **values)
        return address

    return page_url


def init_app(app) -> None:
    app.jinja_env.globals["main_navigation"] = main_navigation
    app.jinja_env.globals["url_for"] = address_cache()

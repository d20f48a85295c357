"""Security headers, CSP and generic error pages with an incident id (SPEC §9)."""
from __future__ import annotations

import logging
import traceback
import uuid

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from consult.extensions import db

log = logging.getLogger(__name__)

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


def _headers_of_every_response(app) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }
    if app.config["CONSULT_ENV"] != "development":
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


def set_security_headers(app):
    every = _headers_of_every_response(app)
    policy = every.pop("Content-Security-Policy")

    def apply(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy)
        headers.update(every)
        if request.endpoint != "static":
            # Pages may carry client data: never keep them in any cache.
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
        return response

    app.after_request(apply)


def static_file_headers(app):
    """The same headers for the static files WhiteNoise sends (consult/assets.py),
    which never reach Flask: its `add_headers_function`."""
    every = _headers_of_every_response(app)

    def add(headers, _path, _url):
        for name, value in every.items():
            headers[name] = value  # a wsgiref.headers.Headers

    return add


# The error pages' titles and messages, translated when a page is made (only the one
# it shows).
ERROR_TITLES = {
    400: _l("Bad request"),
    403: _l("No access"),
    404: _l("Page not found"),
    405: _l("Not allowed"),
    409: _l("Conflict"),
    422: _l("Check the information"),
    429: _l("Too many requests"),
}
ERROR_MESSAGES = {
    403: _l("Your roles do not give access to this page."),
    404: _l("The page does not exist, or you have no access to it."),
}


def _error_page(status: int, title: str, message: str, incident: str | None = None):
    return (
        render_template("errors/error.html", status=status, title=title,
                        message=message, incident=incident),
        status,
    )


def register_error_pages(app):
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _error_page(
            400, _("The form could not be sent"),
            _("The form had expired or was not sent from this service. "
              "Go back, reload the page and try again. Nothing was saved."),
        )

    @app.errorhandler(HTTPException)
    def http_error(error):
        status = error.code or 500
        if status >= 500:
            return internal_error(error)
        return _error_page(status, str(ERROR_TITLES.get(status, _l("Error"))),
                           str(ERROR_MESSAGES.get(status,
                                                  _l("The request could not be handled."))))

    @app.errorhandler(Exception)
    def internal_error(error):
        incident = uuid.uuid4().hex[:12]
        try:
            db.session.rollback()
        except Exception:  # the database itself may be what failed
            pass
        # The type and the code path only: exception texts may carry client data.
        log.error("incident %s: %s at %s %s\n%s", incident, type(error).__name__,
                  request.method, request.url_rule or "?",
                  "".join(traceback.format_tb(error.__traceback__)))
        return _error_page(
            500, _("Something went wrong"),
            _("The error has been recorded. Tell support the incident id below if you contact them."),
            incident,
        )

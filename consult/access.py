"""The one access mechanism every view uses (SPEC §2).

The role is checked first: a user none of whose roles may use a page gets 403,
whatever the id. Otherwise an object outside the user's scope answers 404, exactly
like a missing id. Both refusals leave an audit event that is committed even though
the request fails."""
from __future__ import annotations

from functools import wraps
from typing import Callable, TypeVar

from flask import abort, request
from flask_login import current_user

from consult.accounts import sessions
from consult.audit import services as audit
from consult.extensions import db, login_manager

T = TypeVar("T")

ALL_ROLES = ("referrer", "coordinator", "member", "physician", "manager", "admin")


def _intended_action() -> str:
    return "view" if request.method in ("GET", "HEAD") else "update"


def deny(status: int, *, object_type: str = "", object_id: int | None = None,
         client_id: int | None = None) -> None:
    """Roll back the request's work, record the refusal, commit it, abort. The refusal
    is made before the rollback, while the user is still loaded, and written in one
    statement after it; after the commit, the login session, its user and roles, which
    the error page shows, are loaded again in one statement."""
    refusal = audit.event(
        _intended_action(),
        object_type=object_type,
        object_id=object_id,
        client_id=client_id,
        outcome="denied",
        purpose="access_refused",
        detail=f"{request.method} {request.path}",
    )
    db.session.rollback()
    audit.write(refusal)
    db.session.commit()
    sessions.reload_current()
    abort(status)


def roles_required(*roles: str) -> Callable:
    """Login first, then the page's roles; 403 (audited) when none match."""

    def decorator(view: Callable) -> Callable:
        view.allowed_roles = roles  # read by the route tests

        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                if request.headers.get("HX-Request") == "true":
                    # An htmx call (autosave) must not swap the login page into the
                    # page; the page keeps what was typed and says so.
                    abort(401)
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                deny(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles
        return wrapped

    return decorator


def login_only(view: Callable) -> Callable:
    """A page any logged-in user may use, whatever their roles."""
    return roles_required(*ALL_ROLES)(view)


def deployment_wide(_user, _obj) -> bool:
    """Objects an administrator administers across the whole deployment (one region)."""
    return True


def load_or_404(model: type[T], ident: int, can_view: Callable[[object, T], bool],
                *, client_id_of: Callable[[T], int | None] | None = None) -> T:
    """Load an object the current user may see, or answer 404 as for a missing id."""
    obj = db.session.get(model, ident)
    if obj is None or not can_view(current_user, obj):
        client_id = client_id_of(obj) if (obj is not None and client_id_of) else None
        deny(404, object_type=model.__tablename__, object_id=ident, client_id=client_id)
    return obj

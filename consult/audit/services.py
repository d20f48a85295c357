"""Writing audit events. Callers flush; the view commits (or, for a refusal,
commits the event alone after rolling its own work back)."""
from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import insert

from consult.audit.models import AuditEvent
from consult.extensions import db
from consult.timeutil import utcnow

_INSERT = insert(AuditEvent)


def event(action: str, *, object_type="", object_id=None, client_id=None, purpose="",
          outcome="allowed", recipient="", detail="", user=None) -> dict:
    """An event's values, not yet written: who did it (the current user unless given)
    is read now, e.g. before a rollback that would make the user be loaded again."""
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user
    return dict(
        at=utcnow(), action=action, object_type=object_type, object_id=object_id,
        client_id=client_id, purpose=purpose, outcome=outcome, recipient=recipient,
        detail=detail[:200], user_id=user.id if user is not None else None,
        organisation_id=user.organisation_id if user is not None else None,
        remote_addr=(request.remote_addr or "")[:64] if has_request_context() else "",
    )


def record_listed(object_type: str, objects, *, client_id_of, purpose: str) -> None:
    """One "list" event per object a page shows, written as a single multi-row
    statement, so that a longer list does not mean more statements (SPEC §10)."""
    rows = [event("list", object_type=object_type, object_id=obj.id,
                  client_id=client_id_of(obj), purpose=purpose) for obj in objects]
    if rows:
        db.session.execute(_INSERT, rows)


def write(values: dict) -> None:
    """Writes an event made by `event` in one statement, outside the session's unit of
    work (a refusal writes nothing else: a flush costs more than the insert)."""
    db.session.execute(_INSERT, values)


def record(
    action: str,
    *,
    object_type: str = "",
    object_id: int | None = None,
    client_id: int | None = None,
    purpose: str = "",
    outcome: str = "allowed",
    recipient: str = "",
    detail: str = "",
    user=None,
) -> AuditEvent:
    made = AuditEvent(**event(action, object_type=object_type, object_id=object_id,
                              client_id=client_id, purpose=purpose, outcome=outcome,
                              recipient=recipient, detail=detail, user=user))
    db.session.add(made)
    return made


def events_about_client(client_id: int):
    """Every event about one client, oldest first, with who did it."""
    from sqlalchemy import select

    from consult.accounts.models import User
    from consult.organisations.models import Organisation

    return db.session.execute(
        select(AuditEvent, User.name, Organisation.name)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .outerjoin(Organisation, Organisation.id == AuditEvent.organisation_id)
        .where(AuditEvent.client_id == client_id)
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()

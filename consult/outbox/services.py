"""Putting e-mail into the outbox, in the caller's transaction (SPEC §5).

Services flush, never commit: the message is committed with the change that causes
it, or rolled back with it. Texts are rendered now, in the recipient's language, from
templates under `templates/emails/`; they name a case by its number only."""
from __future__ import annotations

import uuid
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import exists, select, update

from consult.audit import services as audit
from consult.extensions import db
from consult.outbox.models import OutboxMessage
from consult.timeutil import utcnow


def absolute_url(path: str) -> str:
    """A link back into the tool (behind login), for e-mails and calendar events."""
    return current_app.config["BASE_URL"].rstrip("/") + path


def new_message_id() -> str:
    sender = current_app.config["MAIL_FROM"]
    domain = sender.rpartition("@")[2].strip("> ") or "consult.invalid"
    return f"<{uuid.uuid4().hex}@{domain}>"


def render(template: str, language: str, **context) -> tuple[str, str]:
    """(subject, body) of `emails/<template>.txt` in `language`: the template's first
    line is the subject, the rest after one blank line the body."""
    # The bare environment: a page's context processors (the logged-in user, the
    # session timer) have no place in a message, which may be rendered by the worker.
    with force_locale(language):
        text = current_app.jinja_env.get_template(f"emails/{template}.txt").render(
            base_url=absolute_url(""), **context)
    subject, _, body = text.strip().partition("\n")
    return " ".join(subject.split())[:300], body.strip() + "\n"


def enqueue(*, kind: str, recipient: str, subject: str, body: str, language: str = "fi",
            user_id: int | None = None, request_id: int | None = None,
            client_id: int | None = None, ics: str | None = None, ics_method: str | None = None,
            coalesce_key: str | None = None, delay: timedelta | None = None
            ) -> OutboxMessage | None:
    """Add a message to the outbox. With a `coalesce_key`, a pending message with the
    same key that is not yet due is replaced by this one (several edits within the
    delay send one message). A cancellation of an invite whose only version was still
    waiting sends nothing: the recipient never heard of the event. A message about a
    case (`request_id`) is recorded in the client's audit trail as a disclosure.
    Returns the new row, or None when nothing is to be sent."""
    now = utcnow()
    due_at = now + (delay or timedelta(0))
    if coalesce_key is not None:
        replaced = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.coalesce_key == coalesce_key,
                   OutboxMessage.state == "pending", OutboxMessage.due_at > now)
            .values(state="superseded")
            .execution_options(synchronize_session=False)).rowcount
        if replaced and ics_method == "CANCEL" and not _went_out(coalesce_key):
            db.session.flush()
            return None
    message = OutboxMessage(
        message_id=new_message_id(), kind=kind, recipient=recipient, user_id=user_id,
        request_id=request_id,
        language=language, subject=subject, body=body, ics=ics, ics_method=ics_method,
        coalesce_key=coalesce_key, due_at=due_at)
    db.session.add(message)
    db.session.flush()
    if request_id is not None:
        # The client's access report shows every message about their case: to whom,
        # and that it named the case by its number only.
        audit.record("disclose", object_type="consultation_request", object_id=request_id,
                     client_id=client_id, purpose=f"email_{kind}", recipient=recipient)
    return message


def _went_out(coalesce_key: str) -> bool:
    """Has a version with this key been sent or is it on its way?"""
    return bool(db.session.scalar(select(exists().where(
        OutboxMessage.coalesce_key == coalesce_key,
        OutboxMessage.state.in_(("pending", "sending", "sent", "dead"))))))


def enqueue_rendered(template: str, *, kind: str, recipient: str, language: str,
                     user_id: int | None = None, **options) -> OutboxMessage | None:
    """`enqueue` with the subject and body rendered from `emails/<template>.txt`."""
    context = options.pop("context", {})
    subject, body = render(template, language, **context)
    return enqueue(kind=kind, recipient=recipient, subject=subject, body=body,
                   language=language, user_id=user_id, **options)

"""Notifications: each is a notice in the app and an e-mail in the user's language
through the outbox (SPEC §5); what a user has not read yet, and marking them read.
Services flush, never commit."""
from __future__ import annotations

from flask_babel import force_locale
from sqlalchemy import bindparam, func, select, update

from consult.consultations.models import ConsultationRequest, Notification
from consult.extensions import db
from consult.notifications.labels import notification_labels
from consult.outbox.services import absolute_url, enqueue_rendered
from consult.timeutil import utcnow


# Acts whose e-mail is the calendar invite itself (invites/dispatch.py): no second one.
# A case put on or taken off an agenda is e-mailed as the agenda's invite or its
# cancellation when the agenda is sent: a draft agenda sends nothing.
SENT_AS_INVITE = frozenset({"agenda_sent", "book_slot", "pick_slot", "move_booking",
                            "cancel_booking", "schedule_on_agenda", "take_off_agenda"})


def notify(user, request_id: int | None, kind: str) -> Notification | None:
    """A notice to `user` about a request, in the app and by e-mail. The e-mail names
    the request by its number and links to it; nothing about the client."""
    if user is None or not user.is_active_account:
        return None
    notification = Notification(user_id=user.id, request_id=request_id, kind=kind)
    db.session.add(notification)
    if kind not in SENT_AS_INVITE:
        request = db.session.get(ConsultationRequest, request_id) if request_id else None
        with force_locale(user.language):
            what = str(notification_labels().get(kind, kind))
        enqueue_rendered(
            "notification", kind="notification", recipient=user.email,
            language=user.language, user_id=user.id, request_id=request_id,
            client_id=request.client_id if request is not None else None,
            context={"name": user.name, "request_id": request_id, "what": what,
                     "link": absolute_url(f"/requests/{request_id}" if request_id else "/")})
    return notification


def _unread(user_id):
    return (Notification.user_id == user_id, Notification.read_at.is_(None))


# Every page's header runs it: built once (see consult/accounts/sessions.py).
_UNREAD_COUNT = select(func.count(Notification.id)).where(*_unread(bindparam("user_id")))


def unread_count(user) -> int:
    return db.session.scalar(_UNREAD_COUNT, {"user_id": user.id}) or 0


def notifications_of(user):
    """The user's notifications, newest first (a query, for paginating)."""
    return (select(Notification).where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()))


def _mark_read(*conditions) -> int:
    result = db.session.execute(
        update(Notification).where(*conditions).values(read_at=utcnow()))
    db.session.flush()
    return result.rowcount


def mark_read_for_request(user, request_id: int) -> int:
    """Opening a request reads its notifications; returns how many were unread."""
    return _mark_read(*_unread(user.id), Notification.request_id == request_id)


def mark_all_read(user) -> int:
    return _mark_read(*_unread(user.id))

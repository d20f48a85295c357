"""In-app notifications: what a user has not read yet, and marking them read.
Services flush, never commit."""
from __future__ import annotations

from sqlalchemy import func, select, update

from consult.consultations.models import Notification
from consult.extensions import db
from consult.timeutil import utcnow


def _unread(user):
    return (Notification.user_id == user.id, Notification.read_at.is_(None))


def unread_count(user) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(*_unread(user))) or 0


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
    return _mark_read(*_unread(user), Notification.request_id == request_id)


def mark_all_read(user) -> int:
    return _mark_read(*_unread(user))

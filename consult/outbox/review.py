"""Looking into the outbox (SPEC §5): what waits, what failed for good, and sending a
failed message again. The queries of the outbox pages and their one write; the view
commits."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, case, func, select, update

from consult.audit import services as audit
from consult.extensions import db
from consult.outbox.models import OUTBOX_STATES, OutboxMessage
from consult.timeutil import utcnow

# A pending message this long past its due time means no worker is sending: the
# worker takes due rows every few seconds.
OVERDUE_AFTER = timedelta(minutes=5)
OVERDUE_SHOWN = 50
DEVELOPMENT_SHOWN = 100


class RetryRefused(Exception):
    """Only a message that failed for good is sent again; any other is on its way,
    already sent or replaced."""


@dataclass
class OutboxSummary:
    counts: dict[str, int] = field(default_factory=dict)
    oldest_pending_at: datetime | None = None
    overdue: int = 0

    def oldest_pending_age(self, now: datetime) -> timedelta | None:
        if self.oldest_pending_at is None:
            return None
        return max(now - self.oldest_pending_at, timedelta(0))


def overdue_before(now: datetime) -> datetime:
    return now - OVERDUE_AFTER


def summary(now: datetime) -> OutboxSummary:
    """Counts per state, the oldest pending message and how many pending ones are
    overdue, in one statement whatever the size of the outbox."""
    overdue = func.sum(case((OutboxMessage.due_at < overdue_before(now), 1), else_=0))
    rows = db.session.execute(
        select(OutboxMessage.state, func.count(OutboxMessage.id),
               func.min(OutboxMessage.created_at), overdue)
        .group_by(OutboxMessage.state)).all()
    result = OutboxSummary(counts=dict.fromkeys(OUTBOX_STATES, 0))
    for state, count, oldest, overdue_count in rows:
        result.counts[state] = count
        if state == "pending":
            result.oldest_pending_at = oldest
            result.overdue = int(overdue_count or 0)
    return result


def dead_messages() -> Select:
    """Messages the worker gave up on, newest first (for db.paginate)."""
    return (select(OutboxMessage).where(OutboxMessage.state == "dead")
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()))


def overdue_messages(now: datetime, limit: int = OVERDUE_SHOWN) -> list[OutboxMessage]:
    """Pending messages well past their due time, the longest waiting first."""
    return list(db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.state == "pending",
               OutboxMessage.due_at < overdue_before(now))
        .order_by(OutboxMessage.due_at, OutboxMessage.id).limit(limit)))


def newest_messages(recipient: str = "", limit: int = DEVELOPMENT_SHOWN) -> list[OutboxMessage]:
    """The newest messages in every state, optionally those to addresses containing
    `recipient` (the development page)."""
    query = select(OutboxMessage)
    if recipient:
        query = query.where(OutboxMessage.recipient.icontains(recipient, autoescape=True))
    return list(db.session.scalars(
        query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(limit)))


def send_again(message: OutboxMessage) -> None:
    """Put a dead message back in the queue: pending, due now, attempts from zero, its
    Message-ID kept. Conditional on the row still being dead, so that two clicks (or
    two admins) queue it once."""
    changed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.state == "dead")
        .values(state="pending", attempts=0, due_at=utcnow(), claimed_at=None,
                last_error="")).rowcount
    if not changed:
        raise RetryRefused(message.id)
    audit.record("update", object_type="outbox_message", object_id=message.id,
                 purpose="outbox_retry")
    db.session.flush()

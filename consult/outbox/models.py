"""The transactional outbox (SPEC §5): every e-mail the app sends is first a row,
written in the same transaction as the change that causes it, and a worker sends it.
Nothing here carries client data: a case reference, a team, a time, a link."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from consult.extensions import db
from consult.timeutil import utcnow

# pending → sending (claimed by one worker) → sent; after too many failures: dead.
# A superseded row was replaced by a later version before it was due (one update for
# several edits within a minute).
OUTBOX_STATES = ("pending", "sending", "sent", "dead", "superseded")


class OutboxMessage(db.Model):
    __table_args__ = (Index("ix_outbox_message_state_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable across retries, so that a receiver can tell a resent message.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))  # notification · invite · reset · reminder
    recipient: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    # The case a message is about (by number only), so that purging the case purges it.
    request_id: Mapped[int | None] = mapped_column(index=True)
    language: Mapped[str] = mapped_column(String(5), default="fi")
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # An invite's iCalendar text and its METHOD (REQUEST or CANCEL).
    ics: Mapped[str | None] = mapped_column(Text)
    ics_method: Mapped[str | None] = mapped_column(String(10))
    # Rows with the same key replace each other while not yet due ("several edits
    # within a minute send one update"); the daily reminders use it to go out once.
    coalesce_key: Mapped[str | None] = mapped_column(String(200), index=True)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class ReminderRun(db.Model):
    """The daily reminder pass ran for this day: one row per day, so that several
    workers (or a rerun) send the reminders once."""

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # ISO date, Helsinki
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

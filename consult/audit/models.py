"""The audit trail: every read, write and disclosure of client data, and every
refused access (SPEC §3)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from consult.extensions import db
from consult.timeutil import utcnow

ACTIONS = ("view", "list", "create", "update", "transition", "disclose", "export")
OUTCOMES = ("allowed", "denied")


class AuditEvent(db.Model):
    # Plain ids, no foreign keys: the trail outlives the rows it speaks of.
    __table_args__ = (
        Index("ix_audit_event_client_at", "client_id", "at"),
        Index("ix_audit_event_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None]
    organisation_id: Mapped[int | None]
    client_id: Mapped[int | None]
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(100), default="")
    outcome: Mapped[str] = mapped_column(String(10), default="allowed")
    recipient: Mapped[str] = mapped_column(String(254), default="")
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    # What was asked for when nothing else names it (a route, for refusals).
    detail: Mapped[str] = mapped_column(String(200), default="")

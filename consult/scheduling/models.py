"""A physician's availability (weekly rules and absences), the slots generated from it,
and the bookings and proposals that use the slots (SPEC §3)."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.extensions import db
from consult.timeutil import utcnow

SLOT_MODES = ("phone", "video", "in_person")


class AvailabilityRule(db.Model):
    """Every `weekday` (1 = Monday), from `start_time` to `end_time` local time, slots
    of `slot_minutes`, in one way of consulting, at a place or behind a video link."""

    id: Mapped[int] = mapped_column(primary_key=True)
    physician_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    weekday: Mapped[int]
    start_time: Mapped[time]
    end_time: Mapped[time]
    slot_minutes: Mapped[int]
    mode: Mapped[str] = mapped_column(String(20))
    location: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AvailabilityException(db.Model):
    """An absence: no free slots on these days (booked ones stay, flagged)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    physician_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Slot(db.Model):
    """One bookable time, stored in UTC. A slot is free, booked (an active booking
    holds it) or blocked (the physician closed it, or an absence covers it)."""

    __table_args__ = (UniqueConstraint("physician_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    physician_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    mode: Mapped[str] = mapped_column(String(20))
    location: Mapped[str] = mapped_column(String(500), default="")
    is_blocked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    bookings: Mapped[list["Booking"]] = relationship(back_populates="slot")


class Booking(db.Model):
    """A request's booked time. At most one active booking holds a slot, and a request
    has at most one active booking: both are unique indexes over the active rows, so the
    database itself refuses a second one, whatever the concurrency. A cancelled booking
    frees its slot. Moving keeps the booking (its calendar UID) and raises `sequence`."""

    __table_args__ = (
        Index("ux_booking_active_slot", "slot_id", unique=True,
              sqlite_where=text("state = 'active'"), postgresql_where=text("state = 'active'")),
        Index("ux_booking_active_request", "request_id", unique=True,
              sqlite_where=text("state = 'active'"), postgresql_where=text("state = 'active'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(80), unique=True,
                                     default=lambda: f"{uuid.uuid4()}@consult")
    sequence: Mapped[int] = mapped_column(default=0)
    request_id: Mapped[int] = mapped_column(ForeignKey("consultation_request.id"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="active")
    booked_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(String(1000), default="")

    slot: Mapped[Slot] = relationship(back_populates="bookings")
    request: Mapped["ConsultationRequest"] = relationship()  # noqa: F821


class SlotProposal(db.Model):
    """A free slot the physician offered for a request; proposing holds nothing, so the
    referrer's pick can lose to a booking made in between."""

    __table_args__ = (UniqueConstraint("request_id", "slot_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("consultation_request.id"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    slot: Mapped[Slot] = relationship()

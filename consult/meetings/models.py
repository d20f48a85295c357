"""Team meetings (each occurrence of a series its own meeting), their time-boxed
agendas, participants and attendance, and what sending the agenda is to deliver to
each participant (SPEC §3 Meeting, Agenda item; §4 flow 3)."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.extensions import db
from consult.timeutil import utcnow

MEETING_STATES = ("draft", "agenda_sent", "held", "protocol_finalised", "cancelled")
SERIES_PATTERNS = ("weekly", "biweekly", "monthly")


def new_uid() -> str:
    return f"{uuid.uuid4()}@consult"


class MeetingSeries(db.Model):
    """How occurrences repeat: weekly, every other week, or the nth weekday of the
    month (nth 1–4, or -1 for the last). Occurrences are generated as meetings."""

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    pattern: Mapped[str] = mapped_column(String(20))
    weekday: Mapped[int]  # 1 = Monday
    nth: Mapped[int | None]
    start_time: Mapped[time]
    minutes: Mapped[int]
    first_date: Mapped[date]
    until_date: Mapped[date]
    location: Mapped[str] = mapped_column(String(200), default="")
    video_link: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    meetings: Mapped[list["Meeting"]] = relationship(back_populates="series",
                                                      order_by="Meeting.starts_at")


class Meeting(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_series.id"), index=True)
    # The calendar event: a stable UID, SEQUENCE raised on each change after sending.
    uid: Mapped[str] = mapped_column(String(80), unique=True, default=new_uid)
    sequence: Mapped[int] = mapped_column(default=0)
    starts_at: Mapped[datetime] = mapped_column(index=True)  # UTC
    ends_at: Mapped[datetime]
    location: Mapped[str] = mapped_column(String(200), default="")
    video_link: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[str] = mapped_column(String(30), default="draft", index=True)
    # Optimistic version of the agenda: two coordinators reordering at once are warned.
    agenda_version: Mapped[int] = mapped_column(default=0)
    # Edited after the agenda was sent: participants are to get an update.
    is_changed: Mapped[bool] = mapped_column(default=False)
    sent_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    team: Mapped["Team"] = relationship()  # noqa: F821
    series: Mapped[MeetingSeries | None] = relationship(back_populates="meetings")
    items: Mapped[list["AgendaItem"]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position", cascade="all, delete-orphan")
    attendances: Mapped[list["Attendance"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan")
    deliveries: Mapped[list["Delivery"]] = relationship(
        back_populates="meeting", order_by="Delivery.id", cascade="all, delete-orphan")

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class AgendaItem(db.Model):
    """A case on a meeting: its place in the order and its time box. A request is on at
    most one agenda at a time (a unique index over the items still on an agenda)."""

    __table_args__ = (
        Index("ux_agenda_item_on_agenda", "request_id", unique=True,
              sqlite_where=text("state = 'on_agenda'"),
              postgresql_where=text("state = 'on_agenda'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("consultation_request.id"), index=True)
    position: Mapped[int]
    minutes: Mapped[int]
    # on_agenda · removed (taken off) · carried_over (to the next meeting) · finalised
    state: Mapped[str] = mapped_column(String(20), default="on_agenda")
    # The referrer's and guests' calendar event for this case alone.
    uid: Mapped[str] = mapped_column(String(80), unique=True, default=new_uid)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="items")
    request: Mapped["ConsultationRequest"] = relationship()  # noqa: F821
    guests: Mapped[list["AgendaGuest"]] = relationship(
        back_populates="item", order_by="AgendaGuest.id", cascade="all, delete-orphan")


class AgendaGuest(db.Model):
    """A guest invited for one case, with the client's permission: the consent must
    name the guest's organisation."""

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[AgendaItem] = relationship(back_populates="guests")
    organisation: Mapped["Organisation"] = relationship()  # noqa: F821


class Attendance(db.Model):
    """Who was there, marked on the day, apart from who was invited."""

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    guest_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_guest.id"))
    attended: Mapped[bool] = mapped_column(default=True)
    marked_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="attendances")


class Delivery(db.Model):
    """What one participant is to receive when the agenda is sent (or changed, or the
    meeting cancelled): the whole meeting, or one case's item; invites/dispatch.py
    turns each into an e-mail with its calendar event. Nothing here carries client data."""

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_item.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    guest_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_guest.id"))
    email: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(20))  # request · update · cancel
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    meeting: Mapped[Meeting] = relationship(back_populates="deliveries")
    user: Mapped["User | None"] = relationship()  # noqa: F821
    guest: Mapped[AgendaGuest | None] = relationship()

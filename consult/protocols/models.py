"""What a consultation produces (SPEC §3 Protocol, Consultation note / written
statement): notes that follow the pre-form's sections, recommendations (optionally
pointing to a catalogue service), action items with a responsible person or
organisation, the client's path and a follow-up date. Finalised (a protocol) or signed
(a physician's note or statement), it is immutable; corrections are addenda."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.extensions import db
from consult.timeutil import utcnow

KINDS = ("protocol", "note", "statement")
PATHS = ("work", "studies", "rehabilitation", "assessment", "social_rehabilitation", "other")


class Protocol(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("consultation_request.id"), index=True)
    # A team protocol belongs to the agenda item it was discussed on (a carried-over
    # case takes its protocol along to the next meeting's item).
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_item.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    notes: Mapped[dict] = mapped_column(JSON, default=dict)
    # Optimistic version of the notes: autosave from two places at once is a conflict.
    revision: Mapped[int] = mapped_column(default=0)
    attendees: Mapped[str] = mapped_column(Text, default="")
    path: Mapped[str | None] = mapped_column(String(40))
    follow_up_on: Mapped[date | None]
    finalised_at: Mapped[datetime | None] = mapped_column(index=True)
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    request: Mapped["ConsultationRequest"] = relationship()  # noqa: F821
    agenda_item: Mapped["AgendaItem | None"] = relationship()  # noqa: F821
    recommendations: Mapped[list["Recommendation"]] = relationship(
        back_populates="protocol", order_by="Recommendation.position",
        cascade="all, delete-orphan")
    action_items: Mapped[list["ActionItem"]] = relationship(
        back_populates="protocol", order_by="ActionItem.id", cascade="all, delete-orphan")
    addenda: Mapped[list["Addendum"]] = relationship(
        back_populates="protocol", order_by="Addendum.id", cascade="all, delete-orphan")

    @property
    def is_final(self) -> bool:
        return self.finalised_at is not None


class Recommendation(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    protocol_id: Mapped[int] = mapped_column(ForeignKey("protocol.id"), index=True)
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"))

    protocol: Mapped[Protocol] = relationship(back_populates="recommendations")
    service: Mapped["Service | None"] = relationship()  # noqa: F821


class ActionItem(db.Model):
    """What is to be done, by a named user or by an organisation (then the case's
    referrer completes it), and by when. Completing it is not a change of the
    finalised protocol: it happens afterwards, by design."""

    __table_args__ = (
        # Open action items by due date: the daily reminders, the overdue counts. Only
        # the open ones, so that a query for a person's or a case's items is never
        # tempted to read every open item instead.
        Index("ix_action_item_open_due_on", "due_on", sqlite_where=text("state = 'open'"),
              postgresql_where=text("state = 'open'")),
        # A person's open action items by due date (My work, the action items list),
        # without reading every item they were ever given.
        Index("ix_action_item_responsible_user_state", "responsible_user_id", "state",
              "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    protocol_id: Mapped[int] = mapped_column(ForeignKey("protocol.id"), index=True)
    what: Mapped[str] = mapped_column(Text)
    responsible_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    responsible_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id"))
    due_on: Mapped[date | None]
    state: Mapped[str] = mapped_column(String(20), default="open")
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # What the person who completed it says about it ("applied 3.12.", "not needed").
    completion_note: Mapped[str] = mapped_column(Text, default="")

    protocol: Mapped[Protocol] = relationship(back_populates="action_items")
    responsible_user: Mapped["User | None"] = relationship(  # noqa: F821
        foreign_keys=[responsible_user_id])
    responsible_organisation: Mapped["Organisation | None"] = relationship()  # noqa: F821
    completed_by: Mapped["User | None"] = relationship(  # noqa: F821
        foreign_keys=[completed_by_id])


class Addendum(db.Model):
    """A correction to a finalised protocol or signed note, with its author and time."""

    id: Mapped[int] = mapped_column(primary_key=True)
    protocol_id: Mapped[int] = mapped_column(ForeignKey("protocol.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    protocol: Mapped[Protocol] = relationship(back_populates="addenda")
    author: Mapped["User"] = relationship()  # noqa: F821

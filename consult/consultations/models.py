"""Consultation requests, their pre-information forms with frozen versions, and the
record of every transition (SPEC §3)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.extensions import db
from consult.timeutil import utcnow

# The pre-form's sections, in the order the meeting goes through them.
PREFORM_SECTIONS = {
    "background": ("reason", "services_and_plans", "benefits", "contacts"),
    "education_work": ("education", "work_history", "skills"),
    "health": ("client_view", "referrer_view", "diagnoses"),
    "life": ("housing", "finances", "social_network", "substance_use", "daily_routines"),
    "wishes_goals": ("wishes_goals",),
    "self_assessment": ("kykyviisari_score", "kykyviisari_date"),
    "question": ("question",),
}
PREFORM_FIELDS = tuple(f"{section}.{name}" for section, names in PREFORM_SECTIONS.items()
                       for name in names)
REQUIRED_ON_SUBMIT = ("wishes_goals.wishes_goals", "question.question")


class ConsultationRequest(db.Model):
    # The inboxes: one state of a team's or a physician's requests, oldest first (and
    # the counts of new ones on My work), without reading the target's whole history.
    __table_args__ = (
        Index("ix_consultation_request_team_inbox", "target_team_id", "state",
              "first_submitted_at"),
        Index("ix_consultation_request_physician_inbox", "target_physician_id", "state",
              "first_submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    # The registering organisation, whose referrers the case belongs to.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    referrer_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    target_team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    target_physician_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    mode: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(10), default="normal")
    urgency_reason: Mapped[str] = mapped_column(String(500), default="")
    preferred_dates: Mapped[str] = mapped_column(String(500), default="")
    client_attends: Mapped[str] = mapped_column(String(10), default="yes")
    state: Mapped[str] = mapped_column(String(30), default="draft", index=True)
    # Consent withdrawn or expired while open: no new disclosures (a flag, not a state).
    is_paused: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Indexed for the indicators, which count by period.
    first_submitted_at: Mapped[datetime | None] = mapped_column(index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    client: Mapped["Client"] = relationship()  # noqa: F821
    referrer: Mapped["User"] = relationship(foreign_keys=[referrer_id])  # noqa: F821
    target_team: Mapped["Team | None"] = relationship()  # noqa: F821
    target_physician: Mapped["User | None"] = relationship(  # noqa: F821
        foreign_keys=[target_physician_id])
    preform: Mapped["PreForm"] = relationship(back_populates="request", uselist=False,
                                              cascade="all, delete-orphan")
    events: Mapped[list["RequestEvent"]] = relationship(
        back_populates="request", order_by="RequestEvent.id", cascade="all, delete-orphan")
    messages: Mapped[list["RequestMessage"]] = relationship(
        back_populates="request", order_by="RequestMessage.id", cascade="all, delete-orphan")
    guests: Mapped[list["RequestGuest"]] = relationship(
        back_populates="request", order_by="RequestGuest.id", cascade="all, delete-orphan")

    @property
    def is_team_request(self) -> bool:
        return self.target_team_id is not None

    def __repr__(self) -> str:
        return f"<ConsultationRequest {self.id} {self.state}>"


class PreForm(db.Model):
    """Each request owns one pre-form. Autosave overwrites the draft (with a version
    check); submitting freezes version 1, each resubmission the next."""

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("consultation_request.id"), unique=True)
    draft: Mapped[dict] = mapped_column(JSON, default=dict)
    draft_revision: Mapped[int] = mapped_column(default=0)
    draft_saved_at: Mapped[datetime | None]
    draft_saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    request: Mapped[ConsultationRequest] = relationship(back_populates="preform")
    versions: Mapped[list["PreFormVersion"]] = relationship(
        back_populates="preform", order_by="PreFormVersion.number", cascade="all, delete-orphan")


class PreFormVersion(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    preform_id: Mapped[int] = mapped_column(ForeignKey("pre_form.id"), index=True)
    number: Mapped[int]
    content: Mapped[dict] = mapped_column(JSON)
    frozen_at: Mapped[datetime] = mapped_column(default=utcnow)
    frozen_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))

    preform: Mapped[PreForm] = relationship(back_populates="versions")


# The catalogue services a decision points to (resolve at consultation stage).
request_event_service = db.Table(
    "request_event_service",
    Column("request_event_id", ForeignKey("request_event.id", ondelete="CASCADE"),
           primary_key=True),
    Column("service_id", ForeignKey("service.id"), primary_key=True),
)


class RequestEvent(db.Model):
    """Who moved the request, when, from what to what, and why. Besides the acts of
    the state machine: a handover, and a pause or resume when consent stops or starts
    covering the case (the latter with no actor when a consent simply expires)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("consultation_request.id"), index=True)
    # Indexed for the indicators, which count events by period.
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    act: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(Text, default="")

    request: Mapped[ConsultationRequest] = relationship(back_populates="events")
    actor: Mapped["User | None"] = relationship()  # noqa: F821
    services: Mapped[list["Service"]] = relationship(  # noqa: F821
        secondary=request_event_service, order_by="Service.name_fi")


class RequestMessage(db.Model):
    """The thread between the referrer and the coordinator or physician: plain text,
    newest last."""

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("consultation_request.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[ConsultationRequest] = relationship(back_populates="messages")
    # Joined: a thread never shows a message without its author.
    author: Mapped["User"] = relationship(lazy="joined")  # noqa: F821


class RequestGuest(db.Model):
    """A participant from outside the team proposed for the case, with the client's
    permission: the consent must name the guest's organisation."""

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("consultation_request.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    email: Mapped[str] = mapped_column(String(254))
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[ConsultationRequest] = relationship(back_populates="guests")
    organisation: Mapped["Organisation"] = relationship()  # noqa: F821


class Notification(db.Model):
    """An in-app notice to one user; the e-mail issue sends them through the outbox."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("consultation_request.id"))
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

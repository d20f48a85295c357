"""Organisations and the work ability teams they take part in (SPEC §3)."""
from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult.extensions import db
from consult.timeutil import utcnow

# Kinds after the 2025 employment-services reform, as lowercase slugs (SPEC §3, §9).
ORGANISATION_KINDS = (
    "employment_area",
    "social_services",
    "health_services",
    "disability_services",
    "kela",
    "occupational_health",
    "ohjaamo",
    "education",
    "ngo",
    "other",
)

TEAM_ROLES = ("coordinator", "member")


class Organisation(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    region: Mapped[str] = mapped_column(String(100))
    # Its users must log in with a second factor (admins always must).
    requires_second_factor: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class Team(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    region: Mapped[str] = mapped_column(String(100))
    host_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    physician_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Meeting defaults: ISO weekday 1 = Monday.
    meeting_weekday: Mapped[int] = mapped_column(default=2)
    meeting_time: Mapped[time] = mapped_column(default=time(9, 0))
    meeting_minutes: Mapped[int] = mapped_column(default=120)
    meeting_location: Mapped[str] = mapped_column(String(200), default="")
    meeting_video_link: Mapped[str] = mapped_column(String(500), default="")
    minutes_per_case: Mapped[int] = mapped_column(default=30)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    host_organisation: Mapped[Organisation] = relationship()
    physician: Mapped["User | None"] = relationship(lazy="joined")  # noqa: F821
    memberships: Mapped[list["TeamMembership"]] = relationship(
        back_populates="team", cascade="all, delete-orphan", lazy="selectin"
    )

    def users_in_role(self, role: str) -> list:
        return sorted(
            (m.user for m in self.memberships if m.role == role), key=lambda u: u.name
        )

    @property
    def coordinators(self) -> list:
        return self.users_in_role("coordinator")

    @property
    def members(self) -> list:
        return self.users_in_role("member")

    def participating_organisations(self) -> list[Organisation]:
        """Organisations of the team's coordinators, members and physician (SPEC §3)."""
        people = [m.user for m in self.memberships]
        if self.physician is not None:
            people.append(self.physician)
        found = {u.organisation.id: u.organisation for u in people}
        return sorted(found.values(), key=lambda o: o.name)

    def __repr__(self) -> str:
        return f"<Team {self.id} {self.name!r}>"


class TeamMembership(db.Model):
    __table_args__ = (UniqueConstraint("team_id", "user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    team: Mapped[Team] = relationship(back_populates="memberships")
    user: Mapped["User"] = relationship(back_populates="memberships", lazy="joined")  # noqa: F821

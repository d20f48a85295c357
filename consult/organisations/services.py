"""Organisations and teams: creation and membership. Services flush, never commit."""
from __future__ import annotations

from sqlalchemy import select

from consult.accounts.models import User
from consult.extensions import db
from consult.organisations.models import (
    ORGANISATION_KINDS,
    TEAM_ROLES,
    Organisation,
    Team,
    TeamMembership,
)
from consult.query import database_id


class OrganisationError(ValueError):
    """A refused change; the message is shown to the user or printed by the CLI."""


def create_organisation(*, name: str, kind: str, region: str) -> Organisation:
    name, region = name.strip(), region.strip()
    if not name or not region:
        raise OrganisationError("An organisation needs a name and a region.")
    if kind not in ORGANISATION_KINDS:
        raise OrganisationError(
            f"Unknown organisation kind {kind!r} (kinds: {', '.join(ORGANISATION_KINDS)})."
        )
    if db.session.scalar(select(Organisation.id).where(Organisation.name == name)):
        raise OrganisationError(f"An organisation named {name!r} already exists.")
    org = Organisation(name=name, kind=kind, region=region)
    db.session.add(org)
    db.session.flush()
    return org


def create_team(*, name: str, host: Organisation, region: str | None = None, **defaults) -> Team:
    name = name.strip()
    if not name:
        raise OrganisationError("A team needs a name.")
    if db.session.scalar(select(Team.id).where(Team.name == name)):
        raise OrganisationError(f"A team named {name!r} already exists.")
    team = Team(name=name, host_organisation=host, region=(region or host.region).strip(),
                **defaults)
    db.session.add(team)
    db.session.flush()
    return team


def find_team(name_or_id: str) -> Team | None:
    key = (name_or_id or "").strip()
    if key.isdigit():
        return db.session.get(Team, database_id(key) or 0)
    return db.session.scalar(select(Team).where(Team.name == key))


def add_member(team: Team, user: User, role: str) -> TeamMembership | None:
    """Add a coordinator or member; the physician has a seat of its own."""
    if role == "physician":
        set_physician(team, user)
        return None
    if role not in TEAM_ROLES:
        raise OrganisationError(f"Unknown team role {role!r}.")
    if not user.has_role(role):
        raise OrganisationError(f"{user.email} does not have the role {role}.")
    for membership in team.memberships:
        if membership.user_id == user.id and membership.role == role:
            return membership
    membership = TeamMembership(team=team, user=user, role=role)
    db.session.add(membership)
    db.session.flush()
    return membership


def remove_member(team: Team, membership: TeamMembership) -> None:
    if membership.team_id != team.id:
        raise OrganisationError("That membership belongs to another team.")
    team.memberships.remove(membership)
    db.session.flush()


def set_physician(team: Team, user: User | None) -> None:
    if user is not None and not user.has_role("physician"):
        raise OrganisationError(f"{user.email} does not have the role physician.")
    team.physician = user
    db.session.flush()


def join_by_roles(team: Team, user: User) -> None:
    """`users create --team`: join as coordinator, member or physician by role."""
    joined = False
    for role in ("coordinator", "member", "physician"):
        if user.has_role(role):
            add_member(team, user, role)
            joined = True
    if not joined:
        raise OrganisationError(
            "--team needs the role coordinator, member or physician."
        )


def update_organisation(org: Organisation, *, name: str, kind: str, region: str) -> None:
    if kind not in ORGANISATION_KINDS:
        raise OrganisationError(f"Unknown organisation kind {kind!r}.")
    org.name, org.kind, org.region = name.strip(), kind, region.strip()
    db.session.flush()


TEAM_FIELDS = ("name", "region", "meeting_weekday", "meeting_time", "meeting_minutes",
               "minutes_per_case", "meeting_location", "meeting_video_link")


def update_team(team: Team, *, host: Organisation, physician: User | None, **values) -> None:
    for key in TEAM_FIELDS:
        if key in values:
            setattr(team, key, values[key])
    team.host_organisation = host
    set_physician(team, physician)

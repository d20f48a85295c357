"""Who may see a meeting (SPEC §2): the team's coordinators, members and physician;
a referrer only for a meeting with one of their organisation's cases on its agenda,
and then only those items."""
from __future__ import annotations

from sqlalchemy import select

from consult.access import load_or_404
from consult.extensions import db

MEETING_ROLES = ("coordinator", "member", "physician", "referrer")


def is_team_coordinator(user, team) -> bool:
    return user.has_role("coordinator") and any(
        m.user_id == user.id and m.role == "coordinator" for m in team.memberships)


def belongs_to_team(user, team) -> bool:
    """A coordinator, member or the physician of the team."""
    if team.physician_id == user.id and user.has_role("physician"):
        return True
    return any(m.user_id == user.id and user.has_role(m.role) for m in team.memberships)


def referrer_items(user, meeting) -> list:
    """The items still on the agenda whose case belongs to the referrer's organisation."""
    if not user.has_role("referrer"):
        return []
    return [item for item in meeting.items
            if item.state == "on_agenda" and item.request.organisation_id == user.organisation_id]


def can_view_meeting(user, meeting) -> bool:
    return belongs_to_team(user, meeting.team) or bool(referrer_items(user, meeting))


def load_meeting(meeting_id: int):
    from consult.meetings.models import Meeting

    return load_or_404(Meeting, meeting_id, can_view_meeting)


def load_coordinated_meeting(meeting_id: int):
    """For changes: only the team's coordinators (others who may see it get 404 too,
    as the object is outside what they may change)."""
    from consult.meetings.models import Meeting

    return load_or_404(Meeting, meeting_id,
                       lambda user, meeting: is_team_coordinator(user, meeting.team))


def visible_team_ids(user) -> list[int]:
    """Teams whose meetings the user sees as a participant of the team."""
    from consult.organisations.models import Team, TeamMembership

    ids = set(db.session.scalars(select(TeamMembership.team_id).where(
        TeamMembership.user_id == user.id)))
    if user.has_role("physician"):
        ids |= set(db.session.scalars(select(Team.id).where(Team.physician_id == user.id)))
    return sorted(ids)

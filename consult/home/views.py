"""My work (`/`): what is each role's, with navigation for every role the user has.
Counts come from grouped COUNT statements, so the page costs the same whatever the
number of cases; it names no clients."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import case, func, or_, select

from consult.access import login_only
from consult.accounts.models import User
from consult.consultations.models import ConsultationRequest
from consult.consultations.states import STATES
from consult.consultations.views import state_labels
from consult.extensions import db
from consult.organisations.models import Organisation, Team, TeamMembership

bp = Blueprint("home", __name__)


def _my_requests_by_state(user) -> list[tuple[str, int]]:
    """The referrer's own requests per state, in the order of the state machine."""
    counts = dict(db.session.execute(
        select(ConsultationRequest.state, func.count(ConsultationRequest.id))
        .where(ConsultationRequest.referrer_id == user.id)
        .group_by(ConsultationRequest.state)).all())
    return [(state, counts[state]) for state in STATES if counts.get(state)]


def _new_requests_by_team(team_ids) -> dict[int, tuple[int, int]]:
    """Submitted requests per team: (all, urgent)."""
    if not team_ids:
        return {}
    rows = db.session.execute(
        select(ConsultationRequest.target_team_id, func.count(ConsultationRequest.id),
               func.count(case((ConsultationRequest.urgency == "urgent", 1))))
        .where(ConsultationRequest.target_team_id.in_(team_ids),
               ConsultationRequest.state == "submitted")
        .group_by(ConsultationRequest.target_team_id)).all()
    return {team_id: (count, urgent) for team_id, count, urgent in rows}


def _new_requests_to_physician(user) -> int:
    return db.session.scalar(
        select(func.count(ConsultationRequest.id))
        .where(ConsultationRequest.target_physician_id == user.id,
               ConsultationRequest.state == "submitted")) or 0


def _deployment_counts() -> dict[str, int]:
    organisations, teams, users = db.session.execute(select(
        select(func.count(Organisation.id)).scalar_subquery(),
        select(func.count(Team.id)).scalar_subquery(),
        select(func.count(User.id)).scalar_subquery())).one()
    return {"organisations": organisations, "teams": teams, "users": users}


def _upcoming_meetings(team_ids: list[int]) -> list:
    """The next meetings of the user's teams (one statement)."""
    from consult.meetings.models import Meeting
    from consult.timeutil import utcnow

    return list(db.session.scalars(
        select(Meeting).where(Meeting.team_id.in_(team_ids), Meeting.ends_at > utcnow(),
                              Meeting.state != "cancelled")
        .order_by(Meeting.starts_at).limit(5)))


@bp.route("/")
@login_only
def my_work():
    user = current_user
    teams = []
    if user.has_role("coordinator", "member", "physician"):
        my_team_ids = select(TeamMembership.team_id).where(TeamMembership.user_id == user.id)
        teams = db.session.scalars(
            select(Team)
            .where(or_(Team.id.in_(my_team_ids), Team.physician_id == user.id))
            .order_by(Team.name)
        ).all()
    coordinated = {m.team_id for t in teams for m in t.memberships
                   if m.user_id == user.id and m.role == "coordinator"}
    upcoming = _upcoming_meetings([t.id for t in teams]) if teams else []
    return render_template(
        "home/my_work.html", teams=teams, coordinated=coordinated, upcoming=upcoming,
        counts=_deployment_counts() if user.has_role("admin") else {},
        my_requests=_my_requests_by_state(user) if user.has_role("referrer") else [],
        new_by_team=_new_requests_by_team(coordinated) if user.has_role("coordinator") else {},
        new_to_me=_new_requests_to_physician(user) if user.has_role("physician") else 0,
        state_labels=state_labels())

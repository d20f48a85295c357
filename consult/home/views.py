"""My work (`/`): what is each role's, with navigation for every role the user has."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, or_, select

from consult.access import login_only
from consult.accounts.models import User
from consult.extensions import db
from consult.organisations.models import Organisation, Team, TeamMembership

bp = Blueprint("home", __name__)


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
    counts = {}
    if user.has_role("admin"):
        counts = {
            "organisations": db.session.scalar(select(func.count(Organisation.id))),
            "teams": db.session.scalar(select(func.count(Team.id))),
            "users": db.session.scalar(select(func.count(User.id))),
        }
    coordinated = {m.team_id for t in teams for m in t.memberships
                   if m.user_id == user.id and m.role == "coordinator"}
    return render_template("home/my_work.html", teams=teams, counts=counts,
                           coordinated=coordinated)

"""Inboxes: the team's (coordinators) and the physician's; urgent first, then oldest
first. They list request numbers and referrers, never client names."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from consult.access import load_or_404, roles_required
from consult.consultations.models import ConsultationRequest
from consult.consultations.policy import is_team_coordinator
from consult.consultations.views import _audit_listed, state_labels
from consult.extensions import db
from consult.forms.admin import organisation_kind_labels
from consult.forms.consultations import mode_labels
from consult.organisations.models import ORGANISATION_KINDS, Organisation, Team

# Drafts are the referrer's own business: no inbox ever lists them.
INBOX_STATES = ("submitted", "accepted", "returned", "scheduled")
INBOX_LIMIT = 200


# The team inbox lives under /teams/, outside the requests' prefix.
teams_bp = Blueprint("teams", __name__, url_prefix="/teams")
physician_bp = Blueprint("physician", __name__, url_prefix="/physician")


def _chosen_state() -> str:
    state = request.args.get("state", "submitted")
    return state if state in INBOX_STATES else "submitted"


def _inbox_query(state: str):
    """Requests in one inbox state, urgent first, then oldest first; the referrer and
    their organisation come in the same statement (the page shows both)."""
    return (select(ConsultationRequest)
            .options(joinedload(ConsultationRequest.referrer))
            .where(ConsultationRequest.state == state)
            .order_by((ConsultationRequest.urgency == "urgent").desc(),
                      ConsultationRequest.first_submitted_at, ConsultationRequest.id))


def _listed(query) -> list[ConsultationRequest]:
    items = db.session.scalars(query.limit(INBOX_LIMIT)).all()
    _audit_listed(items)
    db.session.commit()
    return items


@teams_bp.route("/<int:team_id>/inbox")
@roles_required("coordinator")
def inbox(team_id: int):
    """New requests to the team, urgent first, then oldest first; filter by state and
    by the kind of the referring organisation."""
    team = load_or_404(Team, team_id, is_team_coordinator)
    state = _chosen_state()
    kind = request.args.get("kind", "")
    query = _inbox_query(state).where(ConsultationRequest.target_team_id == team.id)
    if kind in ORGANISATION_KINDS:
        query = query.join(Organisation, Organisation.id == ConsultationRequest.organisation_id) \
            .where(Organisation.kind == kind)
    return render_template("consultations/inbox.html", team=team, items=_listed(query),
                           state=state, kind=kind, states=INBOX_STATES,
                           state_labels=state_labels(), kind_labels=organisation_kind_labels())


@physician_bp.route("/inbox", endpoint="inbox")
@roles_required("physician")
def physician_inbox():
    """Requests addressed to the current physician, urgent first, then oldest first;
    filter by state."""
    state = _chosen_state()
    query = _inbox_query(state).where(
        ConsultationRequest.target_physician_id == current_user.id)
    return render_template("consultations/physician_inbox.html", items=_listed(query),
                           state=state, states=INBOX_STATES, state_labels=state_labels(),
                           show_mode=True, mode_labels=mode_labels())

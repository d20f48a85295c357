"""Who may see a consultation request (SPEC §2): the registering organisation's
referrers; once submitted, the target team's coordinators or the target physician."""
from __future__ import annotations

from consult.access import load_or_404

REQUEST_ROLES = ("referrer", "coordinator", "physician")


def is_team_coordinator(user, team) -> bool:
    return team is not None and user.has_role("coordinator") and any(
        m.user_id == user.id and m.role == "coordinator" for m in team.memberships)


def can_view_request(user, request) -> bool:
    if user.has_role("referrer") and user.organisation_id == request.organisation_id:
        return True
    if request.state == "draft":
        return False  # a draft is its organisation's own
    if is_team_coordinator(user, request.target_team):
        return True
    return user.has_role("physician") and request.target_physician_id == user.id


def load_request(request_id: int):
    from consult.consultations.models import ConsultationRequest

    return load_or_404(ConsultationRequest, request_id, can_view_request,
                       client_id_of=lambda r: r.client_id)

"""Who may see a consultation request (SPEC §2): the registering organisation's
referrers; once submitted, the target team's coordinators or the target physician;
once on a meeting's agenda, the team's members and physician."""
from __future__ import annotations

from consult.access import load_or_404

REQUEST_ROLES = ("referrer", "coordinator", "physician")
# Team members read the cases on their meetings' agendas (the request page only).
READ_ROLES = (*REQUEST_ROLES, "member")


def is_team_coordinator(user, team) -> bool:
    return team is not None and user.has_role("coordinator") and any(
        m.user_id == user.id and m.role == "coordinator" for m in team.memberships)


# A team request in these states has been on one of the team's agendas.
ON_AGENDA_STATES = ("scheduled", "discussed", "closed")


def is_team_participant(user, team) -> bool:
    """A member or the physician of the team (who see its meetings' cases)."""
    if team is None:
        return False
    if user.has_role("physician") and team.physician_id == user.id:
        return True
    return user.has_role("member") and any(
        m.user_id == user.id and m.role == "member" for m in team.memberships)


def can_view_request(user, request) -> bool:
    if user.has_role("referrer") and user.organisation_id == request.organisation_id:
        return True
    if request.state == "draft":
        return False  # a draft is its organisation's own
    if is_team_coordinator(user, request.target_team):
        return True
    if request.state in ON_AGENDA_STATES and is_team_participant(user, request.target_team):
        return True  # once on a meeting's agenda, the team's members see the case
    return user.has_role("physician") and request.target_physician_id == user.id


def load_request(request_id: int):
    from consult.consultations.models import ConsultationRequest

    return load_or_404(ConsultationRequest, request_id, can_view_request,
                       client_id_of=lambda r: r.client_id)

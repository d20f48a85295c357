"""Who may see and write a consultation's record (SPEC §2): a team's protocol is seen
by the team (coordinators, members, its physician) and written by its coordinators,
while members and the physician may add notes; a physician's note or statement is
seen and written by that physician only. The referrer's view of it is their case's
protocol page."""
from __future__ import annotations

from consult.access import load_or_404
from consult.meetings.policy import belongs_to_team, is_team_coordinator


def can_view(user, protocol) -> bool:
    request = protocol.request
    if request.target_team_id is not None:
        return belongs_to_team(user, request.target_team)
    return user.has_role("physician") and request.target_physician_id == user.id


def can_edit(user, protocol) -> bool:
    """Everything but notes: recommendations, action items, outcome, finalising."""
    request = protocol.request
    if request.target_team_id is not None:
        return is_team_coordinator(user, request.target_team)
    return user.has_role("physician") and request.target_physician_id == user.id


def can_write_notes(user, protocol) -> bool:
    return can_view(user, protocol)


def load_record(protocol_id: int, check=can_view):
    from consult.protocols.models import Protocol

    return load_or_404(Protocol, protocol_id, check,
                       client_id_of=lambda protocol: protocol.request.client_id)


def can_read_case_record(user, request) -> bool:
    """A case's final record (`/requests/<id>/protocol`, its print and the client's
    summary): the referrers of the case's organisation, and those who wrote it (the
    team, or the physician). Another organisation's case on the same meeting is out of
    a referrer's scope."""
    if user.has_role("referrer") and request.organisation_id == user.organisation_id:
        return True
    if request.target_team_id is not None:
        return belongs_to_team(user, request.target_team)
    return user.has_role("physician") and request.target_physician_id == user.id


def load_case(request_id: int):
    """The request whose record the user may read, with the parties the record names,
    or 404 (audited)."""
    from consult.consultations import services as consultations
    from consult.consultations.models import ConsultationRequest

    loaded = consultations.with_parties(request_id)  # the check finds it in the session
    return load_or_404(ConsultationRequest, loaded.id if loaded else request_id,
                       can_read_case_record, client_id_of=lambda request: request.client_id)

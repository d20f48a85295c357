"""Consultation requests: creating them, the pre-form draft with its version check,
and every state transition of SPEC §3. Services flush, never commit.

A transition checks the act against the state machine (states.py) and the actor
against the request; a refusal raises TransitionRefused with a message for the user
and changes nothing. An allowed one records who, when and why, audits the write, and
notifies the people concerned."""
from __future__ import annotations

import copy

from flask_babel import lazy_gettext as _l

from consult.audit import services as audit
from consult.consents.services import covers_physician, covers_team
from consult.consultations.models import (
    PREFORM_FIELDS,
    REQUIRED_ON_SUBMIT,
    ConsultationRequest,
    Notification,
    PreForm,
    PreFormVersion,
    RequestEvent,
)
from consult.consultations.states import ACTS, mode_fits_target
from consult.extensions import db
from consult.timeutil import today, utcnow


class TransitionRefused(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class DraftConflict(ValueError):
    """Someone saved the draft in between: the caller shows both texts."""

    def __init__(self, saved: dict, revision: int):
        super().__init__("draft saved by someone else in between")
        self.saved = saved
        self.revision = revision


class IncompleteForm(ValueError):
    def __init__(self, missing: list[str]):
        super().__init__(", ".join(missing))
        self.missing = missing


def create_request(*, client, referrer, mode: str, team=None, physician=None,
                   urgency: str = "normal", urgency_reason: str = "",
                   preferred_dates: str = "", client_attends: str = "yes") -> ConsultationRequest:
    if (team is None) == (physician is None):
        raise TransitionRefused(_l("Choose either a team or a physician."))
    if not mode_fits_target(mode, team=team is not None):
        raise TransitionRefused(_l("This way of consulting does not fit the chosen target."))
    if urgency == "urgent" and not urgency_reason.strip():
        raise TransitionRefused(_l("Say why the request is urgent."))
    request = ConsultationRequest(
        client=client, organisation_id=client.organisation_id, referrer=referrer,
        target_team=team, target_physician=physician, mode=mode, urgency=urgency,
        urgency_reason=urgency_reason.strip(), preferred_dates=preferred_dates.strip(),
        client_attends=client_attends, state="draft", preform=PreForm(draft={}))
    db.session.add(request)
    db.session.flush()
    audit.record("create", object_type="consultation_request", object_id=request.id,
                 client_id=client.id, purpose="consultation_request", user=referrer)
    return request


def save_draft(preform: PreForm, values: dict, *, expected_revision: int, by) -> int:
    """Overwrite the draft if nobody saved in between; return the new revision."""
    if preform.request.state not in ("draft", "returned"):
        raise TransitionRefused(_l("The pre-information form can no longer be changed."))
    if preform.draft_revision != expected_revision:
        raise DraftConflict(dict(preform.draft or {}), preform.draft_revision)
    preform.draft = {k: str(v) for k, v in values.items() if k in PREFORM_FIELDS}
    preform.draft_revision += 1
    preform.draft_saved_at = utcnow()
    preform.draft_saved_by_id = by.id
    db.session.flush()
    return preform.draft_revision


def missing_required(preform: PreForm) -> list[str]:
    draft = preform.draft or {}
    return [name for name in REQUIRED_ON_SUBMIT if not str(draft.get(name, "")).strip()]


def _freeze(preform: PreForm, by) -> PreFormVersion:
    version = PreFormVersion(number=len(preform.versions) + 1,
                             content=copy.deepcopy(dict(preform.draft or {})), frozen_by_id=by.id)
    preform.versions.append(version)
    return version


def covering_consent(request: ConsultationRequest):
    """A consent of the client that is valid today and covers the request's target."""
    on = today()
    for consent in request.client.consents:
        if request.target_team is not None and covers_team(consent, request.target_team, on):
            return consent
        if request.target_physician is not None and covers_physician(
                consent, request.target_physician, on):
            return consent
    return None


def _actor_roles(request: ConsultationRequest, actor) -> set[str]:
    """How the actor stands to this request."""
    roles = set()
    if actor.id == request.referrer_id:
        roles.add("referrer")
    if request.target_team is not None and actor.has_role("coordinator") and any(
            m.user_id == actor.id and m.role == "coordinator"
            for m in request.target_team.memberships):
        roles.add("coordinator")
    if request.target_physician_id is not None and actor.id == request.target_physician_id:
        roles.add("physician")
    return roles


def _concerned(request: ConsultationRequest, actor) -> list:
    """The referrer hears of what the other side does, and the other side of the
    referrer's acts."""
    if actor.id == request.referrer_id:
        if request.target_team is not None:
            return request.target_team.coordinators
        return [request.target_physician]
    return [request.referrer]


def perform(request: ConsultationRequest, act_name: str, actor, message: str = "") -> RequestEvent:
    act = ACTS.get(act_name)
    if act is None or not act.allowed_from(request.state, request.mode):
        raise TransitionRefused(_l("This cannot be done to a request in its present state."))
    if not _actor_roles(request, actor).intersection(act.by):
        raise TransitionRefused(_l("You cannot do this to this request."))
    if act.needs_message and not message.strip():
        raise TransitionRefused(_l("Write a message that says why."))
    if act_name in ("submit", "resubmit"):
        missing = missing_required(request.preform)
        if missing:
            raise IncompleteForm(missing)
        if covering_consent(request) is None:
            raise TransitionRefused(_l(
                "The client has no valid consent that covers this team or physician."))
    from_state = request.state
    if act_name in ("submit", "resubmit"):
        _freeze(request.preform, actor)
        if request.first_submitted_at is None:
            request.first_submitted_at = utcnow()
    request.state = act.target
    event = RequestEvent(request=request, actor_id=actor.id, act=act_name,
                         from_state=from_state, to_state=act.target, message=message.strip())
    db.session.add(event)
    for person in _concerned(request, actor):
        if person is not None and person.id != actor.id:
            db.session.add(Notification(user_id=person.id, request_id=request.id, kind=act_name))
    db.session.flush()
    audit.record("transition", object_type="consultation_request", object_id=request.id,
                 client_id=request.client_id, purpose=act_name, user=actor)
    return event

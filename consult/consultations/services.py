"""Consultation requests: creating them, the pre-form draft with its version check,
and every state transition of SPEC §3. Services flush, never commit.

A transition checks the act against the state machine (states.py) and the actor
against the request; a refusal raises TransitionRefused with a message for the user
and changes nothing. An allowed one records who, when and why, audits the write, and
notifies the people concerned."""
from __future__ import annotations

import copy

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from consult.audit import services as audit
from consult.consents.services import covers_physician, covers_team
from consult.consultations.models import (
    PREFORM_FIELDS,
    REQUIRED_ON_SUBMIT,
    ConsultationRequest,
    PreForm,
    PreFormVersion,
    RequestEvent,
    RequestGuest,
    RequestMessage,
)
from consult.consultations.states import ACTS, DISCLOSING_ACTS, PAUSABLE_STATES, mode_fits_target
from consult.extensions import db
from consult.notifications import services as notifications
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


def with_parties(request_id: int) -> ConsultationRequest | None:
    """The request with the parties its record's pages name (the client, without the
    client's consents; the referrer, the team, without its people unless asked for,
    and the physician) in one statement, or None. Keep it while the policy's
    load_request() finds it in the session."""
    from sqlalchemy.orm import joinedload

    from consult.clients.models import Client
    from consult.organisations.models import Team

    return db.session.scalars(select(ConsultationRequest).where(
        ConsultationRequest.id == request_id).options(
        joinedload(ConsultationRequest.client).lazyload(Client.consents),
        joinedload(ConsultationRequest.referrer),
        joinedload(ConsultationRequest.target_team).lazyload(Team.memberships),
        joinedload(ConsultationRequest.target_physician))).first()


def save_draft(preform: PreForm, values: dict, *, expected_revision: int, by) -> int:
    """Overwrite the draft if nobody saved in between; return the new revision."""
    if preform.request.state not in ("draft", "returned"):
        raise TransitionRefused(_l("The pre-information form can no longer be changed."))
    draft = {k: str(v) for k, v in values.items() if k in PREFORM_FIELDS}
    if draft == (preform.draft or {}):
        return preform.draft_revision  # nothing new (autosave and the button, say)
    if preform.draft_revision != expected_revision:
        raise DraftConflict(dict(preform.draft or {}), preform.draft_revision)
    preform.draft = draft
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


def _covers(consent, request: ConsultationRequest, on, guest_organisation_ids) -> bool:
    if request.target_team is not None:
        return covers_team(consent, request.target_team, on, guest_organisation_ids)
    return covers_physician(consent, request.target_physician, on) and set(
        guest_organisation_ids) <= set(consent.organisation_ids)


def covering_consents(request: ConsultationRequest) -> list:
    """The client's consents valid today that cover the target and the guests."""
    on = today()
    guests = sorted({g.organisation_id for g in request.guests})
    return [c for c in request.client.consents if _covers(c, request, on, guests)]


def covering_consent(request: ConsultationRequest, extra_organisation_ids=()):
    """A consent of the client that is valid today and covers the request's target and
    the organisation of every guest proposed for it (and of `extra_organisation_ids`)."""
    on = today()
    guests = {g.organisation_id for g in request.guests} | set(extra_organisation_ids)
    for consent in request.client.consents:
        if _covers(consent, request, on, sorted(guests)):
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


def _other_side(request: ConsultationRequest) -> list:
    if request.target_team is not None:
        return list(request.target_team.coordinators)
    return [request.target_physician]


def _concerned(request: ConsultationRequest, actor) -> list:
    """The referrer hears of what the other side does, and the other side of the
    referrer's acts."""
    if actor is None:
        return [request.referrer, *_other_side(request)]
    if actor.id == request.referrer_id:
        return _other_side(request)
    return [request.referrer]


def _notify(request: ConsultationRequest, kind: str, people, actor=None) -> None:
    seen = set()
    for person in people:
        if person is None or person.id in seen or (actor is not None and person.id == actor.id):
            continue
        seen.add(person.id)
        notifications.notify(person, request.id, kind)


def _refuse_while_paused(request: ConsultationRequest) -> None:
    """No new disclosures while the consent does not cover the case (SPEC §3)."""
    if request.is_paused or covering_consent(request) is None:
        raise TransitionRefused(_l(
            "The case is paused: the client's consent no longer covers it. Record a new "
            "consent first."))


# Acts after which a physician request holds no slot and no proposals any more.
RELEASING_ACTS = ("withdraw", "cancel_booking", "decline", "return_for_completion")


def _release_agenda_item(request: ConsultationRequest) -> None:
    """A withdrawn team case leaves the agenda it was on (SPEC §3: it frees its agenda
    item); a sent agenda is then marked changed."""
    from consult.meetings import agenda
    from consult.meetings.models import AgendaItem

    for item in db.session.scalars(select(AgendaItem).where(
            AgendaItem.request_id == request.id, AgendaItem.state == "on_agenda")):
        item.state = "removed"
        item.meeting.agenda_version += 1
        agenda.mark_changed(item.meeting)


def _release_slots(request: ConsultationRequest, reason: str) -> None:
    from consult.scheduling.models import Booking, SlotProposal

    if request.target_physician_id is None:
        if request.state == "withdrawn":
            _release_agenda_item(request)
        return
    from consult.invites import dispatch

    for booking in db.session.scalars(select(Booking).where(
            Booking.request_id == request.id, Booking.state == "active")):
        booking.state, booking.cancelled_at, booking.cancel_reason = "cancelled", utcnow(), reason
        booking.sequence += 1
        dispatch.send_booking(booking, "cancel")
    for proposal in db.session.scalars(select(SlotProposal).where(
            SlotProposal.request_id == request.id)):
        db.session.delete(proposal)


def perform(request: ConsultationRequest, act_name: str, actor, message: str = "",
            linked_services=()) -> RequestEvent:
    act = ACTS.get(act_name)
    if act is None or not act.allowed_from(request.state, request.mode):
        raise TransitionRefused(_l("This cannot be done to a request in its present state."))
    if not _actor_roles(request, actor).intersection(act.by):
        raise TransitionRefused(_l("You cannot do this to this request."))
    if act.needs_message and not message.strip():
        raise TransitionRefused(_l("Write a message that says why."))
    if act_name in DISCLOSING_ACTS:
        _refuse_while_paused(request)
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
    if act_name == "resolve_at_consultation":
        event.services = list(linked_services)
    if act_name in RELEASING_ACTS:
        _release_slots(request, reason=message.strip())
    _notify(request, act_name, _concerned(request, actor), actor)
    db.session.flush()
    audit.record("transition", object_type="consultation_request", object_id=request.id,
                 client_id=request.client_id, purpose=act_name, user=actor)
    return event


# The message thread ----------------------------------------------------------------

def can_converse(request: ConsultationRequest, user) -> bool:
    """The case manager and the other side (the target team's coordinators or the
    target physician) talk in the thread, once the request has been submitted."""
    return request.state != "draft" and bool(
        _actor_roles(request, user) & {"referrer", "coordinator", "physician"})


def post_message(request: ConsultationRequest, author, body: str) -> RequestMessage:
    if not body.strip():
        raise TransitionRefused(_l("Write a message."))
    if not can_converse(request, author):
        raise TransitionRefused(_l("You cannot write in this request's thread."))
    message = RequestMessage(request=request, author_id=author.id, body=body.strip())
    db.session.add(message)
    _notify(request, "message", _concerned(request, author), author)
    db.session.flush()
    audit.record("create", object_type="request_message", object_id=message.id,
                 client_id=request.client_id, purpose="message", user=author)
    return message


# Guests proposed for the case ------------------------------------------------------

GUEST_STATES = ("draft", "submitted", "returned", "accepted")


class GuestNotCovered(TransitionRefused):
    """The client's consent does not name the guest's organisation."""


def propose_guest(request: ConsultationRequest, *, name: str, organisation, email: str,
                  by) -> RequestGuest:
    if by.id != request.referrer_id or request.state not in GUEST_STATES:
        raise TransitionRefused(_l("Guests can be proposed only by the referrer, before "
                                   "the case is scheduled."))
    if request.is_paused:
        _refuse_while_paused(request)
    if covering_consent(request, extra_organisation_ids=[organisation.id]) is None:
        raise GuestNotCovered(_l(
            "The client's consent does not cover %(org)s. Record a consent that names it "
            "before proposing this guest.", org=organisation.name))
    guest = RequestGuest(request=request, name=name.strip(), organisation_id=organisation.id,
                         organisation=organisation, email=email.strip(), proposed_by_id=by.id)
    db.session.add(guest)
    db.session.flush()
    audit.record("create", object_type="request_guest", object_id=guest.id,
                 client_id=request.client_id, purpose="guest", user=by)
    return guest


def remove_guest(guest: RequestGuest, *, by) -> None:
    request = guest.request
    if by.id != request.referrer_id or request.state not in GUEST_STATES:
        raise TransitionRefused(_l("Guests can be proposed only by the referrer, before "
                                   "the case is scheduled."))
    request.guests.remove(guest)
    db.session.flush()
    audit.record("update", object_type="request_guest", object_id=guest.id,
                 client_id=request.client_id, purpose="guest", user=by)


# Handing a case over ---------------------------------------------------------------

HANDOVER_CLOSED = ("closed", "declined", "withdrawn")


def can_hand_over(request: ConsultationRequest, user) -> bool:
    """The case manager, the target team's coordinator (once submitted), or an
    administrator (from the user's admin page, without seeing the case)."""
    if request.state in HANDOVER_CLOSED:
        return False
    if user.id == request.referrer_id or user.has_role("admin"):
        return True
    return request.state != "draft" and "coordinator" in _actor_roles(request, user)


def hand_over(request: ConsultationRequest, to_user, *, by) -> RequestEvent:
    if not can_hand_over(request, by):
        raise TransitionRefused(_l("You cannot hand this case over."))
    if (to_user is None or not to_user.is_active_account or not to_user.has_role("referrer")
            or to_user.organisation_id != request.organisation_id):
        raise TransitionRefused(_l("Choose an active referrer of the same organisation."))
    if to_user.id == request.referrer_id:
        raise TransitionRefused(_l("This referrer is already the case manager."))
    previous = request.referrer
    request.referrer = to_user
    event = RequestEvent(request=request, actor_id=by.id, act="handover",
                         from_state=request.state, to_state=request.state,
                         message=f"{previous.name} → {to_user.name}")
    db.session.add(event)
    _notify(request, "handover", [previous, to_user], by)
    db.session.flush()
    audit.record("update", object_type="consultation_request", object_id=request.id,
                 client_id=request.client_id, purpose="handover", user=by)
    return event


def open_cases_of(referrer) -> list[ConsultationRequest]:
    """The cases a referrer manages that can still be handed over."""
    return list(db.session.scalars(select(ConsultationRequest).where(
        ConsultationRequest.referrer_id == referrer.id,
        ConsultationRequest.state.not_in(HANDOVER_CLOSED)).order_by(ConsultationRequest.id)))


def hand_over_all(from_user, to_user, *, by) -> int:
    """Every open case of a referrer to another (an administrator's act, e.g. when a
    user leaves); the administrator sees only how many."""
    cases = open_cases_of(from_user)
    for case in cases:
        hand_over(case, to_user, by=by)
    return len(cases)


# Pausing when consent stops covering the case --------------------------------------

def refresh_pause(request: ConsultationRequest, *, by=None) -> str | None:
    """Pause an open case its consent no longer covers, and resume it when a consent
    covers it again; the referrer and the other side are told. Returns the act."""
    if request.state not in PAUSABLE_STATES:
        return None
    covered = covering_consent(request) is not None
    if covered == (not request.is_paused):
        return None
    act = "resume" if covered else "pause"
    request.is_paused = not covered
    db.session.add(RequestEvent(request=request, actor_id=by.id if by else None, act=act,
                                from_state=request.state, to_state=request.state))
    _notify(request, "resumed" if covered else "paused", _concerned(request, None), by)
    db.session.flush()
    audit.record("update", object_type="consultation_request", object_id=request.id,
                 client_id=request.client_id, purpose=act, user=by)
    return act


def refresh_pauses_for_client(client, *, by=None) -> int:
    """After a consent of the client is recorded or withdrawn."""
    requests = db.session.scalars(select(ConsultationRequest).where(
        ConsultationRequest.client_id == client.id,
        ConsultationRequest.state.in_(PAUSABLE_STATES))).all()
    return sum(1 for r in requests if refresh_pause(r, by=by))


def refresh_all_pauses() -> int:
    """The daily pass that catches consents which expired on their own."""
    requests = db.session.scalars(select(ConsultationRequest).where(
        ConsultationRequest.state.in_(PAUSABLE_STATES))).all()
    return sum(1 for r in requests if refresh_pause(r))

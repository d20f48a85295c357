"""Recording a consultation (SPEC §3, §4 flows 4–5): protocols of team meetings, the
physician's consultation notes and written statements. Services flush, never commit.

Everything but completing action items refuses a finalised or signed record; a
correction is an addendum. Finalising moves the request on (finalise_protocol,
sign_note, sign_statement) through the state machine, which also checks who may."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, union_all

from consult.audit import services as audit
from consult.consultations import services as consultations
from consult.consultations.models import PREFORM_SECTIONS, ConsultationRequest
from consult.extensions import db
from consult.notifications import services as notifications
from consult.protocols.models import PATHS, ActionItem, Addendum, Protocol, Recommendation
from consult.timeutil import utcnow

# Notes follow the pre-form's sections in their order, and one field for anything else.
NOTE_KEYS = (*PREFORM_SECTIONS, "general")

# Which act finalises which kind of record.
FINALISING_ACTS = {"protocol": "finalise_protocol", "note": "sign_note",
                   "statement": "sign_statement"}


class ProtocolRefused(consultations.TransitionRefused):
    pass


class NotesConflict(ValueError):
    """Someone saved the notes in between: the caller shows both texts."""

    def __init__(self, saved: dict, revision: int):
        super().__init__("notes saved by someone else in between")
        self.saved = saved
        self.revision = revision


def kind_for(request: ConsultationRequest) -> str:
    if request.target_team_id is not None:
        return "protocol"
    return "statement" if request.mode == "written_statement" else "note"


def protocol_of(request: ConsultationRequest, agenda_item=None, *, create: bool = True):
    """The request's record: for a team case the one on its agenda item (carried over
    with the case), for a physician request the one note or statement."""
    query = select(Protocol).where(Protocol.request_id == request.id)
    if agenda_item is not None:
        query = query.where(Protocol.agenda_item_id == agenda_item.id)
    found = db.session.scalars(query.order_by(Protocol.id.desc())).first()
    if found is None and create:
        found = Protocol(request_id=request.id, request=request, kind=kind_for(request),
                         agenda_item_id=agenda_item.id if agenda_item is not None else None,
                         notes={})
        db.session.add(found)
        db.session.flush()
    return found


def start_meeting(meeting, *, by) -> None:
    """The coordinator opens the run view on the day: the meeting is held, and every
    case on its agenda gets its protocol (a carried-over case brings its own)."""
    from consult.meetings import agenda

    agenda.open_run(meeting, by=by)
    for item in agenda.on_agenda(meeting):
        protocol_of(item.request, item)


# The request's state in which its record is written (the finalising act's).
RECORDING_STATES = {"protocol": "scheduled", "note": "scheduled", "statement": "accepted"}


def recording_refusal(protocol: Protocol):
    """Why the record cannot be changed now, or None: final records take addenda only;
    a team's protocol is written while its meeting is held and the case on it, a
    physician's note once the consultation is booked."""
    if protocol.is_final:
        return _l("This record is finalised and cannot be changed. Add an addendum instead.")
    item = protocol.agenda_item
    if item is not None and (item.state != "on_agenda" or item.meeting.state != "held"):
        return _l("The protocol is written while the meeting is held, in its run view.")
    if protocol.request.state != RECORDING_STATES[protocol.kind]:
        return _l("This record cannot be written in the request's present state.")
    return None


def loaded(**where):
    """Protocols with everything they list, and who each action item and addendum
    names, in one statement (the lists are short; a person or organisation loaded
    per item made the case's record page grow a statement with each item)."""
    from sqlalchemy.orm import joinedload

    items = joinedload(Protocol.action_items)
    query = select(Protocol).options(
        joinedload(Protocol.recommendations).joinedload(Recommendation.service),
        items.joinedload(ActionItem.responsible_user),
        items.joinedload(ActionItem.responsible_organisation),
        items.joinedload(ActionItem.completed_by),
        joinedload(Protocol.addenda).joinedload(Addendum.author))
    for name, values in where.items():
        query = query.where(getattr(Protocol, name).in_(values))
    return db.session.scalars(query).unique().all()


def final_record(request: ConsultationRequest) -> Protocol | None:
    """The case's finalised protocol or signed note or statement, with its lists."""
    return next((p for p in loaded(request_id=[request.id]) if p.is_final), None)


def discussed_version(request: ConsultationRequest):
    """The pre-form version a consultation discusses: the latest submitted one."""
    from consult.consultations.models import PreForm, PreFormVersion

    return db.session.scalars(select(PreFormVersion).join(PreForm).where(
        PreForm.request_id == request.id).order_by(PreFormVersion.number.desc()).limit(1)).first()


def _open(protocol: Protocol) -> None:
    refusal = recording_refusal(protocol)
    if refusal is not None:
        raise ProtocolRefused(refusal)


def save_notes(protocol: Protocol, values: dict, *, expected_revision: int, by) -> int:
    """Notes by pre-form section (NOTE_KEYS); overwrite only if nobody saved in
    between. Saving the same text again is not a conflict."""
    _open(protocol)
    notes = {k: str(v) for k, v in values.items() if k in NOTE_KEYS and str(v).strip()}
    if notes == (protocol.notes or {}):
        return protocol.revision  # nothing new: neither a conflict nor a new revision
    if protocol.revision != expected_revision:
        raise NotesConflict(dict(protocol.notes or {}), protocol.revision)
    protocol.notes = notes
    protocol.revision += 1
    db.session.flush()
    audit.record("update", object_type="protocol", object_id=protocol.id,
                 client_id=protocol.request.client_id, purpose="protocol", user=by)
    return protocol.revision


def set_outcome(protocol: Protocol, *, path: str | None, follow_up_on, attendees: str = "",
                by) -> None:
    _open(protocol)
    if path is not None and path not in PATHS:
        raise ProtocolRefused(_l("Choose the client's path."))
    protocol.path, protocol.follow_up_on = path, follow_up_on
    protocol.attendees = attendees.strip()
    db.session.flush()


def add_recommendation(protocol: Protocol, text: str, *, service=None, by) -> Recommendation:
    _open(protocol)
    if not text.strip():
        raise ProtocolRefused(_l("Write the recommendation."))
    recommendation = Recommendation(protocol=protocol, text=text.strip(), service=service,
                                    position=len(protocol.recommendations) + 1)
    db.session.add(recommendation)
    db.session.flush()
    return recommendation


def remove_recommendation(recommendation: Recommendation, *, by) -> None:
    protocol = recommendation.protocol
    _open(protocol)
    protocol.recommendations.remove(recommendation)
    for position, each in enumerate(protocol.recommendations, start=1):
        each.position = position
    db.session.flush()


def add_action_item(protocol: Protocol, what: str, *, responsible_user=None,
                    responsible_organisation=None, due_on=None, by) -> ActionItem:
    """Responsibilities item by item: a named user, or an organisation (then the
    case's referrer completes it)."""
    _open(protocol)
    if not what.strip():
        raise ProtocolRefused(_l("Write what is to be done."))
    if (responsible_user is None) == (responsible_organisation is None):
        raise ProtocolRefused(_l("Name either a responsible person or an organisation."))
    item = ActionItem(protocol=protocol, what=what.strip(), responsible_user=responsible_user,
                      responsible_organisation=responsible_organisation, due_on=due_on)
    db.session.add(item)
    db.session.flush()
    return item


# Whose action items -----------------------------------------------------------------

def action_items_of(user, *where):
    """The ids of the action items the user completes, for `ActionItem.id.in_()`: theirs
    by name and, for a referrer, an organisation's on a case they refer (they complete
    those). `where` (the state, a due date) holds in each branch, so that each is one
    lookup in the index of the person's items or of the referrer's cases: neither an
    OR over every action item, nor a pass over all the open ones (SPEC §10 at volume)."""
    mine = select(ActionItem.id).where(ActionItem.responsible_user_id == user.id, *where)
    if user.has_role("referrer"):
        mine = union_all(mine, select(ActionItem.id)
                         .join(Protocol, Protocol.id == ActionItem.protocol_id)
                         .join(ConsultationRequest, ConsultationRequest.id == Protocol.request_id)
                         .where(ActionItem.responsible_organisation_id.is_not(None),
                                ConsultationRequest.referrer_id == user.id, *where))
    return mine


def action_items_seen_by(user, *where):
    """The ids of the action items on the user's list (`/actions`): theirs by name and,
    for a referrer, every item on their organisation's cases; `where` in each branch,
    as in action_items_of()."""
    seen = select(ActionItem.id).where(ActionItem.responsible_user_id == user.id, *where)
    if user.has_role("referrer"):
        seen = union_all(seen, select(ActionItem.id)
                         .join(Protocol, Protocol.id == ActionItem.protocol_id)
                         .join(ConsultationRequest, ConsultationRequest.id == Protocol.request_id)
                         .where(ConsultationRequest.organisation_id == user.organisation_id,
                                *where))
    return seen


def can_complete(item: ActionItem, user) -> bool:
    if item.responsible_user_id is not None:
        return item.responsible_user_id == user.id
    return item.protocol.request.referrer_id == user.id


def complete_action_item(item: ActionItem, *, by, note: str = "") -> None:
    if item.state == "done":
        raise ProtocolRefused(_l("This action item is already done."))
    if not item.protocol.is_final:
        raise ProtocolRefused(_l("Action items are completed once the record is final."))
    if not can_complete(item, by):
        raise ProtocolRefused(_l("Only the responsible person completes this action item."))
    item.state, item.completed_at, item.completed_by_id = "done", utcnow(), by.id
    item.completion_note = note.strip()
    db.session.flush()
    audit.record("update", object_type="action_item", object_id=item.id,
                 client_id=item.protocol.request.client_id, purpose="action_item", user=by)


def _notify_responsible(protocol: Protocol, by) -> None:
    """The people named responsible for an action item hear of it once the record is
    final (an organisation's items reach the case's referrer with the protocol)."""
    people = {a.responsible_user_id: a.responsible_user for a in protocol.action_items
              if a.responsible_user is not None}
    for person in people.values():
        if person.id != by.id:
            notifications.notify(person, protocol.request_id, "action_item_assigned")


def finalise(protocol: Protocol, *, by) -> None:
    """Finalise a protocol (the team's coordinator) or sign a note or statement (the
    physician): immutable from then on, and the request becomes discussed."""
    _open(protocol)
    consultations.perform(protocol.request, FINALISING_ACTS[protocol.kind], by)
    protocol.finalised_at, protocol.finalised_by_id = utcnow(), by.id
    _notify_responsible(protocol, by)
    if protocol.agenda_item_id is not None:
        from consult.meetings import agenda
        from consult.meetings.models import AgendaItem

        item = db.session.get(AgendaItem, protocol.agenda_item_id)
        item.state = "finalised"
        agenda.finalise_meeting_if_done(item.meeting)
    db.session.flush()


def add_addendum(protocol: Protocol, text: str, *, by) -> Addendum:
    if not protocol.is_final:
        raise ProtocolRefused(_l("Change the record itself; addenda are for final ones."))
    if not text.strip():
        raise ProtocolRefused(_l("Write the addendum."))
    addendum = Addendum(protocol=protocol, text=text.strip(), author_id=by.id)
    db.session.add(addendum)
    db.session.flush()
    audit.record("create", object_type="addendum", object_id=addendum.id,
                 client_id=protocol.request.client_id, purpose="protocol", user=by)
    return addendum

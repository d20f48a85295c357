"""A meeting's agenda (SPEC §3 Agenda item, §4 flow 3): accepted cases put on it in
order, each time-boxed, times following from the order; guests per case under the
client's consent; participants, attendance on the day, and sending the agenda.
Services flush, never commit.

Two coordinators may edit one agenda at once: every change names the agenda version
it was built on, and a stale version is refused (AgendaConflict) instead of silently
producing a different order."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from consult.audit import services as audit
from consult.consultations import services as consultations
from consult.consultations.models import ConsultationRequest
from consult.extensions import db
from consult.notifications import services as notifications
from consult.meetings.models import AgendaGuest, AgendaItem, Delivery, Meeting
from consult.organisations.models import Team, TeamMembership
from consult.timeutil import to_helsinki, today, utcnow

EDITABLE_STATES = ("draft", "agenda_sent")


class AgendaRefused(consultations.TransitionRefused):
    pass


class AgendaConflict(AgendaRefused):
    def __init__(self):
        super().__init__(_l("Someone else changed this agenda a moment ago. Here is the "
                            "agenda as it is now; make your change again."))


def with_agenda(meeting_id: int, *, clients: bool = False, people: bool = True
                ) -> Meeting | None:
    """The meeting with what its agenda page, run view and protocol show, in a fixed
    number of statements however long the agenda: the team with its people, and each
    item's case with its referrer (and with `clients`, its client); with `people`,
    also every item's guests with their organisations (one statement for all items,
    not one per item) and attendance."""
    from consult.clients.models import Client

    case = selectinload(Meeting.items).joinedload(AgendaItem.request)
    options = [
        joinedload(Meeting.team).joinedload(Team.memberships).joinedload(TeamMembership.user),
        case.joinedload(ConsultationRequest.referrer)]
    if clients:
        options.append(case.joinedload(ConsultationRequest.client).lazyload(Client.consents))
    if people:
        options += [selectinload(Meeting.items).selectinload(AgendaItem.guests)
                    .joinedload(AgendaGuest.organisation),
                    selectinload(Meeting.attendances)]
    return db.session.scalars(select(Meeting).where(Meeting.id == meeting_id)
                              .options(*options)).unique().first()


def on_agenda(meeting: Meeting) -> list[AgendaItem]:
    return [item for item in meeting.items if item.state == "on_agenda"]


@dataclass
class Slot:
    item: AgendaItem
    starts_at: datetime
    ends_at: datetime


def timetable(meeting: Meeting, items: list[AgendaItem] | None = None) -> list[Slot]:
    """Each item's start and end: they follow from the order and the time boxes (of
    the items on the agenda, unless others are given)."""
    at, rows = meeting.starts_at, []
    for item in on_agenda(meeting) if items is None else items:
        end = at + timedelta(minutes=item.minutes)
        rows.append(Slot(item, at, end))
        at = end
    return rows


def total_minutes(meeting: Meeting) -> int:
    return sum(item.minutes for item in on_agenda(meeting))


def overrun_minutes(meeting: Meeting) -> int:
    return max(0, total_minutes(meeting) - meeting.minutes)


def _editable(meeting: Meeting, expected_version: int | None) -> None:
    if meeting.state not in EDITABLE_STATES:
        raise AgendaRefused(_l("The agenda of this meeting can no longer be changed."))
    if expected_version is not None and expected_version != meeting.agenda_version:
        raise AgendaConflict()


def mark_changed(meeting: Meeting) -> None:
    """After the agenda was sent, an edit means the participants get an update."""
    if meeting.state == "agenda_sent":
        meeting.is_changed = True


def _changed(meeting: Meeting) -> None:
    meeting.agenda_version += 1
    mark_changed(meeting)
    for position, item in enumerate(on_agenda(meeting), start=1):
        item.position = position


def candidates(meeting: Meeting) -> list[ConsultationRequest]:
    """The team's accepted requests, not on any agenda: what can be put on this one."""
    return list(db.session.scalars(select(ConsultationRequest).where(
        ConsultationRequest.target_team_id == meeting.team_id,
        ConsultationRequest.state == "accepted").order_by(
        (ConsultationRequest.urgency == "urgent").desc(), ConsultationRequest.first_submitted_at)))


def add_item(meeting: Meeting, request: ConsultationRequest, *, by,
             expected_version: int | None = None) -> AgendaItem:
    _editable(meeting, expected_version)
    if request.target_team_id != meeting.team_id:
        raise AgendaRefused(_l("Only the team's own requests can go on its agenda."))
    consultations.perform(request, "schedule_on_agenda", by)
    position = max((i.position for i in on_agenda(meeting)), default=0) + 1
    item = AgendaItem(meeting=meeting, request=request, position=position,
                      minutes=meeting.team.minutes_per_case)
    for guest in request.guests:  # proposed by the referrer, under the consent
        item.guests.append(AgendaGuest(name=guest.name, organisation_id=guest.organisation_id,
                                       organisation=guest.organisation, email=guest.email))
    db.session.add(item)
    try:
        db.session.flush()
    except IntegrityError:  # on another agenda already; the caller rolls back
        raise AgendaRefused(_l("This request is already on an agenda.")) from None
    _changed(meeting)
    db.session.flush()
    return item


def remove_item(item: AgendaItem, *, by, expected_version: int | None = None) -> None:
    """Take the case off the agenda: it goes back to accepted."""
    meeting = item.meeting
    _editable(meeting, expected_version)
    if item.state != "on_agenda":
        raise AgendaRefused(_l("This case is no longer on the agenda."))
    consultations.perform(item.request, "take_off_agenda", by)
    item.state = "removed"
    _changed(meeting)
    db.session.flush()


def release_items(meeting: Meeting, *, by) -> None:
    """Every case off the agenda of a meeting that is being cancelled."""
    for item in on_agenda(meeting):
        consultations.perform(item.request, "take_off_agenda", by)
        item.state = "removed"
    meeting.agenda_version += 1
    db.session.flush()


def move_item(item: AgendaItem, direction: str, *, expected_version: int | None = None) -> None:
    """One place up or down; the times recompute."""
    meeting = item.meeting
    _editable(meeting, expected_version)
    items = on_agenda(meeting)
    if item not in items:
        raise AgendaRefused(_l("This case is no longer on the agenda."))
    index = items.index(item)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
        for position, each in enumerate(items, start=1):
            each.position = position
        _changed_order(meeting, items)
    db.session.flush()


def reorder(meeting: Meeting, item_ids: list[int], *,
            expected_version: int | None = None) -> None:
    """A whole new order (drag and drop): it must name exactly the items on the agenda."""
    _editable(meeting, expected_version)
    items = {item.id: item for item in on_agenda(meeting)}
    if sorted(item_ids) != sorted(items):
        raise AgendaConflict()
    ordered = [items[i] for i in item_ids]
    _changed_order(meeting, ordered)
    db.session.flush()


def _changed_order(meeting: Meeting, ordered: list[AgendaItem]) -> None:
    for position, item in enumerate(ordered, start=1):
        item.position = position
    meeting.items.sort(key=lambda i: (i.state != "on_agenda", i.position))
    meeting.agenda_version += 1
    mark_changed(meeting)


def set_minutes(item: AgendaItem, minutes: int, *, expected_version: int | None = None) -> None:
    _editable(item.meeting, expected_version)
    if not 5 <= minutes <= 240:
        raise AgendaRefused(_l("A case's time is from 5 to 240 minutes."))
    item.minutes = minutes
    item.meeting.agenda_version += 1
    mark_changed(item.meeting)
    db.session.flush()


def add_guest(item: AgendaItem, *, name: str, organisation, email: str, by) -> AgendaGuest:
    """A guest for one case, only when the client's consent names their organisation."""
    request = item.request
    _editable(item.meeting, None)
    if request.is_paused:
        raise AgendaRefused(_l("The case is paused: the client's consent no longer covers "
                               "it. Record a new consent first."))
    if organisation is None:
        raise consultations.GuestNotCovered(_l("Choose an organisation that the client's "
                                               "consent names."))
    if consultations.covering_consent(request, extra_organisation_ids=[organisation.id]) is None:
        raise consultations.GuestNotCovered(_l(
            "The client's consent does not cover %(org)s. Record a consent that names it "
            "before proposing this guest.", org=organisation.name))
    guest = AgendaGuest(item=item, name=name.strip(), organisation_id=organisation.id,
                        organisation=organisation, email=email.strip())
    db.session.add(guest)
    mark_changed(item.meeting)
    db.session.flush()
    audit.record("create", object_type="agenda_guest", object_id=guest.id,
                 client_id=request.client_id, purpose="guest", user=by)
    return guest


@dataclass
class Participant:
    kind: str  # coordinator · member · physician · referrer · guest
    name: str
    email: str
    user_id: int | None = None
    guest_id: int | None = None
    item: AgendaItem | None = None  # a referrer or guest joins for one case


# The cases whose people were invited: still on the agenda, or already discussed there
# (finalised, or carried over to the next meeting while this one was held).
INVITED_STATES = ("on_agenda", "finalised", "carried_over")


def participants(meeting: Meeting) -> list[Participant]:
    """The team's coordinators, members and physician for the whole meeting; each
    case's referrer and guests for their item."""
    team = meeting.team
    people, seen = [], set()
    for kind, users in (("coordinator", team.coordinators), ("member", team.members),
                        ("physician", [team.physician] if team.physician else [])):
        for user in users:
            if user.id not in seen and user.is_active_account:
                seen.add(user.id)
                people.append(Participant(kind, user.name, user.email, user_id=user.id))
    for item in (i for i in meeting.items if i.state in INVITED_STATES):
        referrer = item.request.referrer
        people.append(Participant("referrer", referrer.name, referrer.email,
                                  user_id=referrer.id, item=item))
        for guest in item.guests:
            people.append(Participant("guest", guest.name, guest.email, guest_id=guest.id,
                                      item=item))
    return people


def paused_items(meeting: Meeting) -> list[AgendaItem]:
    return [item for item in on_agenda(meeting) if item.request.is_paused]


def deliveries_for(meeting: Meeting, people: list[Participant], kind: str) -> list[Delivery]:
    """What each of `people` is to receive, added to the session."""
    deliveries = [Delivery(meeting=meeting, item_id=p.item.id if p.item else None,
                           user_id=p.user_id, guest_id=p.guest_id, email=p.email, kind=kind,
                           sequence=meeting.sequence) for p in people]
    db.session.add_all(deliveries)
    return deliveries


def uninvited(meeting: Meeting) -> list[Participant]:
    """The referrers and guests of cases taken off the agenda after they were sent an
    invite that has not been cancelled yet: they are to get a cancellation."""
    sent, cancelled = set(), set()
    for delivery in meeting.deliveries:
        if delivery.item_id is not None:
            (cancelled if delivery.kind == "cancel" else sent).add(delivery.item_id)
    people = []
    for item in meeting.items:
        if item.state == "removed" and item.id in sent - cancelled:
            referrer = item.request.referrer
            people.append(Participant("referrer", referrer.name, referrer.email,
                                      user_id=referrer.id, item=item))
            people += [Participant("guest", g.name, g.email, guest_id=g.id, item=item)
                       for g in item.guests]
    return people


def send_agenda(meeting: Meeting, *, by) -> list[Delivery]:
    """Draft → agenda_sent: every participant gets the invite (by e-mail, through the
    outbox). Sent again after a change, it sends updates with a higher sequence, and
    cancellations to the people of cases taken off since. A paused case cannot be sent
    onward."""
    from consult.invites import dispatch

    if meeting.state not in EDITABLE_STATES:
        raise AgendaRefused(_l("This meeting's agenda cannot be sent."))
    if meeting.state == "agenda_sent" and not meeting.is_changed:
        raise AgendaRefused(_l("The agenda has not changed since it was sent."))
    paused = paused_items(meeting)
    if paused:
        raise AgendaRefused(_l(
            "A case on the agenda is paused because its consent no longer covers it "
            "(request %(ids)s). Take it off the agenda before sending.",
            ids=", ".join(str(i.request_id) for i in paused)))
    kind = "request" if meeting.state == "draft" else "update"
    if kind == "update":
        meeting.sequence += 1
    invited, gone = participants(meeting), uninvited(meeting)
    deliveries = (deliveries_for(meeting, invited, kind)
                  + deliveries_for(meeting, gone, "cancel"))
    meeting.state, meeting.is_changed, meeting.sent_at = "agenda_sent", False, utcnow()
    for item in on_agenda(meeting):
        notifications.notify(item.request.referrer, item.request_id, "agenda_sent")
    db.session.flush()
    dispatch.send_deliveries(deliveries)
    for item in on_agenda(meeting):
        audit.record("disclose", object_type="consultation_request", object_id=item.request_id,
                     client_id=item.request.client_id, purpose="agenda_sent",
                     recipient=meeting.team.name, user=by)
    audit.record("update", object_type="meeting", object_id=meeting.id, purpose="agenda_sent",
                 user=by)
    return deliveries


def can_mark_attendance(meeting: Meeting) -> bool:
    """On the meeting's day or after, once the agenda went out."""
    return (meeting.state in ("agenda_sent", "held", "protocol_finalised")
            and to_helsinki(meeting.starts_at).date() <= today())


def mark_attendance(meeting: Meeting, *, user_ids: set[int], guest_ids: set[int], by) -> None:
    """Who was there, apart from who was invited: one row per participant."""
    from consult.meetings.models import Attendance

    if not can_mark_attendance(meeting):
        raise AgendaRefused(_l("Attendance is marked on the day of the meeting."))
    invited = participants(meeting)
    meeting.attendances.clear()
    db.session.flush()
    for person in invited:
        if person.guest_id is not None:
            attended = person.guest_id in guest_ids
        elif any(a.user_id == person.user_id for a in meeting.attendances):
            continue  # a referrer with two cases is one person
        else:
            attended = person.user_id in user_ids
        meeting.attendances.append(Attendance(user_id=person.user_id, guest_id=person.guest_id,
                                              attended=attended, marked_by_id=by.id))
    db.session.flush()


def open_run(meeting: Meeting, *, by) -> None:
    """agenda_sent → held: the coordinator opens the run view on the meeting's day."""
    if meeting.state == "held":
        return
    if meeting.state != "agenda_sent":
        raise AgendaRefused(_l("Send the agenda before the meeting is held."))
    if to_helsinki(meeting.starts_at).date() > today():
        raise AgendaRefused(_l("The meeting is held on its day."))
    meeting.state = "held"
    db.session.flush()
    audit.record("update", object_type="meeting", object_id=meeting.id, purpose="meeting_held",
                 user=by)


def finalise_meeting_if_done(meeting: Meeting) -> bool:
    """held → protocol_finalised once every item still on it is finalised (SPEC §3:
    carried-over, removed and withdrawn items do not count)."""
    if meeting.state != "held":
        return False
    counted = [i for i in meeting.items
               if i.state in ("on_agenda", "finalised") and i.request.state != "withdrawn"]
    if counted and all(i.state == "finalised" for i in counted):
        meeting.state = "protocol_finalised"
        db.session.flush()
        return True
    return False


def next_in_series(meeting: Meeting) -> Meeting | None:
    if meeting.series_id is None:
        return None
    return db.session.scalars(select(Meeting).where(
        Meeting.series_id == meeting.series_id, Meeting.starts_at > meeting.starts_at,
        Meeting.state.in_(EDITABLE_STATES)).order_by(Meeting.starts_at)).first()


def carry_over(item: AgendaItem, *, by) -> AgendaItem:
    """A case not finished goes on the next meeting of the series with its notes kept;
    it no longer counts for finalising this meeting."""
    from consult.protocols.models import Protocol

    if item.meeting.state != "held":
        raise AgendaRefused(_l("Cases are carried over while the meeting is held."))
    if item.state != "on_agenda":
        raise AgendaRefused(_l("Only a case still on the agenda can be carried over."))
    target = next_in_series(item.meeting)
    if target is None:
        raise AgendaRefused(_l("There is no next meeting in this series to carry the case "
                               "over to."))
    item.state = "carried_over"
    db.session.flush()  # frees the request for the next agenda (one agenda at a time)
    moved = AgendaItem(meeting=target, request=item.request, minutes=item.minutes,
                       position=max((i.position for i in on_agenda(target)), default=0) + 1)
    db.session.add(moved)
    db.session.flush()
    for guest in item.guests:
        moved.guests.append(AgendaGuest(name=guest.name, organisation_id=guest.organisation_id,
                                        email=guest.email))
    protocol = db.session.scalar(select(Protocol).where(Protocol.agenda_item_id == item.id))
    if protocol is not None:
        protocol.agenda_item_id = moved.id  # the notes go with the case
    target.agenda_version += 1
    mark_changed(target)
    finalise_meeting_if_done(item.meeting)
    db.session.flush()
    audit.record("update", object_type="agenda_item", object_id=moved.id,
                 client_id=item.request.client_id, purpose="carry_over", user=by)
    return moved

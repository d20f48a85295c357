"""iCalendar events (RFC 5545) for a team meeting, for one case's item on its agenda
(the referrer and guests join for that case) and for a booked physician time (SPEC §5).

Each event has a stable UID, a SEQUENCE raised on each change, DTSTAMP, ORGANIZER,
ATTENDEEs with PARTSTAT=NEEDS-ACTION;RSVP=FALSE (replies are not processed), times in
Europe/Helsinki with its VTIMEZONE, the place and the video link, an optional reminder
alarm, and a link back into the tool behind login. **No client data**: a case is named
by its request number only. The icalendar library does the format."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from flask_babel import force_locale, gettext as _
from icalendar import Alarm, Calendar, Event, vCalAddress, vText

from consult.meetings import agenda
from consult.meetings.models import AgendaItem, Meeting
from consult.outbox.services import absolute_url
from consult.scheduling.models import Booking
from consult.timeutil import to_helsinki

PRODID = "-//consult//Work ability consultations//FI"


@dataclass(frozen=True)
class Invitee:
    name: str
    email: str


def _local(value: datetime) -> datetime:
    return to_helsinki(value)


def _clock(value: datetime) -> str:
    local = _local(value)
    return f"{local.hour}.{local.minute:02d}"


def _address(email: str, name: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(name)
    return address


def _event(*, uid: str, sequence: int, summary: str, starts_at: datetime, ends_at: datetime,
           organiser: str, invitees: list[Invitee], description: str, location: str = "",
           video_link: str = "", cancelled: bool = False) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", datetime.now(timezone.utc).replace(microsecond=0))
    event.add("dtstart", _local(starts_at))
    event.add("dtend", _local(ends_at))
    event.add("summary", summary)
    event.add("description", description)
    if location or video_link:
        event.add("location", location or video_link)
    if video_link:
        event.add("url", video_link)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _address(current_app.config["MAIL_FROM"], organiser))
    for invitee in invitees:
        attendee = _address(invitee.email, invitee.name)
        attendee.params.update({"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION",
                                "RSVP": "FALSE", "CUTYPE": "INDIVIDUAL"})
        event.add("attendee", attendee, encode=0)
    minutes = int(current_app.config.get("INVITE_ALARM_MINUTES") or 0)
    if minutes and not cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary)
        alarm.add("trigger", timedelta(minutes=-minutes))
        event.add_component(alarm)
    return event


def calendar(events: list[Event], *, method: str | None = None, name: str = "") -> str:
    """One VCALENDAR with the events and the VTIMEZONE their times use."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", "Europe/Helsinki")
    for event in events:
        cal.add_component(event)
    if events:
        days = [e.decoded("dtstart").date() for e in events]
        cal.add_missing_timezones(first_date=min(days) - timedelta(days=366),
                                  last_date=max(days) + timedelta(days=366))
    return cal.to_ical().decode()


# A meeting and its items ---------------------------------------------------------------

def meeting_sequence(meeting: Meeting) -> int:
    """The SEQUENCE participants will see: a change not yet sent counts already, so a
    download or the feed never shows new times under an old sequence."""
    return meeting.sequence + (1 if meeting.is_changed else 0)


def team_invitees(meeting: Meeting) -> list[Invitee]:
    return [Invitee(p.name, p.email) for p in agenda.participants(meeting) if p.item is None]


def item_invitees(item: AgendaItem) -> list[Invitee]:
    referrer = item.request.referrer
    return [Invitee(referrer.name, referrer.email),
            *(Invitee(guest.name, guest.email) for guest in item.guests)]


def _invited_items(meeting: Meeting) -> list[AgendaItem]:
    return sorted((i for i in meeting.items if i.state in agenda.INVITED_STATES),
                  key=lambda i: i.position)


def meeting_event(meeting: Meeting, *, language: str) -> Event:
    team = meeting.team.name
    with force_locale(language):
        lines = [_("Team meeting of %(team)s.", team=team)]
        slots = agenda.timetable(meeting, _invited_items(meeting))
        if slots:
            lines.append(_("On the agenda:"))
            lines += [_("%(start)s–%(end)s request %(number)s", start=_clock(s.starts_at),
                        end=_clock(s.ends_at), number=s.item.request_id) for s in slots]
        if meeting.video_link:
            lines.append(_("Video link: %(link)s", link=meeting.video_link))
        lines.append(_("The agenda and the cases are in consult (login needed): %(link)s",
                       link=absolute_url(f"/meetings/{meeting.id}")))
        summary = _("Team meeting: %(team)s", team=team)
    return _event(uid=meeting.uid, sequence=meeting_sequence(meeting), summary=summary,
                  starts_at=meeting.starts_at, ends_at=meeting.ends_at, organiser=team,
                  invitees=team_invitees(meeting), description="\n".join(lines),
                  location=meeting.location, video_link=meeting.video_link,
                  cancelled=meeting.state == "cancelled")


def item_times(item: AgendaItem) -> tuple[datetime, datetime]:
    """When the case is discussed; a case taken off keeps the meeting's times."""
    meeting = item.meeting
    for slot in agenda.timetable(meeting, _invited_items(meeting)):
        if slot.item.id == item.id:
            return slot.starts_at, slot.ends_at
    return meeting.starts_at, meeting.ends_at


def item_event(item: AgendaItem, *, language: str, for_guest: bool = False) -> Event:
    meeting, team = item.meeting, item.meeting.team.name
    starts_at, ends_at = item_times(item)
    number = item.request_id
    with force_locale(language):
        summary = _("Consultation of request %(number)s: %(team)s", number=number, team=team)
        if for_guest:
            lines = [_("You are invited to the meeting of %(team)s for one case (reference "
                       "%(number)s), %(start)s–%(end)s.", team=team, number=number,
                       start=_clock(starts_at), end=_clock(ends_at))]
        else:
            lines = [_("Request %(number)s is on the agenda of %(team)s, %(start)s–%(end)s.",
                       number=number, team=team, start=_clock(starts_at),
                       end=_clock(ends_at))]
        if meeting.video_link:
            lines.append(_("Video link: %(link)s", link=meeting.video_link))
        if not for_guest:
            lines.append(_("The request in consult (login needed): %(link)s",
                           link=absolute_url(f"/requests/{number}")))
    return _event(uid=item.uid, sequence=meeting_sequence(meeting), summary=summary,
                  starts_at=starts_at, ends_at=ends_at, organiser=team,
                  invitees=item_invitees(item), description="\n".join(lines),
                  location=meeting.location, video_link=meeting.video_link,
                  cancelled=meeting.state == "cancelled" or item.state == "removed")


# A booked physician time -----------------------------------------------------------

def booking_invitees(booking: Booking) -> list[Invitee]:
    request = booking.request
    physician, referrer = request.target_physician, request.referrer
    return [Invitee(physician.name, physician.email), Invitee(referrer.name, referrer.email)]


def booking_event(booking: Booking, *, language: str) -> Event:
    slot, request = booking.slot, booking.request
    physician = request.target_physician.name
    number = request.id
    video = slot.location if slot.mode == "video" and slot.location.startswith("http") else ""
    with force_locale(language):
        modes = {"phone": _("by phone"), "video": _("by video"), "in_person": _("in person")}
        summary = _("Consultation with the occupational physician: request %(number)s",
                    number=number)
        lines = [_("Consultation with %(physician)s %(mode)s, %(start)s–%(end)s.",
                   physician=physician, mode=modes.get(slot.mode, ""),
                   start=_clock(slot.starts_at), end=_clock(slot.ends_at))]
        if video:
            lines.append(_("Video link: %(link)s", link=video))
        lines.append(_("The request in consult (login needed): %(link)s",
                       link=absolute_url(f"/requests/{number}")))
    return _event(uid=booking.uid, sequence=booking.sequence, summary=summary,
                  starts_at=slot.starts_at, ends_at=slot.ends_at, organiser=physician,
                  invitees=booking_invitees(booking), description="\n".join(lines),
                  location="" if video else slot.location, video_link=video,
                  cancelled=booking.state == "cancelled")


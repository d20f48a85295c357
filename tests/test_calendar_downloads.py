"""Each event's `.ics` download (SPEC §5, §8 `/meetings/<id>.ics`): the team's meeting,
a referrer's own cases on it, a request's booked physician time. Every file is valid
iCalendar with the fields calendar software needs; scope follows the meeting and
request pages; a change keeps the UID and raises SEQUENCE; nothing about the client
gets out, neither in a download nor in an e-mailed invite."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, timedelta

import icalendar
import pytest
import vobject
from sqlalchemy import select

from consult.audit.models import AuditEvent
from consult.consultations import services as consultations
from consult.extensions import db
from consult.meetings import agenda
from consult.meetings import services as meetings
from consult.outbox.models import OutboxMessage
from consult.scheduling import booking as bookings
from consult.timeutil import to_helsinki
from tests import factories
from tests.conftest import Auth

# Planted in every case: none of them may appear in any calendar text or invite.
FIRST_NAMES = "Xanthippe-Quorra"
LAST_NAME = "Vrekkelström"
IDENTITY_BIRTH = "241180-"
PREFORM_WISHES = "Haluaa takaisin Pyynikin leipomoon zeppelinpuuroa keittämään"
PREFORM_QUESTION = "Sopiiko kvanttimuusikon kuntoutus Vrekkelin tapaan"
PREFORM_HEALTH = "Vasemman olkapään jäätyminen keväällä"


# Reading calendar text ---------------------------------------------------------------

def unfolded(text: str) -> str:
    """The text with folded lines joined and TEXT escapes undone (RFC 5545 3.1, 3.3.11)."""
    text = text.replace("\r\n ", "").replace("\r\n\t", "")
    return (text.replace("\\n", "\n").replace("\\N", "\n").replace("\\,", ",")
            .replace("\\;", ";").replace("\\\\", "\\"))


def content_lines(text: str) -> list[str]:
    return text.replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")


def event_lines(lines: list[str], name: str) -> list[str]:
    """The `name` properties of the VEVENTs themselves (not of a VTIMEZONE or VALARM)."""
    found, depth = [], []
    for line in lines:
        if line.startswith("BEGIN:"):
            depth.append(line[6:])
        elif line.startswith("END:"):
            depth.pop()
        elif depth and depth[-1] == "VEVENT" and re.match(rf"{name}[;:]", line):
            found.append(line)
    return found


def events_of(text: str) -> list:
    return [c for c in icalendar.Calendar.from_ical(text).walk("VEVENT")]


def uids(text: str) -> list[str]:
    return [str(e["uid"]) for e in events_of(text)]


def markers(world_client) -> list[str]:
    """What must never leave the tool about this client."""
    return [FIRST_NAMES, LAST_NAME, world_client.identity_code, PREFORM_WISHES,
            PREFORM_QUESTION, PREFORM_HEALTH, "Xanthippe", "Vrekkel"]


def assert_no_client_data(text: str, clients) -> None:
    plain = unfolded(text)
    for client in clients:
        for marker in markers(client):
            assert marker.casefold() not in plain.casefold(), marker


def assert_valid_calendar(text: str) -> list:
    """Parses with icalendar and with vobject's validation; every event has what
    SPEC §5 asks for. Returns the events."""
    calendar = icalendar.Calendar.from_ical(text)
    vobject.readOne(text, validate=True)
    lines = content_lines(text)
    events = list(calendar.walk("VEVENT"))
    assert events
    for event in events:
        for name in ("UID", "SEQUENCE", "DTSTAMP", "ORGANIZER", "DTSTART", "DTEND",
                     "SUMMARY", "STATUS"):
            assert name in event, name
        attendees = event.get("ATTENDEE")
        attendees = attendees if isinstance(attendees, list) else [attendees]
        assert attendees and all(a is not None for a in attendees)
        for attendee in attendees:
            assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
            assert attendee.params["RSVP"] == "FALSE"
            assert str(attendee).startswith("mailto:")
        assert event["DTSTART"].params["TZID"] == "Europe/Helsinki"
        assert event.decoded("DTSTART").tzinfo is not None
    starts = event_lines(lines, "DTSTART") + event_lines(lines, "DTEND")
    assert len(starts) == 2 * len(events)
    assert all(re.fullmatch(r"DT(START|END);TZID=Europe/Helsinki:\d{8}T\d{6}", s)
               for s in starts), starts
    timezones = [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")]
    assert timezones == ["Europe/Helsinki"]
    return events


def only_event(text: str):
    [event] = assert_valid_calendar(text)
    return event


# Worlds --------------------------------------------------------------------------------

def client_with_markers(referrer, number: int):
    return factories.create_client(
        by=referrer, first_names=FIRST_NAMES, last_name=LAST_NAME,
        code=factories.identity_code(IDENTITY_BIRTH, number))


def case_of(*, referrer, number: int, **target):
    """A submitted request whose client and pre-form carry the markers."""
    request = factories.create_submitted_request(
        referrer=referrer, client=client_with_markers(referrer, number),
        draft={"wishes_goals.wishes_goals": PREFORM_WISHES,
               "question.question": PREFORM_QUESTION,
               "health.client_view": PREFORM_HEALTH}, **target)
    request.preferred_dates = PREFORM_HEALTH
    return request


@dataclass
class TeamWorld:
    coordinator: object
    member: object
    physician: object
    team: object
    meeting: object
    referrer: object
    colleague: object  # another referrer of the referrer's organisation
    other_referrer: object  # of another organisation, with a case on the same meeting
    item: object
    other_item: object


def team_world(*, send: bool = True, guest: bool = True) -> TeamWorld:
    coordinator = factories.create_user("coordinator")
    member = factories.create_user("member")
    physician = factories.create_user("physician")
    team = factories.create_team(coordinators=[coordinator], members=[member],
                                 physician=physician)
    meeting = factories.create_meeting(team)
    meeting.location, meeting.video_link = "Kokoushuone Näsi", "https://video.example.fi/team"
    referrer = factories.create_user("referrer")
    colleague = factories.create_user("referrer", organisation=referrer.organisation)
    other_referrer = factories.create_user("referrer")
    items = []
    for number, who in ((234, referrer), (235, other_referrer)):
        request = case_of(referrer=who, number=number, team=team)
        consultations.perform(request, "accept", coordinator)
        items.append(agenda.add_item(meeting, request, by=coordinator))
    if guest:
        agenda.add_guest(items[0], name="Sari Sosiaalityö", organisation=referrer.organisation,
                         email="sari@example.fi", by=coordinator)
    if send:
        agenda.send_agenda(meeting, by=coordinator)
    db.session.commit()
    return TeamWorld(coordinator, member, physician, team, meeting, referrer, colleague,
                     other_referrer, items[0], items[1])


@dataclass
class BookingWorld:
    physician: object
    referrer: object
    colleague: object
    request: object
    booking: object
    later_slot: object


def booking_world() -> BookingWorld:
    physician = factories.create_user("physician")
    referrer = factories.create_user("referrer")
    colleague = factories.create_user("referrer", organisation=referrer.organisation)
    request = case_of(referrer=referrer, number=236, physician=physician, mode="video")
    slot = factories.create_slot(physician)
    later = factories.create_slot(physician, starts_at=slot.starts_at + timedelta(hours=2))
    booking = bookings.book(request, slot, physician)
    db.session.commit()
    return BookingWorld(physician, referrer, colleague, request, booking, later)


def download(client, auth, user, url, status=200):
    """GET url as the user, in a browser session of their own."""
    del client, auth  # each user gets a fresh test client
    from flask import current_app

    own = current_app.test_client()
    Auth(own).login(user)
    response = own.get(url)
    assert response.status_code == status, (user, url, response.status_code)
    return response


# The meeting's download ------------------------------------------------------------

def test_team_member_downloads_the_whole_meeting_as_valid_icalendar(client, auth):
    world = team_world()
    response = download(client, auth, world.member, f"/meetings/{world.meeting.id}.ics")
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="meeting-{world.meeting.id}.ics"')
    text = response.text
    assert "METHOD:" not in text
    event = only_event(text)
    assert str(event["UID"]) == world.meeting.uid
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == to_helsinki(world.meeting.starts_at)
    assert str(event["ORGANIZER"]).startswith("mailto:")
    attendees = {str(a) for a in event.get("ATTENDEE")}
    assert attendees == {f"mailto:{u.email}" for u in
                         (world.coordinator, world.member, world.physician)}
    assert str(event["LOCATION"]) == "Kokoushuone Näsi"
    assert str(event["URL"]) == "https://video.example.fi/team"
    plain = unfolded(text)
    assert f"request {world.item.request_id}" in plain
    assert f"http://localhost/meetings/{world.meeting.id}" in plain


def test_every_team_role_gets_the_meeting_event(client, auth):
    world = team_world()
    for user in (world.coordinator, world.member, world.physician):
        text = download(client, auth, user, f"/meetings/{world.meeting.id}.ics").text
        assert uids(text) == [world.meeting.uid]


def test_a_referrer_gets_only_their_organisations_cases_never_the_team_meeting(client, auth):
    world = team_world()
    for user in (world.referrer, world.colleague):
        text = download(client, auth, user, f"/meetings/{world.meeting.id}.ics").text
        event = only_event(text)
        assert str(event["UID"]) == world.item.uid
        assert world.meeting.uid not in text and world.other_item.uid not in text
        assert f"request {world.other_item.request_id}" not in unfolded(text)
        attendees = {str(a) for a in event.get("ATTENDEE")}
        assert attendees == {f"mailto:{world.referrer.email}", "mailto:sari@example.fi"}
        assert world.member.email not in text and world.other_referrer.email not in text
    text = download(client, auth, world.other_referrer, f"/meetings/{world.meeting.id}.ics").text
    assert uids(text) == [world.other_item.uid]


def test_a_referrer_with_two_cases_on_the_meeting_gets_one_event_per_case(client, auth):
    world = team_world()
    request = case_of(referrer=world.colleague, number=237, team=world.team)
    consultations.perform(request, "accept", world.coordinator)
    second = agenda.add_item(world.meeting, request, by=world.coordinator)
    agenda.send_agenda(world.meeting, by=world.coordinator)
    db.session.commit()
    text = download(client, auth, world.referrer, f"/meetings/{world.meeting.id}.ics").text
    assert sorted(uids(text)) == sorted([world.item.uid, second.uid])
    times = {str(e["UID"]): (e.decoded("DTSTART"), e.decoded("DTEND"))
             for e in assert_valid_calendar(text)}
    slots = {s.item.uid: (to_helsinki(s.starts_at), to_helsinki(s.ends_at))
             for s in agenda.timetable(world.meeting)}
    assert times == {uid: slots[uid] for uid in (world.item.uid, second.uid)}
    # The other organisation's case sits between the two: the times say when to join.
    assert times[second.uid][0] > times[world.item.uid][1]


def test_a_draft_meeting_is_the_teams_but_not_yet_the_referrers(client, auth):
    world = team_world(send=False)
    text = download(client, auth, world.coordinator, f"/meetings/{world.meeting.id}.ics").text
    assert uids(text) == [world.meeting.uid]
    download(client, auth, world.referrer, f"/meetings/{world.meeting.id}.ics", status=404)
    page = download(client, auth, world.referrer, f"/meetings/{world.meeting.id}?lang=en").text
    assert "Add to calendar (.ics)" not in page


def test_outsiders_get_404_and_roles_without_meetings_403_both_audited(client, auth):
    world = team_world()
    url = f"/meetings/{world.meeting.id}.ics"
    other_coordinator = factories.create_user("coordinator")
    factories.create_team(coordinators=[other_coordinator])
    stranger = factories.create_user("referrer")
    manager = factories.create_user("manager", "admin")
    db.session.commit()
    for user, status in ((other_coordinator, 404), (stranger, 404), (manager, 403)):
        download(client, auth, user, url, status=status)
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.user_id == user.id)
                                   .order_by(AuditEvent.id.desc())).first()
        assert (event.outcome, event.purpose) == ("denied", "access_refused")
    download(client, auth, world.member, "/meetings/999999.ics", status=404)


def test_the_download_is_audited_as_an_export(client, auth):
    world = team_world()
    download(client, auth, world.member, f"/meetings/{world.meeting.id}.ics")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.user_id == world.member.id,
                                                        AuditEvent.action == "export")).one()
    assert (event.object_type, event.object_id, event.purpose, event.outcome) == (
        "meeting", world.meeting.id, "calendar_download", "allowed")


def test_the_meeting_download_takes_the_same_few_statements_for_a_longer_agenda(
        app, count_queries):
    counts = []
    for extra in (0, 4):
        world = team_world()
        for number in range(extra):
            request = case_of(referrer=world.colleague, number=250 + number, team=world.team)
            consultations.perform(request, "accept", world.coordinator)
            agenda.add_item(world.meeting, request, by=world.coordinator)
        db.session.commit()
        for user in (world.member, world.referrer):
            own = app.test_client()
            Auth(own).login(user)
            own.get("/")
            with count_queries() as counter:
                assert own.get(f"/meetings/{world.meeting.id}.ics").status_code == 200
            counts.append(counter.count)
    assert counts[:2] == counts[2:]
    assert max(counts) <= 12  # SPEC §10's budget for a page


def test_a_changed_meeting_keeps_its_uid_and_raises_the_sequence(client, auth):
    world = team_world()
    url = f"/meetings/{world.meeting.id}.ics"
    before = only_event(download(client, auth, world.member, url).text)
    item_before = only_event(download(client, auth, world.referrer, url).text)
    local = to_helsinki(world.meeting.starts_at)
    meetings.edit_meeting(world.meeting, day=local.date() + timedelta(days=1),
                          start_time=time(13, 0), minutes=90, location="Kokoushuone Pyhä",
                          video_link=world.meeting.video_link, by=world.coordinator)
    agenda.send_agenda(world.meeting, by=world.coordinator)
    db.session.commit()
    after = only_event(download(client, auth, world.member, url).text)
    assert str(after["UID"]) == str(before["UID"]) == world.meeting.uid
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1
    assert after.decoded("DTSTART").time() == time(13, 0)
    assert after.decoded("DTSTART").date() == local.date() + timedelta(days=1)
    assert str(after["LOCATION"]) == "Kokoushuone Pyhä"
    item_after = only_event(download(client, auth, world.referrer, url).text)
    assert str(item_after["UID"]) == str(item_before["UID"]) == world.item.uid
    assert item_after["SEQUENCE"] == item_before["SEQUENCE"] + 1
    assert item_after.decoded("DTSTART").time() == time(13, 0)


def test_an_edit_not_yet_sent_already_shows_a_higher_sequence(client, auth):
    world = team_world()
    url = f"/meetings/{world.meeting.id}.ics"
    before = only_event(download(client, auth, world.member, url).text)
    local = to_helsinki(world.meeting.starts_at)
    meetings.edit_meeting(world.meeting, day=local.date(), start_time=time(10, 0), minutes=120,
                          location=world.meeting.location, video_link=world.meeting.video_link,
                          by=world.coordinator)
    db.session.commit()
    after = only_event(download(client, auth, world.member, url).text)
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1
    assert after.decoded("DTSTART").time() == time(10, 0)


def test_a_cancelled_meeting_downloads_as_cancelled_for_the_team(client, auth):
    world = team_world()
    meetings.cancel_meeting(world.meeting, by=world.coordinator)
    db.session.commit()
    url = f"/meetings/{world.meeting.id}.ics"
    event = only_event(download(client, auth, world.member, url).text)
    assert (str(event["STATUS"]), event["SEQUENCE"]) == ("CANCELLED", 1)
    assert str(event["UID"]) == world.meeting.uid
    # The cases left the agenda with the cancellation: not the referrer's any more.
    download(client, auth, world.referrer, url, status=404)


def test_the_meeting_page_links_to_the_download(client, auth):
    world = team_world()
    for user in (world.coordinator, world.referrer):
        page = download(client, auth, user, f"/meetings/{world.meeting.id}?lang=en").text
        assert f'href="/meetings/{world.meeting.id}.ics"' in page
        assert "Add to calendar (.ics)" in page


# The booked physician time ---------------------------------------------------------

def test_the_physician_and_the_referrers_download_the_booked_time(client, auth):
    world = booking_world()
    url = f"/requests/{world.request.id}/booking.ics"
    texts = [download(client, auth, user, url) for user in
             (world.physician, world.referrer, world.colleague)]
    for response in texts:
        assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="booking-{world.request.id}.ics"')
        assert "METHOD:" not in response.text
        event = only_event(response.text)
        assert (str(event["UID"]), event["SEQUENCE"]) == (world.booking.uid, 0)
        assert event.decoded("DTSTART") == to_helsinki(world.booking.slot.starts_at)
        assert str(event["URL"]) == "https://video.example.fi/x"
        assert {str(a) for a in event.get("ATTENDEE")} == {
            f"mailto:{world.physician.email}", f"mailto:{world.referrer.email}"}
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.user_id == world.referrer.id, AuditEvent.action == "export")).one()
    assert (event.object_type, event.object_id, event.client_id, event.purpose) == (
        "booking", world.booking.id, world.request.client_id, "calendar_download")


def test_the_booking_download_is_scoped_like_the_request_page(client, auth):
    world = booking_world()
    url = f"/requests/{world.request.id}/booking.ics"
    team_coordinator = factories.create_user("coordinator")
    factories.create_team(coordinators=[team_coordinator])
    for user, status in ((factories.create_user("physician"), 404),
                         (factories.create_user("referrer"), 404),
                         (team_coordinator, 404),
                         (factories.create_user("member"), 404),
                         (factories.create_user("manager", "admin"), 403)):
        db.session.commit()
        download(client, auth, user, url, status=status)
    download(client, auth, world.physician, "/requests/999999/booking.ics", status=404)


def test_no_active_booking_answers_404(client, auth):
    world = booking_world()
    url = f"/requests/{world.request.id}/booking.ics"
    bookings.cancel(world.request, world.physician, "Sairastuin")
    db.session.commit()
    download(client, auth, world.physician, url, status=404)
    team = team_world()
    download(client, auth, team.referrer, f"/requests/{team.item.request_id}/booking.ics",
             status=404)


def test_a_moved_booking_keeps_its_uid_and_raises_the_sequence(client, auth):
    world = booking_world()
    url = f"/requests/{world.request.id}/booking.ics"
    before = only_event(download(client, auth, world.referrer, url).text)
    bookings.move(world.request, world.later_slot, world.physician)
    db.session.commit()
    after = only_event(download(client, auth, world.referrer, url).text)
    assert str(after["UID"]) == str(before["UID"]) == world.booking.uid
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1
    assert after.decoded("DTSTART") == to_helsinki(world.later_slot.starts_at)


def test_the_request_page_links_to_the_booking_download(client, auth):
    world = booking_world()
    for user in (world.physician, world.referrer):
        page = download(client, auth, user, f"/requests/{world.request.id}?lang=en").text
        assert f'href="/requests/{world.request.id}/booking.ics"' in page
        assert "Add to calendar (.ics)" in page


# Invites by e-mail: the same events, cancellations included ------------------------------

def invites_to(email: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == email, OutboxMessage.kind == "invite")
        .order_by(OutboxMessage.id)))


def mark_sent() -> None:
    """The worker sent what was waiting (else a cancellation replaces it silently)."""
    for message in db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.state == "pending")):
        message.state = "sent"
    db.session.flush()


def test_invites_are_valid_and_a_removed_case_and_a_cancelled_booking_are_cancelled(app):
    world = team_world()
    [invite] = invites_to(world.referrer.email)
    event = only_event(invite.ics)
    assert (str(event["UID"]), str(event["STATUS"])) == (world.item.uid, "CONFIRMED")
    mark_sent()
    agenda.remove_item(world.item, by=world.coordinator)
    agenda.send_agenda(world.meeting, by=world.coordinator)
    cancel = invites_to(world.referrer.email)[-1]
    assert cancel.ics_method == "CANCEL" and "METHOD:CANCEL" in cancel.ics
    event = only_event(cancel.ics)
    assert (str(event["UID"]), str(event["STATUS"])) == (world.item.uid, "CANCELLED")
    assert event["SEQUENCE"] == 1

    booked = booking_world()
    mark_sent()
    bookings.cancel(booked.request, booked.physician, "Sairastuin")
    for person in (booked.physician, booked.referrer):
        event = only_event(invites_to(person.email)[-1].ics)
        assert (str(event["UID"]), str(event["STATUS"])) == (booked.booking.uid, "CANCELLED")


# No client data anywhere -------------------------------------------------------------

def test_no_download_and_no_invite_carries_client_data(client, auth):
    world = team_world()
    booked = booking_world()
    clients = [world.item.request.client, world.other_item.request.client,
               booked.request.client]
    texts = []
    for user in (world.coordinator, world.member, world.physician, world.referrer,
                 world.other_referrer):
        texts.append(download(client, auth, user, f"/meetings/{world.meeting.id}.ics").text)
    for user in (booked.physician, booked.referrer):
        texts.append(download(client, auth, user,
                              f"/requests/{booked.request.id}/booking.ics").text)
    # Changes and cancellations go out as invites too.
    mark_sent()
    bookings.move(booked.request, booked.later_slot, booked.physician)
    agenda.remove_item(world.other_item, by=world.coordinator)
    agenda.send_agenda(world.meeting, by=world.coordinator)
    meetings.cancel_meeting(world.meeting, by=world.coordinator)
    db.session.commit()
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert len([m for m in messages if m.kind == "invite"]) >= 10
    for text in texts:
        assert_no_client_data(text, clients)
    for message in messages:
        assert_no_client_data(message.ics or "", clients)
        assert_no_client_data(message.subject, clients)
        assert_no_client_data(message.body, clients)
    # The markers are really there to be found (the check can fail).
    assert_planted(clients[0])


def assert_planted(client_row) -> None:
    from consult.consultations.models import ConsultationRequest

    request = db.session.scalars(select(ConsultationRequest).where(
        ConsultationRequest.client_id == client_row.id).order_by(ConsultationRequest.id)).first()
    assert client_row.first_names == FIRST_NAMES and client_row.last_name == LAST_NAME
    assert request.preform.versions[-1].content["wishes_goals.wishes_goals"] == PREFORM_WISHES
    with pytest.raises(AssertionError):
        assert_no_client_data(f"SUMMARY:{client_row.identity_code}\r\n", [client_row])
    with pytest.raises(AssertionError):
        assert_no_client_data("DESCRIPTION:Haluaa takaisin Pyy\r\n nikin leipomoon "
                              "zeppelinpuuroa keittämään\r\n", [client_row])

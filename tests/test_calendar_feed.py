"""Each user's personal calendar feed (SPEC §5 `/calendar/<token>.ics`): created on
the profile and shown once, secret (only a selector and a hash are stored, the token is
never logged), revocable and replaceable; it shows the user's meetings, their own cases
on sent agendas and their booked times, changes included, and nothing about clients."""
from __future__ import annotations

import logging
import re
from datetime import timedelta
from urllib.parse import urlsplit

import icalendar
import pytest
import vobject
from sqlalchemy import select

from consult.audit.models import AuditEvent
from consult.consultations import services as consultations
from consult.extensions import db
from consult.invites.models import CalendarFeed
from consult.meetings import agenda
from consult.meetings import services as meetings
from consult.scheduling import booking as bookings
from consult.timeutil import utcnow
from consult.tokens import SELECTOR_LENGTH
from tests import factories
from tests.conftest import Auth
from tests.test_calendar_downloads import (
    assert_no_client_data,
    assert_valid_calendar,
    booking_world,
    case_of,
    team_world,
    unfolded,
)

URL_FIELD = re.compile(r'id="calendar-feed-url" type="text" value="([^"]+)"')


def logged_in(app, user):
    client = app.test_client()
    Auth(client).login(user)
    return client


def csrf(client) -> str:
    from tests.conftest import csrf_from

    return csrf_from(client.get("/profile?lang=en").text)


def create(client):
    """Creates a feed on the profile; returns the page and the address it shows."""
    response = client.post("/profile/calendar-feed?lang=en", data={"csrf_token": csrf(client)})
    assert response.status_code == 200
    match = URL_FIELD.search(response.text)
    assert match, "the new address is not on the page"
    return response, match.group(1)


def path_of(url: str) -> str:
    return urlsplit(url).path


def fetch(app, url: str):
    """The feed as a calendar app fetches it: no login, no cookies."""
    return app.test_client().get(path_of(url))


def feed_text(app, user) -> str:
    _page, url = create(logged_in(app, user))
    response = fetch(app, url)
    assert response.status_code == 200
    return response.text


def feed_events(text: str) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(text).walk("VEVENT")}


# The address ---------------------------------------------------------------------------

def test_the_new_address_is_shown_once_and_then_only_when_it_was_made(app):
    user = factories.create_user("member")
    db.session.commit()
    client = logged_in(app, user)
    page = client.get("/profile?lang=en").text
    assert "Calendar feed" in page and "Create a feed address" in page
    assert "treat it like a password" in page
    response, url = create(client)
    assert url.startswith("http://localhost/calendar/") and url.endswith(".ics")
    assert '<label class="hds-text-input__label" for="calendar-feed-url">' in response.text
    assert "readonly" in response.text
    assert "it will not be shown again" in response.text
    token = path_of(url).removeprefix("/calendar/").removesuffix(".ics")
    later = client.get("/profile?lang=en").text
    assert token not in later and token[SELECTOR_LENGTH:] not in later
    assert "calendar-feed-url" not in later
    assert "A feed address exists: created" in later and "not used yet" in later
    assert "Revoke" in later and "Replace with a new address" in later


def test_the_feed_answers_without_a_login_and_counts_as_used(app):
    world = team_world()
    client = logged_in(app, world.member)
    _page, url = create(client)
    response = fetch(app, url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Content-Disposition" not in response.headers
    assert "X-WR-CALNAME:consult" in response.text
    assert "METHOD:PUBLISH" in response.text
    assert world.meeting.uid in feed_events(response.text)
    assert_valid_calendar(response.text)
    feed = db.session.scalars(select(CalendarFeed)).one()
    assert feed.last_used_at is not None
    assert "last used" in client.get("/profile?lang=en").text


def test_a_revoked_address_answers_404(app):
    user = factories.create_user("member")
    db.session.commit()
    client = logged_in(app, user)
    _page, url = create(client)
    assert fetch(app, url).status_code == 200
    response = client.post("/profile/calendar-feed/revoke?lang=en",
                           data={"csrf_token": csrf(client)})
    assert response.status_code == 303
    assert fetch(app, url).status_code == 404
    assert db.session.scalars(select(CalendarFeed)).one().revoked_at is not None
    page = client.get("/profile?lang=en").text
    assert "The feed address was revoked" in page
    assert "Create a feed address" in page and "A feed address exists" not in page


def test_a_replaced_address_stops_and_the_new_one_works(app):
    user = factories.create_user("member")
    db.session.commit()
    client = logged_in(app, user)
    _page, old = create(client)
    _page, new = create(client)
    assert old != new
    assert fetch(app, old).status_code == 404
    assert fetch(app, new).status_code == 200
    rows = db.session.scalars(select(CalendarFeed).order_by(CalendarFeed.id)).all()
    assert [row.revoked_at is not None for row in rows] == [True, False]


def test_creating_and_revoking_are_audited(app):
    user = factories.create_user("member")
    db.session.commit()
    client = logged_in(app, user)
    create(client)
    create(client)
    client.post("/profile/calendar-feed/revoke", data={"csrf_token": csrf(client)})
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "calendar_feed").order_by(AuditEvent.id)).all()
    first, second = db.session.scalars(select(CalendarFeed.id).order_by(CalendarFeed.id)).all()
    assert [(e.action, e.object_id, e.purpose, e.user_id) for e in events] == [
        ("create", first, "calendar_feed", user.id),
        ("update", first, "calendar_feed", user.id),
        ("create", second, "calendar_feed", user.id),
        ("update", second, "calendar_feed", user.id)]


def test_the_forms_need_the_csrf_token(app):
    user = factories.create_user("member")
    db.session.commit()
    client = logged_in(app, user)
    assert client.post("/profile/calendar-feed").status_code == 400
    assert db.session.scalars(select(CalendarFeed)).first() is None


def test_malformed_unknown_and_wrong_tokens_all_get_the_same_404(app):
    user = factories.create_user("member")
    db.session.commit()
    _page, url = create(logged_in(app, user))
    token = path_of(url).removeprefix("/calendar/").removesuffix(".ics")
    selector, secret = token[:SELECTOR_LENGTH], token[SELECTOR_LENGTH:]
    wrong_secret = selector + ("A" if secret[0] != "A" else "B") + secret[1:]
    unknown_selector = ("A" if selector[0] != "A" else "B") + selector[1:] + secret
    answers = [app.test_client().get(f"/calendar/{t}.ics") for t in (
        "x", selector, wrong_secret, unknown_selector, token + "x", "A" * 300, "%00")]
    assert len({(a.status_code, a.text) for a in answers}) == 1
    assert answers[0].status_code == 404
    assert answers[0].mimetype == "text/plain"
    assert fetch(app, url).status_code == 200


def test_a_deactivated_users_feed_answers_404(app):
    user = factories.create_user("member")
    db.session.commit()
    _page, url = create(logged_in(app, user))
    user.is_active_account, user.deactivated_at = False, utcnow()
    db.session.commit()
    response = fetch(app, url)
    unknown = app.test_client().get("/calendar/" + "A" * 60 + ".ics")
    assert (response.status_code, response.text) == (404, unknown.text)


def test_the_database_keeps_only_a_selector_and_a_hash(app):
    user = factories.create_user("member")
    db.session.commit()
    _page, url = create(logged_in(app, user))
    token = path_of(url).removeprefix("/calendar/").removesuffix(".ics")
    fetch(app, url)
    secret = token[SELECTOR_LENGTH:]
    feed = db.session.scalars(select(CalendarFeed)).one()
    assert feed.selector == token[:SELECTOR_LENGTH]
    assert secret not in feed.secret_hash
    # No table holds the secret, in any column.
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()):
            assert not any(secret in str(value) for value in row), table.name


def test_the_token_never_reaches_the_logs(app, caplog):
    caplog.set_level(logging.DEBUG)
    world = team_world()
    client = logged_in(app, world.member)
    _page, url = create(client)
    client.get("/profile")
    fetch(app, url)
    fetch(app, url + "x")
    client.post("/profile/calendar-feed/revoke", data={"csrf_token": csrf(client)})
    fetch(app, url)
    token = path_of(url).removeprefix("/calendar/").removesuffix(".ics")
    for record in caplog.records:
        logged = f"{record.getMessage()} {record.args!r} {record.exc_text or ''}"
        assert token[SELECTOR_LENGTH:] not in logged, record.name
        assert token not in logged, record.name


# What the feed shows -------------------------------------------------------------------

def test_the_team_sees_sent_and_cancelled_meetings_not_drafts_nor_other_teams(app):
    world = team_world()
    draft = factories.create_meeting(world.team, starts_at=world.meeting.starts_at
                                     + timedelta(days=7))
    cancelled = factories.create_meeting(world.team, state="agenda_sent",
                                         starts_at=world.meeting.starts_at + timedelta(days=14))
    meetings.cancel_meeting(cancelled, by=world.coordinator)
    held = factories.create_meeting(world.team, state="held",
                                    starts_at=utcnow() - timedelta(days=59))
    too_old = factories.create_meeting(world.team, state="protocol_finalised",
                                       starts_at=utcnow() - timedelta(days=61))
    too_far = factories.create_meeting(world.team, state="agenda_sent",
                                       starts_at=utcnow() + timedelta(days=366))
    other_team = factories.create_meeting(factories.create_team(
        coordinators=[factories.create_user("coordinator")]), state="agenda_sent")
    db.session.commit()
    for user in (world.coordinator, world.member, world.physician):
        events = feed_events(feed_text(app, user))
        assert set(events) == {world.meeting.uid, cancelled.uid, held.uid}, user
        assert str(events[cancelled.uid]["STATUS"]) == "CANCELLED"
        assert str(events[world.meeting.uid]["STATUS"]) == "CONFIRMED"
    assert {draft.uid, too_old.uid, too_far.uid, other_team.uid}.isdisjoint(events)


def test_a_referrer_sees_their_own_cases_on_sent_agendas_and_removed_ones_as_cancelled(app):
    world = team_world()
    # Their colleague's case on the same meeting is the colleague's, not theirs.
    colleague_case = case_of(referrer=world.colleague, number=241, team=world.team)
    consultations.perform(colleague_case, "accept", world.coordinator)
    colleague_item = agenda.add_item(world.meeting, colleague_case, by=world.coordinator)
    # A case on a draft agenda is not announced yet.
    draft = factories.create_meeting(world.team, starts_at=world.meeting.starts_at
                                     + timedelta(days=7))
    waiting = case_of(referrer=world.referrer, number=242, team=world.team)
    consultations.perform(waiting, "accept", world.coordinator)
    waiting_item = agenda.add_item(draft, waiting, by=world.coordinator)
    # A case sent and then taken off shows as cancelled.
    removed_case = case_of(referrer=world.referrer, number=243, team=world.team)
    consultations.perform(removed_case, "accept", world.coordinator)
    removed = agenda.add_item(world.meeting, removed_case, by=world.coordinator)
    agenda.send_agenda(world.meeting, by=world.coordinator)
    agenda.remove_item(removed, by=world.coordinator)
    agenda.send_agenda(world.meeting, by=world.coordinator)
    db.session.commit()
    events = feed_events(feed_text(app, world.referrer))
    assert set(events) == {world.item.uid, removed.uid}
    assert str(events[world.item.uid]["STATUS"]) == "CONFIRMED"
    assert str(events[removed.uid]["STATUS"]) == "CANCELLED"
    for uid in (world.meeting.uid, world.other_item.uid, colleague_item.uid, waiting_item.uid):
        assert uid not in events
    assert feed_events(feed_text(app, world.colleague)).keys() == {colleague_item.uid}


def test_a_case_taken_off_before_the_agenda_went_out_does_not_show(app):
    world = team_world(send=False)
    agenda.remove_item(world.item, by=world.coordinator)
    agenda.send_agenda(world.meeting, by=world.coordinator)
    db.session.commit()
    assert feed_events(feed_text(app, world.referrer)) == {}
    assert feed_events(feed_text(app, world.other_referrer)).keys() == {world.other_item.uid}


def test_booked_times_show_for_the_physician_and_the_referrer_cancelled_ones_as_cancelled(app):
    world = booking_world()
    other = booking_world()  # another physician's and referrer's
    cancelled_case = case_of(referrer=world.referrer, number=244, physician=world.physician,
                             mode="video")
    slot = factories.create_slot(world.physician,
                                 starts_at=world.later_slot.starts_at + timedelta(days=1))
    cancelled = bookings.book(cancelled_case, slot, world.physician)
    bookings.cancel(cancelled_case, world.physician, "Sairastuin")
    db.session.commit()
    for user in (world.physician, world.referrer):
        events = feed_events(feed_text(app, user))
        assert set(events) == {world.booking.uid, cancelled.uid}, user
        assert str(events[world.booking.uid]["STATUS"]) == "CONFIRMED"
        assert str(events[cancelled.uid]["STATUS"]) == "CANCELLED"
        assert other.booking.uid not in events
    # The referrer's colleague is not the case manager: not in their calendar.
    assert feed_events(feed_text(app, world.colleague)) == {}


def test_a_moved_booking_and_a_changed_meeting_keep_uid_with_a_higher_sequence(app):
    world = team_world()
    booked = booking_world()
    client = logged_in(app, booked.referrer)
    _page, url = create(client)
    before = feed_events(fetch(app, url).text)[booked.booking.uid]
    bookings.move(booked.request, booked.later_slot, booked.physician)
    db.session.commit()
    after = feed_events(fetch(app, url).text)[booked.booking.uid]
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1
    assert after.decoded("DTSTART") > before.decoded("DTSTART")

    _page, team_url = create(logged_in(app, world.member))
    before = feed_events(fetch(app, team_url).text)[world.meeting.uid]
    meetings.cancel_meeting(world.meeting, by=world.coordinator)
    db.session.commit()
    after = feed_events(fetch(app, team_url).text)[world.meeting.uid]
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1
    assert str(after["STATUS"]) == "CANCELLED"


def test_the_feed_is_valid_icalendar_and_carries_no_client_data(app):
    world = team_world()
    booked = booking_world()
    # One user in every part: team member, referrer of a case, physician of a booking.
    user = world.referrer
    user.role_rows  # noqa: B018  (loaded before adding roles)
    from consult.accounts.models import UserRole
    from consult.organisations import services as organisations

    user.role_rows += [UserRole(role="member"), UserRole(role="physician")]
    organisations.add_member(world.team, user, "member")
    case = case_of(referrer=booked.referrer, number=245, physician=user, mode="video")
    booking = bookings.book(case, factories.create_slot(user), user)
    db.session.commit()
    text = feed_text(app, user)
    events = assert_valid_calendar(text)
    assert {str(e["UID"]) for e in events} == {world.meeting.uid, world.item.uid, booking.uid}
    clients = [world.item.request.client, world.other_item.request.client,
               booked.request.client, case.client]
    assert_no_client_data(text, clients)
    assert f"request {world.item.request_id}" in unfolded(text)


def test_the_feed_loads_in_the_same_number_of_statements_for_more_events(app, count_queries):
    def statements(world_size: int) -> int:
        coordinator = factories.create_user("coordinator")
        user = factories.create_user("member", "referrer", "physician")
        team = factories.create_team(coordinators=[coordinator], members=[user])
        for n in range(world_size):
            meeting = factories.create_meeting(team, starts_at=utcnow() + timedelta(days=n + 1))
            request = factories.create_submitted_request(team=team, referrer=user)
            consultations.perform(request, "accept", coordinator)
            agenda.add_item(meeting, request, by=coordinator)
            agenda.send_agenda(meeting, by=coordinator)
            case = factories.create_submitted_request(physician=user, mode="video")
            starts_at = (utcnow() + timedelta(days=n + 1)).replace(microsecond=0)
            bookings.book(case, factories.create_slot(user, starts_at=starts_at), user)
        db.session.commit()
        _page, url = create(logged_in(app, user))
        with count_queries() as counter:
            response = fetch(app, url)
        assert len(feed_events(response.text)) == 3 * world_size
        return counter.count

    assert statements(1) == statements(4)


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_the_feed_parses_in_every_language(app, language):
    world = team_world()
    world.member.language = language
    db.session.commit()
    text = feed_text(app, world.member)
    vobject.readOne(text, validate=True)
    assert feed_events(text).keys() == {world.meeting.uid}

"""The physician's availability page through the browser's forms: the week's slots with
their states in words, weekly rules, absences, blocking; errors next to the fields."""
from __future__ import annotations

import re
from datetime import date, datetime, time

import pytest
from sqlalchemy import func, select

from consult.extensions import db
from consult.scheduling.availability import generate_slots, slot_state
from consult.scheduling.models import AvailabilityException, AvailabilityRule, Slot
from consult.timeutil import HELSINKI, to_helsinki
from tests import factories

# Monday 6 December 2027, Independence Day, early morning in Helsinki.
NOW = datetime(2027, 12, 6, 6, 0, tzinfo=HELSINKI)


@pytest.fixture
def physician(app, time_machine):
    time_machine.move_to(NOW, tick=False)
    user = factories.create_user("physician", language="en")
    db.session.commit()
    return user


@pytest.fixture
def logged_in(physician, auth):
    auth.login(physician)
    return physician


def slots_of(physician) -> list[Slot]:
    return list(db.session.scalars(select(Slot).where(Slot.physician_id == physician.id)
                                   .order_by(Slot.starts_at)))


def slots_on(physician, day: date) -> list[Slot]:
    return [s for s in slots_of(physician) if to_helsinki(s.starts_at).date() == day]


def rule_form(**changes) -> dict:
    form = {"weekday": "2", "start_time": "09:00", "end_time": "10:00", "slot_minutes": "30",
            "mode": "video", "location": "https://video.example.fi/lääkäri"}
    form.update(changes)
    return form


def tuesday_with_states(physician):
    """Tuesday 7.12.2027 9–10.30: booked, blocked, free."""
    factories.create_rule(physician, weekday=2, start="09:00", end="10:30", minutes=30)
    generate_slots(physician)
    booked, blocked, free = slots_on(physician, date(2027, 12, 7))
    booking = factories.create_booking(booked)
    blocked.is_blocked = True
    db.session.commit()
    return booked, blocked, free, booking


def row_of(html: str, label: str) -> str:
    """The table row whose header cell says `label`."""
    match = re.search(r"<tr class=\"slot[^\"]*\">\s*<th scope=\"row\">" + re.escape(label)
                      + r"</th>.*?</tr>", html, re.S)
    assert match, f"no row for {label}"
    return match.group(0)


# The week --------------------------------------------------------------------------

def test_the_page_shows_this_weeks_slots_with_their_states_in_words(client, logged_in):
    booked, blocked, free, booking = tuesday_with_states(logged_in)

    page = client.get("/physician/availability?lang=en").text

    assert "Week 49: Mon 6.12.2027 – Sun 12.12.2027" in page
    assert "Public holiday: Independence Day" in page
    assert 'id="day-2027-12-07"' in page
    booked_row, blocked_row, free_row = (row_of(page, label) for label in
                                         ("9.00–9.30", "9.30–10.00", "10.00–10.30"))
    assert "Booked" in booked_row and f"/requests/{booking.request_id}" in booked_row
    assert f"/physician/slots/{booked.id}/" not in booked_row  # no button on a booking
    assert "Blocked" in blocked_row and f"/physician/slots/{blocked.id}/unblock" in blocked_row
    assert "Free" in free_row and f"/physician/slots/{free.id}/block" in free_row
    assert "Video" in free_row


def test_times_follow_finnish_conventions(client, logged_in):
    tuesday_with_states(logged_in)
    page = client.get("/physician/availability?lang=fi").text
    assert "klo 9.00–9.30" in page
    assert "Itsenäisyyspäivä" in page


def test_the_week_parameter_moves_between_weeks(client, logged_in):
    page = client.get("/physician/availability?lang=en&week=2027-12-15").text  # a Wednesday
    assert "Week 50: Mon 13.12.2027 – Sun 19.12.2027" in page
    assert 'href="/physician/availability" rel="prev"' in page  # this week
    assert 'href="/physician/availability?week=2027-12-20" rel="next"' in page
    assert ">This week</a>" in page


def test_a_malformed_week_shows_this_week(client, logged_in):
    response = client.get("/physician/availability?lang=en&week=next-tuesday")
    assert response.status_code == 200
    assert "Week 49:" in response.text


def test_a_booked_slot_in_an_absence_is_flagged(client, logged_in):
    booked = tuesday_with_states(logged_in)[0]
    factories.create_absence(logged_in, date(2027, 12, 7), reason="Koulutus")
    generate_slots(logged_in)
    db.session.commit()

    page = client.get("/physician/availability?lang=en").text

    assert "Absent: Koulutus" in page
    assert "in an absence" in row_of(page, "9.00–9.30")
    # The booking stands; the unbooked slots of that day are gone.
    assert [s.id for s in slots_on(logged_in, date(2027, 12, 7))] == [booked.id]


def test_the_navigation_shows_availability_to_physicians_only(client, auth, logged_in):
    assert 'href="/physician/availability"' in client.get("/?lang=en").text
    auth.logout()
    referrer = factories.create_user("referrer")
    db.session.commit()
    auth.login(referrer)
    page = client.get("/?lang=en")
    assert page.status_code == 200 and "My work" in page.text
    assert 'href="/physician/availability"' not in page.text


# Weekly rules ----------------------------------------------------------------------

def test_adding_a_rule_creates_its_slots(client, auth, logged_in):
    response = client.post("/physician/availability/rules?lang=en",
                           data=dict(rule_form(), csrf_token=auth.csrf()))

    assert response.status_code == 303
    assert response.location.endswith("/physician/availability")
    rule = db.session.scalar(select(AvailabilityRule))
    assert (rule.weekday, rule.start_time, rule.end_time, rule.slot_minutes, rule.mode) == (
        2, time(9), time(10), 30, "video")
    assert len(slots_of(logged_in)) == 8 * 2
    page = client.get(response.location).text
    assert "Weekly rule added: Tuesday 9.00–10.00." in page
    assert "https://video.example.fi/lääkäri" in page


@pytest.mark.parametrize("changes,field,message", [
    ({"start_time": "14:00", "end_time": "13:00"}, "end_time", "The end must be after the start."),
    ({"slot_minutes": "5"}, "slot_minutes", "A slot lasts from 10 to 240 minutes."),
    ({"slot_minutes": "300"}, "slot_minutes", "A slot lasts from 10 to 240 minutes."),
    ({"end_time": "09:20"}, "slot_minutes", "Not even one slot of this length fits"),
    ({"location": ""}, "location", "Give the video link (https://…)."),
    ({"location": "http://video.example.fi/x"}, "location",
     "Enter a full web address (https://…)."),
    ({"mode": "in_person", "location": ""}, "location", "Give the place."),
    ({"start_time": "kello yhdeksän"}, "start_time", "Not a valid time value."),
])
def test_an_invalid_rule_shows_the_error_next_to_its_field_and_keeps_the_input(
        client, auth, logged_in, changes, field, message):
    data = rule_form(**changes)
    response = client.post("/physician/availability/rules?lang=en",
                           data=dict(data, csrf_token=auth.csrf()))

    assert response.status_code == 422
    page = response.text
    assert f'id="{field}-error"' in page
    error = re.search(rf'id="{field}-error">(.*?)</span>', page, re.S).group(1)
    assert message in error
    assert re.search(rf'aria-describedby="[^"]*{field}-error"', page)
    assert "Check the information" in page  # the summary links to the field
    for name in ("start_time", "end_time", "slot_minutes"):
        assert f'value="{data[name]}"' in page
    if data["location"]:
        assert f'value="{data["location"]}"' in page
    assert db.session.scalar(select(func.count(AvailabilityRule.id))) == 0


def test_a_rule_overlapping_another_on_the_same_weekday_is_refused_next_to_the_start(
        client, auth, logged_in):
    factories.create_rule(logged_in, weekday=2, start="09:00", end="12:00")
    db.session.commit()

    response = client.post("/physician/availability/rules?lang=en", data=dict(
        rule_form(start_time="11:00", end_time="13:00"), csrf_token=auth.csrf()))

    assert response.status_code == 422
    assert 'id="start_time-error"' in response.text
    assert "overlap another rule" in response.text
    assert db.session.scalar(select(func.count(AvailabilityRule.id))) == 1


def test_deleting_a_rule_removes_its_free_slots_but_keeps_the_booked_one(
        client, auth, logged_in):
    booked = tuesday_with_states(logged_in)[0]
    rule_id = db.session.scalar(select(AvailabilityRule.id))

    response = client.post(f"/physician/availability/rules/{rule_id}/delete",
                           data={"csrf_token": auth.csrf()})

    assert response.status_code == 303
    assert db.session.get(AvailabilityRule, rule_id) is None
    assert [s.id for s in slots_of(logged_in)] == [booked.id]
    page = client.get("/physician/availability?lang=en").text
    assert "outside your weekly rules" in row_of(page, "9.00–9.30")


# Absences --------------------------------------------------------------------------

def test_adding_an_absence_removes_the_free_slots_of_those_days(client, auth, logged_in):
    factories.create_rule(logged_in, weekday=2, start="09:00", end="10:00", minutes=60)
    generate_slots(logged_in)
    db.session.commit()

    response = client.post("/physician/availability/absences?lang=en", data={
        "csrf_token": auth.csrf(), "starts_on": "2027-12-14", "ends_on": "2027-12-21",
        "reason": "Loma"})

    assert response.status_code == 303
    assert response.location.endswith("/physician/availability?week=2027-12-13")
    absence = db.session.scalar(select(AvailabilityException))
    assert (absence.starts_on, absence.ends_on, absence.reason) == (
        date(2027, 12, 14), date(2027, 12, 21), "Loma")
    days = {to_helsinki(s.starts_at).date() for s in slots_of(logged_in)}
    assert date(2027, 12, 14) not in days and date(2027, 12, 21) not in days
    assert date(2027, 12, 7) in days and date(2027, 12, 28) in days
    page = client.get(response.location).text
    assert "Absent: Loma" in page
    assert "Absence added." in page


def test_an_absence_over_a_booked_slot_warns_about_it(client, auth, logged_in):
    tuesday_with_states(logged_in)
    response = client.post("/physician/availability/absences?lang=en", data={
        "csrf_token": auth.csrf(), "starts_on": "2027-12-07", "ends_on": "2027-12-07"},
        follow_redirects=True)
    assert "1 booked slot falls in the absence." in response.text


def test_an_absence_ending_before_it_starts_is_refused_next_to_the_field(
        client, auth, logged_in):
    response = client.post("/physician/availability/absences?lang=en", data={
        "csrf_token": auth.csrf(), "starts_on": "2027-12-20", "ends_on": "2027-12-14",
        "reason": "Loma"})

    assert response.status_code == 422
    assert 'id="ends_on-error"' in response.text
    assert "The last day must be on or after the first day." in response.text
    assert 'value="2027-12-20"' in response.text and 'value="Loma"' in response.text
    assert db.session.scalar(select(func.count(AvailabilityException.id))) == 0


def test_an_absence_needs_its_days(client, auth, logged_in):
    response = client.post("/physician/availability/absences?lang=en", data={
        "csrf_token": auth.csrf(), "starts_on": "", "ends_on": "2027-12-14"})
    assert response.status_code == 422
    assert 'id="starts_on-error"' in response.text


def test_deleting_an_absence_brings_the_slots_back(client, auth, logged_in):
    factories.create_rule(logged_in, weekday=2, start="09:00", end="10:00", minutes=60)
    absence = factories.create_absence(logged_in, date(2027, 12, 14))
    generate_slots(logged_in)
    db.session.commit()
    assert slots_on(logged_in, date(2027, 12, 14)) == []

    response = client.post(f"/physician/availability/absences/{absence.id}/delete",
                           data={"csrf_token": auth.csrf()})

    assert response.status_code == 303
    assert len(slots_on(logged_in, date(2027, 12, 14))) == 1


# Blocking --------------------------------------------------------------------------

def test_blocking_and_unblocking_a_slot(client, auth, logged_in):
    free = tuesday_with_states(logged_in)[2]

    response = client.post(f"/physician/slots/{free.id}/block", data={"csrf_token": auth.csrf()})
    assert response.status_code == 303
    assert response.location.endswith("/physician/availability")  # the slot's week
    assert slot_state(free) == "blocked"

    client.post(f"/physician/slots/{free.id}/unblock", data={"csrf_token": auth.csrf()})
    assert slot_state(free) == "free"


def test_blocking_returns_to_the_slots_week(client, auth, logged_in):
    factories.create_rule(logged_in, weekday=3, start="09:00", end="10:00", minutes=60)
    generate_slots(logged_in)
    slot = slots_on(logged_in, date(2027, 12, 22))[0]
    db.session.commit()

    response = client.post(f"/physician/slots/{slot.id}/block", data={"csrf_token": auth.csrf()})

    assert response.location.endswith("/physician/availability?week=2027-12-20")


def test_a_booked_slot_cannot_be_blocked_from_the_page(client, auth, logged_in):
    booked = tuesday_with_states(logged_in)[0]

    response = client.post(f"/physician/slots/{booked.id}/block?lang=en",
                           data={"csrf_token": auth.csrf()}, follow_redirects=True)

    assert "A booked slot cannot be blocked." in response.text
    assert slot_state(booked) == "booked"


# Access ----------------------------------------------------------------------------

def test_another_physicians_slot_rule_and_absence_answer_404(client, auth, logged_in):
    other = factories.create_user("physician")
    factories.create_rule(other, weekday=2, start="09:00", end="10:00", minutes=60)
    generate_slots(other)
    slot = slots_of(other)[0]
    rule = db.session.scalar(select(AvailabilityRule).where(
        AvailabilityRule.physician_id == other.id))
    absence = factories.create_absence(other, date(2027, 12, 20))
    db.session.commit()
    token = auth.csrf()

    for url in (f"/physician/slots/{slot.id}/block", f"/physician/slots/{slot.id}/unblock",
                f"/physician/availability/rules/{rule.id}/delete",
                f"/physician/availability/absences/{absence.id}/delete"):
        assert client.post(url, data={"csrf_token": token}).status_code == 404, url
    assert db.session.get(AvailabilityRule, rule.id) is not None
    assert db.session.get(AvailabilityException, absence.id) is not None
    assert slot_state(slot) == "free"


@pytest.mark.parametrize("roles", [("referrer",), ("coordinator", "member"), ("manager", "admin")])
def test_users_who_are_not_physicians_get_403(client, auth, physician, roles):
    user = factories.create_user(*roles)
    db.session.commit()
    auth.login(user)
    token = auth.csrf()
    assert client.get("/physician/availability").status_code == 403
    assert client.post("/physician/availability/rules",
                       data=dict(rule_form(), csrf_token=token)).status_code == 403
    assert db.session.scalar(select(func.count(AvailabilityRule.id))) == 0

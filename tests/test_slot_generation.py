"""Slots generated from a physician's weekly rules (SPEC §3): local Helsinki wall time
stored as UTC across the clock changes, absences and Finnish public holidays left out,
idempotent, and never deleting a slot a booking refers to or one in the past."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from consult.extensions import db
from consult.scheduling import availability
from consult.scheduling.availability import (
    AvailabilityError,
    add_absence,
    add_rule,
    block_slot,
    delete_absence,
    delete_rule,
    generate_slots,
    local_to_utc,
    slot_state,
    unblock_slot,
    week_view,
)
from consult.scheduling.cli import generate_slots_command
from consult.scheduling.models import Booking, Slot, SlotProposal
from consult.timeutil import HELSINKI, to_helsinki
from tests import factories


def at(day: date, hour: int = 6, minute: int = 0) -> datetime:
    """An aware Helsinki instant, for time_machine."""
    return datetime.combine(day, time(hour, minute), tzinfo=HELSINKI)


def utc(*args) -> datetime:
    return datetime(*args)


def slots_of(physician) -> list[Slot]:
    return list(db.session.scalars(select(Slot).where(Slot.physician_id == physician.id)
                                   .order_by(Slot.starts_at)))


def local_starts(physician) -> list[datetime]:
    return [to_helsinki(s.starts_at).replace(tzinfo=None) for s in slots_of(physician)]


@pytest.fixture
def physician(app):
    return factories.create_user("physician")


@pytest.fixture
def january(time_machine):
    """Monday 4 January 2027, early morning in Helsinki; no holiday on Tuesdays until March."""
    time_machine.move_to(at(date(2027, 1, 4)), tick=False)
    return date(2027, 1, 4)


# Rules → slots -------------------------------------------------------------------

def test_a_weekly_rule_makes_slots_on_its_weekday_for_eight_weeks(physician, january):
    factories.create_rule(physician, weekday=2, start="09:00", end="11:00", minutes=30)

    created = generate_slots(physician)

    starts = local_starts(physician)
    assert created == len(starts) == 8 * 4
    assert {s.date().isoweekday() for s in starts} == {2}
    assert starts[0] == datetime(2027, 1, 5, 9, 0)
    assert starts[-1] == datetime(2027, 2, 23, 10, 30)
    assert [s.time() for s in starts[:4]] == [time(9), time(9, 30), time(10), time(10, 30)]


def test_slots_are_stored_in_utc_with_the_rules_length_mode_and_place(physician, january):
    factories.create_rule(physician, weekday=2, start="09:00", end="09:45", minutes=45,
                          mode="in_person", location="Hämeenkatu 1, huone 4")

    generate_slots(physician, weeks=1)

    (slot,) = slots_of(physician)
    assert (slot.starts_at, slot.ends_at) == (utc(2027, 1, 5, 7, 0), utc(2027, 1, 5, 7, 45))
    assert (slot.mode, slot.location, slot.is_blocked) == ("in_person", "Hämeenkatu 1, huone 4",
                                                           False)


def test_only_whole_slots_that_end_by_the_rules_end_are_made(physician, january):
    factories.create_rule(physician, weekday=2, start="09:00", end="10:40", minutes=30)

    generate_slots(physician, weeks=1)

    slots = slots_of(physician)
    assert [to_helsinki(s.starts_at).strftime("%H:%M") for s in slots] == ["09:00", "09:30",
                                                                           "10:00"]
    assert to_helsinki(slots[-1].ends_at).strftime("%H:%M") == "10:30"


def test_times_already_past_today_get_no_slot(physician, time_machine):
    time_machine.move_to(at(date(2027, 1, 5), 9, 40), tick=False)
    factories.create_rule(physician, weekday=2, start="09:00", end="11:00", minutes=30)

    generate_slots(physician, weeks=1)

    assert [s.time() for s in local_starts(physician)] == [time(10), time(10, 30)]


def test_the_horizon_can_be_given_explicitly(physician, january):
    factories.create_rule(physician, weekday=2, start="09:00", end="10:00", minutes=60)

    generate_slots(physician, start=date(2027, 2, 1), weeks=2)

    assert [s.date() for s in local_starts(physician)] == [date(2027, 2, 2), date(2027, 2, 9)]


def test_generation_is_idempotent(physician, january):
    factories.create_rule(physician, weekday=2, start="09:00", end="12:00")
    assert generate_slots(physician) == 48
    before = [(s.id, s.starts_at) for s in slots_of(physician)]

    assert generate_slots(physician) == 0
    assert [(s.id, s.starts_at) for s in slots_of(physician)] == before


def test_the_next_days_run_adds_only_the_new_last_day(physician, january, time_machine):
    factories.create_rule(physician, weekday=2, start="09:00", end="10:00", minutes=60)
    generate_slots(physician)
    time_machine.move_to(at(date(2027, 1, 6)), tick=False)  # two days on: Tuesday 2.3. in reach

    assert generate_slots(physician) == 1
    assert local_starts(physician)[-1] == datetime(2027, 3, 2, 9, 0)


def test_two_rules_on_one_day_make_both_series(physician, january):
    factories.create_rule(physician, weekday=4, start="08:00", end="09:00", minutes=60,
                          mode="phone", location="")
    factories.create_rule(physician, weekday=4, start="13:00", end="14:00", minutes=60)

    generate_slots(physician, weeks=1)

    assert [(to_helsinki(s.starts_at).hour, s.mode) for s in slots_of(physician)] == [
        (8, "phone"), (13, "video")]


# Absences and holidays -------------------------------------------------------------

def test_no_slots_on_the_days_of_an_absence(physician, january):
    factories.create_rule(physician, weekday=2, start="09:00", end="10:00", minutes=60)
    factories.create_absence(physician, date(2027, 1, 12), date(2027, 1, 19), reason="Loma")

    generate_slots(physician, weeks=4)

    assert [s.date() for s in local_starts(physician)] == [date(2027, 1, 5), date(2027, 1, 26)]


def test_adding_an_absence_removes_its_free_slots_and_deleting_it_brings_them_back(
        physician, january):
    factories.create_rule(physician, weekday=2, start="09:00", end="10:00", minutes=60)
    generate_slots(physician)

    absence = add_absence(physician, date(2027, 1, 12), date(2027, 1, 12), "Koulutus")
    assert date(2027, 1, 12) not in {s.date() for s in local_starts(physician)}

    delete_absence(absence)
    assert date(2027, 1, 12) in {s.date() for s in local_starts(physician)}


@pytest.mark.parametrize("holiday,weekday,name", [
    (date(2027, 12, 6), 1, "Itsenäisyyspäivä"),
    (date(2027, 6, 25), 5, "Juhannusaatto"),
    (date(2027, 3, 26), 5, "Pitkäperjantai"),
    (date(2027, 1, 6), 3, "Loppiainen"),
    (date(2027, 5, 6), 4, "Helatorstai"),
])
def test_finnish_public_holidays_get_no_slots(physician, time_machine, holiday, weekday, name):
    time_machine.move_to(at(holiday - timedelta(days=10)), tick=False)
    factories.create_rule(physician, weekday=weekday, start="09:00", end="10:00", minutes=60)

    generate_slots(physician, weeks=3)

    days = {s.date() for s in local_starts(physician)}
    assert holiday not in days
    assert {holiday - timedelta(days=7), holiday + timedelta(days=7)} <= days
    assert availability.finnish_holidays(holiday, holiday)[holiday] == name


def test_a_new_holiday_year_is_known_without_configuration():
    names = availability.finnish_holidays(date(2030, 12, 1), date(2030, 12, 31), "en")
    assert names[date(2030, 12, 6)] == "Independence Day"


# Daylight saving time in Helsinki --------------------------------------------------

def test_a_monday_nine_oclock_rule_follows_summer_time_in_march(physician, time_machine):
    # Summer time begins on Sunday 29 March 2026: UTC+2 before, UTC+3 after.
    time_machine.move_to(at(date(2026, 3, 1)), tick=False)
    factories.create_rule(physician, weekday=1, start="09:00", end="09:30")

    generate_slots(physician, start=date(2026, 3, 16), weeks=3)

    assert [s.starts_at for s in slots_of(physician)] == [
        utc(2026, 3, 16, 7, 0), utc(2026, 3, 23, 7, 0), utc(2026, 3, 30, 6, 0)]
    assert {to_helsinki(s.starts_at).time() for s in slots_of(physician)} == {time(9)}


def test_a_monday_nine_oclock_rule_follows_the_return_to_winter_time_in_october(
        physician, time_machine):
    # Summer time ends on Sunday 25 October 2026.
    time_machine.move_to(at(date(2026, 10, 1)), tick=False)
    factories.create_rule(physician, weekday=1, start="09:00", end="09:30")

    generate_slots(physician, start=date(2026, 10, 12), weeks=3)

    assert [s.starts_at for s in slots_of(physician)] == [
        utc(2026, 10, 12, 6, 0), utc(2026, 10, 19, 6, 0), utc(2026, 10, 26, 7, 0)]


def test_a_rule_in_the_hour_skipped_in_spring_makes_no_slot_there_and_does_not_fail(
        physician, time_machine):
    time_machine.move_to(at(date(2026, 3, 20)), tick=False)
    factories.create_rule(physician, weekday=7, start="02:00", end="05:00", minutes=60,
                          mode="phone", location="")

    generate_slots(physician, start=date(2026, 3, 29), weeks=1)

    # 3.00 does not exist that night; 2.00 lasts until 4.00 summer time.
    assert [(s.starts_at, s.ends_at) for s in slots_of(physician)] == [
        (utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 1, 0)),
        (utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 2, 0))]
    assert local_to_utc(date(2026, 3, 29), time(3, 30)) is None


def test_a_rule_in_the_hour_repeated_in_autumn_takes_its_first_occurrence(
        physician, time_machine):
    time_machine.move_to(at(date(2026, 10, 20)), tick=False)
    factories.create_rule(physician, weekday=7, start="02:00", end="05:00", minutes=60,
                          mode="phone", location="")

    generate_slots(physician, start=date(2026, 10, 25), weeks=1)

    starts = [s.starts_at for s in slots_of(physician)]
    assert starts == [utc(2026, 10, 24, 23, 0), utc(2026, 10, 25, 0, 0),
                      utc(2026, 10, 25, 2, 0)]
    assert generate_slots(physician, start=date(2026, 10, 25), weeks=1) == 0


# Changing rules: free slots go, booked ones stay -----------------------------------

def test_deleting_a_rule_removes_its_free_future_slots_and_their_proposals(physician, january):
    rule = factories.create_rule(physician, weekday=2, start="09:00", end="10:00", minutes=60)
    generate_slots(physician)
    request = factories.create_submitted_request(physician=physician)
    db.session.add(SlotProposal(request_id=request.id, slot_id=slots_of(physician)[0].id))
    db.session.flush()

    delete_rule(rule)

    assert slots_of(physician) == []
    assert db.session.scalar(select(func.count(SlotProposal.id))) == 0


def test_deleting_a_rule_keeps_a_booked_slot(physician, january):
    rule = factories.create_rule(physician, weekday=2, start="09:00", end="11:00", minutes=60)
    generate_slots(physician)
    booked = slots_of(physician)[1]
    factories.create_booking(booked)

    delete_rule(rule)

    assert slots_of(physician) == [booked]
    assert slot_state(booked) == "booked"


def test_a_slot_with_only_cancelled_bookings_is_blocked_instead_of_deleted(physician, january):
    rule = factories.create_rule(physician, weekday=2, start="09:00", end="10:00", minutes=60)
    generate_slots(physician)
    slot = slots_of(physician)[0]
    factories.create_booking(slot, state="cancelled")

    delete_rule(rule)

    assert slots_of(physician) == [slot]
    assert slot.is_blocked and slot_state(slot) == "blocked"
    assert db.session.scalar(select(func.count(Booking.id))) == 1


def test_past_slots_are_never_touched(physician, january, time_machine):
    rule = factories.create_rule(physician, weekday=2, start="09:00", end="10:00", minutes=60)
    generate_slots(physician)
    first = slots_of(physician)[0]
    time_machine.move_to(at(date(2027, 1, 6)), tick=False)  # the day after the first slot

    delete_rule(rule)

    assert slots_of(physician) == [first]


def test_a_new_rule_makes_no_free_slot_over_a_booked_one_that_stays(physician, january):
    rule = factories.create_rule(physician, weekday=2, start="09:00", end="10:00", minutes=30)
    generate_slots(physician, weeks=1)
    booked = slots_of(physician)[1]  # 9.30–10.00
    factories.create_booking(booked)
    delete_rule(rule)

    add_rule(physician, weekday=2, start_time=time(9), end_time=time(11), slot_minutes=60,
             mode="video", location="https://video.example.fi/uusi")

    first_day = [s for s in slots_of(physician) if to_helsinki(s.starts_at).date()
                 == date(2027, 1, 5)]
    # 9.00–10.00 would overlap the booking, so only 10.00–11.00 is offered.
    assert [(to_helsinki(s.starts_at).strftime("%H:%M"), slot_state(s)) for s in first_day] == [
        ("09:30", "booked"), ("10:00", "free")]


def test_a_rule_may_not_overlap_another_on_the_same_weekday(physician, january):
    add_rule(physician, weekday=2, start_time=time(9), end_time=time(12), slot_minutes=30,
             mode="phone")

    with pytest.raises(availability.RuleOverlap):
        add_rule(physician, weekday=2, start_time=time(11), end_time=time(13), slot_minutes=30,
                 mode="phone")
    add_rule(physician, weekday=2, start_time=time(12), end_time=time(13), slot_minutes=30,
             mode="phone")
    add_rule(physician, weekday=3, start_time=time(9), end_time=time(12), slot_minutes=30,
             mode="phone")


@pytest.mark.parametrize("fields", [
    {"end_time": time(9)},
    {"slot_minutes": 5},
    {"slot_minutes": 300},
    {"end_time": time(9, 20)},  # not even one 30-minute slot fits
    {"mode": "video", "location": ""},
    {"mode": "video", "location": "http://video.example.fi/x"},
    {"mode": "in_person", "location": "  "},
    {"mode": "fax"},
    {"weekday": 8},
])
def test_add_rule_refuses_a_rule_that_cannot_work(physician, january, fields):
    values = dict(weekday=2, start_time=time(9), end_time=time(12), slot_minutes=30,
                  mode="phone", location="")
    values.update(fields)
    with pytest.raises(AvailabilityError):
        add_rule(physician, **values)
    assert slots_of(physician) == []


def test_add_rule_creates_the_slots_at_once(physician, january):
    add_rule(physician, weekday=5, start_time=time(12), end_time=time(13), slot_minutes=20,
             mode="in_person", location="Työterveysasema")
    assert len(slots_of(physician)) == 8 * 3


def test_an_absence_must_not_end_before_it_starts(physician, january):
    with pytest.raises(AvailabilityError):
        add_absence(physician, date(2027, 1, 12), date(2027, 1, 11), "")


# Blocking ------------------------------------------------------------------------

def test_blocking_a_free_slot_and_regenerating_keeps_it_blocked(physician, january):
    factories.create_rule(physician, weekday=2, start="09:00", end="10:00", minutes=60)
    generate_slots(physician)
    slot = slots_of(physician)[0]

    block_slot(slot)
    generate_slots(physician)

    assert slot_state(slot) == "blocked"
    unblock_slot(slot)
    assert slot_state(slot) == "free"


def test_a_booked_slot_cannot_be_blocked(physician, january):
    slot = factories.create_slot(physician)
    factories.create_booking(slot)
    with pytest.raises(AvailabilityError):
        block_slot(slot)
    assert not slot.is_blocked


def test_a_blocked_slot_outside_the_rules_cannot_be_opened(physician, january):
    slot = factories.create_slot(physician)
    block_slot(slot)
    with pytest.raises(AvailabilityError):
        unblock_slot(slot)


def test_a_past_slot_cannot_be_blocked(physician, january):
    slot = factories.create_slot(physician, starts_at=utc(2027, 1, 3, 7, 0))
    with pytest.raises(AvailabilityError):
        block_slot(slot)


# Week view -----------------------------------------------------------------------

def test_the_week_view_shows_days_holidays_absences_and_slot_states(physician, time_machine):
    time_machine.move_to(at(date(2027, 11, 29)), tick=False)
    factories.create_rule(physician, weekday=1, start="09:00", end="10:00", minutes=30)
    factories.create_rule(physician, weekday=3, start="09:00", end="10:00", minutes=30)
    factories.create_rule(physician, weekday=4, start="09:00", end="10:00", minutes=30)
    generate_slots(physician)
    thursday = [s for s in slots_of(physician)
                if to_helsinki(s.starts_at).date() == date(2027, 12, 9)]
    factories.create_booking(thursday[0])
    block_slot(thursday[1])
    add_absence(physician, date(2027, 12, 8), date(2027, 12, 8), "Koulutus")

    week = week_view(physician, date(2027, 12, 8), language="en")  # any day of the week

    assert week.monday == date(2027, 12, 6)
    assert [d.date.isoweekday() for d in week.days] == list(range(1, 8))
    monday, _, wednesday, thursday_view = week.days[:4]
    assert monday.holiday == "Independence Day" and monday.slots == []
    assert wednesday.absences[0].reason == "Koulutus" and wednesday.slots == []
    assert [(to_helsinki(r.slot.starts_at).strftime("%H:%M"), r.state)
            for r in thursday_view.slots] == [("09:00", "booked"), ("09:30", "blocked")]
    assert thursday_view.slots[0].request_id is not None
    assert not any(r.outside_rules for r in thursday_view.slots)


def test_the_week_view_flags_a_booked_slot_in_an_absence(physician, january):
    factories.create_rule(physician, weekday=2, start="09:00", end="10:00", minutes=60)
    generate_slots(physician)
    slot = slots_of(physician)[0]
    factories.create_booking(slot)

    add_absence(physician, date(2027, 1, 5), date(2027, 1, 5), "Sairas")

    (day,) = [d for d in week_view(physician, date(2027, 1, 4)).days if d.date == date(2027, 1, 5)]
    assert [(r.slot.id, r.state, r.outside_rules) for r in day.slots] == [
        (slot.id, "booked", True)]
    assert availability.booked_slots_between(physician, date(2027, 1, 5), date(2027, 1, 5)) == 1


def test_the_week_view_loads_in_the_same_number_of_statements_whatever_the_slots(
        physician, january, count_queries):
    factories.create_rule(physician, weekday=2, start="09:00", end="10:00", minutes=60)
    generate_slots(physician)
    with count_queries() as few:
        week_view(physician, date(2027, 1, 4))
    for weekday in (1, 3, 4, 5):
        factories.create_rule(physician, weekday=weekday, start="08:00", end="16:00", minutes=20)
    generate_slots(physician)
    for slot in slots_of(physician)[:6]:
        factories.create_booking(slot)
    factories.create_absence(physician, date(2027, 1, 8))
    db.session.flush()
    with count_queries() as many:
        week = week_view(physician, date(2027, 1, 4))
    assert sum(len(d.slots) for d in week.days) > 50
    assert many.count == few.count <= 3


# The daily command -----------------------------------------------------------------

def test_generate_slots_command_fills_every_physician_with_rules(runner, january):
    first, second = factories.create_user("physician"), factories.create_user("physician")
    factories.create_user("physician")  # no rules: nothing to do
    factories.create_rule(first, weekday=2, start="09:00", end="10:00", minutes=60)
    factories.create_rule(second, weekday=3, start="09:00", end="10:00", minutes=30)
    db.session.commit()

    result = runner.invoke(generate_slots_command)

    assert result.exit_code == 0, result.output
    # Eight Tuesdays of one slot; seven Wednesdays of two (6.1. is Epiphany).
    assert "Slots created: 22 (physicians: 2)." in result.output
    again = runner.invoke(generate_slots_command)
    assert "Slots created: 0 (physicians: 2)." in again.output

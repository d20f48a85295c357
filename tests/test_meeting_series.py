"""Meeting series and the meeting services: when occurrences fall (weekly, every other
week, the nth or last weekday of the month), Helsinki wall time across the daylight
saving changes, the 60-meeting limit, and changing or cancelling one meeting or the rest
of its series."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from consult.audit.models import AuditEvent
from consult.consultations import services as consultations
from consult.extensions import db
from consult.meetings import agenda, services
from consult.meetings.models import Delivery, Meeting
from consult.meetings.series import MAX_OCCURRENCES, SeriesError, occurrence_dates
from consult.organisations import services as organisations
from consult.timeutil import to_helsinki
from tests import factories

TUE, FRI = 2, 5


def local(meeting: Meeting) -> datetime:
    return to_helsinki(meeting.starts_at).replace(tzinfo=None)


# Occurrence dates ------------------------------------------------------------------

def test_weekly_series_starts_on_the_first_weekday_on_or_after_the_first_date():
    # Monday 1.3.2027; the team meets on Tuesdays.
    dates = occurrence_dates("weekly", weekday=TUE, first_date=date(2027, 3, 1),
                             until_date=date(2027, 3, 23))
    assert dates == [date(2027, 3, 2), date(2027, 3, 9), date(2027, 3, 16), date(2027, 3, 23)]


def test_every_other_week_counts_from_the_first_occurrence():
    dates = occurrence_dates("biweekly", weekday=TUE, first_date=date(2027, 3, 3),
                             until_date=date(2027, 4, 30))
    assert dates == [date(2027, 3, 9), date(2027, 3, 23), date(2027, 4, 6), date(2027, 4, 20)]


def test_monthly_series_takes_the_nth_weekday_of_each_month():
    dates = occurrence_dates("monthly", weekday=TUE, nth=2, first_date=date(2027, 1, 1),
                             until_date=date(2027, 4, 30))
    assert dates == [date(2027, 1, 12), date(2027, 2, 9), date(2027, 3, 9), date(2027, 4, 13)]


def test_monthly_series_on_the_last_weekday_handles_months_with_five_of_them():
    # Fridays: January 2027 has five (the 29th), February four (the 26th).
    dates = occurrence_dates("monthly", weekday=FRI, nth=-1, first_date=date(2027, 1, 1),
                             until_date=date(2027, 5, 31))
    assert dates == [date(2027, 1, 29), date(2027, 2, 26), date(2027, 3, 26),
                     date(2027, 4, 30), date(2027, 5, 28)]


def test_monthly_series_leaves_out_an_occurrence_before_the_first_date():
    # The 1st Tuesday of March 2027 is the 2nd; starting on the 3rd, April's comes first.
    dates = occurrence_dates("monthly", weekday=TUE, nth=1, first_date=date(2027, 3, 3),
                             until_date=date(2027, 5, 31))
    assert dates == [date(2027, 4, 6), date(2027, 5, 4)]


def test_monthly_series_across_the_turn_of_the_year():
    dates = occurrence_dates("monthly", weekday=TUE, nth=4, first_date=date(2027, 11, 1),
                             until_date=date(2028, 2, 29))
    assert dates == [date(2027, 11, 23), date(2027, 12, 28), date(2028, 1, 25),
                     date(2028, 2, 22)]


def test_a_series_of_exactly_the_maximum_is_allowed():
    first = date(2027, 1, 5)
    dates = occurrence_dates("weekly", weekday=TUE, first_date=first,
                             until_date=first + timedelta(weeks=MAX_OCCURRENCES - 1))
    assert len(dates) == MAX_OCCURRENCES == 60


def test_a_longer_series_is_refused_with_a_message():
    first = date(2027, 1, 5)
    with pytest.raises(SeriesError) as refused:
        occurrence_dates("weekly", weekday=TUE, first_date=first,
                         until_date=first + timedelta(weeks=MAX_OCCURRENCES))
    assert "at most 60 meetings" in str(refused.value.message)


@pytest.mark.parametrize("kwargs,message", [
    (dict(pattern="weekly", weekday=TUE, first_date=date(2027, 3, 9),
          until_date=date(2027, 3, 1)), "on or after the first date"),
    (dict(pattern="weekly", weekday=TUE, first_date=date(2027, 3, 10),
          until_date=date(2027, 3, 14)), "No meeting falls"),
    (dict(pattern="monthly", weekday=TUE, nth=5, first_date=date(2027, 3, 1),
          until_date=date(2027, 6, 1)), "which weekday of the month"),
    (dict(pattern="daily", weekday=TUE, first_date=date(2027, 3, 1),
          until_date=date(2027, 6, 1)), "how the meeting repeats"),
])
def test_impossible_series_are_refused(app, kwargs, message):
    pattern = kwargs.pop("pattern")
    with pytest.raises(SeriesError) as refused:
        occurrence_dates(pattern, **kwargs)
    assert message in str(refused.value.message)


# Creating ----------------------------------------------------------------------------

@pytest.fixture
def coordinator(app):
    return factories.create_user("coordinator")


@pytest.fixture
def team(coordinator):
    return factories.create_team(coordinators=[coordinator])


def weekly(team, coordinator, first, until, **changes):
    values = dict(pattern="weekly", weekday=first.isoweekday(), nth=None,
                  start_time=time(9, 0), minutes=120, first_date=first, until_date=until,
                  location="Kokoushuone 2", video_link="", by=coordinator)
    values.update(changes)
    return services.create_series(team, **values)


def test_a_series_at_nine_stays_at_nine_helsinki_time_across_the_daylight_saving_change(
        team, coordinator):
    # Summer time begins on Sunday 28.3.2027.
    series = weekly(team, coordinator, date(2027, 3, 16), date(2027, 4, 6))
    meetings = series.meetings
    assert [m.starts_at for m in meetings] == [
        datetime(2027, 3, 16, 7, 0), datetime(2027, 3, 23, 7, 0),   # UTC+2
        datetime(2027, 3, 30, 6, 0), datetime(2027, 4, 6, 6, 0)]    # UTC+3
    assert {local(m).time() for m in meetings} == {time(9, 0)}
    assert {m.minutes for m in meetings} == {120}


def test_autumn_change_brings_nine_back_to_seven_utc(team, coordinator):
    # Summer time ends on Sunday 31.10.2027.
    series = weekly(team, coordinator, date(2027, 10, 26), date(2027, 11, 2))
    assert [m.starts_at for m in series.meetings] == [datetime(2027, 10, 26, 6, 0),
                                                      datetime(2027, 11, 2, 7, 0)]


def test_each_occurrence_is_its_own_draft_meeting_with_its_own_uid(team, coordinator):
    series = weekly(team, coordinator, date(2027, 3, 2), date(2027, 3, 30))
    uids = {m.uid for m in series.meetings}
    assert len(series.meetings) == len(uids) == 5
    assert {m.state for m in series.meetings} == {"draft"}
    assert {(m.team_id, m.location) for m in series.meetings} == {(team.id, "Kokoushuone 2")}
    assert (series.first_date, series.until_date, series.weekday) == (
        date(2027, 3, 2), date(2027, 3, 30), TUE)


def test_creating_a_series_is_audited_per_meeting_without_client(team, coordinator):
    series = weekly(team, coordinator, date(2027, 3, 2), date(2027, 3, 16))
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "meeting")).all()
    assert sorted(e.object_id for e in events) == sorted(m.id for m in series.meetings)
    assert {(e.action, e.purpose, e.client_id, e.user_id) for e in events} == {
        ("create", "create_meeting", None, coordinator.id)}


def test_a_series_over_the_limit_creates_nothing(team, coordinator):
    with pytest.raises(services.MeetingRefused):
        weekly(team, coordinator, date(2027, 1, 5), date(2028, 12, 31))
    assert db.session.scalars(select(Meeting)).all() == []


def test_a_time_that_does_not_exist_is_refused(team, coordinator):
    # 3.30 on 28.3.2027 is skipped when the clocks go forward.
    with pytest.raises(services.MeetingRefused) as refused:
        services.create_meeting(team, day=date(2027, 3, 28), start_time=time(3, 30),
                                minutes=60, location="Huone", video_link="", by=coordinator)
    assert "does not exist" in str(refused.value.message)


def test_a_single_meeting_is_stored_in_utc(team, coordinator):
    meeting = services.create_meeting(team, day=date(2027, 6, 1), start_time=time(13, 15),
                                      minutes=90, location="",
                                      video_link="https://video.example.fi/t", by=coordinator)
    assert (meeting.starts_at, meeting.ends_at) == (datetime(2027, 6, 1, 10, 15),
                                                     datetime(2027, 6, 1, 11, 45))
    assert meeting.series_id is None and meeting.state == "draft"


# Changing ------------------------------------------------------------------------------

def test_changing_one_meeting_moves_only_it_and_its_date(team, coordinator):
    first, second, third = weekly(team, coordinator, date(2027, 3, 2), date(2027, 3, 16)).meetings
    services.edit_meeting(second, day=date(2027, 3, 10), start_time=time(12, 0), minutes=60,
                          location="Sali", video_link="", scope="one", by=coordinator)
    assert local(second) == datetime(2027, 3, 10, 12, 0) and second.minutes == 60
    assert second.location == "Sali"
    assert [local(m) for m in (first, third)] == [datetime(2027, 3, 2, 9, 0),
                                                  datetime(2027, 3, 16, 9, 0)]
    assert second.series.start_time == time(9, 0)


def test_changing_the_rest_of_a_series_changes_only_later_meetings_that_can_still_change(
        team, coordinator):
    series = weekly(team, coordinator, date(2027, 3, 2), date(2027, 4, 6))
    earlier, this, held, sent, cancelled, later = series.meetings
    held.state = "held"
    sent.state = "agenda_sent"
    cancelled.state = "cancelled"

    changed = services.edit_meeting(this, day=date(2027, 3, 9), start_time=time(10, 30),
                                    minutes=90, location="Sali",
                                    video_link="https://video.example.fi/t", scope="rest",
                                    by=coordinator)

    assert changed == [this, sent, later]
    # Each keeps its date; 10.30 local on both sides of the change to summer time.
    assert [local(m) for m in changed] == [datetime(2027, 3, 9, 10, 30),
                                           datetime(2027, 3, 23, 10, 30),
                                           datetime(2027, 4, 6, 10, 30)]
    assert (sent.starts_at, later.starts_at) == (datetime(2027, 3, 23, 8, 30),
                                                 datetime(2027, 4, 6, 7, 30))
    assert {(m.minutes, m.location) for m in changed} == {(90, "Sali")}
    for untouched in (earlier, held, cancelled):
        assert local(untouched).time() == time(9, 0) and untouched.location == "Kokoushuone 2"
    assert (series.start_time, series.minutes, series.location) == (time(10, 30), 90, "Sali")
    assert sent.is_changed and not this.is_changed  # only a sent agenda needs an update


def test_the_rest_of_a_series_cannot_move_to_another_date(team, coordinator):
    first, _second = weekly(team, coordinator, date(2027, 3, 2), date(2027, 3, 9)).meetings
    with pytest.raises(services.MeetingRefused):
        services.edit_meeting(first, day=date(2027, 3, 3), start_time=time(9, 0), minutes=120,
                              location="Kokoushuone 2", video_link="", scope="rest",
                              by=coordinator)


def test_a_held_meeting_cannot_be_changed(team, coordinator):
    meeting = factories.create_meeting(team, state="held")
    with pytest.raises(services.MeetingRefused) as refused:
        services.edit_meeting(meeting, day=date(2027, 3, 3), start_time=time(9, 0), minutes=60,
                              location="X", video_link="", by=coordinator)
    assert "held" in str(refused.value.message)


def test_an_unchanged_meeting_is_not_marked_changed(team, coordinator):
    meeting = factories.create_meeting(team, state="agenda_sent")
    day, start = services.local_day(meeting), services.local_start(meeting)
    changed = services.edit_meeting(meeting, day=day, start_time=start, minutes=meeting.minutes,
                                    location=meeting.location, video_link=meeting.video_link,
                                    by=coordinator)
    assert changed == [] and not meeting.is_changed


# Cancelling ----------------------------------------------------------------------------

def test_cancelling_one_occurrence_leaves_the_others(team, coordinator):
    first, second, third = weekly(team, coordinator, date(2027, 3, 2), date(2027, 3, 16)).meetings
    cancelled = services.cancel_meeting(second, scope="one", by=coordinator)
    assert cancelled == [second]
    assert [m.state for m in (first, second, third)] == ["draft", "cancelled", "draft"]
    assert second.cancelled_at is not None


def test_cancelling_the_rest_of_a_series_leaves_earlier_and_held_meetings(team, coordinator):
    first, second, third, fourth = weekly(team, coordinator, date(2027, 3, 2),
                                          date(2027, 3, 23)).meetings
    third.state = "held"
    services.cancel_meeting(second, scope="rest", by=coordinator)
    assert [m.state for m in (first, second, third, fourth)] == [
        "draft", "cancelled", "held", "cancelled"]


@pytest.mark.parametrize("state", ["held", "protocol_finalised", "cancelled"])
def test_only_a_draft_or_sent_meeting_can_be_cancelled(team, coordinator, state):
    meeting = factories.create_meeting(team, state=state)
    with pytest.raises(services.MeetingRefused) as refused:
        services.cancel_meeting(meeting, by=coordinator)
    assert refused.value.message
    assert meeting.state == state


def test_cancelling_takes_the_cases_off_the_agenda(team, coordinator):
    meeting = factories.create_meeting(team)
    request = factories.create_submitted_request(team=team)
    consultations.perform(request, "accept", coordinator)
    agenda.add_item(meeting, request, by=coordinator)
    assert request.state == "scheduled"

    services.cancel_meeting(meeting, by=coordinator)

    assert request.state == "accepted"
    assert agenda.on_agenda(meeting) == []
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "meeting", AuditEvent.object_id == meeting.id)).all()
    assert [(e.action, e.purpose, e.client_id) for e in events] == [
        ("transition", "cancel_meeting", None)]


def test_cancelling_a_sent_meeting_queues_a_cancellation_with_a_higher_sequence(
        team, coordinator):
    member = factories.create_user("member")
    organisations.add_member(team, member, "member")
    meeting = factories.create_meeting(team)
    agenda.send_agenda(meeting, by=coordinator)
    sequence = meeting.sequence

    services.cancel_meeting(meeting, by=coordinator)

    cancels = db.session.scalars(select(Delivery).where(Delivery.meeting_id == meeting.id,
                                                        Delivery.kind == "cancel")).all()
    assert {d.email for d in cancels} == {coordinator.email, member.email}
    assert {d.sequence for d in cancels} == {sequence + 1} == {meeting.sequence}


def test_cancelling_a_draft_sends_nothing(team, coordinator):
    meeting = factories.create_meeting(team)
    services.cancel_meeting(meeting, by=coordinator)
    assert meeting.deliveries == [] and meeting.sequence == 0

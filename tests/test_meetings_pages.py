"""The meetings pages through the browser's forms: the list and the month of the
meetings a user takes part in, a new meeting or series, changing one meeting or the
rest of its series, cancelling; errors next to the fields with the input kept."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from consult.consultations import services as consultations
from consult.extensions import db
from consult.meetings import agenda
from consult.meetings.models import Meeting, MeetingSeries
from consult.timeutil import HELSINKI, to_helsinki
from tests import factories

# Monday 1 March 2027, morning in Helsinki.
NOW = datetime(2027, 3, 1, 8, 0, tzinfo=HELSINKI)


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """Naive UTC of a Helsinki wall time."""
    local = datetime.combine(day, time(hour, minute), tzinfo=HELSINKI)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def local(meeting: Meeting) -> datetime:
    return to_helsinki(meeting.starts_at).replace(tzinfo=None)


@pytest.fixture
def world(app, time_machine):
    time_machine.move_to(NOW, tick=False)
    coordinator = factories.create_user("coordinator")
    member = factories.create_user("member")
    physician = factories.create_user("physician")
    team = factories.create_team(name="Tampereen työkykytiimi", coordinators=[coordinator],
                                 members=[member], physician=physician)
    team.meeting_weekday, team.meeting_time, team.meeting_minutes = 2, time(9, 0), 120
    team.meeting_location = "Hatanpään puistokuja 4"
    other_coordinator = factories.create_user("coordinator")
    other_team = factories.create_team(name="Naapuritiimi", coordinators=[other_coordinator])
    db.session.commit()
    return SimpleNamespace(coordinator=coordinator, member=member, physician=physician,
                           team=team, other_coordinator=other_coordinator,
                           other_team=other_team)


def meetings_of(team) -> list[Meeting]:
    return list(db.session.scalars(select(Meeting).where(Meeting.team_id == team.id)
                                   .order_by(Meeting.starts_at)))


def link(meeting: Meeting) -> str:
    return f'href="/meetings/{meeting.id}"'


def month_table(html: str) -> str:
    match = re.search(r'<table class="month-calendar">.*?</table>', html, re.S)
    assert match, "no month view"
    return match.group(0)


def section(html: str, heading_id: str) -> str:
    match = re.search(r'<section aria-labelledby="' + heading_id + r'".*?</section>', html, re.S)
    assert match, heading_id
    return match.group(0)


def new_form(**changes) -> dict:
    form = {"day": "2027-03-02", "start_time": "09:00", "minutes": "120",
            "location": "Hatanpään puistokuja 4", "video_link": "", "repeat": "none",
            "nth": "1", "until": ""}
    form.update(changes)
    return form


def post(client, auth, url, form):
    return client.post(url, data=dict(form, csrf_token=auth.csrf()))


def flashes_after(client) -> str:
    """The next page shows what the redirect flashed."""
    return client.get("/meetings").text


# The list and the month ---------------------------------------------------------------

def test_members_see_their_teams_meetings_and_not_other_teams(client, auth, world):
    upcoming = factories.create_meeting(world.team, starts_at=at(date(2027, 3, 2)))
    past = factories.create_meeting(world.team, starts_at=at(date(2027, 2, 23)), state="held")
    cancelled = factories.create_meeting(world.team, starts_at=at(date(2027, 3, 9)),
                                         state="cancelled")
    elsewhere = factories.create_meeting(world.other_team, starts_at=at(date(2027, 3, 3)))
    db.session.commit()
    auth.login(world.member)

    page = client.get("/meetings").text

    coming, gone = section(page, "upcoming-heading"), section(page, "past-heading")
    assert link(upcoming) in coming and link(cancelled) in coming
    assert coming.index(link(upcoming)) < coming.index(link(cancelled))
    assert link(past) in gone and link(past) not in coming
    assert link(elsewhere) not in page
    assert "Tue 2.3.2027 at 9.00–11.00" in coming
    assert "Draft" in coming and "Cancelled" in coming and "Held" in gone
    assert "New meeting" not in page  # a member creates none


def test_the_month_view_is_a_calendar_with_links_to_each_meeting(client, auth, world):
    march = factories.create_meeting(world.team, starts_at=at(date(2027, 3, 16), 13, 30))
    may = factories.create_meeting(world.team, starts_at=at(date(2027, 5, 4)))
    db.session.commit()
    auth.login(world.physician)

    page = client.get("/meetings?month=2027-03").text

    grid = month_table(page)
    assert "Meetings in March 2027" in grid
    assert link(march) in grid and "13.30 Tampereen työkykytiimi" in grid
    assert link(may) not in grid and link(may) in section(page, "upcoming-heading")
    assert 'href="/meetings?month=2027-02"' in page and 'href="/meetings?month=2027-04"' in page
    assert grid.count("<tr>") == 1 + 5  # the weekday row, then 1.3.–4.4.2027
    assert link(may) in month_table(client.get("/meetings?month=2027-05").text)


def test_a_month_that_is_not_a_month_shows_this_month(client, auth, world):
    auth.login(world.coordinator)
    assert "Meetings in March 2027" in client.get("/meetings?month=2027-13").text


def test_a_referrer_sees_only_meetings_with_their_organisations_cases(client, auth, world):
    referrer = factories.create_user("referrer")
    request = factories.create_submitted_request(team=world.team, referrer=referrer)
    consultations.perform(request, "accept", world.coordinator)
    with_case = factories.create_meeting(world.team)
    without = factories.create_meeting(world.team)
    agenda.add_item(with_case, request, by=world.coordinator)
    db.session.commit()
    auth.login(referrer)

    page = client.get("/meetings").text

    assert link(with_case) in page and link(without) not in page
    assert request.client.last_name not in page and request.client.identity_code not in page


def test_a_manager_may_not_use_the_meetings_page(client, auth, world):
    manager = factories.create_user("manager")
    db.session.commit()
    auth.login(manager)
    assert client.get("/meetings").status_code == 403


def test_coordinators_get_a_new_meeting_link_for_their_team(client, auth, world):
    auth.login(world.coordinator)
    page = client.get("/meetings").text
    assert f'href="/meetings/new?team_id={world.team.id}"' in page
    assert f"team_id={world.other_team.id}" not in page


# A new meeting or series --------------------------------------------------------------

def test_the_new_meeting_form_starts_from_the_teams_usual_meeting(client, auth, world):
    auth.login(world.coordinator)
    page = client.get(f"/meetings/new?team_id={world.team.id}").text
    assert 'value="2027-03-02"' in page  # the next Tuesday
    assert 'value="09:00"' in page and 'value="120"' in page
    assert 'value="Hatanpään puistokuja 4"' in page
    assert 'checked id="repeat-0" name="repeat" type="radio" value="none"' in page


def test_a_coordinator_creates_a_single_meeting(client, auth, world):
    auth.login(world.coordinator)
    response = post(client, auth, f"/meetings/new?team_id={world.team.id}",
                    new_form(day="2027-03-10", start_time="13:00", minutes="90",
                             video_link="https://video.example.fi/tiimi"))

    [meeting] = meetings_of(world.team)
    assert response.status_code == 303
    assert response.location == f"/meetings/{meeting.id}"
    assert local(meeting) == datetime(2027, 3, 10, 13, 0) and meeting.minutes == 90
    assert (meeting.video_link, meeting.state, meeting.series_id) == (
        "https://video.example.fi/tiimi", "draft", None)
    assert "Meeting created: Wed 10.3.2027 at 13.00." in flashes_after(client)


def test_a_coordinator_creates_a_weekly_series(client, auth, world):
    auth.login(world.coordinator)
    response = post(client, auth, f"/meetings/new?team_id={world.team.id}",
                    new_form(repeat="weekly", until="2027-03-30"))

    meetings = meetings_of(world.team)
    assert response.status_code == 303 and response.location == f"/meetings/{meetings[0].id}"
    assert [local(m).date() for m in meetings] == [date(2027, 3, d) for d in (2, 9, 16, 23, 30)]
    # 9.00 in Helsinki before and after the change to summer time on 28.3.
    assert [m.starts_at.hour for m in meetings] == [7, 7, 7, 7, 6]
    assert len({m.uid for m in meetings}) == 5
    assert db.session.get(MeetingSeries, meetings[0].series_id).pattern == "weekly"
    assert "Series created: 5 meetings" in flashes_after(client)


def test_every_other_week_through_the_form(client, auth, world):
    auth.login(world.coordinator)
    post(client, auth, f"/meetings/new?team_id={world.team.id}",
         new_form(repeat="biweekly", until="2027-04-13"))
    assert [local(m).date() for m in meetings_of(world.team)] == [
        date(2027, 3, 2), date(2027, 3, 16), date(2027, 3, 30), date(2027, 4, 13)]


def test_a_monthly_series_on_the_last_tuesday(client, auth, world):
    auth.login(world.coordinator)
    post(client, auth, f"/meetings/new?team_id={world.team.id}",
         new_form(day="2027-03-30", repeat="monthly", nth="-1", until="2027-06-30"))
    assert [local(m).date() for m in meetings_of(world.team)] == [
        date(2027, 3, 30), date(2027, 4, 27), date(2027, 5, 25), date(2027, 6, 29)]


def test_a_series_on_a_public_holiday_is_flagged(client, auth, world):
    auth.login(world.coordinator)
    # Thursday 6.5.2027 is Ascension Day.
    post(client, auth, f"/meetings/new?team_id={world.team.id}",
         new_form(day="2027-04-29", repeat="weekly", until="2027-05-13"))
    assert len(meetings_of(world.team)) == 3  # created all the same: the team decides
    assert "This meeting falls on a public holiday: Thu 6.5.2027." in flashes_after(client)


def test_repeating_without_an_end_date_keeps_the_input_and_says_why(client, auth, world):
    auth.login(world.coordinator)
    response = post(client, auth, f"/meetings/new?team_id={world.team.id}",
                    new_form(repeat="weekly", until="", location="Oma paikka",
                             start_time="10:15"))

    assert response.status_code == 422
    page = response.text
    assert re.search(r'aria-describedby="until-help until-error" aria-invalid="true"', page)
    assert 'id="until-error">Give the last date of the series.' in page
    assert 'value="Oma paikka"' in page and 'value="10:15"' in page
    assert re.search(r'checked[^>]*value="weekly"|value="weekly"[^>]*checked', page)
    assert meetings_of(world.team) == []


def test_a_series_longer_than_sixty_meetings_is_refused(client, auth, world):
    auth.login(world.coordinator)
    response = post(client, auth, f"/meetings/new?team_id={world.team.id}",
                    new_form(repeat="weekly", until="2028-12-31"))
    assert response.status_code == 422
    assert "A series has at most 60 meetings." in response.text
    assert meetings_of(world.team) == []


@pytest.mark.parametrize("changes,field,message", [
    ({"location": "", "video_link": ""}, "location", "Give the place or the video link"),
    ({"video_link": "video.example.fi"}, "video_link", "Enter a full web address"),
    ({"day": "2027-02-26"}, "day", "This date has passed."),
    ({"minutes": "5"}, "minutes", "A meeting lasts from 15 to 600 minutes."),
    ({"start_time": ""}, "start_time", "Give the start time."),
])
def test_invalid_meetings_are_refused_next_to_the_field(client, auth, world, changes, field,
                                                         message):
    auth.login(world.coordinator)
    response = post(client, auth, f"/meetings/new?team_id={world.team.id}", new_form(**changes))
    assert response.status_code == 422
    assert re.search(f'id="{field}-error">[^<]*{re.escape(message)}', response.text)
    assert meetings_of(world.team) == []


def test_only_the_teams_coordinator_may_create_its_meetings(client, auth, world):
    auth.login(world.other_coordinator)
    assert client.get(f"/meetings/new?team_id={world.team.id}").status_code == 404
    assert post(client, auth, f"/meetings/new?team_id={world.team.id}",
                new_form()).status_code == 404
    assert client.get("/meetings/new").status_code == 404
    auth.logout()
    auth.login(world.member)
    assert client.get(f"/meetings/new?team_id={world.team.id}").status_code == 403
    assert meetings_of(world.team) == []


# Changing and cancelling -----------------------------------------------------------

@pytest.fixture
def series(world, client, auth):
    """Tuesdays 2.–23.3.2027 at 9.00, and the coordinator logged in."""
    auth.login(world.coordinator)
    post(client, auth, f"/meetings/new?team_id={world.team.id}",
         new_form(repeat="weekly", until="2027-03-23"))
    return meetings_of(world.team)


def edit_form(**changes) -> dict:
    form = {"day": "2027-03-09", "start_time": "09:00", "minutes": "120",
            "location": "Hatanpään puistokuja 4", "video_link": "", "scope": "one"}
    form.update(changes)
    return form


def test_the_change_form_shows_the_meeting_and_asks_which_meetings(client, world, series):
    page = client.get(f"/meetings/{series[1].id}/edit").text
    assert 'value="2027-03-09"' in page and 'value="09:00"' in page
    assert "This and the following meetings of the series" in page
    assert "2 later meetings can still change" in page


def test_a_single_meeting_has_no_series_choice(client, auth, world):
    meeting = factories.create_meeting(world.team)
    db.session.commit()
    auth.login(world.coordinator)
    page = client.get(f"/meetings/{meeting.id}/edit").text
    assert "This and the following meetings" not in page
    assert "Cancel the meeting" in page


def test_changing_this_meeting_only(client, auth, world, series):
    first, second, third, fourth = series
    response = post(client, auth, f"/meetings/{second.id}/edit",
                    edit_form(day="2027-03-11", start_time="12:00", location="Sali"))
    assert response.status_code == 303 and response.location == f"/meetings/{second.id}"
    assert local(second) == datetime(2027, 3, 11, 12, 0) and second.location == "Sali"
    assert {local(m).time() for m in (first, third, fourth)} == {time(9, 0)}
    assert "Meeting changed." in flashes_after(client)


def test_changing_this_and_the_following_meetings(client, auth, world, series):
    first, second, third, fourth = series
    third.state = "held"
    db.session.commit()
    response = post(client, auth, f"/meetings/{second.id}/edit",
                    edit_form(start_time="10:00", minutes="60", scope="rest"))
    assert response.status_code == 303
    assert [local(m) for m in (first, second, third, fourth)] == [
        datetime(2027, 3, 2, 9, 0), datetime(2027, 3, 9, 10, 0), datetime(2027, 3, 16, 9, 0),
        datetime(2027, 3, 23, 10, 0)]
    assert (second.minutes, fourth.minutes, third.minutes) == (60, 60, 120)
    assert "2 meetings changed." in flashes_after(client)


def test_the_rest_of_a_series_cannot_move_to_another_date_through_the_form(client, auth, world,
                                                                           series):
    response = post(client, auth, f"/meetings/{series[1].id}/edit",
                    edit_form(day="2027-03-10", scope="rest"))
    assert response.status_code == 422
    assert 'id="day-error">Only a single meeting can move to another date.' in response.text
    assert 'value="2027-03-10"' in response.text
    assert local(series[1]) == datetime(2027, 3, 9, 9, 0)


def test_changing_a_sent_agenda_marks_it_for_an_update(client, auth, world, series):
    agenda.send_agenda(series[0], by=world.coordinator)
    db.session.commit()
    post(client, auth, f"/meetings/{series[0].id}/edit",
         edit_form(day="2027-03-02", start_time="09:30"))
    assert series[0].is_changed
    assert "The agenda was already sent. Send it again" in flashes_after(client)


def test_a_held_meeting_cannot_be_changed(client, auth, world, series):
    series[0].state = "held"
    db.session.commit()
    response = client.get(f"/meetings/{series[0].id}/edit")
    assert response.status_code == 303 and response.location == f"/meetings/{series[0].id}"
    assert "can no longer be changed" in flashes_after(client)
    response = post(client, auth, f"/meetings/{series[0].id}/edit",
                    edit_form(day="2027-03-02", start_time="11:00"))
    assert response.status_code == 303 and local(series[0]).hour == 9


def test_cancelling_one_meeting_of_a_series(client, auth, world, series):
    response = post(client, auth, f"/meetings/{series[1].id}/cancel", {"scope": "one"})
    assert response.status_code == 303 and response.location == f"/meetings/{series[1].id}"
    assert [m.state for m in series] == ["draft", "cancelled", "draft", "draft"]
    page = flashes_after(client)
    assert "Meeting cancelled." in page
    assert "Cancelled" in section(page, "upcoming-heading")


def test_cancelling_the_rest_of_a_series(client, auth, world, series):
    post(client, auth, f"/meetings/{series[2].id}/cancel", {"scope": "rest"})
    assert [m.state for m in series] == ["draft", "draft", "cancelled", "cancelled"]
    assert "2 meetings cancelled." in flashes_after(client)


def test_cancelling_puts_the_cases_back_to_accepted(client, auth, world, series):
    request = factories.create_submitted_request(team=world.team)
    consultations.perform(request, "accept", world.coordinator)
    agenda.add_item(series[0], request, by=world.coordinator)
    db.session.commit()
    post(client, auth, f"/meetings/{series[0].id}/cancel", {})
    assert series[0].state == "cancelled" and request.state == "accepted"
    assert "1 case was taken off the agenda and is accepted again" in flashes_after(client)


def test_a_held_meeting_cannot_be_cancelled(client, auth, world, series):
    series[0].state = "held"
    db.session.commit()
    response = post(client, auth, f"/meetings/{series[0].id}/cancel", {"scope": "one"})
    assert response.status_code == 303
    assert "has been held, so it can no longer be cancelled" in flashes_after(client)
    assert series[0].state == "held"


def test_only_the_teams_coordinator_may_change_or_cancel(client, auth, world):
    meeting = factories.create_meeting(world.team)
    db.session.commit()
    auth.login(world.other_coordinator)
    assert client.get(f"/meetings/{meeting.id}/edit").status_code == 404
    assert post(client, auth, f"/meetings/{meeting.id}/cancel", {}).status_code == 404
    auth.logout()
    auth.login(world.member)
    assert client.get(f"/meetings/{meeting.id}/edit").status_code == 403
    assert post(client, auth, f"/meetings/{meeting.id}/cancel", {}).status_code == 403
    assert meeting.state == "draft"

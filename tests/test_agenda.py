"""A meeting's agenda (SPEC §3 Agenda item, §4 flow 3): accepted cases time-boxed in
order, reordering (buttons, drag and drop) with a version check, one agenda per
request, guests under consent, a paused case flagged, sending, attendance, scope."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from consult.consultations import services
from consult.extensions import db
from consult.meetings import agenda
from consult.meetings.models import AgendaItem, Delivery
from consult.timeutil import today, utcnow
from tests import factories


def team_world(cases=2):
    coordinator = factories.create_user("coordinator")
    member = factories.create_user("member")
    physician = factories.create_user("physician")
    team = factories.create_team(coordinators=[coordinator], members=[member])
    team.physician_id = physician.id
    team.minutes_per_case = 30
    requests = []
    for _ in range(cases):
        request = factories.create_submitted_request(team=team)
        services.perform(request, "accept", coordinator)
        requests.append(request)
    meeting = factories.create_meeting(team, minutes=60)
    db.session.commit()
    return meeting, coordinator, member, requests


def page_of(client, meeting):
    return client.get(f"/meetings/{meeting.id}?lang=en")


def version(html: str) -> str:
    return re.search(r'name="version" value="(\d+)"', html).group(1)


def add(client, auth, meeting, request, version_value=None):
    html = page_of(client, meeting).text
    return client.post(f"/meetings/{meeting.id}/items?lang=en", data={
        "csrf_token": auth.csrf(), "request_id": request.id,
        "version": version_value if version_value is not None else version(html)})


def order_on_page(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-item-id="(\d+)"', html)]


def test_cases_go_on_the_agenda_time_boxed_with_times_from_the_order(client, auth):
    meeting, coordinator, _, (first, second) = team_world()
    auth.login(coordinator)
    assert add(client, auth, meeting, first).status_code == 303
    assert add(client, auth, meeting, second).status_code == 303
    db.session.refresh(first)
    assert first.state == "scheduled"
    rows = agenda.timetable(db.session.get(type(meeting), meeting.id))
    assert [r.item.request_id for r in rows] == [first.id, second.id]
    assert rows[0].starts_at == meeting.starts_at
    assert rows[1].starts_at == meeting.starts_at + timedelta(minutes=30)


def test_reordering_recomputes_the_times(client, auth):
    meeting, coordinator, _, (first, second) = team_world()
    auth.login(coordinator)
    add(client, auth, meeting, first)
    add(client, auth, meeting, second)
    html = page_of(client, meeting).text
    second_item = db.session.scalar(select(AgendaItem).where(AgendaItem.request_id == second.id))
    response = client.post(f"/meetings/{meeting.id}/items/{second_item.id}/move", data={
        "csrf_token": auth.csrf(), "direction": "up", "version": version(html)})
    assert response.status_code == 303
    db.session.expire_all()
    rows = agenda.timetable(db.session.get(type(meeting), meeting.id))
    assert [r.item.request_id for r in rows] == [second.id, first.id]
    assert rows[0].starts_at == meeting.starts_at


def test_drag_and_drop_sends_the_whole_order_and_htmx_gets_the_agenda_back(client, auth):
    meeting, coordinator, _, requests = team_world(3)
    auth.login(coordinator)
    for request in requests:
        add(client, auth, meeting, request)
    html = page_of(client, meeting).text
    ids = order_on_page(html)
    response = client.post(f"/meetings/{meeting.id}/order", data={
        "csrf_token": auth.csrf(), "item_ids": list(reversed(ids)), "version": version(html)},
        headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section aria-labelledby="agenda-heading"')
    assert order_on_page(response.text) == list(reversed(ids))


def test_two_coordinators_at_once_get_a_warning_not_a_silent_new_order(client, auth):
    meeting, coordinator, _, (first, second) = team_world()
    auth.login(coordinator)
    add(client, auth, meeting, first)
    add(client, auth, meeting, second)
    html = page_of(client, meeting).text
    stale = version(html)
    items = order_on_page(html)
    client.post(f"/meetings/{meeting.id}/items/{items[1]}/move", data={
        "csrf_token": auth.csrf(), "direction": "up", "version": stale})
    response = client.post(f"/meetings/{meeting.id}/items/{items[1]}/move?lang=en", data={
        "csrf_token": auth.csrf(), "direction": "down", "version": stale})
    assert response.status_code == 409
    assert "Someone else changed this agenda" in response.text
    assert order_on_page(response.text) == [items[1], items[0]]  # the first move stands


def test_the_agenda_warns_when_it_runs_over_the_meetings_length(client, auth):
    meeting, coordinator, _, requests = team_world(3)  # 3 × 30 min in a 60-min meeting
    auth.login(coordinator)
    for request in requests:
        add(client, auth, meeting, request)
    html = page_of(client, meeting).text
    assert "Total 90 min of the meeting&#39;s 60 min." in html or \
        "Total 90 min of the meeting's 60 min." in html
    assert "runs 30 min over" in html


def test_a_request_is_on_one_agenda_at_a_time(client, auth):
    meeting, coordinator, _, (request, _) = team_world()
    other = factories.create_meeting(meeting.team, starts_at=meeting.starts_at + timedelta(days=7))
    agenda.add_item(meeting, request, by=coordinator)
    db.session.commit()
    auth.login(coordinator)
    response = add(client, auth, other, request)
    assert response.status_code == 422
    assert db.session.scalar(select(AgendaItem).where(AgendaItem.meeting_id == other.id)) is None


def test_the_database_refuses_a_second_item_of_a_request_on_agendas(app):
    meeting, coordinator, _, (request, _) = team_world()
    other = factories.create_meeting(meeting.team, starts_at=meeting.starts_at + timedelta(days=7))
    db.session.add(AgendaItem(meeting=meeting, request_id=request.id, position=1, minutes=30))
    db.session.flush()
    db.session.add(AgendaItem(meeting=other, request_id=request.id, position=1, minutes=30))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_taking_a_case_off_the_agenda_makes_it_accepted_again(app):
    meeting, coordinator, _, (request, _) = team_world()
    item = agenda.add_item(meeting, request, by=coordinator)
    agenda.remove_item(item, by=coordinator)
    assert (request.state, item.state) == ("accepted", "removed")
    assert agenda.on_agenda(meeting) == []


def test_a_guest_needs_a_consent_that_names_their_organisation(client, auth):
    meeting, coordinator, _, (request, _) = team_world()
    item = agenda.add_item(meeting, request, by=coordinator)
    outside = factories.create_organisation(name="Ulkopuolinen ry", kind="ngo")
    db.session.commit()
    auth.login(coordinator)
    url = f"/meetings/{meeting.id}/items/{item.id}/guests"
    page = client.get(url + "?lang=en").text
    assert "Ulkopuolinen ry" not in page  # only the consent's organisations are offered
    response = client.post(url + "?lang=en", data={
        "csrf_token": auth.csrf(), "name": "Sari", "organisation_id": outside.id,
        "email": "sari@example.fi"})
    assert response.status_code == 422
    assert "does not cover Ulkopuolinen ry" in response.text
    assert 'value="sari@example.fi"' in response.text
    assert item.guests == []
    covered = request.referrer.organisation
    response = client.post(url, data={
        "csrf_token": auth.csrf(), "name": "Sari", "organisation_id": covered.id,
        "email": "sari@example.fi"})
    assert response.status_code == 303
    db.session.refresh(item)
    assert [g.name for g in item.guests] == ["Sari"]


def test_a_withdrawn_consent_flags_the_item_and_stops_sending(client, auth):
    meeting, coordinator, _, (request, _) = team_world()
    agenda.add_item(meeting, request, by=coordinator)
    request.client.consents[0].withdrawn_on = today()
    services.refresh_pause(request, by=request.referrer)
    db.session.commit()
    auth.login(coordinator)
    assert "paused: consent no longer covers the case" in page_of(client, meeting).text
    client.post(f"/meetings/{meeting.id}/send", data={"csrf_token": auth.csrf()})
    db.session.refresh(meeting)
    assert meeting.state == "draft"
    assert db.session.scalar(select(Delivery)) is None


def test_sending_records_what_each_participant_receives_and_edits_mark_it_changed(app):
    meeting, coordinator, member, (request, other) = team_world()
    item = agenda.add_item(meeting, request, by=coordinator)
    agenda.add_guest(item, name="Sari", organisation=request.referrer.organisation,
                     email="sari@example.fi", by=coordinator)
    deliveries = agenda.send_agenda(meeting, by=coordinator)
    assert meeting.state == "agenda_sent" and not meeting.is_changed
    whole = {d.email for d in deliveries if d.item_id is None}
    per_case = {d.email for d in deliveries if d.item_id == item.id}
    assert {coordinator.email, member.email} <= whole
    assert per_case == {request.referrer.email, "sari@example.fi"}
    assert {d.kind for d in deliveries} == {"request"}
    with pytest.raises(services.TransitionRefused):
        agenda.send_agenda(meeting, by=coordinator)  # nothing changed
    agenda.add_item(meeting, other, by=coordinator)
    assert meeting.is_changed
    update = agenda.send_agenda(meeting, by=coordinator)
    assert {d.kind for d in update} == {"update"} and meeting.sequence == 1


def test_attendance_is_marked_on_the_day_apart_from_invitations(app):
    meeting, coordinator, member, (request, _) = team_world()
    agenda.add_item(meeting, request, by=coordinator)
    agenda.send_agenda(meeting, by=coordinator)
    with pytest.raises(services.TransitionRefused):
        agenda.mark_attendance(meeting, user_ids={member.id}, guest_ids=set(), by=coordinator)
    meeting.starts_at = utcnow() - timedelta(minutes=5)
    agenda.mark_attendance(meeting, user_ids={member.id}, guest_ids=set(), by=coordinator)
    attended = {a.user_id: a.attended for a in meeting.attendances}
    assert attended[member.id] is True and attended[coordinator.id] is False
    assert attended[request.referrer_id] is False


def test_members_see_their_teams_meetings_and_the_cases_pre_forms(client, auth):
    meeting, coordinator, member, (on, off) = team_world()
    agenda.add_item(meeting, on, by=coordinator)
    db.session.commit()
    auth.login(member)
    page = page_of(client, meeting)
    assert page.status_code == 200 and f"Request {on.id}" in page.text
    assert client.get(f"/requests/{on.id}").status_code == 200
    assert client.get(f"/requests/{off.id}").status_code == 404  # not on an agenda
    stranger = factories.create_user("member")
    factories.create_team(members=[stranger])
    db.session.commit()
    auth.logout()
    auth.login(stranger)
    assert page_of(client, meeting).status_code == 404


def test_a_referrer_sees_only_their_organisations_items(client, auth):
    meeting, coordinator, _, (mine, theirs) = team_world()
    agenda.add_item(meeting, mine, by=coordinator)
    agenda.add_item(meeting, theirs, by=coordinator)
    db.session.commit()
    auth.login(mine.referrer)
    page = page_of(client, meeting).text
    assert f"Request {mine.id}" in page and f"Request {theirs.id}" not in page
    outsider = factories.create_user("referrer")
    db.session.commit()
    auth.logout()
    auth.login(outsider)
    assert page_of(client, meeting).status_code == 404


def test_the_agenda_page_with_twenty_items_stays_within_the_statement_budget(
        client, auth, count_queries):
    meeting, coordinator, _, requests = team_world(20)
    for request in requests:
        agenda.add_item(meeting, request, by=coordinator)
    db.session.commit()
    for user in (coordinator, requests[0].referrer):
        auth.login(user)
        page_of(client, meeting)
        with count_queries() as counter:
            assert page_of(client, meeting).status_code == 200
        assert counter.count <= 12, "\n".join(counter.statements)
        auth.logout()


def test_a_withdrawn_case_leaves_the_agenda_and_a_sent_one_is_marked_changed(client, auth):
    meeting, coordinator, _, (request, other) = team_world()
    agenda.add_item(meeting, request, by=coordinator)
    agenda.add_item(meeting, other, by=coordinator)
    agenda.send_agenda(meeting, by=coordinator)
    services.perform(request, "withdraw", request.referrer)
    assert [i.request_id for i in agenda.on_agenda(meeting)] == [other.id]
    assert meeting.is_changed
    db.session.commit()
    auth.login(coordinator)
    assert f"Request {request.id}" not in page_of(client, meeting).text

"""Handing a case to another referrer of the same organisation: by the case manager,
the target team's coordinator, or an administrator (who sees only how many cases)."""
from __future__ import annotations

from sqlalchemy import select

from consult.audit.models import AuditEvent
from consult.consultations.models import Notification
from consult.extensions import db
from tests import factories


def team_case(submitted=True):
    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    make = factories.create_submitted_request if submitted else factories.create_request
    request = make(team=team)
    colleague = factories.create_user("referrer", organisation=request.referrer.organisation)
    db.session.commit()
    return request, coordinator, colleague


def hand(client, auth, request, to_user):
    return client.post(f"/requests/{request.id}/handover?lang=en",
                       data={"csrf_token": auth.csrf(), "referrer_id": to_user.id})


def test_the_case_manager_hands_the_case_to_a_colleague(client, auth):
    request, _, colleague = team_case()
    previous = request.referrer
    auth.login(previous)
    page = client.get(f"/requests/{request.id}/handover?lang=en")
    assert page.status_code == 200 and f'<option value="{colleague.id}">' in page.text
    assert hand(client, auth, request, colleague).status_code == 302
    db.session.refresh(request)
    assert request.referrer_id == colleague.id
    assert request.events[-1].act == "handover"
    notified = db.session.scalars(select(Notification).where(Notification.kind == "handover"))
    assert {n.user_id for n in notified} == {colleague.id}  # the actor is not notified
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.purpose == "handover"))


def test_the_new_case_manager_can_act_and_the_previous_one_cannot(client, auth):
    request, coordinator, colleague = team_case()
    previous = request.referrer
    auth.login(previous)
    hand(client, auth, request, colleague)
    response = client.post(f"/requests/{request.id}/withdraw", data={"csrf_token": auth.csrf()})
    db.session.refresh(request)
    assert response.status_code == 302 and request.state == "submitted"
    auth.logout()
    auth.login(colleague)
    client.post(f"/requests/{request.id}/withdraw", data={"csrf_token": auth.csrf()})
    db.session.refresh(request)
    assert request.state == "withdrawn"


def test_only_a_referrer_of_the_same_organisation_can_take_the_case(client, auth):
    request, _, _ = team_case()
    stranger = factories.create_user("referrer")  # another organisation
    member = factories.create_user("member", organisation=request.referrer.organisation)
    db.session.commit()
    auth.login(request.referrer)
    for target in (stranger, member):
        response = hand(client, auth, request, target)
        assert response.status_code == 422 and 'id="referrer_id-error"' in response.text
    db.session.refresh(request)
    assert request.events[-1].act == "submit"


def test_the_teams_coordinator_can_hand_the_case_over(client, auth):
    request, coordinator, colleague = team_case()
    previous = request.referrer
    auth.login(coordinator)
    assert hand(client, auth, request, colleague).status_code == 302
    db.session.refresh(request)
    assert request.referrer_id == colleague.id
    notified = {n.user_id for n in db.session.scalars(
        select(Notification).where(Notification.kind == "handover"))}
    assert notified == {colleague.id, previous.id}


def test_a_colleague_who_is_not_the_case_manager_cannot_hand_it_over(client, auth):
    request, _, colleague = team_case()
    third = factories.create_user("referrer", organisation=request.referrer.organisation)
    db.session.commit()
    auth.login(colleague)
    response = hand(client, auth, request, third)
    assert response.status_code == 302
    db.session.refresh(request)
    assert request.referrer_id not in (colleague.id, third.id)


def test_an_administrator_hands_over_every_open_case_of_a_leaver(client, auth):
    from consult.consultations import services

    request, coordinator, colleague = team_case()
    leaver = request.referrer
    second = factories.create_request(team=request.target_team, referrer=leaver)
    closed = factories.create_submitted_request(team=request.target_team, referrer=leaver)
    services.perform(closed, "decline", coordinator, message="Ei tiimin asia.")
    admin = factories.create_user("admin")
    db.session.commit()
    auth.login(admin)
    page = client.get(f"/admin/users/{leaver.id}/cases?lang=en").text
    assert "2 open cases are managed by this user." in page
    assert request.client.last_name not in page  # no case content for an administrator
    response = client.post(f"/admin/users/{leaver.id}/cases", data={
        "csrf_token": auth.csrf(), "referrer_id": colleague.id})
    assert response.status_code == 302
    for case in (request, second, closed):
        db.session.refresh(case)
    assert (request.referrer_id, second.referrer_id, closed.referrer_id) == (
        colleague.id, colleague.id, leaver.id)

"""The referrer's side of a discussed case (SPEC §4 flow 6): the case's protocol for
its organisation only, action items (mine and my organisation's cases, overdue first,
completed with a note; an organisation's item by the case's referrer), and the
follow-up that closes the case."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from consult.audit.models import AuditEvent
from consult.consultations import services as consultations
from consult.extensions import db
from consult.followups.models import FollowUp
from consult.meetings import agenda
from consult.protocols import services as records
from consult.protocols.models import ActionItem
from consult.timeutil import today, utcnow
from tests import factories


@pytest.fixture
def discussed(app):
    """A held meeting with two cases of two organisations, both protocols finalised:
    the first with an item for its referrer (overdue), one for a team member and one
    for the referrer's organisation; the second with an item for its own referrer."""
    coordinator = factories.create_user("coordinator")
    member = factories.create_user("member")
    team = factories.create_team(coordinators=[coordinator], members=[member])
    meeting = factories.create_meeting(team, starts_at=utcnow() - timedelta(minutes=5))
    ours = factories.create_submitted_request(team=team)
    colleague = factories.create_user("referrer", organisation=ours.referrer.organisation)
    theirs = factories.create_submitted_request(team=team)
    for request in (ours, theirs):
        consultations.perform(request, "accept", coordinator)
        agenda.add_item(meeting, request, by=coordinator)
    agenda.send_agenda(meeting, by=coordinator)
    records.start_meeting(meeting, by=coordinator)
    first, second = (records.protocol_of(i.request, i) for i in agenda.on_agenda(meeting))
    records.add_recommendation(first, "Kelan ammatillisen kuntoutuksen selvitys", by=coordinator)
    late = records.add_action_item(first, "Pyydä B-lausunto", responsible_user=ours.referrer,
                                   due_on=today() + timedelta(days=1), by=coordinator)
    records.add_action_item(first, "Psykologin arvio", responsible_user=member,
                            due_on=today() + timedelta(days=3), by=coordinator)
    organisation_item = records.add_action_item(
        first, "Työkokeilupaikka", responsible_organisation=ours.referrer.organisation,
        due_on=today() + timedelta(days=30), by=coordinator)
    records.set_outcome(first, path="rehabilitation", follow_up_on=today() + timedelta(days=60),
                        by=coordinator)
    records.add_action_item(second, "Toisen organisaation tehtävä",
                            responsible_user=theirs.referrer, by=coordinator)
    records.finalise(first, by=coordinator)
    records.finalise(second, by=coordinator)
    late.due_on = today() - timedelta(days=2)  # it has become overdue since
    db.session.commit()
    return SimpleNamespace(ours=ours, theirs=theirs, colleague=colleague, member=member,
                           coordinator=coordinator, late=late, organisation_item=organisation_item)


def test_the_referrer_reads_the_case_protocol_of_their_organisation_only(client, auth, discussed):
    auth.login(discussed.ours.referrer)
    page = client.get(f"/requests/{discussed.ours.id}/protocol?lang=en")
    assert page.status_code == 200
    assert "Kelan ammatillisen kuntoutuksen selvitys" in page.text and "Rehabilitation" in page.text
    assert "Pyydä B-lausunto" in page.text and "overdue" in page.text
    assert "Toisen organisaation tehtävä" not in page.text
    request_page = client.get(f"/requests/{discussed.ours.id}?lang=en")
    assert "Recommendations and action plan" in request_page.text
    assert "Kelan ammatillisen kuntoutuksen selvitys" in request_page.text
    before = db.session.scalar(select(db.func.count(AuditEvent.id)).where(
        AuditEvent.outcome == "denied"))
    assert client.get(f"/requests/{discussed.theirs.id}/protocol").status_code == 404
    assert db.session.scalar(select(db.func.count(AuditEvent.id)).where(
        AuditEvent.outcome == "denied")) == before + 1
    auth.logout()
    auth.login(discussed.colleague)  # the same organisation: may read it
    assert client.get(f"/requests/{discussed.ours.id}/protocol").status_code == 200


def test_action_items_mine_and_my_organisations_overdue_first(client, auth, discussed):
    auth.login(discussed.ours.referrer)
    page = client.get("/actions?lang=en").text
    ours = ("Pyydä B-lausunto", "Psykologin arvio", "Työkokeilupaikka")
    assert [page.index(text) for text in ours] == sorted(page.index(t) for t in ours)
    assert "Toisen organisaation tehtävä" not in page
    # Every item of our case is listed; the member's is theirs to complete.
    assert f'action="/actions/{discussed.late.id}/complete"' in page
    member_item = db.session.scalar(select(ActionItem).where(ActionItem.what == "Psykologin arvio"))
    assert f'action="/actions/{member_item.id}/complete"' not in page
    auth.logout()
    auth.login(discussed.member)
    page = client.get("/actions?lang=en").text
    assert "Psykologin arvio" in page and "Pyydä B-lausunto" not in page


def complete(client, auth, item, note="Haettu 3.12."):
    return client.post(f"/actions/{item.id}/complete",
                       data={"csrf_token": auth.csrf("/actions"), "note": note})


def test_completing_action_items(client, auth, discussed):
    auth.login(discussed.colleague)
    # A colleague sees the organisation's item but the case's referrer completes it.
    assert "Työkokeilupaikka" in client.get("/actions?lang=en").text
    assert complete(client, auth, discussed.organisation_item).status_code == 303
    assert db.session.get(ActionItem, discussed.organisation_item.id).state == "open"
    assert complete(client, auth, discussed.late).status_code == 303  # not theirs
    assert db.session.get(ActionItem, discussed.late.id).state == "open"
    auth.logout()
    auth.login(discussed.theirs.referrer)
    assert complete(client, auth, discussed.late).status_code == 404  # out of scope
    auth.logout()
    auth.login(discussed.ours.referrer)
    complete(client, auth, discussed.organisation_item, note="Paikka löytyi")
    complete(client, auth, discussed.late)
    done = db.session.get(ActionItem, discussed.organisation_item.id)
    assert (done.state, done.completion_note, done.completed_by_id) == (
        "done", "Paikka löytyi", discussed.ours.referrer_id)
    page = client.get("/actions?show=done&lang=en").text
    assert "Paikka löytyi" in page and "Pyydä B-lausunto" in page
    assert complete(client, auth, discussed.late).status_code == 303  # already done
    assert db.session.get(ActionItem, discussed.late.id).completion_note == "Haettu 3.12."


def follow_up(client, auth, request, **changes):
    data = {"csrf_token": auth.csrf(f"/requests/{request.id}"), "path_taken": "rehabilitation",
            "situation": "Selvitys alkoi tammikuussa.", "kykyviisari_score": "6",
            "meeting_needed": "yes", "plan_changed": "partly"}
    data.update(changes)
    return client.post(f"/requests/{request.id}/follow-up?lang=en", data=data)


def test_the_follow_up_closes_the_case(client, auth, discussed):
    auth.login(discussed.ours.referrer)
    assert client.get(f"/requests/{discussed.ours.id}/follow-up").status_code == 200
    page = follow_up(client, auth, discussed.ours, situation="", kykyviisari_score="11")
    assert page.status_code == 422
    assert "Describe the client's situation now." in page.text
    assert "The work ability score is from 0 to 10." in page.text
    assert follow_up(client, auth, discussed.ours).status_code == 303
    request = db.session.get(type(discussed.ours), discussed.ours.id)
    record = db.session.scalar(select(FollowUp).where(FollowUp.request_id == request.id))
    assert request.state == "closed"
    assert (record.path_taken, record.kykyviisari_score, record.meeting_needed,
            record.plan_changed) == ("rehabilitation", 6, True, "partly")
    assert "Selvitys alkoi tammikuussa." in client.get(
        f"/requests/{request.id}/follow-up?lang=en").text


def test_a_follow_up_is_refused_before_the_case_is_discussed(client, auth, app):
    team = factories.create_team(coordinators=[factories.create_user("coordinator")])
    request = factories.create_submitted_request(team=team)
    db.session.commit()
    auth.login(request.referrer)
    page = follow_up(client, auth, request)
    assert page.status_code == 422
    assert db.session.get(type(request), request.id).state == "submitted"
    assert db.session.scalar(select(FollowUp)) is None


def test_only_the_case_manager_records_the_follow_up(client, auth, discussed):
    auth.login(discussed.colleague)
    assert follow_up(client, auth, discussed.ours).status_code == 404
    assert db.session.get(type(discussed.ours), discussed.ours.id).state == "discussed"


def test_the_request_list_narrows_to_the_cases_i_manage(client, auth, app):
    team = factories.create_team(coordinators=[factories.create_user("coordinator")])
    mine = factories.create_submitted_request(team=team)
    colleague = factories.create_user("referrer", organisation=mine.referrer.organisation)
    theirs = factories.create_submitted_request(team=team, referrer=colleague)
    db.session.commit()
    auth.login(mine.referrer)
    everything = client.get("/requests").text
    assert f"/requests/{mine.id}\"" in everything and f"/requests/{theirs.id}\"" in everything
    narrowed = client.get("/requests?mine=1&state=submitted").text
    assert f"/requests/{mine.id}\"" in narrowed and f"/requests/{theirs.id}\"" not in narrowed

"""The message thread on a request: between the case's referrer and the coordinator or
physician, plain text, newest last, the other side notified."""
from __future__ import annotations

from sqlalchemy import select

from consult.audit.models import AuditEvent
from consult.consultations.models import Notification, RequestMessage
from consult.extensions import db
from tests import factories


def team_case():
    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    request = factories.create_submitted_request(team=team)
    db.session.commit()
    return request, coordinator


def post(client, auth, request, body, **headers):
    return client.post(f"/requests/{request.id}/messages?lang=en",
                       data={"csrf_token": auth.csrf(), "body": body}, headers=headers)


def notifications_of(user):
    return db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.kind == "message")).all()


def test_referrer_writes_and_the_coordinator_is_notified(client, auth):
    request, coordinator = team_case()
    auth.login(request.referrer)
    response = post(client, auth, request, "Asiakas toivoo etätapaamista.")
    assert response.status_code == 302 and response.location.endswith("#messages")
    message = db.session.scalar(select(RequestMessage))
    assert (message.author_id, message.body) == (request.referrer_id,
                                                 "Asiakas toivoo etätapaamista.")
    assert [(n.kind, n.request_id) for n in notifications_of(coordinator)] == [
        ("message", request.id)]
    audit = db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "request_message")).one()
    assert (audit.action, audit.client_id, audit.purpose) == ("create", request.client_id,
                                                              "message")


def test_the_thread_reads_newest_last_for_both_sides(client, auth):
    request, coordinator = team_case()
    auth.login(request.referrer)
    post(client, auth, request, "Ensimmäinen viesti")
    auth.logout()
    auth.login(coordinator)
    post(client, auth, request, "Toinen viesti")
    page = client.get(f"/requests/{request.id}").text
    assert page.index("Ensimmäinen viesti") < page.index("Toinen viesti")
    assert [n.kind for n in notifications_of(request.referrer)] == ["message"]


def test_an_empty_message_is_refused_at_the_field(client, auth):
    request, _ = team_case()
    auth.login(request.referrer)
    response = post(client, auth, request, "   ")
    assert response.status_code == 422 and 'id="body-error"' in response.text
    assert db.session.scalar(select(RequestMessage)) is None


def test_htmx_gets_only_the_thread_back(client, auth):
    request, _ = team_case()
    auth.login(request.referrer)
    response = post(client, auth, request, "Lyhyt kysymys", **{"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section aria-labelledby="messages-heading"')
    assert "Lyhyt kysymys" in response.text and "<html" not in response.text
    assert len(response.data) < 10_000  # SPEC §10: an htmx fragment under 10 KB


def test_a_draft_has_no_thread_yet(client, auth):
    referrer = factories.create_user("referrer")
    team = factories.create_team(coordinators=[factories.create_user("coordinator")])
    request = factories.create_request(team=team, referrer=referrer)
    db.session.commit()
    auth.login(referrer)
    assert 'id="messages"' not in client.get(f"/requests/{request.id}").text
    response = post(client, auth, request, "Hei")
    assert response.status_code == 302
    assert "cannot write in this request" in client.get(response.location).text
    assert db.session.scalar(select(RequestMessage)) is None


def test_a_colleague_who_is_not_the_case_manager_cannot_write(client, auth):
    request, _ = team_case()
    colleague = factories.create_user("referrer", organisation=request.referrer.organisation)
    db.session.commit()
    auth.login(colleague)
    response = post(client, auth, request, "Hei")
    assert response.status_code == 302
    assert db.session.scalar(select(RequestMessage)) is None


def test_the_physician_and_the_referrer_talk_on_a_physician_request(client, auth):
    physician = factories.create_user("physician")
    request = factories.create_submitted_request(physician=physician)
    db.session.commit()
    auth.login(physician)
    post(client, auth, request, "Soitan torstaina.")
    assert [n.kind for n in notifications_of(request.referrer)] == ["message"]

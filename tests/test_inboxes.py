"""The physician's inbox (`/physician/inbox`): the non-draft requests addressed to
the physician, urgent first, then oldest first, filtered by state; request numbers
and referrers, never client names; one audit event per request listed."""
from __future__ import annotations

import re

import time_machine
from sqlalchemy import select

from consult.audit.models import AuditEvent
from consult.consultations import services
from consult.extensions import db
from tests import factories


def listed(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'href="/requests/(\d+)"', page)]


def reads(counter) -> int:
    """Statements other than the audit rows' INSERTs, which follow the rows listed."""
    return sum(1 for s in counter.statements if not s.lstrip().upper().startswith("INSERT"))


def test_physician_inbox_lists_urgent_first_then_oldest_first(client, auth):
    physician = factories.create_user("physician")
    with time_machine.travel("2026-11-02 08:00", tick=False):
        oldest = factories.create_submitted_request(physician=physician)
    with time_machine.travel("2026-11-03 08:00", tick=False):
        newer = factories.create_submitted_request(physician=physician)
    with time_machine.travel("2026-11-04 08:00", tick=False):
        urgent = factories.create_submitted_request(physician=physician, urgent=True)
    db.session.commit()
    auth.login(physician)
    assert listed(client.get("/physician/inbox").text) == [urgent.id, oldest.id, newer.id]


def test_physician_inbox_shows_the_way_of_consulting_and_the_referrer_but_no_client_name(
        client, auth):
    physician = factories.create_user("physician")
    referrer = factories.create_user("referrer", name="Riikka Lähettäjä")
    client_record = factories.create_client(by=referrer, last_name="Salainen",
                                            first_names="Sanna")
    factories.create_submitted_request(physician=physician, referrer=referrer,
                                       client=client_record, mode="phone")
    db.session.commit()
    auth.login(physician)
    page = client.get("/physician/inbox?lang=en").text
    assert "Physician appointment by phone" in page
    assert "Riikka Lähettäjä" in page and referrer.organisation.name in page
    assert "Salainen" not in page and "Sanna" not in page


def test_physician_inbox_filters_by_state(client, auth):
    physician = factories.create_user("physician")
    waiting = factories.create_submitted_request(physician=physician, mode="written_statement")
    accepted = factories.create_submitted_request(physician=physician, mode="written_statement")
    services.perform(accepted, "accept", physician)
    db.session.commit()
    auth.login(physician)
    assert listed(client.get("/physician/inbox").text) == [waiting.id]
    assert listed(client.get("/physician/inbox?state=accepted").text) == [accepted.id]


def test_an_unknown_state_shows_the_submitted_requests(client, auth):
    physician = factories.create_user("physician")
    waiting = factories.create_submitted_request(physician=physician)
    db.session.commit()
    auth.login(physician)
    assert listed(client.get("/physician/inbox?state=closed").text) == [waiting.id]


def test_physician_inbox_lists_only_requests_addressed_to_that_physician(client, auth):
    physician = factories.create_user("physician")
    mine = factories.create_submitted_request(physician=physician)
    other = factories.create_submitted_request(physician=factories.create_user("physician"))
    team = factories.create_team(coordinators=[factories.create_user("coordinator")],
                                 physician=physician)
    to_my_team = factories.create_submitted_request(team=team)
    db.session.commit()
    auth.login(physician)
    shown = listed(client.get("/physician/inbox").text)
    assert shown == [mine.id]
    assert other.id not in shown and to_my_team.id not in shown


def test_physician_inbox_never_shows_a_draft(client, auth):
    physician = factories.create_user("physician")
    factories.create_request(physician=physician)
    db.session.commit()
    auth.login(physician)
    for state in ("", "submitted", "draft", "returned", "accepted", "scheduled"):
        page = client.get(f"/physician/inbox?state={state}").text
        assert listed(page) == []


def test_physician_inbox_writes_one_list_event_per_request_shown(client, auth):
    physician = factories.create_user("physician")
    requests = [factories.create_submitted_request(physician=physician) for _ in range(3)]
    factories.create_request(physician=physician)  # a draft, not listed
    db.session.commit()
    auth.login(physician)
    client.get("/physician/inbox")
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "list", AuditEvent.user_id == physician.id)).all()
    assert sorted((e.object_type, e.object_id, e.client_id) for e in events) == sorted(
        ("consultation_request", r.id, r.client_id) for r in requests)


def test_users_without_the_physician_role_get_403_and_see_no_requests(client, auth):
    physician = factories.create_user("physician")
    request = factories.create_submitted_request(physician=physician)
    db.session.commit()
    for roles in (("referrer",), ("coordinator", "member", "manager", "admin")):
        user = request.referrer if roles == ("referrer",) else factories.create_user(*roles)
        db.session.commit()
        auth.login(user)
        response = client.get("/physician/inbox")
        assert response.status_code == 403
        assert f"/requests/{request.id}" not in response.text
        auth.logout()


def test_physician_inbox_reads_as_many_statements_for_one_request_as_for_many(
        client, auth, count_queries):
    physician = factories.create_user("physician")
    factories.create_submitted_request(physician=physician)
    db.session.commit()
    auth.login(physician)
    client.get("/physician/inbox")
    with count_queries() as one:
        client.get("/physician/inbox")
    for _ in range(6):  # each from another referrer of another organisation
        factories.create_submitted_request(physician=physician)
    db.session.commit()
    with count_queries() as many:
        page = client.get("/physician/inbox").text
    assert len(listed(page)) == 7
    assert reads(many) == reads(one)


def test_team_inbox_reads_referrers_in_the_same_statement_as_the_requests(
        client, auth, count_queries):
    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    factories.create_submitted_request(team=team)
    db.session.commit()
    url = f"/teams/{team.id}/inbox"
    auth.login(coordinator)
    client.get(url)
    with count_queries() as one:
        client.get(url)
    for _ in range(5):
        factories.create_submitted_request(team=team)
    db.session.commit()
    with count_queries() as many:
        page = client.get(url).text
    assert len(listed(page)) == 6
    assert reads(many) == reads(one)

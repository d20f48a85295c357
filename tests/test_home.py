"""My work (`/`): real counts for each role the user has, each linking to where the
work is, in a fixed number of statements whatever the amount of data."""
from __future__ import annotations

import re

from consult.consultations import services
from consult.extensions import db
from tests import factories


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def test_referrer_sees_their_own_requests_counted_by_state_with_links(client, auth):
    referrer = factories.create_user("referrer")
    team = factories.create_team(coordinators=[factories.create_user("coordinator")])
    factories.create_request(team=team, referrer=referrer)
    for _ in range(2):
        factories.create_submitted_request(team=team, referrer=referrer)
    withdrawn = factories.create_submitted_request(team=team, referrer=referrer)
    services.perform(withdrawn, "withdraw", referrer)
    colleague = factories.create_user("referrer", organisation=referrer.organisation)
    factories.create_submitted_request(team=team, referrer=colleague)
    db.session.commit()
    auth.login(referrer)
    page = client.get("/?lang=en").text
    assert '<a href="/requests?state=draft&amp;mine=1">Draft</a>: 1' in page
    assert '<a href="/requests?state=submitted&amp;mine=1">Submitted</a>: 2' in page
    assert '<a href="/requests?state=withdrawn&amp;mine=1">Withdrawn</a>: 1' in page
    assert "state=accepted" not in page
    assert "You have no consultation requests yet" not in page


def test_referrer_without_requests_keeps_the_empty_state(client, auth):
    referrer = factories.create_user("referrer")
    db.session.commit()
    auth.login(referrer)
    page = client.get("/?lang=en").text
    assert "You have no consultation requests yet" in page
    assert "/requests?state=" not in page


def test_coordinator_sees_new_and_urgent_requests_of_each_coordinated_team(client, auth):
    coordinator = factories.create_user("coordinator", "member")
    busy = factories.create_team(name="Tiimi A", coordinators=[coordinator])
    quiet = factories.create_team(name="Tiimi B", coordinators=[coordinator])
    not_mine = factories.create_team(name="Tiimi C", members=[coordinator])
    for urgent in (True, False, False):
        factories.create_submitted_request(team=busy, urgent=urgent)
    accepted = factories.create_submitted_request(team=quiet)
    services.perform(accepted, "accept", coordinator)
    factories.create_request(team=quiet)  # a draft
    factories.create_submitted_request(team=not_mine)
    db.session.commit()
    auth.login(coordinator)
    page = client.get("/?lang=en").text
    section = text_of(page.split('id="coordinator-heading"')[1].split("</section>")[0])
    assert "Tiimi A: 3 new requests 1 urgent" in section
    assert "Tiimi B" not in section and "Tiimi C" not in section
    assert f'href="/teams/{busy.id}/inbox">Tiimi A</a>' in page


def test_coordinator_without_new_requests_keeps_the_empty_state(client, auth):
    coordinator = factories.create_user("coordinator")
    factories.create_team(coordinators=[coordinator])
    db.session.commit()
    auth.login(coordinator)
    assert "No new requests are waiting for your team" in client.get("/?lang=en").text


def test_physician_sees_the_new_requests_addressed_to_them(client, auth):
    physician = factories.create_user("physician")
    for _ in range(2):
        factories.create_submitted_request(physician=physician)
    factories.create_request(physician=physician)  # a draft
    factories.create_submitted_request(physician=factories.create_user("physician"))
    db.session.commit()
    auth.login(physician)
    page = client.get("/?lang=en").text
    assert '<a href="/physician/inbox">Physician inbox</a>: 2 new requests' in page


def test_everyone_sees_their_unread_notifications_with_a_link(client, auth):
    manager = factories.create_user("manager")
    for read in (False, False, True):
        factories.create_notification(manager, kind="message", read=read)
    db.session.commit()
    auth.login(manager)
    page = client.get("/?lang=en").text
    assert '<a href="/notifications">Unread notifications</a>: 2' in page


def test_my_work_stays_within_the_statement_budget_with_every_role_and_much_data(
        client, auth, count_queries):
    user = factories.create_user("referrer", "coordinator", "member", "physician", "manager",
                                 "admin")
    teams = [factories.create_team(coordinators=[user]) for _ in range(3)]
    factories.create_team(members=[user], physician=user)

    def fill():
        for team in teams:
            factories.create_submitted_request(team=team, referrer=user, urgent=True)
            factories.create_request(team=team, referrer=user)
        factories.create_submitted_request(physician=user)
        factories.create_notification(user, kind="message")
        db.session.commit()

    fill()
    auth.login(user)
    client.get("/")
    with count_queries() as few:
        client.get("/")
    for _ in range(4):
        fill()
    with count_queries() as many:
        page = client.get("/?lang=en").text
    assert "3 new requests" not in page and "5 new requests" in page
    assert many.count == few.count <= 12, "\n".join(many.statements)

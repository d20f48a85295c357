"""Out of scope is invisible (issue 11), as a hostile user sees it.

tests/test_routes.py shows for every route that the owner gets 200, an outsider with the
role 404 and a wrong role 403. This file looks from the other side, at what people
actually see: the demo world plus a second team in another organisation, and every
page a person can open — every list page, the client search, and for referrers and
the second team's people every page of every meeting, request, client, protocol and
agenda item id in the database. No page shows a client outside the person's scope:
neither their last name nor their identity code. The manager and the administrator
see no client at all."""
from __future__ import annotations

import re

import pytest
from flask import url_for
from sqlalchemy import select

from consult.accounts.models import User
from consult.clients.models import Client
from consult.demo import DEMO_PASSWORD
from consult.extensions import db
from consult.meetings.models import AgendaItem, Meeting
from consult.protocols.models import Protocol
from consult.consultations.models import ConsultationRequest
from tests import factories
from tests.conftest import csrf_from

pytestmark = pytest.mark.long  # every page for every person: tens of seconds

# The tables whose ids the crawl tries, by the name routes give the id.
ID_TABLES = {"meeting_id": Meeting, "request_id": ConsultationRequest, "client_id": Client,
             "protocol_id": Protocol, "item_id": AgendaItem}
# Query strings of list pages that change what they list.
LIST_VARIANTS = {
    "consultations.requests_list": ["", "?state=draft", "?state=submitted", "?state=accepted",
                                    "?state=scheduled", "?state=discussed", "?state=closed",
                                    "?mine=1"],
    "physician.inbox": ["", "?kind=all"],
    "actions.list": ["", "?show=done"],
}


def other_world() -> dict:
    """A second team hosted by another organisation, with its own referrer, a case on
    a sent agenda and a case addressed to its own physician. Its client is Salainen."""
    from consult.consultations import services
    from consult.meetings import agenda

    coordinator, member = factories.create_user("coordinator"), factories.create_user("member")
    physician = factories.create_user("physician")
    team = factories.create_team(coordinators=[coordinator], members=[member])
    referrer = factories.create_user("referrer")
    client = factories.create_client(by=referrer, last_name="Salainen", first_names="Sirkka")
    request = factories.create_submitted_request(team=team, referrer=referrer, client=client)
    services.perform(request, "accept", coordinator)
    meeting = factories.create_meeting(team)
    agenda.add_item(meeting, request, by=coordinator)
    agenda.send_agenda(meeting, by=coordinator)
    factories.create_submitted_request(physician=physician, referrer=referrer, client=client)
    db.session.commit()
    return {"team": team, "client": client, "coordinator": coordinator, "member": member,
            "physician": physician, "referrer": referrer}


def markers(clients) -> dict[str, re.Pattern]:
    """For each client, what would betray them on a page: the last name as a word, the
    identity code."""
    return {f"{c.last_name} (client {c.id})": re.compile(
        rf"\b{re.escape(c.last_name)}\b|{re.escape(c.identity_code)}") for c in clients}


def visible_clients(user: User, other: dict) -> set[int]:
    """The clients in the user's scope (SPEC §2), worked out here from the data, not
    by the app's own scope queries: referrers see their organisation's clients; the
    people of a team the clients of requests addressed to it; a physician the clients
    of requests addressed to them."""
    requests = db.session.scalars(select(ConsultationRequest)).all()
    team_ids = {m.team_id for m in user.memberships} | {
        t.id for t in _teams_of_physician(user)}
    seen = set()
    for request in requests:
        if "referrer" in user.roles and request.client.organisation_id == user.organisation_id:
            seen.add(request.client_id)
        if request.target_team_id in team_ids or request.target_physician_id == user.id:
            seen.add(request.client_id)
    if "referrer" in user.roles:
        seen |= set(db.session.scalars(select(Client.id).where(
            Client.organisation_id == user.organisation_id)))
    return seen


def _teams_of_physician(user: User):
    from consult.organisations.models import Team

    return db.session.scalars(select(Team).where(Team.physician_id == user.id)).all()


def browser_for(app, user: User, password: str):
    from tests.conftest import Auth

    client = app.test_client()
    response = Auth(client).login(user.email, password=password)
    assert response.status_code in (302, 303), f"{user.email} could not log in"
    return client


def list_urls(app) -> list[str]:
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.arguments or "GET" not in rule.methods or rule.endpoint in (
                    "static", "accounts.logout", "outbox.development"):
                continue
            base = url_for(rule.endpoint)
            urls += [base + variant for variant in LIST_VARIANTS.get(rule.endpoint, [""])]
    return urls


def id_urls(app) -> list[str]:
    """Every GET page whose only argument is an id of ID_TABLES, for every such id."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or len(rule.arguments) != 1:
                continue
            (name,) = rule.arguments
            if name not in ID_TABLES:
                continue
            for ident in db.session.scalars(select(ID_TABLES[name].id)):
                urls.append(url_for(rule.endpoint, **{name: ident}))
    return urls


def team_item_urls(app) -> list[str]:
    """The pages of an agenda item within its meeting (two ids)."""
    urls = []
    with app.test_request_context():
        rules = [r for r in app.url_map.iter_rules()
                 if "GET" in r.methods and r.arguments == {"meeting_id", "item_id"}]
        for item in db.session.scalars(select(AgendaItem)):
            urls += [url_for(r.endpoint, meeting_id=item.meeting_id, item_id=item.id)
                     for r in rules]
        urls += [url_for("meetings.run", meeting_id=item.meeting_id, item=item.id)
                 for item in db.session.scalars(select(AgendaItem))]
    return urls


def leaks(browser, urls, hidden: dict[str, re.Pattern]) -> list[str]:
    found = []
    for url in urls:
        response = browser.get(url)
        assert response.status_code < 500, f"{url} answered {response.status_code}"
        if response.status_code != 200 or not _is_text(response):
            continue
        text = response.get_data(as_text=True)
        found += [f"{url}: {who}" for who, pattern in hidden.items() if pattern.search(text)]
    return found


def _is_text(response) -> bool:
    kind = response.content_type or ""
    return kind.startswith("text/") or "json" in kind


def search_leaks(browser, hidden_clients) -> list[str]:
    """The client register's search, for each hidden client's name and code."""
    found = []
    page = browser.get("/clients")
    if page.status_code != 200:
        return found
    token = csrf_from(page.text)
    for client in hidden_clients:
        # The page repeats what was searched for; a match shows the other half too.
        name, code = re.escape(client.last_name), re.escape(client.identity_code)
        for query, betrays in ((client.last_name, code), (client.identity_code, rf"\b{name}\b"),
                               (client.first_names, rf"\b{name}\b|{code}")):
            response = browser.post("/clients", data={"q": query, "csrf_token": token})
            assert response.status_code < 500
            if re.search(betrays, response.get_data(as_text=True)):
                found.append(f"search {query!r} shows client {client.id}")
    return found


@pytest.fixture
def worlds(app, demo_world):
    other = other_world()
    demo_users = db.session.scalars(select(User).where(User.email.like("%@example.fi"))
                                    .where(User.email.not_like("user%"))).all()
    return demo_users, other


def test_no_list_page_or_search_shows_a_client_out_of_scope(app, worlds):
    demo_users, other = worlds
    everyone = [(user, DEMO_PASSWORD) for user in demo_users] + [
        (other[role], factories.PASSWORD) for role in ("coordinator", "member", "physician",
                                                       "referrer")]
    clients = db.session.scalars(select(Client)).all()
    urls = list_urls(app)
    found = []
    checked = 0
    for user, password in everyone:
        scope = visible_clients(user, other)
        hidden = [c for c in clients if c.id not in scope]
        browser = browser_for(app, user, password)
        found += [f"{user.email} {leak}" for leak in leaks(browser, urls, markers(hidden))]
        found += [f"{user.email} {leak}" for leak in search_leaks(browser, hidden)]
        checked += len(hidden)
    assert checked, "every user has clients outside their scope to look for"
    assert not found, "\n".join(found)
    # The same checks find a client where they belong: the referrer's own.
    referrer = other["referrer"]
    browser = browser_for(app, referrer, factories.PASSWORD)
    assert leaks(browser, ["/clients"], markers([other["client"]]))
    assert search_leaks(browser, [other["client"]])


def test_the_manager_and_the_administrator_see_no_client_anywhere(app, worlds):
    demo_users, _other = worlds
    clients = db.session.scalars(select(Client)).all()
    urls = list_urls(app) + id_urls(app)
    for user in demo_users:
        if set(user.roles) & {"manager", "admin"}:
            browser = browser_for(app, user, DEMO_PASSWORD)
            assert not leaks(browser, urls, markers(clients)), user.email


def test_referrers_and_another_team_find_no_client_out_of_scope_behind_any_id(app, worlds):
    """The hostile user of another organisation walks every id: meetings (their
    agenda, protocol, calendar file), requests, clients, protocols, agenda items."""
    demo_users, other = worlds
    people = [(u, DEMO_PASSWORD) for u in demo_users if u.roles == {"referrer"}] + [
        (other[role], factories.PASSWORD) for role in ("referrer", "coordinator", "member")]
    clients = db.session.scalars(select(Client)).all()
    urls = id_urls(app) + team_item_urls(app)
    assert len(urls) > 100
    found = []
    for user, password in people:
        scope = visible_clients(user, other)
        hidden = markers(c for c in clients if c.id not in scope)
        assert hidden
        browser = browser_for(app, user, password)
        found += [f"{user.email} {leak}" for leak in leaks(browser, urls, hidden)]
    assert not found, "\n".join(found)

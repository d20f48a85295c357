"""SPEC §10: at most 12 SQL statements per page, independent of data size."""
from __future__ import annotations

import re

import pytest

from consult.extensions import db
from tests import factories
from tests.test_routes import GETS, build, path

BUDGET = 12


@pytest.mark.parametrize("endpoint", [e for e, _ in GETS])
def test_every_page_stays_within_the_statement_budget_with_more_data(
        app, demo_world, client, auth, count_queries, endpoint):
    world = build(endpoint)  # beside the demo world
    for _ in range(12):  # more rows must not mean more statements
        team = factories.create_team(members=[factories.create_user("member")],
                                     coordinators=[factories.create_user("coordinator")])
        factories.create_user("referrer", organisation=team.host_organisation)
    db.session.commit()
    auth.login(world.owner)
    url = path(app, endpoint, world.values)
    client.get(url)  # a first visit may touch the session row
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    assert counter.count <= BUDGET, "\n".join(counter.statements)


def _statements(client, url, count_queries) -> int:
    client.get(url)
    with count_queries() as counter:
        assert client.get(url).status_code == 200
    return counter.count


def test_list_pages_write_their_audit_rows_in_one_statement_whatever_the_length(
        client, auth, count_queries):
    """One audit event per client shown, but not one statement per row."""
    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    referrer = factories.create_user("referrer")
    factories.create_submitted_request(team=team, referrer=referrer)
    db.session.commit()
    pages = {referrer: ["/requests", "/clients"], coordinator: [f"/teams/{team.id}/inbox"]}
    before = {}
    for user, urls in pages.items():
        auth.login(user)
        before.update({url: _statements(client, url, count_queries) for url in urls})
        auth.logout()
    for _ in range(15):
        factories.create_submitted_request(team=team, referrer=referrer)
    db.session.commit()
    for user, urls in pages.items():
        auth.login(user)
        for url in urls:
            assert _statements(client, url, count_queries) == before[url], url
        auth.logout()


def test_a_refused_page_loads_its_user_once_after_recording_the_refusal(
        app, client, auth, count_queries):
    """access.deny writes the refusal with the user the request has loaded, before
    its rollback; after the commit, the login session, its user and roles come back
    in one statement, not the user and then the session row."""
    user = factories.create_user("referrer")
    db.session.commit()
    auth.login(user)
    client.get("/")
    for url, status in (("/requests/999999", 404), ("/admin/", 403)):
        with count_queries() as counter:
            assert client.get(url).status_code == status
        statements = [" ".join(s.split()) for s in counter.statements]
        recorded = next(i for i, s in enumerate(statements)
                        if s.startswith("INSERT INTO audit_event"))
        assert not [s for s in statements if re.search(r'WHERE "?user"?\.id = ', s)], url
        assert sum("FROM login_session" in s for s in statements[recorded:]) == 1, url
        assert len(statements) <= 6, "\n".join(statements)

"""SPEC §10: at most 12 SQL statements per page, independent of data size."""
from __future__ import annotations

import pytest

from consult.demo import seed
from consult.extensions import db
from tests import factories
from tests.test_routes import GETS, build, path

BUDGET = 12


@pytest.mark.parametrize("endpoint", [e for e, _ in GETS])
def test_every_page_stays_within_the_statement_budget_with_more_data(
        app, client, auth, count_queries, endpoint):
    world = build(endpoint)
    seed()
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

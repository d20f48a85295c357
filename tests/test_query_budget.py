"""SPEC §10: at most 12 SQL statements per page, independent of data size."""
from __future__ import annotations

import re

import pytest

from consult.extensions import db
from tests import factories, large_worlds
from tests.conftest import empty_all_tables, load_demo_world
from tests.route_registry import BUILDERS
from tests.test_routes import GETS, build, path

BUDGET = 12


# Each page as its route's owner sees it; My work also as each other role, and as one
# person of every role.
ROLES = ("coordinator", "member", "physician", "manager", "admin")
PAGES = [pytest.param(endpoint, (), id=endpoint) for endpoint, _ in GETS] + [
    pytest.param("home.my_work", roles, id=f"home.my_work[{'+'.join(roles)}]")
    for roles in [(role,) for role in ROLES] + [("referrer", *ROLES)]]


# Long: building the worlds takes several seconds, and its tests should then run
# together, on one worker, early in the pass.
@pytest.mark.long
class TestEveryPageOfALargeWorld:
    """Every page within the budget with long lists of whatever it shows
    (tests/large_worlds.py), beside the demo world.

    The class's tests share one database: the worlds of every page are built and made
    large once, and each test only logs in and reads its page twice. (Building a
    large world for each test cost several times what the whole file costs now.)"""

    @pytest.fixture(scope="class")
    @classmethod
    def app(cls, worker_app):
        """The application context and database of the whole class, emptied at its
        end (instead of after each test)."""
        config = dict(worker_app.config)
        with worker_app.app_context():
            try:
                yield worker_app
            finally:
                db.session.remove()
                empty_all_tables()
                db.session.remove()
        worker_app.config.clear()
        worker_app.config.update(config)

    @pytest.fixture(scope="class")
    @classmethod
    def pages(cls, app) -> dict[tuple[str, tuple], tuple[str, str]]:
        """(endpoint, roles) → (the owner's e-mail, the page's address)."""
        load_demo_world()
        grower = large_worlds.Grower()
        worlds, found, owners = {}, {}, set()
        for endpoint, _ in GETS:
            builder = BUILDERS[endpoint]
            if builder not in worlds:  # pages of one builder share its world
                worlds[builder] = build(endpoint)
            large_worlds.grow(grower, worlds[builder], endpoint)
            world, owner = worlds[builder], worlds[builder].owner
            if owner.totp_secret and owner.email in owners:
                # A second factor's code logs in once (a third login within its 30
                # seconds has none left): another owner of the same roles.
                owner = factories.create_user(*owner.roles, organisation=owner.organisation)
            owners.add(owner.email)
            found[endpoint, ()] = owner.email, path(app, endpoint, world.values)
        for roles in [(role,) for role in ROLES] + [("referrer", *ROLES)]:
            user = large_worlds.busy_user(grower, *roles)
            found["home.my_work", roles] = user.email, path(app, "home.my_work", {})
        for _ in range(12):  # more teams and people than any page shows
            team = factories.create_team(members=[factories.create_user("member")],
                                         coordinators=[factories.create_user("coordinator")])
            factories.create_user("referrer", organisation=team.host_organisation)
        large_worlds.outbox()
        db.session.commit()
        return found

    @pytest.mark.parametrize("endpoint,roles", PAGES)
    def test_every_page_stays_within_the_statement_budget_however_long_its_lists(
            self, pages, client, auth, count_queries, endpoint, roles):
        email, url = pages[endpoint, roles]
        auth.login(email)
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

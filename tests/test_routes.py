"""The access rule of SPEC §2, checked for every route in app.url_map.

anonymous → login; owner → 200 (or a redirect after a valid POST); outsider → 404;
wrong role → 403 whatever the id; POST without CSRF while logged in → refused, no row
changed. Refusals leave an audit event."""
from __future__ import annotations

import pytest
from flask import url_for
from sqlalchemy import func, select

from consult.audit.models import AuditEvent
from consult.extensions import db
from tests.conftest import make_app
from tests.route_registry import BUILDERS, PUBLIC

_APP = make_app("sqlite://")
RULES = [
    (rule.endpoint, method)
    for rule in _APP.url_map.iter_rules()
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
]
PROTECTED = sorted({(e, m) for e, m in RULES if e not in PUBLIC})
GETS = [(e, m) for e, m in PROTECTED if m == "GET"]
POSTS = [(e, m) for e, m in PROTECTED if m == "POST"]


def build(endpoint):
    world = BUILDERS[endpoint]()
    db.session.commit()
    return world


def path(app, endpoint, values):
    with app.test_request_context():
        return url_for(endpoint, **values)


def denied_events() -> int:
    return db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.outcome == "denied"))


def snapshot() -> dict:
    """Every row of every table, to show that a refused request changed nothing."""
    return {
        table.name: sorted(map(tuple, db.session.execute(table.select()).all()), key=repr)
        for table in db.metadata.sorted_tables
    }


def send(client, method, url, data=None):
    return client.open(url, method=method, data=data or {})


def test_every_route_has_a_builder_and_public_routes_are_exactly_listed():
    endpoints = {endpoint for endpoint, _ in RULES}
    missing = sorted(endpoints - PUBLIC - set(BUILDERS))
    assert not missing, f"routes without a builder in tests/route_registry.py: {missing}"
    stale = sorted(set(BUILDERS) - endpoints)
    assert not stale, f"builders for routes that no longer exist: {stale}"
    assert PUBLIC <= endpoints


@pytest.mark.parametrize("endpoint,method", PROTECTED)
def test_anonymous_user_is_sent_to_login(app, client, auth, endpoint, method):
    world = build(endpoint)
    url = path(app, endpoint, world.values)
    data = {"csrf_token": auth.csrf("/login")} if method == "POST" else None
    response = send(client, method, url, data)
    assert response.status_code == 302, f"{method} {url} answered an anonymous user"
    assert response.location.startswith("/login?next=")


@pytest.mark.parametrize("endpoint,method", GETS)
def test_owner_gets_the_page(app, client, auth, endpoint, method):
    world = build(endpoint)
    auth.login(world.owner)
    response = client.get(path(app, endpoint, world.values))
    assert response.status_code == 200


@pytest.mark.parametrize("endpoint,method", POSTS)
def test_owner_can_post_valid_data(app, client, auth, endpoint, method):
    world = build(endpoint)
    auth.login(world.owner)
    data = dict(world.form, csrf_token=auth.csrf())
    response = client.post(path(app, endpoint, world.values), data=data)
    assert response.status_code in (200, 204, 302, 303), response.text[:500]
    if response.status_code == 200:
        assert 'aria-invalid="true"' not in response.text


@pytest.mark.parametrize("endpoint,method", PROTECTED)
def test_outsider_with_the_role_gets_404_and_an_audit_event(app, client, auth, endpoint, method):
    world = build(endpoint)
    if world.outsider is None:
        # Only objects that are deployment-wide for the role may lack an outsider,
        # and only with a reason; routes without an id have no object at all.
        assert world.why_no_outsider or not world.values, endpoint
        return
    auth.login(world.outsider)
    before = denied_events()
    data = dict(world.form, csrf_token=auth.csrf()) if method == "POST" else None
    response = send(client, method, path(app, endpoint, world.values), data)
    assert response.status_code == 404
    assert denied_events() == before + 1


@pytest.mark.parametrize("endpoint,method", PROTECTED)
def test_user_without_the_pages_role_gets_403_whatever_the_id(app, client, auth, endpoint, method):
    world = build(endpoint)
    if world.wrong_role is None:
        return  # every role may use this page
    auth.login(world.wrong_role)
    for values in filter(None, [world.values or {}, world.missing_values]):
        before = denied_events()
        data = dict(world.form, csrf_token=auth.csrf()) if method == "POST" else None
        response = send(client, method, path(app, endpoint, values), data)
        assert response.status_code == 403, values
        assert denied_events() == before + 1
    if not world.values:
        before = denied_events()
        data = {"csrf_token": auth.csrf()} if method == "POST" else None
        assert send(client, method, path(app, endpoint, {}), data).status_code == 403
        assert denied_events() == before + 1


@pytest.mark.parametrize("endpoint,method", POSTS)
def test_post_without_csrf_token_is_refused_and_changes_nothing(app, client, auth, endpoint, method):
    world = build(endpoint)
    auth.login(world.owner)
    before = snapshot()
    response = client.post(path(app, endpoint, world.values), data=world.form)
    assert response.status_code == 400
    assert snapshot() == before


def test_missing_id_answers_404_like_an_object_out_of_scope(app, client, auth):
    world = build("admin.organisation_edit")
    auth.login(world.owner)
    before = denied_events()
    assert client.get("/admin/organisations/999999").status_code == 404
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert denied_events() == before + 1
    assert (event.object_type, event.object_id, event.user_id) == ("organisation", 999999,
                                                                   world.owner.id)

"""The audit trail (SPEC §3) and the client's access report."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from consult.audit.models import AuditEvent
from consult.extensions import db
from tests import factories
from tests.conftest import csrf_from
from tests.test_routes import POSTS, build, path


def all_events():
    return db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()


def test_every_event_has_the_specs_fields(client, auth):
    referrer = factories.create_user("referrer")
    target = factories.create_client(by=referrer)
    db.session.commit()
    auth.login(referrer)
    client.get(f"/clients/{target.id}", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    event = all_events()[-1]
    assert event.at is not None
    assert (event.user_id, event.organisation_id, event.client_id) == (
        referrer.id, referrer.organisation_id, target.id)
    assert (event.object_type, event.object_id, event.action, event.purpose, event.outcome) == (
        "client", target.id, "view", "client_register", "allowed")
    assert event.remote_addr == "192.0.2.7"


def test_access_report_lists_exactly_the_events_about_that_client(client, auth):
    referrer = factories.create_user("referrer", name="Raili Referrer")
    mine, other = factories.create_client(by=referrer), factories.create_client(by=referrer)
    outsider = factories.create_user("referrer", name="Ulla Ulkopuolinen")
    db.session.commit()
    auth.login(referrer)
    client.get(f"/clients/{mine.id}")
    client.get(f"/clients/{other.id}")
    client.get("/clients")
    from tests.conftest import Auth

    other_client = client.application.test_client()
    Auth(other_client).login(outsider)
    other_client.get(f"/clients/{mine.id}")  # refused, but recorded about this client
    expected = [e.id for e in all_events() if e.client_id == mine.id]
    page = client.get(f"/clients/{mine.id}/access-report?lang=en")
    assert page.status_code == 200
    assert page.text.count("<tr><td>") == len(expected) + 1  # + producing the report itself
    assert "Ulla Ulkopuolinen" in page.text and "Denied" in page.text
    assert "Raili Referrer" in page.text
    produced = all_events()[-1]
    assert (produced.action, produced.object_type, produced.client_id, produced.purpose) == (
        "view", "access_report", mine.id, "access_report")


def test_access_report_as_csv_is_itself_audited(client, auth):
    referrer = factories.create_user("referrer", name="Raili Referrer")
    mine, other = factories.create_client(by=referrer), factories.create_client(by=referrer)
    db.session.commit()
    auth.login(referrer)
    client.get(f"/clients/{mine.id}")
    client.get(f"/clients/{other.id}")
    response = client.get(f"/clients/{mine.id}/access-report.csv")
    assert response.mimetype == "text/csv"
    assert f"access-report-{mine.id}.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff")), delimiter=";"))
    assert [r["action"] for r in rows] == ["view", "export"]
    assert {r["user"] for r in rows} == {"Raili Referrer"}
    assert all(r["object_id"] == str(mine.id) for r in rows)
    assert mine.identity_code not in response.text


def test_a_name_that_starts_like_a_formula_is_plain_text_in_the_csv(client, auth):
    org = factories.create_organisation(name='=HYPERLINK("http://x.invalid","klikkaa")')
    referrer = factories.create_user("referrer", organisation=org, name="+Raili")
    mine = factories.create_client(by=referrer)
    db.session.commit()
    auth.login(referrer)
    response = client.get(f"/clients/{mine.id}/access-report.csv")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff")), delimiter=";"))
    assert {r["user"] for r in rows} == {"'+Raili"}
    assert {r["organisation"] for r in rows} == {"'" + org.name}


def test_denied_access_leaves_its_event_even_though_the_request_fails(client, auth):
    target = factories.create_client()
    referrer = factories.create_user("referrer")
    db.session.commit()
    auth.login(referrer)
    assert client.get(f"/clients/{target.id}/access-report").status_code == 404
    events = [e for e in all_events() if e.outcome == "denied"]
    assert [(e.client_id, e.user_id) for e in events] == [(target.id, referrer.id)]


@pytest.mark.long
def test_no_route_changes_or_deletes_audit_rows(app):
    """Every POST route, used with valid data by its owner, leaves earlier events as
    they were: the trail only grows."""
    from tests.conftest import Auth

    for endpoint, _method in POSTS:
        world = build(endpoint)
        client = app.test_client()
        auth = Auth(client)
        auth.login(world.owner)
        if "client_id" in world.values:
            client.get(f"/clients/{world.values['client_id']}")  # a read to keep
        before = {e.id: (e.at, e.action, e.client_id, e.outcome, e.purpose)
                  for e in all_events()}
        response = client.post(path(app, endpoint, world.values),
                               data=dict(world.form, csrf_token=auth.csrf()))
        assert response.status_code < 500, endpoint
        after = {e.id: (e.at, e.action, e.client_id, e.outcome, e.purpose)
                 for e in all_events()}
        assert all(after.get(i) == row for i, row in before.items()), endpoint
    assert len(after) >= 5  # the client routes wrote events that had to survive


def test_a_list_page_writes_one_event_per_client_shown(client, auth):
    referrer = factories.create_user("referrer")
    shown = [factories.create_client(by=referrer) for _ in range(4)]
    db.session.commit()
    auth.login(referrer)
    client.get("/clients")
    listed = [e for e in all_events() if e.action == "list"]
    assert sorted(e.client_id for e in listed) == sorted(c.id for c in shown)


def test_every_purpose_the_code_records_reads_as_words_in_the_access_report(app):
    """Every purpose and object type written anywhere in the code has words in the
    access report (found by reading the code, so that a new one cannot be missed)."""
    import re
    from pathlib import Path

    from consult.audit.labels import object_labels, purpose_labels
    from consult.consultations.states import ACTS

    source = "\n".join(p.read_text(encoding="utf-8")
                       for p in Path(__file__).resolve().parents[1].glob("consult/**/*.py"))
    purposes = set(re.findall(r'purpose="([a-z_]+)"', source)) | set(ACTS)
    objects = set(re.findall(r'object_type="([a-z_]+)"', source))
    assert len(purposes) > 20 and len(objects) > 5  # the search itself works
    with app.test_request_context():
        assert purposes <= set(purpose_labels()), purposes - set(purpose_labels())
        assert objects <= set(object_labels()), objects - set(object_labels())

def test_logins_logouts_and_account_administration_are_audited(client, auth):
    from consult.audit.labels import purpose_labels

    admin = factories.create_user("admin")
    user = factories.create_user("referrer")
    org = factories.create_organisation()
    db.session.commit()
    visitor = client.application.test_client()
    page = visitor.get("/login")
    visitor.post("/login", data={"email": user.email, "password": "not-the-password",
                                 "csrf_token": csrf_from(page.text)})
    auth.login(admin)
    page = client.get(f"/admin/users/{user.id}?lang=en")
    client.post(f"/admin/users/{user.id}", data={
        "name": user.name, "email": user.email, "organisation_id": org.id,
        "roles": ["referrer", "coordinator"], "language": "en",
        "csrf_token": csrf_from(page.text)})
    client.post(f"/admin/users/{user.id}/password", data={
        "password": "Another-long-passphrase-8", "csrf_token": csrf_from(page.text)})
    auth.logout()

    about_user = [(e.purpose, e.outcome, e.user_id, e.detail) for e in all_events()
                  if e.object_type == "user" and e.object_id == user.id]
    assert about_user == [
        ("login", "denied", None, "wrong password or inactive account"),
        ("administration", "allowed", admin.id,
         f"roles=coordinator,referrer organisation={org.id}"),
        ("password_set_by_admin", "allowed", admin.id, ""),
    ]
    by_admin = [e.purpose for e in all_events() if e.object_type == "user"
                and e.object_id == admin.id and e.purpose in ("login", "logout")]
    assert by_admin == ["login", "logout"]
    assert not any("passphrase" in e.detail for e in all_events())
    assert {"login", "logout", "administration", "password_set_by_admin"} <= set(purpose_labels())

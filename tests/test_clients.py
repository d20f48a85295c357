"""The referrer's client register (SPEC §2, §3)."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from consult.audit.models import AuditEvent
from consult.clients.models import Client
from consult.extensions import db
from tests import factories


def referrer_logged_in(auth, **kwargs):
    referrer = factories.create_user("referrer", **kwargs)
    db.session.commit()
    auth.login(referrer)
    return referrer


def register(client, auth, **overrides):
    data = {"csrf_token": auth.csrf("/clients/new"), "last_name": "Äijälä",
            "first_names": "Örjan Åke", "identity_code": factories.identity_code("150378-", 931),
            "municipality": "Tampere", "preferred_language": "sv"}
    data.update(overrides)
    return client.post("/clients/new?lang=en", data=data)


def events(**where):
    query = select(AuditEvent)
    for key, value in where.items():
        query = query.where(getattr(AuditEvent, key) == value)
    return db.session.scalars(query.order_by(AuditEvent.id)).all()


def test_referrer_registers_a_client_in_their_own_register(client, auth):
    referrer = referrer_logged_in(auth)
    response = register(client, auth)
    assert response.status_code == 302
    registered = db.session.scalar(select(Client))
    assert registered.organisation_id == referrer.organisation_id
    assert response.location == f"/clients/{registered.id}"
    page = client.get(response.location + "?lang=en")
    assert "Örjan Åke Äijälä" in page.text
    assert "temporary code" in page.text
    created = events(action="create", object_type="client")
    assert [(e.client_id, e.user_id, e.organisation_id) for e in created] == [
        (registered.id, referrer.id, referrer.organisation_id)]


def test_a_code_that_fails_the_checksum_is_refused_next_to_the_field_keeping_the_input(client, auth):
    referrer_logged_in(auth)
    response = register(client, auth, identity_code="131052-308U", phone="040 123 4567")
    assert response.status_code == 422
    assert 'id="identity_code-error"' in response.text
    assert "The check character does not match" in response.text
    assert 'value="131052-308U"' in response.text
    assert 'value="040 123 4567"' in response.text
    assert 'value="Äijälä"' in response.text
    assert db.session.scalar(select(func.count(Client.id))) == 0


def test_identity_code_is_stored_normalised(client, auth):
    referrer_logged_in(auth)
    code = factories.identity_code("150308A", 935)
    register(client, auth, identity_code=f"  {code.lower()}  ")
    assert db.session.scalar(select(Client.identity_code)) == code


def test_duplicate_within_the_organisation_points_to_the_existing_client(client, auth):
    referrer = referrer_logged_in(auth)
    code = factories.identity_code("150378-", 940)
    existing = factories.create_client(by=referrer, code=code)
    db.session.commit()
    response = register(client, auth, identity_code=code.lower())
    assert response.status_code == 422
    assert "already in your organisation&#39;s register" in response.text
    assert f'href="/clients/{existing.id}"' in response.text
    assert db.session.scalar(select(func.count(Client.id))) == 1


def test_the_same_person_may_be_registered_by_another_organisation(client, auth):
    referrer_logged_in(auth)
    code = factories.identity_code("150378-", 941)
    factories.create_client(organisation=factories.create_organisation(), code=code)
    db.session.commit()
    assert register(client, auth, identity_code=code).status_code == 302
    assert db.session.scalar(select(func.count(Client.id))) == 2


def test_register_lists_only_the_organisations_own_clients_with_one_event_each(client, auth):
    referrer = referrer_logged_in(auth)
    mine = [factories.create_client(by=referrer, last_name=f"Oma{i}") for i in range(3)]
    factories.create_client(last_name="Vieras")
    db.session.commit()
    page = client.get("/clients")
    assert all(c.last_name in page.text for c in mine)
    assert "Vieras" not in page.text
    listed = events(action="list")
    assert sorted(e.client_id for e in listed) == sorted(c.id for c in mine)
    assert {e.purpose for e in listed} == {"client_register"}


def test_search_by_name_ignores_case_and_finnish_letters(client, auth):
    referrer = referrer_logged_in(auth)
    factories.create_client(by=referrer, last_name="Äijälä", first_names="Örjan")
    factories.create_client(by=referrer, last_name="Virtanen", first_names="Matti")
    db.session.commit()
    response = client.post("/clients", data={"csrf_token": auth.csrf("/clients"),
                                             "q": "örjan ÄIJÄLÄ"})
    assert "Äijälä" in response.text and "Virtanen" not in response.text


def test_search_by_identity_code_is_a_post_and_never_a_url(client, auth):
    referrer = referrer_logged_in(auth)
    code = factories.identity_code("150378-", 942)
    factories.create_client(by=referrer, last_name="Haettava", code=code)
    factories.create_client(by=referrer, last_name="Muu")
    db.session.commit()
    page = client.get("/clients").text
    assert re.search(r'<form method="post" action="/clients"', page)
    response = client.post("/clients", data={"csrf_token": auth.csrf("/clients"),
                                             "q": code.lower()})
    assert "Haettava" in response.text and "Muu" not in response.text


def test_search_never_finds_another_organisations_client(client, auth):
    referrer_logged_in(auth)
    code = factories.identity_code("150378-", 943)
    factories.create_client(last_name="Toisen", code=code)
    db.session.commit()
    response = client.post("/clients?lang=en", data={"csrf_token": auth.csrf("/clients"), "q": code})
    assert "Toisen" not in response.text
    assert "No client in your organisation" in response.text


def test_search_as_htmx_returns_only_the_table(client, auth):
    referrer = referrer_logged_in(auth)
    factories.create_client(by=referrer, last_name="Fragmentti")
    db.session.commit()
    response = client.post("/clients", data={"csrf_token": auth.csrf("/clients"), "q": "frag"},
                           headers={"HX-Request": "true"})
    assert response.text.lstrip().startswith('<section id="client-register"')
    assert "Fragmentti" in response.text and "<html" not in response.text


def test_identity_code_never_appears_in_urls_or_page_titles(client, auth):
    referrer = referrer_logged_in(auth)
    code = factories.identity_code("150378-", 944)
    response = register(client, auth, identity_code=code)
    assert code not in response.location
    page = client.get(response.location).text
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert code not in title and "Äijälä" not in title
    assert code in page  # shown on the page itself
    for href in re.findall(r'href="([^"]+)"', page):
        assert code not in href


def test_client_page_view_is_audited(client, auth):
    referrer = referrer_logged_in(auth)
    target = factories.create_client(by=referrer)
    db.session.commit()
    client.get(f"/clients/{target.id}")
    viewed = events(action="view", client_id=target.id)
    assert len(viewed) == 1
    assert viewed[0].object_type == "client" and viewed[0].remote_addr == "127.0.0.1"


def test_referrer_edits_contact_details(client, auth):
    referrer = referrer_logged_in(auth)
    target = factories.create_client(by=referrer)
    db.session.commit()
    response = client.post(f"/clients/{target.id}/edit", data={
        "csrf_token": auth.csrf(), "last_name": "Uusinimi", "first_names": "Testi",
        "phone": "050 765 4321", "preferred_language": "en", "interpreter_needed": "y",
        "interpreter_language": "arabia"})
    assert response.status_code == 302
    db.session.refresh(target)
    assert (target.last_name, target.phone, target.interpreter_language) == (
        "Uusinimi", "050 765 4321", "arabia")
    assert events(action="update", client_id=target.id)


def test_interpreter_language_is_asked_when_an_interpreter_is_needed(client, auth):
    referrer = referrer_logged_in(auth)
    target = factories.create_client(by=referrer)
    db.session.commit()
    response = client.post(f"/clients/{target.id}/edit?lang=en", data={
        "csrf_token": auth.csrf(), "last_name": "X", "first_names": "Y",
        "preferred_language": "other", "interpreter_needed": "y"})
    assert response.status_code == 422
    assert 'id="interpreter_language-error"' in response.text


def test_other_organisations_referrer_gets_404_and_the_refusal_is_in_the_clients_trail(client, auth):
    target = factories.create_client(by=factories.create_user("referrer"))
    referrer_logged_in(auth)
    response = client.get(f"/clients/{target.id}")
    assert response.status_code == 404
    denied = events(outcome="denied")
    assert [(e.client_id, e.object_type, e.action) for e in denied] == [
        (target.id, "client", "view")]


def test_a_coordinator_cannot_open_the_client_register(client, auth):
    coordinator = factories.create_user("coordinator", "member")
    db.session.commit()
    auth.login(coordinator)
    assert client.get("/clients").status_code == 403
    assert events(outcome="denied")[0].detail == "GET /clients"

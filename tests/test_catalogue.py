"""The services catalogue: seeded from SPEC §3, edited by administrators."""
from __future__ import annotations

from sqlalchemy import func, select

from consult.catalogue.models import SERVICE_CATEGORIES, Service
from consult.catalogue.services import (
    SEED_SERVICES,
    active_services,
    create_service,
    seed_catalogue,
)
from consult.extensions import db
from tests import factories


def login_admin(auth):
    admin = factories.create_user("admin")
    db.session.commit()
    auth.login(admin)
    return admin


def service_count() -> int:
    return db.session.scalar(select(func.count(Service.id)))


def form_data(auth, **changes) -> dict:
    data = {
        "csrf_token": auth.csrf(), "category": "ngo", "organisation_kind": "ngo",
        "name_fi": "Klubitalo", "name_sv": "Klubbhus", "name_en": "Clubhouse",
        "description_fi": "Mielenterveyskuntoutujien yhteisö.",
        "description_sv": "En gemenskap för rehabiliteringsklienter inom mentalvården.",
        "description_en": "A community for mental health rehabilitees.",
        "is_active": "y",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def seeded(name_fi: str) -> Service:
    return db.session.scalar(select(Service).where(Service.name_fi == name_fi))


def test_seeded_catalogue_has_every_service_of_the_spec_in_three_languages(app):
    seed_catalogue()
    names = set(db.session.scalars(select(Service.name_en)))
    assert {
        "Pay subsidy", "Working conditions arrangement subsidy", "Activation plan",
        "Multi-sector joint service", "Vocational rehabilitation",
        "Vocational rehabilitation assessment", "Youth rehabilitation allowance",
        "Nuotti coaching", "KIILA rehabilitation", "Health social work",
        "Disability services", "Mental health and substance services", "Physiotherapy",
        "Social rehabilitation", "Preparatory education", "NGO work try-out and peer support",
    } <= names
    services = db.session.scalars(select(Service)).all()
    assert {s.category for s in services} == set(SERVICE_CATEGORIES)
    for service in services:
        for lang in ("fi", "sv", "en"):
            assert getattr(service, f"name_{lang}") and getattr(service, f"description_{lang}")
        assert service.is_active


def test_seeding_twice_adds_nothing_and_keeps_an_admins_edits(app):
    seed_catalogue()
    seeded("Palkkatuki").name_en = "Pay subsidy for employers"
    db.session.commit()
    assert seed_catalogue() == []
    assert service_count() == len(SEED_SERVICES)
    assert seeded("Palkkatuki").name_en == "Pay subsidy for employers"


def test_active_services_leave_out_retired_ones_and_follow_the_catalogues_order(app):
    seed_catalogue()
    seeded("Fysioterapia").is_active = False
    db.session.flush()
    services = active_services()
    assert "Fysioterapia" not in {s.name_fi for s in services}
    order = [SERVICE_CATEGORIES.index(s.category) for s in services]
    assert order == sorted(order)
    assert services[0].category == "employment"


def test_a_missing_translation_falls_back_to_finnish(app):
    service = create_service(category="kela", organisation_kind="kela", name_fi="Kuntoutus",
                             description_fi="Kuvaus.")
    assert (service.name_in("sv"), service.description_in("en")) == ("Kuntoutus", "Kuvaus.")
    assert service.name_in("xx") == "Kuntoutus"


def test_admin_adds_a_service(client, auth):
    login_admin(auth)
    response = client.post("/admin/services/new", data=form_data(auth))
    assert response.status_code == 302
    service = seeded("Klubitalo")
    assert (service.category, service.organisation_kind, service.name_sv) == (
        "ngo", "ngo", "Klubbhus")
    assert service.description_en == "A community for mental health rehabilitees."
    assert service.is_active


def test_admin_edits_a_service(client, auth):
    login_admin(auth)
    service = create_service(category="ngo", organisation_kind="ngo", name_fi="Klubitalo")
    db.session.commit()
    page = client.get(f"/admin/services/{service.id}")
    assert 'value="Klubitalo"' in page.text
    response = client.post(f"/admin/services/{service.id}", data=form_data(
        auth, name_fi="Klubitalo Tampere", category="social_health",
        organisation_kind="social_services"))
    assert response.status_code == 302
    db.session.refresh(service)
    assert (service.name_fi, service.category, service.organisation_kind) == (
        "Klubitalo Tampere", "social_health", "social_services")


def test_admin_retires_a_service_which_stays_in_the_catalogue(client, auth):
    login_admin(auth)
    service = create_service(category="ngo", organisation_kind="ngo", name_fi="Klubitalo",
                             name_en="Clubhouse")
    db.session.commit()
    response = client.post(f"/admin/services/{service.id}", data=form_data(auth, is_active=None))
    assert response.status_code == 302
    db.session.refresh(service)
    assert not service.is_active
    assert service not in active_services()
    listing = client.get("/admin/services?lang=en").text
    assert "Clubhouse" in listing and "Retired" in listing


def test_duplicate_finnish_name_is_refused_next_to_the_field_keeping_the_input(client, auth):
    login_admin(auth)
    create_service(category="ngo", organisation_kind="ngo", name_fi="Klubitalo")
    db.session.commit()
    response = client.post("/admin/services/new?lang=en", data=form_data(auth))
    assert response.status_code == 422
    assert 'id="name_fi-error"' in response.text
    assert "A service with this Finnish name already exists." in response.text
    assert 'aria-describedby="name_fi-error"' in response.text
    assert 'value="Klubbhus"' in response.text
    assert "A community for mental health rehabilitees." in response.text
    assert service_count() == 1


def test_a_service_keeps_its_own_finnish_name_when_edited(client, auth):
    login_admin(auth)
    service = create_service(category="ngo", organisation_kind="ngo", name_fi="Klubitalo")
    db.session.commit()
    response = client.post(f"/admin/services/{service.id}", data=form_data(auth))
    assert response.status_code == 302


def test_the_list_shows_names_in_the_users_language(client, auth):
    login_admin(auth)
    seed_catalogue()
    db.session.commit()
    swedish = client.get("/admin/services?lang=sv").text
    assert "Lönesubvention" in swedish and "Nuotti-coachning" in swedish
    assert "Palkkatuki" not in swedish
    english = client.get("/admin/services?lang=en").text
    assert "Pay subsidy" in english and "Lönesubvention" not in english


def test_the_administration_page_links_to_the_catalogue(client, auth):
    login_admin(auth)
    assert 'href="/admin/services"' in client.get("/admin/").text


def test_a_user_who_is_not_an_administrator_gets_403(client, auth):
    coordinator = factories.create_user("coordinator", "member", "referrer")
    service = create_service(category="ngo", organisation_kind="ngo", name_fi="Klubitalo")
    db.session.commit()
    auth.login(coordinator)
    for url in ("/admin/services", "/admin/services/new", f"/admin/services/{service.id}"):
        assert client.get(url).status_code == 403
    response = client.post(f"/admin/services/{service.id}",
                           data=form_data(auth, name_fi="Kaapattu"))
    assert response.status_code == 403
    db.session.refresh(service)
    assert service.name_fi == "Klubitalo"

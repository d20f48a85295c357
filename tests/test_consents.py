"""Consent: recording, withdrawal, validity and coverage of teams and physicians."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from consult.consents.models import Consent
from consult.consents.services import covers_physician, covers_team, missing_for_team
from consult.extensions import db
from consult.timeutil import today
from tests import factories

DAY = date(2026, 6, 15)


def team_from_three_organisations():
    a, b, c = (factories.create_organisation(f"Org {x}") for x in "ABC")
    physician = factories.create_user("physician", organisation=c)
    team = factories.create_team(
        host=a, coordinators=[factories.create_user("coordinator", organisation=a)],
        members=[factories.create_user("member", organisation=b)], physician=physician)
    return team, (a, b, c), physician


def consent_for(orgs, **kwargs):
    client = factories.create_client()
    kwargs.setdefault("given_on", date(2026, 1, 1))
    kwargs.setdefault("valid_until", date(2026, 12, 31))
    return factories.create_consent(client, orgs, **kwargs)


def test_consent_naming_every_participating_organisation_covers_the_team(app):
    team, orgs, physician = team_from_three_organisations()
    assert covers_team(consent_for(orgs), team, DAY)


def test_consent_missing_one_participating_organisation_does_not_cover_the_team(app):
    team, (a, b, c), physician = team_from_three_organisations()
    consent = consent_for([a, b])  # the physician's organisation is missing
    assert not covers_team(consent, team, DAY)
    assert missing_for_team(consent, team) == [c]


def test_a_guests_organisation_must_be_named_too(app):
    team, orgs, _ = team_from_three_organisations()
    guest_org = factories.create_organisation("Guest Org")
    consent = consent_for(orgs)
    assert not covers_team(consent, team, DAY, guest_organisation_ids=[guest_org.id])
    assert covers_team(consent_for([*orgs, guest_org]), team, DAY,
                       guest_organisation_ids=[guest_org.id])


def test_a_team_with_nobody_in_it_is_covered_by_no_consent(app):
    empty = factories.create_team()
    assert not covers_team(consent_for([empty.host_organisation]), empty, DAY)


def test_physician_is_covered_when_their_organisation_is_named(app):
    _, (a, b, c), physician = team_from_three_organisations()
    assert covers_physician(consent_for([c]), physician, DAY)
    assert not covers_physician(consent_for([a, b]), physician, DAY)


def test_expired_consent_covers_nothing(app):
    team, orgs, physician = team_from_three_organisations()
    consent = consent_for(orgs, valid_until=date(2026, 6, 14))
    assert consent.state(DAY) == "expired"
    assert not covers_team(consent, team, DAY) and not covers_physician(consent, physician, DAY)
    assert covers_team(consent, team, date(2026, 6, 14))  # the last day still counts


def test_consent_not_yet_given_covers_nothing(app):
    team, orgs, _ = team_from_three_organisations()
    consent = consent_for(orgs, given_on=date(2026, 7, 1))
    assert consent.state(DAY) == "not_yet_valid"
    assert not covers_team(consent, team, DAY)


def test_withdrawn_consent_covers_nothing_from_the_withdrawal_day(app):
    team, orgs, _ = team_from_three_organisations()
    consent = consent_for(orgs, withdrawn_on=date(2026, 6, 15))
    assert covers_team(consent, team, date(2026, 6, 14))
    assert consent.state(DAY) == "withdrawn"
    assert not covers_team(consent, team, DAY)


def login_referrer_with_client(auth):
    referrer = factories.create_user("referrer")
    client = factories.create_client(by=referrer)
    db.session.commit()
    auth.login(referrer)
    return referrer, client


def consent_form(auth, client, **overrides):
    data = {"csrf_token": auth.csrf(f"/clients/{client.id}/consents/new"),
            "given_on": (today() - timedelta(days=1)).isoformat(),
            "valid_until": (today() + timedelta(days=365)).isoformat(),
            "form_reference": "Y100", "purpose_consultation": "y", "purpose_data_exchange": "y"}
    data.update(overrides)
    return data


def test_referrer_records_consent_and_the_client_page_shows_what_it_covers(client, auth):
    team, orgs, physician = team_from_three_organisations()
    referrer, target = login_referrer_with_client(auth)
    response = client.post(f"/clients/{target.id}/consents/new",
                           data=consent_form(auth, target, organisations=[o.id for o in orgs]))
    assert response.status_code == 302
    consent = db.session.scalar(select(Consent))
    assert consent.organisation_ids == {o.id for o in orgs}
    assert consent.recorded_by_id == referrer.id
    page = client.get(f"/clients/{target.id}?lang=en").text
    assert f"Team: {team.name}" in page
    assert f"Occupational physician: {physician.name}" in page


def test_all_organisations_of_a_team_is_one_choice(client, auth):
    team, orgs, _ = team_from_three_organisations()
    other = factories.create_organisation("Org D")
    _, target = login_referrer_with_client(auth)
    response = client.post(f"/clients/{target.id}/consents/new", data=consent_form(
        auth, target, action="add_team", team_id=team.id, organisations=[other.id],
        form_reference="Y100 (paper)"))
    assert response.status_code == 200
    checked = {int(v) for v in __import__("re").findall(
        r'<input checked id="organisations-\d+" name="organisations" type="checkbox" value="(\d+)"',
        response.text)}
    assert checked == {o.id for o in orgs} | {other.id}
    assert 'value="Y100 (paper)"' in response.text  # the rest of the input stays
    assert db.session.scalar(select(Consent)) is None  # nothing saved yet


def test_consent_form_errors_are_at_their_fields_and_keep_the_input(client, auth):
    _, target = login_referrer_with_client(auth)
    response = client.post(f"/clients/{target.id}/consents/new?lang=en", data=consent_form(
        auth, target, given_on="2026-05-10", valid_until="2026-05-01",
        form_reference="Oma lomake"))
    assert response.status_code == 422
    assert "Choose at least one organisation." in response.text
    assert 'id="valid_until-error"' in response.text
    assert "The consent cannot end before it was given." in response.text
    assert 'value="2026-05-10"' in response.text and 'value="Oma lomake"' in response.text
    assert db.session.scalar(select(Consent)) is None


def test_impossible_and_future_dates_are_refused(client, auth):
    _, target = login_referrer_with_client(auth)
    org = factories.create_organisation()
    db.session.commit()
    response = client.post(f"/clients/{target.id}/consents/new?lang=en", data=consent_form(
        auth, target, organisations=[org.id], given_on="2026-02-30"))
    assert response.status_code == 422 and 'id="given_on-error"' in response.text
    future = (today() + timedelta(days=2)).isoformat()
    response = client.post(f"/clients/{target.id}/consents/new?lang=en", data=consent_form(
        auth, target, organisations=[org.id], given_on=future))
    assert "The consent cannot be given in the future." in response.text


def test_consent_needs_a_purpose(client, auth):
    _, target = login_referrer_with_client(auth)
    org = factories.create_organisation()
    db.session.commit()
    data = consent_form(auth, target, organisations=[org.id])
    del data["purpose_consultation"], data["purpose_data_exchange"]
    response = client.post(f"/clients/{target.id}/consents/new?lang=en", data=data)
    assert response.status_code == 422 and "Choose at least one purpose." in response.text


def test_referrer_withdraws_consent_with_date_and_reason(client, auth):
    referrer, target = login_referrer_with_client(auth)
    consent = factories.create_consent(target, [referrer.organisation], by=referrer,
                                       given_on=today() - timedelta(days=30))
    db.session.commit()
    url = f"/clients/{target.id}/consents/{consent.id}/withdraw"
    response = client.post(url, data={"csrf_token": auth.csrf(url),
                                      "withdrawn_on": today().isoformat(),
                                      "reason": "Asiakas perui puhelimessa."})
    assert response.status_code == 302
    db.session.refresh(consent)
    assert consent.withdrawn_on == today() and consent.withdrawn_by_id == referrer.id
    assert "Withdrawn" in client.get(f"/clients/{target.id}?lang=en").text


def test_withdrawal_needs_a_reason_and_a_date_not_before_the_consent(client, auth):
    referrer, target = login_referrer_with_client(auth)
    consent = factories.create_consent(target, [referrer.organisation], by=referrer,
                                       given_on=date(2026, 3, 1))
    db.session.commit()
    url = f"/clients/{target.id}/consents/{consent.id}/withdraw?lang=en"
    response = client.post(url, data={"csrf_token": auth.csrf(url), "withdrawn_on": "2026-02-01",
                                      "reason": ""})
    assert response.status_code == 422
    assert "before the consent was given" in response.text
    assert 'id="reason-error"' in response.text
    db.session.refresh(consent)
    assert consent.withdrawn_on is None


def test_a_withdrawn_consent_cannot_be_withdrawn_again(client, auth):
    referrer, target = login_referrer_with_client(auth)
    consent = factories.create_consent(target, [referrer.organisation], by=referrer,
                                       given_on=date(2026, 1, 1), withdrawn_on=date(2026, 2, 1))
    db.session.commit()
    url = f"/clients/{target.id}/consents/{consent.id}/withdraw"
    response = client.post(url, data={"csrf_token": auth.csrf(), "withdrawn_on": "2026-03-01",
                                      "reason": "again"})
    assert response.status_code == 302
    assert "already been withdrawn" in client.get(f"/clients/{target.id}?lang=en").text
    db.session.refresh(consent)
    assert consent.withdrawn_on == date(2026, 2, 1)


def test_another_clients_consent_cannot_be_reached_through_this_client(client, auth):
    referrer, target = login_referrer_with_client(auth)
    other = factories.create_client(by=referrer)
    consent = factories.create_consent(other, [referrer.organisation], by=referrer)
    db.session.commit()
    url = f"/clients/{target.id}/consents/{consent.id}/withdraw"
    assert client.get(url).status_code == 404


def test_opening_the_consent_forms_is_an_audited_read_of_the_client(client, auth):
    from consult.audit.models import AuditEvent

    referrer, target = login_referrer_with_client(auth)
    consent = factories.create_consent(target, [referrer.organisation], by=referrer)
    db.session.commit()
    client.get(f"/clients/{target.id}/consents/new")
    client.get(f"/clients/{target.id}/consents/{consent.id}/withdraw")
    views = db.session.scalars(select(AuditEvent).where(
        AuditEvent.client_id == target.id, AuditEvent.action == "view")).all()
    assert [(e.object_type, e.purpose) for e in views] == [("client", "consent")] * 2

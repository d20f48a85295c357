"""Consent withdrawn or expired while a case is open pauses it (SPEC §3): no new
disclosures, the referrer and the coordinator are told; a new covering consent
resumes it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from consult.consultations import services
from consult.consultations.models import Notification
from consult.extensions import db
from consult.timeutil import today
from tests import factories


def accepted_case():
    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    request = factories.create_submitted_request(team=team)
    services.perform(request, "accept", coordinator)
    db.session.commit()
    return request, coordinator


def kinds_for(user):
    return [n.kind for n in db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]


def test_withdrawing_consent_mid_case_pauses_it_and_tells_both_sides(client, auth):
    request, coordinator = accepted_case()
    consent = request.client.consents[0]
    auth.login(request.referrer)
    response = client.post(
        f"/clients/{request.client_id}/consents/{consent.id}/withdraw?lang=en",
        data={"csrf_token": auth.csrf(), "withdrawn_on": today().isoformat(),
              "reason": "Asiakas perui"})
    assert response.status_code == 302
    db.session.refresh(request)
    assert request.is_paused and request.state == "accepted"
    assert request.events[-1].act == "pause"
    assert kinds_for(coordinator)[-1] == "paused"
    # The referrer who withdrew it reads it on the next page, and on the case.
    assert "open cases that the consent no longer covers are paused" in client.get(
        response.location).text
    page = client.get(f"/requests/{request.id}?lang=en").text
    assert "This case is paused" in page


def test_the_case_manager_is_told_when_a_colleague_records_the_withdrawal(app):
    from consult.consents.services import withdraw_consent

    request, coordinator = accepted_case()
    colleague = factories.create_user("referrer", organisation=request.referrer.organisation)
    withdraw_consent(request.client.consents[0], on=today(), reason="", by=colleague)
    services.refresh_pauses_for_client(request.client, by=colleague)
    assert kinds_for(request.referrer)[-1] == "paused"
    assert kinds_for(coordinator)[-1] == "paused"


def test_a_paused_case_cannot_go_on_an_agenda_or_get_guests(app):
    request, coordinator = accepted_case()
    request.client.consents[0].withdrawn_on = today()
    services.refresh_pause(request, by=request.referrer)
    with app.test_request_context():
        with pytest.raises(services.TransitionRefused):
            services.perform(request, "schedule_on_agenda", coordinator)
        with pytest.raises(services.TransitionRefused):
            services.propose_guest(request, name="Sari",
                                   organisation=request.referrer.organisation,
                                   email="sari@example.fi", by=request.referrer)
    assert request.state == "accepted"
    # What does not disclose anything new stays possible.
    services.perform(request, "decline", coordinator, message="Suostumus peruttu.")
    assert request.state == "declined"


def test_an_expired_consent_pauses_the_case_in_the_daily_pass(app, runner):
    request, coordinator = accepted_case()
    consent = request.client.consents[0]
    consent.given_on = today() - timedelta(days=400)
    consent.valid_until = today() - timedelta(days=1)
    db.session.commit()
    result = runner.invoke(args=["pause-uncovered"])
    assert result.exit_code == 0 and "1" in result.output
    db.session.refresh(request)
    assert request.is_paused
    assert request.events[-1].actor_id is None  # nobody did it: time did
    assert kinds_for(coordinator)[-1] == "paused"
    # A second pass changes nothing.
    assert "0" in runner.invoke(args=["pause-uncovered"]).output


def test_a_new_covering_consent_resumes_the_case(client, auth):
    request, coordinator = accepted_case()
    old = request.client.consents[0]
    old.withdrawn_on = today()
    services.refresh_pause(request, by=request.referrer)
    db.session.commit()
    auth.login(request.referrer)
    organisations = {o.id for o in request.target_team.participating_organisations()}
    organisations.add(request.referrer.organisation_id)
    response = client.post(f"/clients/{request.client_id}/consents/new", data={
        "csrf_token": auth.csrf(), "organisations": sorted(organisations),
        "given_on": today().isoformat(),
        "valid_until": (today() + timedelta(days=365)).isoformat(),
        "purpose_consultation": "y", "purpose_data_exchange": "y", "form_reference": "Y100"})
    assert response.status_code == 302
    db.session.refresh(request)
    assert not request.is_paused and request.events[-1].act == "resume"
    assert kinds_for(coordinator)[-1] == "resumed"


def test_drafts_and_closed_cases_are_not_paused(app):
    draft = factories.create_request(team=factories.create_team(
        coordinators=[factories.create_user("coordinator")]))
    draft.client.consents[0].withdrawn_on = today()
    assert services.refresh_pause(draft) is None and not draft.is_paused

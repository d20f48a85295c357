"""Guests proposed for a case: only when the client's consent names the guest's
organisation; the consent must then cover them too (SPEC §3)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from consult.consultations import services
from consult.consultations.models import RequestGuest
from consult.extensions import db
from tests import factories


def case(guest_orgs=()):
    """A draft team request whose consent names the team and `guest_orgs`."""
    referrer = factories.create_user("referrer")
    team = factories.create_team(coordinators=[factories.create_user("coordinator")])
    request = factories.create_request(team=team, referrer=referrer, consent=False)
    factories.create_consent(request.client, [referrer.organisation,
                                              *team.participating_organisations(), *guest_orgs],
                             by=referrer)
    db.session.commit()
    return request


def test_a_guest_of_an_organisation_the_consent_names_is_proposed(client, auth):
    ngo = factories.create_organisation(kind="ngo")
    request = case([ngo])
    auth.login(request.referrer)
    page = client.get(f"/requests/{request.id}?lang=en").text
    assert f'<option value="{ngo.id}">' in page
    response = client.post(f"/requests/{request.id}/guests", data={
        "csrf_token": auth.csrf(), "name": "Sari Sosiaalityö", "organisation_id": ngo.id,
        "email": "sari@example.fi"})
    assert response.status_code == 302
    guest = db.session.scalar(select(RequestGuest))
    assert (guest.name, guest.organisation_id, guest.email) == ("Sari Sosiaalityö", ngo.id,
                                                               "sari@example.fi")
    assert "Sari Sosiaalityö" in client.get(f"/requests/{request.id}").text


def test_an_organisation_the_consent_does_not_name_is_not_offered_and_is_refused(client, auth):
    outside = factories.create_organisation(name="Ulkopuolinen ry", kind="ngo")
    request = case()
    auth.login(request.referrer)
    page = client.get(f"/requests/{request.id}?lang=en").text
    assert "Ulkopuolinen ry" not in page
    assert "must be named in the client's consent" in page
    response = client.post(f"/requests/{request.id}/guests?lang=en", data={
        "csrf_token": auth.csrf(), "name": "Sari", "organisation_id": outside.id,
        "email": "sari@example.fi"})
    assert response.status_code == 422 and 'id="organisation_id-error"' in response.text
    assert 'value="sari@example.fi"' in response.text  # nothing typed is lost
    assert db.session.scalar(select(RequestGuest)) is None


def test_the_service_refuses_a_guest_whose_organisation_is_missing(app):
    outside = factories.create_organisation(name="Ulkopuolinen ry", kind="ngo")
    request = case()
    with app.test_request_context():
        with pytest.raises(services.GuestNotCovered) as refused:
            services.propose_guest(request, name="Sari", organisation=outside,
                                   email="sari@example.fi", by=request.referrer)
        assert "Ulkopuolinen ry" in str(refused.value.message)
    assert request.guests == []


def test_submitting_needs_a_consent_that_also_covers_the_guests(app):
    ngo = factories.create_organisation(kind="ngo")
    request = case([ngo])
    services.propose_guest(request, name="Sari", organisation=ngo, email="sari@example.fi",
                           by=request.referrer)
    # The consent that named the guest's organisation is withdrawn; the new one does not.
    from consult.timeutil import today

    first = request.client.consents[0]
    first.withdrawn_on = today()
    factories.create_consent(request.client, [request.referrer.organisation,
                                              *request.target_team.participating_organisations()])
    db.session.flush()
    with pytest.raises(services.TransitionRefused):
        services.perform(request, "submit", request.referrer)
    assert request.state == "draft"
    services.remove_guest(request.guests[0], by=request.referrer)
    services.perform(request, "submit", request.referrer)
    assert request.state == "submitted"


def test_the_referrer_removes_a_guest(client, auth):
    ngo = factories.create_organisation(kind="ngo")
    request = case([ngo])
    guest = services.propose_guest(request, name="Sari", organisation=ngo,
                                   email="sari@example.fi", by=request.referrer)
    db.session.commit()
    auth.login(request.referrer)
    response = client.post(f"/requests/{request.id}/guests/{guest.id}/remove",
                           data={"csrf_token": auth.csrf()})
    assert response.status_code == 302
    assert db.session.scalar(select(RequestGuest)) is None


def test_a_guest_of_another_request_is_not_found(client, auth):
    ngo = factories.create_organisation(kind="ngo")
    request = case([ngo])
    guest = services.propose_guest(request, name="Sari", organisation=ngo,
                                   email="sari@example.fi", by=request.referrer)
    other = factories.create_request(team=request.target_team, referrer=request.referrer)
    db.session.commit()
    auth.login(request.referrer)
    response = client.post(f"/requests/{other.id}/guests/{guest.id}/remove",
                           data={"csrf_token": auth.csrf()})
    assert response.status_code == 404
    assert db.session.scalar(select(RequestGuest)) is not None


def test_no_guests_once_the_case_is_scheduled_or_closed(app):
    ngo = factories.create_organisation(kind="ngo")
    request = case([ngo])
    services.perform(request, "withdraw", request.referrer)
    with pytest.raises(services.TransitionRefused):
        services.propose_guest(request, name="Sari", organisation=ngo,
                               email="sari@example.fi", by=request.referrer)

"""The referrer's side of a consultation request in the browser's forms: start a
request, fill the pre-form (save, come back, conflict), submit, withdraw."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from consult.consultations.models import ConsultationRequest
from consult.extensions import db
from tests import factories
from tests.conftest import Auth


def world(consent=True):
    referrer = factories.create_user("referrer")
    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    request = factories.create_request(team=team, referrer=referrer, consent=consent, draft={})
    db.session.commit()
    return referrer, coordinator, team, request


def revision(page: str) -> str:
    return re.search(r'name="revision" id="preform-revision" value="([^"]*)"', page).group(1)


def post_preform(client, auth, request, action="save", revision_from=None, **fields):
    """Post the pre-form as the page would, built on the page's current revision."""
    page = revision_from or client.get(f"/requests/{request.id}").text
    return client.post(f"/requests/{request.id}/preform?lang=en", data={
        "csrf_token": auth.csrf(), "revision": revision(page), "action": action, **fields})


def test_referrer_starts_a_request_for_a_client(client, auth):
    referrer = factories.create_user("referrer")
    patient = factories.create_client(by=referrer)
    team = factories.create_team(coordinators=[factories.create_user("coordinator")])
    db.session.commit()
    auth.login(referrer)
    page = client.get(f"/requests/new?client_id={patient.id}&lang=en")
    assert f'<option selected value="{patient.id}">' in page.text
    response = client.post("/requests/new", data={
        "csrf_token": auth.csrf(), "client_id": patient.id, "target": f"team-{team.id}",
        "mode": "team_meeting", "urgency": "urgent", "urgency_reason": "Sairauspäiväraha päättyy",
        "client_attends": "remote"})
    assert response.status_code == 302
    created = db.session.scalar(select(ConsultationRequest))
    assert (created.state, created.target_team_id, created.urgency, created.client_attends) == (
        "draft", team.id, "urgent", "remote")


def test_target_and_mode_that_do_not_fit_are_refused_at_the_field(client, auth):
    referrer = factories.create_user("referrer")
    patient = factories.create_client(by=referrer)
    team = factories.create_team(coordinators=[factories.create_user("coordinator")])
    db.session.commit()
    auth.login(referrer)
    response = client.post("/requests/new?lang=en", data={
        "csrf_token": auth.csrf(), "client_id": patient.id, "target": f"team-{team.id}",
        "mode": "video", "urgency": "urgent", "client_attends": "yes",
        "preferred_dates": "tiistaisin"})
    assert response.status_code == 422
    assert 'id="mode-error"' in response.text and 'id="urgency_reason-error"' in response.text
    assert 'value="tiistaisin"' in response.text
    assert db.session.scalar(select(ConsultationRequest)) is None


def test_draft_saves_and_comes_back(client, auth):
    referrer, _, _, request = world()
    auth.login(referrer)
    post_preform(client, auth, request, "save",
                 background__reason="Pitkä sairausloma", life__housing="Vuokra-asunto")
    again = client.get(f"/requests/{request.id}").text
    assert "Pitkä sairausloma" in again and "Vuokra-asunto" in again


def test_a_save_in_between_gets_a_warning_and_both_texts(app, client, auth):
    referrer, _, _, request = world()
    auth.login(referrer)
    stale = revision(client.get(f"/requests/{request.id}").text)
    other_tab = app.test_client()
    other_auth = Auth(other_tab)
    other_auth.login(referrer)
    other_tab.post(f"/requests/{request.id}/preform", data={
        "csrf_token": other_auth.csrf(), "revision": stale, "action": "save",
        "background__reason": "Toisen välilehden teksti"})
    response = client.post(f"/requests/{request.id}/preform?lang=en", data={
        "csrf_token": auth.csrf(), "revision": stale, "action": "save",
        "background__reason": "Minun tekstini"})
    assert response.status_code == 409
    assert "Someone else saved this form" in response.text
    assert "Toisen välilehden teksti" in response.text and "Minun tekstini" in response.text
    db.session.refresh(request.preform)
    assert request.preform.draft["background.reason"] == "Toisen välilehden teksti"
    # Saving again from the warning page (its newer revision) keeps the combined text.
    client.post(f"/requests/{request.id}/preform", data={
        "csrf_token": auth.csrf(), "revision": revision(response.text), "action": "save",
        "background__reason": "Yhdistetty teksti"})
    db.session.refresh(request.preform)
    assert request.preform.draft["background.reason"] == "Yhdistetty teksti"


def test_submit_marks_the_required_fields_and_keeps_what_was_typed(client, auth):
    referrer, _, _, request = world()
    auth.login(referrer)
    response = post_preform(client, auth, request, "submit",
                            education_work__skills="Trukkikortti")
    assert response.status_code == 422
    assert 'id="wishes_goals__wishes_goals-error"' in response.text
    assert 'id="question__question-error"' in response.text
    assert "Trukkikortti" in response.text
    db.session.refresh(request)
    assert request.state == "draft"
    assert request.preform.draft["education_work.skills"] == "Trukkikortti"  # saved, not lost


def test_submit_freezes_version_one_and_the_coordinator_sees_it(app, client, auth):
    referrer, coordinator, _, request = world()
    auth.login(referrer)
    response = post_preform(client, auth, request, "submit",
                            wishes_goals__wishes_goals="Haluaa opiskella",
                            question__question="Mikä polku?")
    assert response.status_code == 302
    db.session.refresh(request)
    assert request.state == "submitted" and len(request.preform.versions) == 1
    theirs = app.test_client()
    Auth(theirs).login(coordinator)
    seen = theirs.get(f"/requests/{request.id}?lang=en").text
    assert "Haluaa opiskella" in seen and "Version 1" in seen


def test_submit_without_a_covering_consent_says_so(client, auth):
    referrer, _, _, request = world(consent=False)
    auth.login(referrer)
    page = client.get(f"/requests/{request.id}?lang=en").text
    assert "no valid consent that covers" in page
    client.post(f"/requests/{request.id}/preform", data={
        "csrf_token": auth.csrf(), "revision": revision(page), "action": "submit",
        "wishes_goals__wishes_goals": "x", "question__question": "y"})
    db.session.refresh(request)
    assert request.state == "draft"


def test_coordinator_does_not_see_a_draft(client, auth):
    _, coordinator, _, request = world()
    auth.login(coordinator)
    assert client.get(f"/requests/{request.id}").status_code == 404
    assert f"/requests/{request.id}" not in client.get("/requests").text


def test_referrer_withdraws_a_request(client, auth):
    referrer, _, _, request = world()
    auth.login(referrer)
    client.post(f"/requests/{request.id}/withdraw", data={"csrf_token": auth.csrf()})
    db.session.refresh(request)
    assert request.state == "withdrawn"
    response = client.post(f"/requests/{request.id}/withdraw", data={"csrf_token": auth.csrf()})
    assert response.status_code == 302  # refused with a message, not an error
    db.session.refresh(request)
    assert request.state == "withdrawn"


def test_self_assessment_score_and_date_survive_a_save(client, auth):
    referrer, _, _, request = world()
    auth.login(referrer)
    post_preform(client, auth, request, "save",
                 self_assessment__kykyviisari_score="6",
        self_assessment__kykyviisari_date="2026-10-01")
    again = client.get(f"/requests/{request.id}")
    assert again.status_code == 200
    assert 'value="6"' in again.text and 'value="2026-10-01"' in again.text


def test_a_score_outside_zero_to_ten_is_refused_at_the_field(client, auth):
    referrer, _, _, request = world()
    auth.login(referrer)
    response = post_preform(client, auth, request, "save",
                            self_assessment__kykyviisari_score="11", life__housing="Omistusasunto")
    assert response.status_code == 422
    assert 'id="self_assessment__kykyviisari_score-error"' in response.text
    assert "Omistusasunto" in response.text


def test_a_tampered_revision_is_treated_as_a_conflict_not_an_error(client, auth):
    referrer, _, _, request = world()
    auth.login(referrer)
    response = client.post(f"/requests/{request.id}/preform", data={
        "csrf_token": auth.csrf(), "revision": "abc", "action": "save",
        "background__reason": "Teksti"})
    assert response.status_code == 409
    assert "Teksti" in response.text


def submitted(team, **kwargs):
    from consult.consultations import services

    request = factories.create_request(team=team, **kwargs)
    services.perform(request, "submit", request.referrer)
    return request


def test_inbox_lists_urgent_first_then_oldest_first(client, auth):
    import time_machine

    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    with time_machine.travel("2026-11-02 08:00", tick=False):
        oldest = submitted(team)
    with time_machine.travel("2026-11-03 08:00", tick=False):
        newer = submitted(team)
    with time_machine.travel("2026-11-04 08:00", tick=False):
        urgent = factories.create_request(team=team)
        urgent.urgency, urgent.urgency_reason = "urgent", "Etuus päättyy"
        from consult.consultations import services

        services.perform(urgent, "submit", urgent.referrer)
    db.session.commit()
    auth.login(coordinator)
    page = client.get(f"/teams/{team.id}/inbox").text
    order = [int(i) for i in re.findall(r'href="/requests/(\d+)"', page)]
    assert order == [urgent.id, oldest.id, newer.id]


def test_inbox_filters_by_referring_organisation_kind(client, auth):
    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    kela = factories.create_user("referrer",
                                 organisation=factories.create_organisation(kind="kela"))
    from_kela = submitted(team, referrer=kela)
    other = submitted(team)
    db.session.commit()
    auth.login(coordinator)
    page = client.get(f"/teams/{team.id}/inbox?kind=kela").text
    assert f'href="/requests/{from_kela.id}"' in page and f'href="/requests/{other.id}"' not in page


def test_coordinator_returns_a_request_for_completion_with_a_message(client, auth):
    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    request = submitted(team)
    db.session.commit()
    auth.login(coordinator)
    refused = client.post(f"/requests/{request.id}/decide?lang=en", data={
        "csrf_token": auth.csrf(), "action": "return_for_completion", "message": ""})
    assert refused.status_code == 422 and 'id="message-error"' in refused.text
    done = client.post(f"/requests/{request.id}/decide", data={
        "csrf_token": auth.csrf(), "action": "return_for_completion",
        "message": "Lisää terveydentilan kuvaus."})
    assert done.status_code == 302
    db.session.refresh(request)
    assert request.state == "returned"
    assert request.events[-1].message == "Lisää terveydentilan kuvaus."


def test_coordinator_accepts_and_then_resolves_with_guidance(client, auth):
    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    request = submitted(team)
    db.session.commit()
    auth.login(coordinator)
    client.post(f"/requests/{request.id}/decide", data={"csrf_token": auth.csrf(),
                                                        "action": "accept"})
    db.session.refresh(request)
    assert request.state == "accepted"
    client.post(f"/requests/{request.id}/decide", data={
        "csrf_token": auth.csrf(), "action": "resolve_at_consultation",
        "message": "Ohjaus Kelan ammatilliseen kuntoutukseen."})
    db.session.refresh(request)
    assert request.state == "resolved_at_consultation"


def test_a_decision_on_a_closed_request_is_refused_with_a_message(client, auth):
    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    request = submitted(team)
    from consult.consultations import services

    services.perform(request, "decline", coordinator, message="Ei tiimin asia.")
    db.session.commit()
    auth.login(coordinator)
    response = client.post(f"/requests/{request.id}/decide?lang=en", data={
        "csrf_token": auth.csrf(), "action": "accept"})
    assert response.status_code == 422
    assert "present state" in response.text
    db.session.refresh(request)
    assert request.state == "declined"


def autosave(client, auth, request, revision_value, **fields):
    return client.post(f"/requests/{request.id}/preform/autosave?lang=en",
                       data={"csrf_token": auth.csrf(), "revision": revision_value, **fields},
                       headers={"HX-Request": "true"})


def test_autosave_saves_the_draft_and_hands_back_the_new_revision(client, auth):
    referrer, _, _, request = world()
    auth.login(referrer)
    start = revision(client.get(f"/requests/{request.id}").text)
    response = autosave(client, auth, request, start, life__housing="Tukiasunto")
    assert response.status_code == 200 and "Saved automatically" in response.text
    new = re.search(r'id="preform-revision" value="(\d+)" hx-swap-oob="true"', response.text)
    assert new and int(new.group(1)) == int(start) + 1
    db.session.refresh(request.preform)
    assert request.preform.draft["life.housing"] == "Tukiasunto"
    # Leaving and coming back: the page has the text and the same revision.
    page = client.get(f"/requests/{request.id}").text
    assert "Tukiasunto" in page and revision(page) == new.group(1)


def test_autosave_after_someone_else_saved_warns_and_overwrites_nothing(client, auth):
    referrer, _, _, request = world()
    auth.login(referrer)
    stale = revision(client.get(f"/requests/{request.id}").text)
    autosave(client, auth, request, stale, background__reason="Toisen teksti")
    response = autosave(client, auth, request, stale, background__reason="Minun tekstini")
    assert response.status_code == 409
    assert "Toisen teksti" in response.text  # their text, out of band above the form
    assert 'name="autosave_off" id="autosave-flag" value="1" hx-swap-oob="true"' in response.text
    db.session.refresh(request.preform)
    assert request.preform.draft["background.reason"] == "Toisen teksti"
    # While the flag is on, autosave saves nothing.
    new_revision = re.search(r'id="preform-revision" value="(\d+)"', response.text).group(1)
    off = autosave(client, auth, request, new_revision, autosave_off="1",
                   background__reason="Minun tekstini")
    assert off.status_code == 409 and "paused until you press Save draft" in off.text
    db.session.refresh(request.preform)
    assert request.preform.draft["background.reason"] == "Toisen teksti"


def test_the_same_text_saved_twice_is_not_a_conflict(client, auth):
    referrer, _, _, request = world()
    auth.login(referrer)
    stale = revision(client.get(f"/requests/{request.id}").text)
    autosave(client, auth, request, stale, background__reason="Sama teksti")
    response = client.post(f"/requests/{request.id}/preform", data={
        "csrf_token": auth.csrf(), "revision": stale, "action": "save",
        "background__reason": "Sama teksti"})
    assert response.status_code == 302


def test_autosave_with_an_ended_session_answers_401_not_the_login_page(client, auth):
    import time_machine

    from consult.timeutil import utcnow

    referrer, _, _, request = world()
    auth.login(referrer)
    token = auth.csrf()
    with time_machine.travel(utcnow() + timedelta(minutes=31)):  # past the idle timeout
        response = client.post(f"/requests/{request.id}/preform/autosave",
                               data={"csrf_token": token, "revision": "0"},
                               headers={"HX-Request": "true"})
    assert response.status_code == 401


def test_earlier_versions_are_one_click_away(client, auth):
    from consult.consultations import services

    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    request = submitted(team)
    services.perform(request, "return_for_completion", coordinator, message="Lisää taustaa.")
    request.preform.draft = dict(request.preform.draft, **{"background.reason": "Uusi tausta"})
    services.perform(request, "resubmit", request.referrer)
    db.session.commit()
    auth.login(coordinator)
    page = client.get(f"/requests/{request.id}?lang=en").text
    assert f'href="/requests/{request.id}/versions/1"' in page
    assert f'href="/requests/{request.id}/versions/2"' in page
    first = client.get(f"/requests/{request.id}/versions/1?lang=en").text
    assert "Version 1" in first and "Uusi tausta" not in first
    assert "Uusi tausta" in client.get(f"/requests/{request.id}/versions/2").text
    assert client.get(f"/requests/{request.id}/versions/3").status_code == 404


def test_guidance_can_point_to_catalogue_services_the_referrer_then_sees(client, auth):
    from consult.catalogue.models import Service

    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    request = submitted(team)
    service = Service(category="kela", organisation_kind="kela", name_fi="Nuotti-valmennus",
                      name_sv="Nuotti-coachning", name_en="Nuotti coaching",
                      description_en="Coaching for young adults.")
    db.session.add(service)
    db.session.commit()
    auth.login(coordinator)
    page = client.get(f"/requests/{request.id}?lang=en").text
    assert f'value="{service.id}"' in page and "Nuotti coaching" in page
    response = client.post(f"/requests/{request.id}/decide", data={
        "csrf_token": auth.csrf(), "action": "resolve_at_consultation",
        "message": "Ohjataan Nuotti-valmennukseen.", "services": [service.id]})
    assert response.status_code == 302
    db.session.refresh(request)
    assert [s.id for s in request.events[-1].services] == [service.id]
    auth.logout()
    auth.login(request.referrer)
    page = client.get(f"/requests/{request.id}?lang=en").text
    assert "Nuotti coaching" in page and "Coaching for young adults." in page


def test_the_request_list_filters_by_state(client, auth):
    referrer = factories.create_user("referrer")
    team = factories.create_team(coordinators=[factories.create_user("coordinator")])
    draft = factories.create_request(team=team, referrer=referrer)
    sent = submitted(team, referrer=referrer)
    db.session.commit()
    auth.login(referrer)
    page = client.get("/requests?state=submitted").text
    assert f'href="/requests/{sent.id}"' in page and f'href="/requests/{draft.id}"' not in page


def test_a_busy_request_page_stays_within_the_statement_budget(client, auth, count_queries):
    from consult.consultations import services

    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator, factories.create_user("coordinator")],
                                 members=[factories.create_user("member") for _ in range(3)])
    request = submitted(team)
    for i in range(6):
        services.post_message(request, request.referrer if i % 2 else coordinator, f"Viesti {i}")
    services.perform(request, "return_for_completion", coordinator, message="Lisää.")
    services.perform(request, "resubmit", request.referrer)
    db.session.commit()
    for user in (coordinator, request.referrer):
        auth.login(user)
        client.get(f"/requests/{request.id}")
        with count_queries() as counter:
            assert client.get(f"/requests/{request.id}").status_code == 200
        assert counter.count <= 12, "\n".join(counter.statements)
        auth.logout()

"""Flows 1 and 2 of SPEC §4 in a real browser, in English and Finnish, with axe-core
on every page: the referrer fills the pre-form (autosave survives a reload) and sends
the request; the coordinator opens it from the inbox, talks in the thread, returns it,
accepts it and resolves it with guidance. The same flows complete without JavaScript."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from consult.demo import TEAM
from tests.browser.conftest import assert_no_axe_violations, sign_in, translated

pytestmark = pytest.mark.browser


def texts(app, lang):
    return lambda msgid, **values: translated(app, lang, msgid, **values)


def start_draft(page, live_server, t, lang):
    sign_in(page, live_server, "referrer@example.fi", f"/clients?lang={lang}")
    page.get_by_role("link", name="Virtanen, Matti Olavi").click()
    page.get_by_role("link", name=t("New consultation request")).click()
    page.get_by_label(t("Team or physician")).select_option(label=t("Team: %(name)s", name=TEAM))
    page.get_by_label(t("Way of consulting")).select_option(label=t("Team meeting"))
    page.get_by_role("button", name=t("Create draft")).click()
    expect(page.get_by_text(t("Draft request created. Fill in the pre-information form."))).to_be_visible()


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_flow_1_referrer_fills_the_preform_and_sends_the_request(app, demo_world, live_server,
                                                                 page, lang):
    t = texts(app, lang)
    start_draft(page, live_server, t, lang)
    assert_no_axe_violations(page)

    # Autosave while typing: the text survives a reload without pressing anything.
    page.get_by_label(t("Reason for referral")).fill("Pitkä sairausloma, paluu työhön mietityttää.")
    expect(page.locator("#autosave-status")).to_contain_text(
        t("Saved automatically %(when)s.", when="").rstrip(". "))
    page.reload()
    expect(page.get_by_label(t("Reason for referral"))).to_have_value(
        "Pitkä sairausloma, paluu työhön mietityttää.")

    # "Save draft" as well; leaving and coming back loses nothing.
    page.get_by_label(t("Housing")).fill("Vuokra-asunto")
    page.get_by_role("button", name=t("Save draft")).click()
    expect(page.get_by_text(t("Draft saved."))).to_be_visible()
    page.goto(f"{live_server}/?lang={lang}")
    page.go_back()
    expect(page.get_by_label(t("Housing"))).to_have_value("Vuokra-asunto")

    page.get_by_role("button", name=t("Submit the request")).click()  # required fields missing
    expect(page.locator("#question__question-error")).to_be_visible()
    expect(page.get_by_label(t("Reason for referral"))).to_have_value(
        "Pitkä sairausloma, paluu työhön mietityttää.")
    assert_no_axe_violations(page)
    page.get_by_label(t("Client's wishes and goals")).fill("Osa-aikatyö kaupan alalla.")
    page.get_by_label(t("Question to the team or the physician")).fill("Mikä tuki sopisi?")
    page.get_by_role("button", name=t("Submit the request")).click()
    expect(page.get_by_text(t("Request submitted."))).to_be_visible()
    expect(page.get_by_text("Osa-aikatyö kaupan alalla.")).to_be_visible()
    expect(page.get_by_role("link", name=t("Version %(n)s", n=1))).to_be_visible()
    assert_no_axe_violations(page)


def test_flow_1_completes_without_javascript(app, demo_world, live_server, browser):
    t = texts(app, "en")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    start_draft(page, live_server, t, "en")
    page.get_by_label(t("Reason for referral")).fill("Ilman JavaScriptiä")
    page.get_by_role("button", name=t("Save draft")).click()
    expect(page.get_by_text(t("Draft saved."))).to_be_visible()
    page.reload()
    expect(page.get_by_label(t("Reason for referral"))).to_have_value("Ilman JavaScriptiä")
    page.get_by_label(t("Client's wishes and goals")).fill("Työkokeilu")
    page.get_by_label(t("Question to the team or the physician")).fill("Mitä seuraavaksi?")
    page.get_by_role("button", name=t("Submit the request")).click()
    expect(page.get_by_text(t("Request submitted."))).to_be_visible()
    context.close()


def demo_request(state, mode="team_meeting"):
    from consult.consultations.models import ConsultationRequest
    from consult.extensions import db

    return db.session.scalars(select(ConsultationRequest).where(
        ConsultationRequest.state == state, ConsultationRequest.mode == mode)
        .order_by(ConsultationRequest.id)).first()


@pytest.mark.several_browsers
@pytest.mark.parametrize("lang", ["en", "fi"])
def test_flow_2_coordinator_triages_and_talks_with_the_referrer(app, demo_world, live_server,
                                                                 browser, lang):
    t = texts(app, lang)
    urgent = demo_request("submitted")
    coordinator = browser.new_page()
    sign_in(coordinator, live_server, "coordinator@example.fi", f"/?lang={lang}")
    assert_no_axe_violations(coordinator)
    coordinator.get_by_role("link", name=t("Inbox")).first.click()
    assert_no_axe_violations(coordinator)
    coordinator.get_by_role("link", name=t("Request %(id)s", id=urgent.id)).click()
    expect(coordinator.get_by_text(urgent.preform.versions[0].content["question.question"])
           ).to_be_visible()

    # The thread: htmx swaps it in place.
    coordinator.locator("#body").fill("Onko asiakkaalla tuore lausunto?")
    coordinator.get_by_role("button", name=t("Send the message")).click()
    expect(coordinator.locator("#messages")).to_contain_text("Onko asiakkaalla tuore lausunto?")
    assert_no_axe_violations(coordinator)

    # Return for completion: the message is required.
    coordinator.get_by_role("button", name=t("Return for completion")).click()
    expect(coordinator.locator("#message-error")).to_be_visible()
    coordinator.get_by_label(t("Message to the referrer")).fill("Lisää terveydentilan kuvaus.")
    coordinator.get_by_role("button", name=t("Return for completion")).click()
    expect(coordinator.get_by_text(t("Decision recorded: %(act)s.",
                                     act=t("Returning the request for completion")))).to_be_visible()

    # The referrer is notified, completes and resubmits.
    referrer = browser.new_page()
    sign_in(referrer, live_server, "referrer@example.fi", f"/notifications?lang={lang}")
    assert_no_axe_violations(referrer)
    referrer.get_by_role("link", name=t("Request %(id)s", id=urgent.id)).first.click()
    expect(referrer.locator("#messages")).to_contain_text("Onko asiakkaalla tuore lausunto?")
    referrer.get_by_label(t("Functional capacity as the client sees it")).fill("Väsyy iltapäivisin.")
    referrer.get_by_role("button", name=t("Submit the request")).click()
    expect(referrer.get_by_text(t("Request submitted."))).to_be_visible()
    expect(referrer.get_by_role("link", name=t("Version %(n)s", n=2))).to_be_visible()

    # The coordinator accepts, then resolves with guidance pointing to a service.
    coordinator.reload()
    expect(coordinator.get_by_text("Väsyy iltapäivisin.")).to_be_visible()
    coordinator.get_by_role("button", name=t("Accept")).click()
    expect(coordinator.get_by_text(t("Decision recorded: %(act)s.",
                                     act=t("Accepting the request")))).to_be_visible()
    coordinator.get_by_label(t("Message to the referrer")).fill("Ohjaus ammatilliseen kuntoutukseen.")
    coordinator.locator("details.service-choice summary").click()
    service = "Ammatillinen kuntoutus" if lang == "fi" else "Vocational rehabilitation"
    coordinator.get_by_label(service, exact=True).check()
    coordinator.get_by_role("button", name=t("Resolve at consultation")).click()
    expect(coordinator.get_by_text(t("Decision recorded: %(act)s.",
                                     act=t("Resolving at the consultation stage")))).to_be_visible()
    assert_no_axe_violations(coordinator)

    referrer.reload()
    expect(referrer.locator(".linked-services")).to_contain_text(service)


def test_flow_2_coordinator_declines_without_javascript(app, demo_world, live_server, browser):
    t = texts(app, "en")
    physician_case = demo_request("submitted", mode="video")
    team_case = demo_request("submitted")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server, "coordinator@example.fi", f"/teams/{team_case.target_team_id}/inbox?lang=en")
    expect(page.get_by_role("link", name=f"Request {physician_case.id}")).to_have_count(0)
    page.get_by_role("link", name=f"Request {team_case.id}").click()
    page.locator("#body").fill("Kysymys ilman JavaScriptiä")
    page.get_by_role("button", name="Send the message").click()
    expect(page.locator("#messages")).to_contain_text("Kysymys ilman JavaScriptiä")
    page.get_by_label("Message to the referrer").fill("Ei kuulu tiimille.")
    page.get_by_role("button", name="Decline").click()
    expect(page.get_by_text(t("Decision recorded: %(act)s.", act=t("Declining the request")))
           ).to_be_visible()
    context.close()

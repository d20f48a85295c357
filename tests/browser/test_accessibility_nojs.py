"""Issue 11, SPEC §6: "every page works without JavaScript" for the key forms of flows 1,
2 and 6 that no other browser test already runs without it, and the accessibility
statement's feedback form. (Already elsewhere without JavaScript: logging in and out —
test_foundation_browser; a request's draft, pre-form and submitting — test_requests_
browser, which also declines; the meeting, its agenda and sending it —
test_meetings_browser; the client register's search — test_clients_browser.)"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from consult.demo import TEAM
from consult.extensions import db
from tests import factories
from tests.browser.conftest import demo_request_id, sign_in

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000


@pytest.fixture
def no_js_page(new_context):
    context = new_context(java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def submit(page, name: str) -> None:
    with page.expect_navigation(timeout=TIMEOUT_MS):
        page.get_by_role("button", name=name, exact=True).click()


def flash(page, text: str):
    return expect(page.locator(".flash").filter(has_text=text)).to_be_visible()


def test_flow_1_a_client_is_registered_and_consent_recorded_without_javascript(
        app, demo_world, live_server, no_js_page):
    page = no_js_page
    code = factories.identity_code("131052-", 979)
    sign_in(page, live_server, "referrer@example.fi", "/clients/new?lang=en")
    page.get_by_label("Last name").fill("Öhman")
    page.get_by_label("First names").fill("Ilona")
    page.get_by_label("Personal identity code").fill("131052-308U")  # wrong check character
    page.get_by_label("Municipality of residence").fill("Pirkkala")
    submit(page, "Register the client")
    expect(page.get_by_label("Personal identity code")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Last name")).to_have_value("Öhman")
    page.get_by_label("Personal identity code").fill(code)
    submit(page, "Register the client")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ilona Öhman")

    with page.expect_navigation():
        page.get_by_role("link", name="Record consent").click()
    page.get_by_label("Add all participating organisations of a team").select_option(label=TEAM)
    submit(page, "Add the team's organisations")  # a plain POST ticks the team's organisations
    expect(page.get_by_label("Kela, Pirkanmaan vakuutuspiiri")).to_be_checked()
    page.get_by_label("Tampereen seudun työllisyysalue").check()
    submit(page, "Record consent")
    flash(page, "Consent recorded.")
    expect(page.get_by_text(f"Team: {TEAM}")).to_be_visible()

    with page.expect_navigation():
        page.get_by_role("link", name="New consultation request").click()
    page.get_by_label("Team or physician").select_option(label=f"Team: {TEAM}")
    page.get_by_label("Way of consulting").select_option(label="Team meeting")
    submit(page, "Create draft")
    flash(page, "Draft request created. Fill in the pre-information form.")
    # The pre-form saves with its button (no autosave without JavaScript).
    page.get_by_label("Reason for referral").fill("Ilman JavaScriptiä.")
    submit(page, "Save draft")
    flash(page, "Draft saved.")
    expect(page.get_by_label("Reason for referral")).to_have_value("Ilman JavaScriptiä.")


def test_flow_2_the_coordinator_talks_and_accepts_without_javascript(app, demo_world,
                                                                     live_server, no_js_page):
    from consult.consultations.models import ConsultationRequest

    waiting = demo_request_id("Virtanen", state="submitted", team=True)
    page = no_js_page
    sign_in(page, live_server, "coordinator@example.fi", f"/requests/{waiting}?lang=en")
    page.locator("#body").fill("Onko asiakkaalla tuore lausunto?")
    submit(page, "Send the message")
    expect(page.locator("#messages")).to_contain_text("Onko asiakkaalla tuore lausunto?")
    submit(page, "Accept")
    flash(page, "Decision recorded: Accepting the request.")

    db.session.rollback()
    assert db.session.get(ConsultationRequest, waiting).state == "accepted"
    db.session.commit()


@pytest.mark.several_browsers
def test_flow_6_the_referrer_reads_the_protocol_and_acts_on_it_without_javascript(
        app, demo_world, live_server, no_js_page, new_context):
    page = no_js_page
    lehtonen = demo_request_id("Lehtonen")
    sign_in(page, live_server, "referrer@example.fi", f"/requests/{lehtonen}/protocol?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Protocol: request {lehtonen}")
    expect(page.locator("#recommendations")).to_contain_text(
        "Haetaan Kelan ammatillisen kuntoutuksen selvitystä.")
    expect(page.get_by_role("link", name="Print the protocol (PDF)")).to_be_visible()
    page.get_by_label("Note on completing").first.fill("Pyydetty 24.11.")
    with page.expect_navigation():
        page.get_by_role("button", name="Mark as done").first.click()
    flash(page, "Action item marked as done.")

    other = new_context(java_script_enabled=False).new_page()
    sign_in(other, live_server, "referrer.social@example.fi", f"/requests/{demo_request_id('Koskinen')}/follow-up?lang=en")
    other.get_by_label("Path actually taken").select_option("social_rehabilitation")
    other.get_by_label("Situation at the follow-up").fill("Ryhmä alkoi.")
    other.get_by_label("Work ability score now (0–10)").fill("5")
    other.get_by_role("group", name="Was a meeting needed?").get_by_label("Yes").check()
    other.get_by_role("group", name="Did the consultation change the client's plan?") \
        .get_by_label("Partly").check()
    submit(other, "Record the follow-up and close the case")
    flash(other, "Follow-up recorded: the case is closed.")


def test_the_accessibility_feedback_form_works_without_javascript(app, live_server,
                                                                  no_js_page):
    from consult.outbox.models import OutboxMessage

    page = no_js_page
    page.goto(f"{live_server}/accessibility?lang=en")
    submit(page, "Send the feedback")  # nothing written yet
    message = page.get_by_label("Your feedback")
    expect(message).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#message-error")).to_have_text("Write your feedback.")
    page.get_by_label("Your e-mail address").fill("maija@example.fi")
    message.fill("Kalenterin viikonpäivät ovat lyhenteitä.")
    submit(page, "Send the feedback")
    flash(page, "Thank you for your feedback.")

    db.session.rollback()
    [sent] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "feedback"))
    assert sent.recipient == app.config["ACCESSIBILITY_FEEDBACK_TO"]
    assert "Kalenterin viikonpäivät ovat lyhenteitä." in sent.body
    db.session.commit()

"""Flow 6 of SPEC §4 in a real browser, on the demo world: the referrer reads the
recommendations and action plan of their case, prints it and the client's summary,
completes their action item with a note, and records the follow-up that closes a case;
axe-core finds nothing on these pages."""
from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from consult.extensions import db
from tests.browser.conftest import assert_no_axe_violations, demo_request_id, sign_in

pytestmark = pytest.mark.browser


def _fresh(model, ident):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(model, ident)


def _pdf_text(page, live_server: str, href: str) -> str:
    response = page.request.get(live_server + href)  # with the page's login cookie
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)


def test_flow_6_referrer_reads_prints_and_completes_their_action_item(demo_world, live_server,
                                                                      page):
    from consult.protocols.models import ActionItem

    sign_in(page, live_server, "referrer@example.fi", "/actions?lang=en")
    assert_no_axe_violations(page)
    first = page.locator(".action-items li").first
    expect(first).to_contain_text("Pyydä B-lausunto hoitavalta lääkäriltä.")
    expect(first).to_contain_text("overdue")

    with page.expect_navigation():
        first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Protocol")
    expect(page.locator("#recommendations")).to_contain_text(
        "Haetaan Kelan ammatillisen kuntoutuksen selvitystä.")
    assert_no_axe_violations(page)

    protocol_pdf = page.get_by_role("link", name="Print the protocol (PDF)")
    text = _pdf_text(page, live_server, protocol_pdf.get_attribute("href"))
    assert "Haetaan Kelan ammatillisen kuntoutuksen selvitystä." in text
    assert "Psykologin mukaan" in text  # the team's notes are in the protocol
    summary = _pdf_text(page, live_server, page.get_by_role(
        "link", name="Summary for the client (PDF)").get_attribute("href"))
    assert "Pyydä B-lausunto" in summary and "Psykologin mukaan" not in summary

    item_id = db.session.scalar(select(ActionItem.id).where(
        ActionItem.what == "Pyydä B-lausunto hoitavalta lääkäriltä."))
    page.get_by_label("Note on completing").first.fill("Lausunto pyydetty 24.11.")
    with page.expect_navigation():
        page.locator(f"#complete-{item_id}").click()
    expect(page.get_by_text("Action item marked as done.")).to_be_visible()
    done = _fresh(ActionItem, item_id)
    assert (done.state, done.completion_note) == ("done", "Lausunto pyydetty 24.11.")


def test_flow_6_referrer_records_the_follow_up_and_the_case_closes(demo_world, live_server,
                                                                   page):
    from consult.consultations.models import ConsultationRequest

    request_id = demo_request_id("Koskinen")
    sign_in(page, live_server, "referrer.social@example.fi", f"/requests/{request_id}?lang=en")
    expect(page.get_by_role("heading", name="Recommendations and action plan")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("link", name="Record the follow-up").click()
    assert_no_axe_violations(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Record the follow-up and close the case").click()
    expect(page.get_by_text("Describe the client's situation now.").first).to_be_visible()
    assert _fresh(ConsultationRequest, request_id).state == "discussed"
    assert_no_axe_violations(page)

    page.get_by_label("Path actually taken").select_option("social_rehabilitation")
    page.get_by_label("Situation at the follow-up").fill("Ryhmä alkoi; uni on parantunut.")
    page.get_by_label("Work ability score now (0–10)").fill("5")
    page.get_by_role("group", name="Was a meeting needed?").get_by_label("Yes").check()
    page.get_by_role("group", name="Did the consultation change the client's plan?") \
        .get_by_label("Partly").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Record the follow-up and close the case").click()
    expect(page.get_by_text("Follow-up recorded: the case is closed.")).to_be_visible()
    assert _fresh(ConsultationRequest, request_id).state == "closed"

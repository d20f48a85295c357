"""Flow 4 of SPEC §4 up to the booked slot, keyboard only, in English and Finnish, with
axe-core on every page: the physician publishes availability, opens a request from
their inbox and books a free time; the referrer sees the booked time and its link."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import assert_no_axe_violations, sign_in, translated

pytestmark = pytest.mark.browser


def press(page, locator, key="Enter"):
    """Reach a control by keyboard focus and press a key on it (no mouse)."""
    locator.focus()
    expect(locator).to_be_focused()
    page.keyboard.press(key)


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_flow_4_physician_publishes_availability_and_books_a_time(app, demo_world, live_server,
                                                                  page, lang):
    from consult.consultations.models import ConsultationRequest
    from consult.extensions import db

    t = lambda msgid, **values: translated(app, lang, msgid, **values)  # noqa: E731
    waiting = db.session.scalars(select(ConsultationRequest).where(
        ConsultationRequest.state == "submitted", ConsultationRequest.mode == "video")
        .order_by(ConsultationRequest.id)).first()
    db.session.commit()  # the test holds no transaction while the server works

    sign_in(page, live_server, "physician@example.fi", f"/physician/availability?lang={lang}")
    assert_no_axe_violations(page)
    page.get_by_label(t("Weekday")).select_option(label=t("Wednesday"))
    page.locator("#start_time").fill("09:00")
    page.locator("#end_time").fill("11:00")
    page.get_by_label(t("Slot length (minutes)")).fill("30")
    page.get_by_label(t("Way of consulting")).select_option(label=t("Video"))
    page.get_by_label(t("Place or video link")).fill("https://video.example.fi/keskiviikko")
    press(page, page.get_by_role("button", name=t("Add rule")))
    expect(page.locator(".flash.hds-notification--success")).to_be_visible()
    expect(page.get_by_text("https://video.example.fi/keskiviikko").first).to_be_visible()
    assert_no_axe_violations(page)

    page.goto(f"{live_server}/physician/inbox?lang={lang}")
    assert_no_axe_violations(page)
    press(page, page.get_by_role("link", name=t("Request %(id)s", id=waiting.id)))
    expect(page.get_by_role("heading", name=t("Consultation time"))).to_be_visible()
    assert_no_axe_violations(page)
    first_free = page.locator("#booking input[name=slots]").first
    press(page, first_free, "Space")
    expect(first_free).to_be_checked()
    press(page, page.get_by_role("button", name=t("Book the chosen time")))
    expect(page.get_by_text(t("Time booked."))).to_be_visible()
    expect(page.get_by_role("button", name=t("Cancel the booking"))).to_be_visible()
    assert_no_axe_violations(page)

    page.context.clear_cookies()
    sign_in(page, live_server, "referrer.ohjaamo@example.fi", f"/requests/{waiting.id}?lang={lang}")
    booking = page.locator("#booking")
    expect(booking).to_contain_text(t("Physician appointment by video"))
    video = "https://video.example.fi/tyoterveys-lääkäri"
    expect(booking.get_by_role("link", name=video)).to_have_attribute("href", video)
    expect(booking.get_by_role("link", name=t("Add to calendar (.ics)"))).to_have_attribute(
        "href", f"/requests/{waiting.id}/booking.ics")
    assert_no_axe_violations(page)


def test_the_referrer_picks_a_proposed_time_by_keyboard(app, demo_world, live_server, page):
    from consult.consultations.models import ConsultationRequest
    from consult.extensions import db
    from consult.scheduling.models import SlotProposal

    proposed = db.session.scalars(select(ConsultationRequest).join(
        SlotProposal, SlotProposal.request_id == ConsultationRequest.id)
        .order_by(ConsultationRequest.id)).first()
    db.session.commit()
    sign_in(page, live_server, "referrer.social@example.fi", f"/requests/{proposed.id}?lang=en")
    choice = page.locator("#booking input[name=slot_id]").first
    press(page, choice, "Space")
    press(page, page.get_by_role("button", name="Book the chosen time"))
    expect(page.get_by_text("Time booked.")).to_be_visible()
    expect(page.locator("#booking")).to_contain_text("Physician appointment by phone")
    assert_no_axe_violations(page)

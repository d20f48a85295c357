"""Flow 7 of SPEC §4 in a real browser, on the demo world: "my work" gathers what is
each role's — the referrer's new recommendations, action items and follow-ups due, the
coordinator's protocols to finalise, the physician's notes and statements to sign —
and each line leads to where the work is done."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from consult.extensions import db
from tests.browser.conftest import assert_no_axe_violations, demo_request_id, sign_in

pytestmark = pytest.mark.browser


def another_desk(page):
    """Another person's browser: a context of its own, sharing no cookies (clearing
    them could race with a response still setting the first person's session)."""
    return page.context.browser.new_context().new_page()


def section(page, heading: str):
    return page.get_by_role("region", name=heading)


@pytest.mark.several_browsers
def test_flow_7_the_referrer_finds_recommendations_actions_and_follow_ups(demo_world,
                                                                          live_server, page):
    sign_in(page, live_server, "referrer@example.fi", "/?lang=en")
    assert_no_axe_violations(page)
    lehtonen = demo_request_id("Lehtonen")
    new = section(page, "New recommendations")
    expect(new).to_contain_text(f"Request {lehtonen}")
    actions = section(page, "My action items")
    expect(actions).to_contain_text("Pyydä B-lausunto hoitavalta lääkäriltä.")
    with page.expect_navigation():
        new.get_by_role("link", name=f"Request {lehtonen}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"request {lehtonen}")

    page = another_desk(page)
    sign_in(page, live_server, "referrer.social@example.fi", "/?lang=en")
    due = section(page, "Follow-ups due")
    expect(due).to_contain_text(f"Request {demo_request_id('Koskinen')}")
    with page.expect_navigation():
        due.get_by_role("link", name="Record the follow-up").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Follow-up")


@pytest.mark.several_browsers
def test_flow_7_the_coordinator_and_the_physician_find_what_to_finalise_and_sign(
        demo_world, live_server, page):
    from consult.meetings.models import Meeting
    from consult.timeutil import utcnow

    db.session.rollback()
    today_meeting = db.session.scalar(select(Meeting.id).where(
        Meeting.state == "agenda_sent", Meeting.series_id.is_(None),
        Meeting.starts_at > utcnow().replace(hour=0)).order_by(Meeting.starts_at))
    sign_in(page, live_server, "coordinator@example.fi", f"/meetings/{today_meeting}/run?lang=en")
    with page.expect_navigation():
        page.locator("#start-meeting").click()
    page.goto(f"{live_server}/?lang=en")
    assert_no_axe_violations(page)
    to_finalise = section(page, "Protocols to finalise")
    with page.expect_navigation():
        to_finalise.get_by_role("link").first.click()
    assert f"/meetings/{today_meeting}/run" in page.url

    page = another_desk(page)
    sign_in(page, live_server, "physician@example.fi", "/?lang=en")
    assert_no_axe_violations(page)
    to_sign = section(page, "Notes and statements to sign")
    expect(section(page, "My booked times")).to_be_visible()
    with page.expect_navigation():
        to_sign.get_by_role("link").first.click()
    expect(page.get_by_role("button", name="Sign the written statement")).to_be_visible()

"""The personal calendar feed in a real browser (SPEC §5): a team member creates the
feed address on their profile, copies it from the field, a calendar app fetches it and
finds the meeting; revoked, the address answers 404. axe-core on the profile in English
and Finnish, with and without the address shown."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from consult.extensions import db
from tests import factories
from tests.browser.conftest import assert_no_axe_violations, sign_in, translated

pytestmark = pytest.mark.browser


def member_with_a_meeting(lang: str):
    member = factories.create_user("member", language=lang, name="Maija Jäsen")
    team = factories.create_team(coordinators=[factories.create_user("coordinator")],
                                 members=[member])
    meeting = factories.create_meeting(team, state="agenda_sent")
    db.session.commit()
    return member, meeting


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_a_member_creates_uses_and_revokes_their_feed_address(app, live_server, page, lang):
    t = lambda msgid, **values: translated(app, lang, msgid, **values)  # noqa: E731
    app.config["BASE_URL"] = live_server  # the address points at this server
    member, meeting = member_with_a_meeting(lang)
    sign_in(page, live_server, member.email, f"/profile?lang={lang}")
    section = page.locator("#calendar-feed")
    expect(section.get_by_role("heading", level=2)).to_have_text(t("Calendar feed"))
    assert_no_axe_violations(page)

    with page.expect_navigation():
        section.get_by_role("button", name=t("Create a feed address"), exact=True).click()
    field = page.get_by_label(t("Your feed address"), exact=True)
    expect(field).to_have_attribute("readonly", "")
    url = field.input_value()
    assert url.startswith(f"{live_server}/calendar/") and url.endswith(".ics")
    assert_no_axe_violations(page)

    feed = page.request.get(url)
    assert feed.status == 200
    assert feed.headers["content-type"] == "text/calendar; charset=utf-8"
    assert f"UID:{meeting.uid}" in feed.text()

    # Shown once: the next visit has no field, only when it was made and last used.
    page.goto(f"{live_server}/profile?lang={lang}")
    expect(page.get_by_label(t("Your feed address"), exact=True)).to_have_count(0)
    assert url not in page.content()
    expect(section).to_contain_text(t("Revoke"))
    assert_no_axe_violations(page)

    with page.expect_navigation():
        section.get_by_role("button", name=t("Revoke"), exact=True).click()
    assert page.request.get(url).status == 404
    expect(section.get_by_role("button", name=t("Create a feed address"), exact=True)) \
        .to_be_visible()
    assert_no_axe_violations(page)

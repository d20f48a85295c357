"""The end of flow 1 in a real browser: from the client's page to a submitted
consultation request, the pre-form saved and found again after a reload."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from consult.demo import TEAM
from tests.browser.conftest import assert_no_axe_violations, login, translated

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_referrer_sends_a_request_to_the_team(app, demo_world, live_server, page, lang):
    t = lambda msgid, **values: translated(app, lang, msgid, **values)  # noqa: E731
    login(page, live_server, "referrer@example.fi")
    page.goto(f"{live_server}/clients?lang={lang}")
    page.get_by_role("link", name="Virtanen, Matti Olavi").click()
    page.get_by_role("link", name=t("New consultation request")).click()
    assert_no_axe_violations(page)
    page.get_by_label(t("Team or physician")).select_option(label=t("Team: %(name)s", name=TEAM))
    page.get_by_label(t("Way of consulting")).select_option(label=t("Team meeting"))
    page.get_by_role("button", name=t("Create draft")).click()
    expect(page.get_by_text(t("Draft request created. Fill in the pre-information form."))).to_be_visible()
    assert_no_axe_violations(page)

    page.get_by_label(t("Reason for referral")).fill("Pitkä sairausloma, paluu työhön mietityttää.")
    page.get_by_role("button", name=t("Save draft")).click()
    expect(page.get_by_text(t("Draft saved."))).to_be_visible()
    page.reload()
    expect(page.get_by_label(t("Reason for referral"))).to_have_value(
        "Pitkä sairausloma, paluu työhön mietityttää.")

    page.get_by_role("button", name=t("Submit the request")).click()  # required fields missing
    expect(page.locator("#question__question-error")).to_be_visible()
    expect(page.get_by_label(t("Reason for referral"))).to_have_value(
        "Pitkä sairausloma, paluu työhön mietityttää.")
    page.get_by_label(t("Client's wishes and goals")).fill("Osa-aikatyö kaupan alalla.")
    page.get_by_label(t("Question to the team or the physician")).fill("Mikä tuki sopisi?")
    page.get_by_role("button", name=t("Submit the request")).click()
    expect(page.get_by_text(t("Request submitted."))).to_be_visible()
    expect(page.get_by_text("Osa-aikatyö kaupan alalla.")).to_be_visible()
    assert_no_axe_violations(page)

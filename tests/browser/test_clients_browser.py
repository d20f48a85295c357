"""Flow 1, front half, in a real browser: register a client (a wrong identity code
first), record consent for the team in one click, withdraw it — in English and in
Finnish, with axe-core on every page."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from consult.clients.models import Client
from consult.consents.models import Consent
from consult.demo import TEAM
from consult.extensions import db
from tests import factories
from tests.browser.conftest import assert_no_axe_violations, sign_in, translated

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_referrer_registers_a_client_records_and_withdraws_consent(
        app, demo_world, live_server, page, lang):
    t = lambda msgid, **values: translated(app, lang, msgid, **values)  # noqa: E731
    sign_in(page, live_server, "referrer@example.fi", f"/clients?lang={lang}")
    assert_no_axe_violations(page)
    page.get_by_role("link", name=t("Register a client")).click()
    assert_no_axe_violations(page)

    page.get_by_label(t("Last name")).fill("Öhman")
    page.get_by_label(t("First names")).fill("Ilona")
    page.get_by_label(t("Personal identity code")).fill("131052-308U")  # wrong check character
    page.get_by_label(t("Municipality of residence")).fill("Pirkkala")
    page.get_by_role("button", name=t("Register the client")).click()

    code_field = page.get_by_label(t("Personal identity code"))
    expect(code_field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#identity_code-error")).to_contain_text(
        t("The check character does not match. Check the personal identity code."))
    expect(page.get_by_label(t("Last name"))).to_have_value("Öhman")  # nothing typed is lost
    expect(page.get_by_label(t("Municipality of residence"))).to_have_value("Pirkkala")
    assert_no_axe_violations(page)

    good = factories.identity_code("131052-", 977)
    code_field.fill(good.lower())
    page.get_by_role("button", name=t("Register the client")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ilona Öhman")
    expect(page.get_by_text(t("temporary code"))).to_be_visible()
    assert good not in page.url and good not in page.title()
    assert_no_axe_violations(page)

    page.get_by_role("link", name=t("Record consent")).click()
    page.get_by_label(t("Add all participating organisations of a team")).select_option(label=TEAM)
    page.get_by_role("button", name=t("Add the team's organisations")).click()
    own = page.get_by_label("Tampereen seudun työllisyysalue")
    own.check()
    assert_no_axe_violations(page)
    page.get_by_role("button", name=t("Record consent")).click()
    expect(page.get_by_text(t("Consent recorded."))).to_be_visible()
    expect(page.get_by_text(f'{t("Team")}: {TEAM}')).to_be_visible()
    assert_no_axe_violations(page)

    page.get_by_role("link", name=t("Withdraw consent")).click()
    assert_no_axe_violations(page)
    page.get_by_role("button", name=t("Withdraw consent")).click()  # no reason yet
    expect(page.locator("#reason-error")).to_be_visible()
    page.get_by_label(t("Reason")).fill("Asiakas perui suostumuksen.")
    page.get_by_role("button", name=t("Withdraw consent")).click()
    expect(page.get_by_text(t("Consent withdrawn."))).to_be_visible()
    expect(page.get_by_text(t("No team or physician."))).to_be_visible()

    page.get_by_role("link", name=t("Access report")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Access report"))
    assert_no_axe_violations(page)

    db.session.rollback()
    client = db.session.scalar(select(Client).where(Client.identity_code == good))
    consent = db.session.scalar(select(Consent).where(Consent.client_id == client.id))
    assert consent.withdrawn_on is not None
    assert len(consent.organisations) == 5


def test_client_pages_work_without_javascript(app, demo_world, live_server, new_context):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server, "referrer@example.fi", "/clients?lang=en")
    page.get_by_label("Name or personal identity code").fill("virtanen")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Virtanen, Matti Olavi")).to_be_visible()
    expect(page.get_by_role("link", name="Korhonen, Aino Maria")).to_have_count(0)
    page.get_by_role("link", name="Virtanen, Matti Olavi").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Matti Olavi Virtanen")
    # (axe-core needs JavaScript: the same pages are checked in the tests above.)


def test_search_with_htmx_swaps_the_table_in_place(app, demo_world, live_server, page):
    sign_in(page, live_server, "referrer@example.fi", "/clients?lang=en")
    url = page.url
    page.get_by_label("Name or personal identity code").fill("korhonen")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Korhonen, Aino Maria")).to_be_visible()
    expect(page.get_by_role("link", name="Virtanen, Matti Olavi")).to_have_count(0)
    assert page.url == url  # no search words in the address


@pytest.mark.parametrize("url", ["/clients?lang=fi", "/clients/{id}?lang=fi",
                                 "/clients/{id}/consents/new?lang=fi",
                                 "/clients/{id}/access-report?lang=fi"])
def test_client_pages_fit_a_375_px_screen(app, demo_world, live_server, new_context, url):
    db.session.rollback()
    virtanen = db.session.scalar(select(Client).where(Client.last_name == "Virtanen"))
    context = new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    sign_in(page, live_server, "referrer@example.fi", url.format(id=virtanen.id))
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375, f"{url} scrolls sideways ({width} px)"

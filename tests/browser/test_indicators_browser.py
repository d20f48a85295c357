"""Flow 8 of SPEC §4 in a real browser, on the demo world: a coordinator and a manager
read the indicators, narrow them with the filters, and download the CSV."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_axe_violations, sign_in, translated

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_flow_8_the_indicators_with_filters_and_the_csv(app, demo_world, live_server, page,
                                                        lang):
    t = lambda msgid, **values: translated(app, lang, msgid, **values)  # noqa: E731
    sign_in(page, live_server, "manager@example.fi", f"/?lang={lang}")
    with page.expect_navigation():
        page.get_by_role("link", name=t("All indicators of your region's teams")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Indicators"))
    figures = page.get_by_role("table", name=t("Key figures"))
    expect(figures).to_contain_text(t("Requests received"))
    assert_no_axe_violations(page)

    page.get_by_label(t("Period"), exact=True).select_option("year")
    page.get_by_label(t("Referring organisation kind"), exact=True).select_option("employment_area")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Show")).click()
    assert "period=year" in page.url and "kind=employment_area" in page.url
    expect(page.locator(".period-line")).to_contain_text(t("Municipal employment area"))
    chart = page.get_by_role("img", name=t("Requests received by month"), exact=True)
    expect(chart).to_be_visible()
    expect(page.get_by_role("table", name=t("Requests received by month"), exact=True)).to_be_visible()
    assert_no_axe_violations(page)

    with page.expect_download() as download:
        page.get_by_role("link", name=t("Download as CSV")).click()
    text = open(download.value.path(), encoding="utf-8").read()
    assert text.startswith("team;period_start;period_end;measure;breakdown;value")
    assert ";received;;" in text

    # A range that ends before it starts: the message at the field, the dates kept.
    page.get_by_label(t("Period"), exact=True).select_option("range")
    page.get_by_label(t("From"), exact=True).fill("2026-10-10")
    page.get_by_label(t("To"), exact=True).fill("2026-10-01")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Show")).click()
    expect(page.locator("#end-error")).to_have_text(t("The range ends before it starts."))
    expect(page.get_by_label(t("From"), exact=True)).to_have_value("2026-10-10")
    assert_no_axe_violations(page)


def test_a_coordinator_reads_their_team_with_the_keyboard(demo_world, live_server, page):
    sign_in(page, live_server, "coordinator@example.fi", "/indicators?lang=en")
    page.get_by_label("Team", exact=True).focus()
    page.keyboard.press("ArrowDown")
    page.get_by_role("button", name="Show").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "team=" in page.url
    expect(page.get_by_role("table", name="Key figures")).to_contain_text("Requests received")

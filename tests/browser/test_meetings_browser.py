"""Flow 3 of SPEC §4 in a real browser, in English and Finnish, axe-core on every
page: the coordinator creates a series of meetings, puts accepted requests on an
agenda, reorders it by keyboard (drag handle with the arrow keys, and the Move
buttons), adds a guest and sends the agenda. The same works without JavaScript."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from consult.demo import TEAM
from tests.browser.conftest import assert_no_axe_violations, sign_in, translated

pytestmark = pytest.mark.browser


def accepted_cases(count: int):
    """Accepted requests of the demo team, waiting for a meeting."""
    from consult.accounts.models import User
    from consult.clients.models import Client
    from consult.consultations import services
    from consult.extensions import db
    from consult.organisations.models import Team
    from tests import factories

    team = db.session.scalar(select(Team).where(Team.name == TEAM))
    coordinator = db.session.scalar(select(User).where(User.email == "coordinator@example.fi"))
    referrer = db.session.scalar(select(User).where(User.email == "referrer@example.fi"))
    client = db.session.scalar(select(Client).where(Client.last_name == "Virtanen"))
    cases = []
    for _ in range(count):  # under the client's demo consent, which covers the team
        case = factories.create_request(team=team, referrer=referrer, client=client,
                                        consent=False)
        services.perform(case, "submit", referrer)
        services.perform(case, "accept", coordinator)
        cases.append(case)
    db.session.commit()
    return cases


def press(page, locator, key="Enter"):
    locator.focus()
    expect(locator).to_be_focused()
    page.keyboard.press(key)


def agenda_order(page) -> list[str]:
    return page.locator("#agenda .agenda-item").evaluate_all(
        "items => items.map(i => i.getAttribute('data-item-id'))")


def create_meeting(page, live_server, t, lang, repeat: str | None):
    from consult.timeutil import today

    page.goto(f"{live_server}/meetings?lang={lang}")
    page.get_by_role("link", name=t("New meeting")).first.click()
    day = today() + timedelta(days=15)
    page.get_by_label(t("Date"), exact=False).first.fill(day.isoformat())
    if repeat:
        page.get_by_label(t(repeat)).check()
        page.get_by_label(t("Repeat until")).fill((day + timedelta(weeks=3)).isoformat())
    page.get_by_role("button", name=t("Create")).click()
    expect(page.get_by_role("heading", name=t("Agenda"), exact=True)).to_be_visible()


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_flow_3_coordinator_builds_and_sends_an_agenda(app, demo_world, live_server, page, lang):
    t = lambda msgid, **values: translated(app, lang, msgid, **values)  # noqa: E731
    first, second = accepted_cases(2)
    sign_in(page, live_server, "coordinator@example.fi", f"/meetings?lang={lang}")
    assert_no_axe_violations(page)
    create_meeting(page, live_server, t, lang, "Every week")
    assert_no_axe_violations(page)

    for count, case in enumerate((first, second), start=1):
        page.get_by_label(t("Accepted request")).select_option(
            label=t("Request %(id)s", id=case.id))
        press(page, page.get_by_role("button", name=t("Put on the agenda")))
        expect(page.locator("#agenda .agenda-item")).to_have_count(count)
    before = agenda_order(page)
    assert len(before) == 2

    # Keyboard drag and drop: focus the second case's handle, arrow up.
    handle = page.locator(f'.agenda-item[data-item-id="{before[1]}"] .drag-handle')
    with page.expect_response(lambda r: r.url.endswith("/order")):
        press(page, handle, "ArrowUp")
    expect(page.locator("#agenda .agenda-item").first).to_have_attribute(
        "data-item-id", before[1])
    # And back with the Move down button, by keyboard.
    with page.expect_response(lambda r: r.url.endswith("/move")):
        press(page, page.locator(f"#down-{before[1]}"))
    expect(page.locator("#agenda .agenda-item").first).to_have_attribute(
        "data-item-id", before[0])
    assert_no_axe_violations(page)

    guest_link = t("Add a guest for request %(id)s", id=first.id)
    press(page, page.get_by_role("link", name=guest_link))
    expect(page.get_by_role("heading", name=guest_link)).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_label(t("Guest's name")).fill("Sari Sosiaalityö")
    page.get_by_label(t("Guest's e-mail")).fill("sari@example.fi")
    press(page, page.get_by_role("button", name=t("Add the guest")))
    expect(page.locator("#agenda")).to_contain_text("Sari Sosiaalityö")

    press(page, page.get_by_role("button", name=t("Send the agenda")))
    expect(page.locator(".flash.hds-notification--success")).to_be_visible()
    expect(page.locator("h1 .state")).to_have_text(t("Agenda sent"))
    assert_no_axe_violations(page)


def test_flow_3_works_without_javascript(app, demo_world, live_server, browser):
    first, second = accepted_cases(2)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    t = lambda msgid, **values: translated(app, "en", msgid, **values)  # noqa: E731
    sign_in(page, live_server, "coordinator@example.fi")
    create_meeting(page, live_server, t, "en", None)
    for count, case in enumerate((first, second), start=1):
        page.get_by_label("Accepted request").select_option(label=f"Request {case.id}")
        page.get_by_role("button", name="Put on the agenda").click()
        expect(page.locator("#agenda .agenda-item")).to_have_count(count)
    order = agenda_order(page)
    expect(page.locator(".drag-handle").first).to_be_hidden()  # no JavaScript, no handle
    page.locator(f"#up-{order[1]}").click()
    expect(page.locator("#agenda .agenda-item").first).to_have_attribute("data-item-id", order[1])
    page.get_by_role("button", name="Send the agenda").click()
    expect(page.locator("h1 .state")).to_have_text("Agenda sent")
    context.close()

"""Issue 11, SPEC §6: flows 1–7 of SPEC §4 completed with the keyboard alone, on the
demo world, in English.

Only the keyboard moves focus and acts: Tab and Shift+Tab to reach a control, Enter on
links and buttons, Space on checkboxes and radio buttons, arrow keys in a select,
typing into the field that Tab reached. The test finds a control (a locator) only to
know when Tab has reached it — `tab_to` presses Tab until the control has the focus,
and fails if it never gets it. No .click(), no .fill(), no locator.focus(). Pages are
opened by address only where a person would type the address or follow a bookmark.
Each flow starts logged in, at my work (`sign_in`); logging in with the keyboard alone
is test_foundation_browser's own test."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from consult.demo import TEAM
from consult.extensions import db
from tests import factories
from tests.browser.conftest import demo_request_id, sign_in, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.long]

TIMEOUT_MS = 60_000


def press_on(page, locator, key: str = "Enter", *, navigates: bool = True) -> None:
    """Tab to a link or button and press it; by default it leads to another page."""
    tab_to(page, locator)
    if navigates:
        with page.expect_navigation(timeout=TIMEOUT_MS):
            page.keyboard.press(key)
    else:
        page.keyboard.press(key)


def type_into(page, locator, text: str) -> None:
    tab_to(page, locator)
    page.keyboard.type(text)
    expect(locator).to_have_value(re.compile(re.escape(text)))


def choose(page, select, label: str) -> None:
    """Tab to a select and move its choice with the arrow keys to the option's label."""
    tab_to(page, select)
    labels = [text.strip() for text in select.locator("option").all_text_contents()]
    target = labels.index(label)
    current = select.evaluate("el => el.selectedIndex")
    key = "ArrowDown" if target > current else "ArrowUp"
    for _ in range(abs(target - current)):
        page.keyboard.press(key)
    expect(select).to_have_value(select.locator("option").nth(target).get_attribute("value"))


def keyboard_login(page, live_server: str, email: str) -> None:
    """Logged in, at my work: the flows start there. (Logging in by keyboard alone is
    test_foundation_browser's test_login_form_works_with_the_keyboard_only.)"""
    page.context.set_default_timeout(TIMEOUT_MS)
    sign_in(page, live_server, email)
    expect(page.get_by_role("heading", level=1)).to_have_text("My work")


def nav(page, name: str):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def flash(page, text: str):
    return expect(page.locator(".flash").filter(has_text=text)).to_be_visible()


# --- flow 1 -----------------------------------------------------------------------------

def test_flow_1_by_keyboard_register_consent_preform_and_request(app, demo_world, live_server,
                                                                 page):
    code = factories.identity_code("131052-", 978)
    keyboard_login(page, live_server, "referrer@example.fi")

    press_on(page, nav(page, "Clients"))
    press_on(page, page.get_by_role("link", name="Register a client").first)
    type_into(page, page.get_by_label("Last name"), "Öhman")
    type_into(page, page.get_by_label("First names"), "Ilona")
    type_into(page, page.get_by_label("Personal identity code"), code)
    type_into(page, page.get_by_label("Municipality of residence"), "Pirkkala")
    press_on(page, page.get_by_role("button", name="Register the client"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ilona Öhman")

    press_on(page, page.get_by_role("link", name="Record consent"))
    choose(page, page.get_by_label("Add all participating organisations of a team"), TEAM)
    press_on(page, page.get_by_role("button", name="Add the team's organisations"))
    own = page.get_by_label("Tampereen seudun työllisyysalue")
    tab_to(page, own)
    page.keyboard.press("Space")
    expect(own).to_be_checked()
    press_on(page, page.get_by_role("button", name="Record consent"))
    flash(page, "Consent recorded.")

    press_on(page, page.get_by_role("link", name="New consultation request"))
    choose(page, page.get_by_label("Team or physician"), f"Team: {TEAM}")
    choose(page, page.get_by_label("Way of consulting"), "Team meeting")
    press_on(page, page.get_by_role("button", name="Create draft"))
    flash(page, "Draft request created. Fill in the pre-information form.")
    request_id = int(re.search(r"/requests/(\d+)", page.url).group(1))

    type_into(page, page.get_by_label("Reason for referral"), "Näppäimistöllä: paluu työhön.")
    press_on(page, page.get_by_role("button", name="Save draft"))
    flash(page, "Draft saved.")

    # Come back to the draft from my work.
    press_on(page, nav(page, "My work"))
    press_on(page, page.get_by_role("region", name="My consultation requests")
             .get_by_role("link", name="Draft", exact=True))
    press_on(page, page.get_by_role("link", name=f"Request {request_id}", exact=True))
    expect(page.get_by_label("Reason for referral")).to_have_value("Näppäimistöllä: paluu työhön.")

    type_into(page, page.get_by_label("Client's wishes and goals"), "Osa-aikatyö kaupassa.")
    type_into(page, page.get_by_label("Question to the team or the physician"),
              "Mikä tuki sopisi?")
    press_on(page, page.get_by_role("button", name="Submit the request"))
    flash(page, "Request submitted.")
    expect(page.get_by_role("link", name="Version 1")).to_be_visible()


# --- flow 2 -----------------------------------------------------------------------------

def test_flow_2_by_keyboard_coordinator_talks_and_accepts(app, demo_world, live_server, page):
    waiting = demo_request_id("Virtanen", state="submitted", team=True)
    keyboard_login(page, live_server, "coordinator@example.fi")

    press_on(page, page.get_by_role("region", name="New consultation requests")
             .get_by_role("link", name=TEAM))
    press_on(page, page.get_by_role("link", name=f"Request {waiting}", exact=True))

    type_into(page, page.get_by_role("textbox", name="Message", exact=True),
              "Onko tuore lausunto?")
    send = page.get_by_role("button", name="Send the message")
    press_on(page, send, navigates=False)  # htmx swaps the thread in place
    expect(page.locator("#messages")).to_contain_text("Onko tuore lausunto?")

    press_on(page, page.get_by_role("button", name="Accept", exact=True))
    flash(page, "Decision recorded: Accepting the request.")


# --- flow 3 -----------------------------------------------------------------------------

def test_flow_3_by_keyboard_meeting_agenda_guest_and_sending(app, demo_world, live_server, page):
    accepted = demo_request_id("Laine", state="accepted", mode="team_meeting")
    keyboard_login(page, live_server, "coordinator@example.fi")

    press_on(page, nav(page, "Meetings"))
    press_on(page, page.get_by_role("link", name="New meeting").first)
    press_on(page, page.get_by_role("button", name="Create", exact=True))
    expect(page.get_by_role("heading", name="Agenda", exact=True)).to_be_visible()

    choose(page, page.get_by_label("Accepted request"), f"Request {accepted}")
    press_on(page, page.get_by_role("button", name="Put on the agenda"), navigates=False)
    expect(page.locator("#agenda .agenda-item")).to_have_count(1)

    guest = f"Add a guest for request {accepted}"
    press_on(page, page.get_by_role("link", name=guest))
    type_into(page, page.get_by_label("Guest's name"), "Sari Sosiaalityö")
    type_into(page, page.get_by_label("Guest's e-mail"), "sari@example.fi")
    press_on(page, page.get_by_role("button", name="Add the guest"))
    expect(page.locator("#agenda")).to_contain_text("Sari Sosiaalityö")

    press_on(page, page.get_by_role("button", name="Send the agenda"))
    expect(page.locator("h1 .state")).to_have_text("Agenda sent")


# --- flow 4 -----------------------------------------------------------------------------

def test_flow_4_by_keyboard_physician_books_a_time_and_signs_a_statement(app, demo_world,
                                                                         live_server, page):
    waiting = demo_request_id("Laine", state="submitted", mode="video")
    statement = demo_request_id("Hämäläinen", state="accepted", mode="written_statement")
    keyboard_login(page, live_server, "physician@example.fi")

    press_on(page, nav(page, "Physician inbox"))
    press_on(page, page.get_by_role("link", name=f"Request {waiting}", exact=True))
    first_free = page.locator("#booking input[name=slots]").first
    tab_to(page, first_free)
    page.keyboard.press("Space")
    expect(first_free).to_be_checked()
    press_on(page, page.get_by_role("button", name="Book the chosen time"))
    flash(page, "Time booked.")

    press_on(page, nav(page, "My work"))
    press_on(page, page.get_by_role("region", name="Notes and statements to sign")
             .get_by_role("link", name=re.compile(f"{statement}")).first)
    if not page.url.split("?")[0].endswith("/record"):  # the request page leads on to it
        press_on(page, page.get_by_role("link", name="Write and sign the statement"))
    type_into(page, page.get_by_label("Answer to the question", exact=True),
              "Osa-aikatyö onnistuu, kun tauot ovat vapaat.")
    press_on(page, page.locator("#save-notes"))
    flash(page, "Notes saved.")
    confirmed = page.locator("#confirmed")
    tab_to(page, confirmed)
    page.keyboard.press("Space")
    expect(confirmed).to_be_checked()
    press_on(page, page.get_by_role("button", name="Sign the written statement"))
    expect(page.get_by_text("Signed.", exact=True)).to_be_visible()


# --- flow 5 -----------------------------------------------------------------------------

def test_flow_5_by_keyboard_action_item_path_and_finalising(app, demo_world, live_server, page):
    """The run view's notes, timer and recommendations by keyboard are in
    test_run_view_browser.py; this one goes on to the end: an action item with its
    responsible person, the path, and finalising."""
    from consult.meetings.models import Meeting
    from consult.timeutil import utcnow

    db.session.rollback()
    today_meeting = db.session.scalar(select(Meeting).where(
        Meeting.state == "agenda_sent", Meeting.series_id.is_(None),
        Meeting.starts_at > utcnow().replace(hour=0)).order_by(Meeting.starts_at))
    db.session.commit()

    keyboard_login(page, live_server, "coordinator@example.fi")
    press_on(page, nav(page, "Meetings"))
    # Today's meeting is upcoming until it ends (14.00 Helsinki time), past after that.
    press_on(page, page.locator(f'a[href="/meetings/{today_meeting.id}"]').first)
    assert f"/meetings/{today_meeting.id}" in page.url, page.url
    press_on(page, page.get_by_role("link", name="Open the run view", exact=True))
    press_on(page, page.get_by_role("button", name="Start the meeting"))
    flash(page, "The meeting has started.")

    type_into(page, page.get_by_role("textbox", name="What is to be done", exact=True),
              "Selvitä työkokeilupaikka.")
    choose(page, page.get_by_role("combobox", name="Responsible", exact=True),
           "Pirjo Psykologi")
    press_on(page, page.locator("#add-action-item"))
    flash(page, "Action item added.")
    expect(page.locator("#action-items")).to_contain_text("Selvitä työkokeilupaikka.")

    choose(page, page.get_by_label("Client's path"), "Rehabilitation")
    press_on(page, page.locator("#save-outcome"))
    expect(page.get_by_label("Client's path")).to_have_value("rehabilitation")

    confirmed = page.locator("#confirmed")
    tab_to(page, confirmed)
    page.keyboard.press("Space")
    press_on(page, page.locator("#finalise-button"))
    expect(page.locator("#record")).to_contain_text("Selvitä työkokeilupaikka.")
    expect(page.locator("#finalise-button")).to_have_count(0)


# --- flow 6 -----------------------------------------------------------------------------

@pytest.mark.several_browsers
def test_flow_6_by_keyboard_referrer_completes_an_action_and_records_follow_up(
        app, demo_world, live_server, page, browser):
    keyboard_login(page, live_server, "referrer@example.fi")
    press_on(page, nav(page, "Action items"))
    first = page.locator(".action-items li").first
    expect(first).to_contain_text("Pyydä B-lausunto hoitavalta lääkäriltä.")
    press_on(page, first.get_by_role("link").first)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Protocol")
    type_into(page, page.get_by_label("Note on completing").first, "Pyydetty puhelimitse.")
    page.keyboard.press("Tab")  # the note's own Mark as done button comes next
    expect(page.get_by_role("button", name="Mark as done").first).to_be_focused()
    with page.expect_navigation(timeout=TIMEOUT_MS):
        page.keyboard.press("Enter")
    flash(page, "Action item marked as done.")

    other = browser.new_context().new_page()
    keyboard_login(other, live_server, "referrer.social@example.fi")
    press_on(other, other.get_by_role("region", name="Follow-ups due")
             .get_by_role("link", name="Record the follow-up").first)
    choose(other, other.get_by_label("Path actually taken"), "Social rehabilitation")
    type_into(other, other.get_by_label("Situation at the follow-up"), "Ryhmä alkoi.")
    type_into(other, other.get_by_label("Work ability score now (0–10)"), "5")
    # A radio group is one Tab stop; the arrow keys move the choice within it.
    needed = other.get_by_role("group", name="Was a meeting needed?")
    tab_to(other, needed.get_by_role("radio").first)
    other.keyboard.press("Space")
    expect(needed.get_by_role("radio").first).to_be_checked()
    changed = other.get_by_role("group", name="Did the consultation change the client's plan?")
    tab_to(other, changed.get_by_role("radio").first)
    other.keyboard.press("ArrowDown")
    expect(changed.get_by_role("radio").nth(1)).to_be_checked()
    press_on(other, other.get_by_role("button", name="Record the follow-up and close the case"))
    flash(other, "Follow-up recorded: the case is closed.")
    other.context.close()


# --- flow 7 -----------------------------------------------------------------------------

def test_flow_7_by_keyboard_my_work_leads_to_the_work(app, demo_world, live_server, page):
    lehtonen = demo_request_id("Lehtonen")
    keyboard_login(page, live_server, "referrer@example.fi")
    press_on(page, page.get_by_role("region", name="New recommendations")
             .get_by_role("link", name=f"Request {lehtonen}"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"request {lehtonen}")
    expect(page.locator("#recommendations")).to_contain_text("Haetaan Kelan")

    press_on(page, nav(page, "My work"))
    press_on(page, page.get_by_role("region", name="My action items")
             .get_by_role("link", name="Show all"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Action items")
    press_on(page, page.locator(".action-items li").first.get_by_role("link").first)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Protocol")

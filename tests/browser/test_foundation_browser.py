"""The foundation in a real browser (SPEC §2, §6, §9): logging in as every role, the
language switch, logging out, WCAG 2.1 AA with axe-core, no JavaScript, keyboard only
and a 375 px wide screen."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from sqlalchemy import select

from consult.accounts.models import LoginSession, User
from consult.demo import DEMO_PASSWORD, TEAM
from consult.extensions import db
from tests.browser.conftest import (assert_no_axe_violations, axe_violations, current_code,
                                    login, translated)

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/consult-shots")
LANGUAGE_LINKS = {"fi": "Suomeksi", "sv": "På svenska", "en": "In English"}

# The English section headings of my work (consult/templates/home/my_work.html).
ROLE_HEADINGS = {
    "admin": {"Administration"},
    "manager": {"Indicators"},
    "coordinator": {"My teams", "New consultation requests", "My meetings"},
    "member": {"My teams", "My meetings"},
    "physician": {"My teams", "My consultations", "My meetings"},
    "referrer": {"My consultation requests"},
}
ALL_HEADINGS = set().union(*ROLE_HEADINGS.values())
ROLE_USERS = {
    "admin": "admin@example.fi",
    "manager": "manager@example.fi",
    "coordinator": "coordinator@example.fi",
    "member": "psychologist@example.fi",
    "physician": "physician@example.fi",
    "referrer": "referrer@example.fi",
}


def second_step(page, email: str) -> None:
    """Administrators must use a second factor: the code from the (demo) app."""
    assert path_of(page) == "/login/second-factor"
    page.get_by_label("Code from your authenticator app").fill(current_code(email))
    with page.expect_navigation():
        page.get_by_role("button", name="Log in", exact=True).click()


def path_of(page) -> str:
    return urlsplit(page.url).path


def screenshot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def expect_language(page, lang: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", lang)
    current = page.locator(".language-nav a[aria-current]")
    expect(current).to_have_count(1)
    expect(current).to_have_text(LANGUAGE_LINKS[lang])
    expect(current).to_have_attribute("lang", lang)


def log_out(page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Log out", exact=True).click()


def user_language(email: str) -> str:
    db.session.rollback()  # a fresh read of what the server committed
    return db.session.scalar(select(User.language).where(User.email == email))


# --- logging in as every role ------------------------------------------------------------

@pytest.mark.parametrize("role", list(ROLE_USERS))
def test_each_role_logs_in_to_my_work_and_sees_its_navigation(demo_world, live_server, page, role):
    page.goto(f"{live_server}/login?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.get_by_label("E-mail").fill(ROLE_USERS[role])
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in", exact=True).click()
    if role == "admin":
        second_step(page, ROLE_USERS[role])

    assert path_of(page) == "/"
    expect(page.get_by_role("heading", level=1)).to_have_text("My work")
    main_nav = page.get_by_role("navigation", name="Main")
    expect(main_nav.get_by_role("link", name="My work", exact=True)).to_be_visible()
    expect(main_nav.get_by_role("link", name="My work", exact=True)).to_have_attribute("aria-current", "page")
    admin_link = main_nav.get_by_role("link", name="Administration", exact=True)
    if role == "admin":
        expect(admin_link).to_be_visible()
    else:
        expect(admin_link).to_have_count(0)
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()

    headings = set(page.locator("main h2").all_inner_texts())
    missing = ROLE_HEADINGS[role] - headings
    foreign = (ALL_HEADINGS - ROLE_HEADINGS[role]) & headings
    assert not missing, f"{role} does not see {missing} on my work"
    assert not foreign, f"{role} sees other roles' sections {foreign} on my work"
    if role in ("coordinator", "member", "physician"):
        teams = page.locator("section[aria-labelledby=teams-heading]")
        expect(teams).to_contain_text(TEAM)


def test_admin_navigation_link_opens_administration(demo_world, live_server, page):
    login(page, live_server, "admin@example.fi")
    with page.expect_navigation():
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Administration", exact=True).click()
    assert path_of(page).startswith("/admin")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Administration", exact=True)).to_have_attribute("aria-current", "page")


def test_wrong_password_is_refused_with_a_message(demo_world, live_server, page):
    page.goto(f"{live_server}/login?lang=en")
    page.get_by_label("E-mail").fill("referrer@example.fi")
    page.get_by_label("Password").fill("Not-the-password-123")
    with page.expect_navigation():
        page.get_by_role("button", name="Log in", exact=True).click()
    assert path_of(page) == "/login"
    expect(page.get_by_role("alert")).to_contain_text("The e-mail address or password is wrong.")
    expect(page.get_by_label("Password")).to_have_value("")
    page.goto(f"{live_server}/")
    assert path_of(page) == "/login"


# --- language ----------------------------------------------------------------------------

def test_finnish_is_the_default_without_a_choice(app, live_server, page):
    page.goto(f"{live_server}/login")
    expect_language(page, "fi")
    expect(page.get_by_role("heading", level=1)).to_have_text(translated(app, "fi", "Log in"))


def test_language_switch_on_the_login_page_sticks_after_login(app, demo_world, live_server, page):
    page.goto(f"{live_server}/login?lang=en")
    expect_language(page, "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")

    for lang in ("fi", "sv", "en"):
        with page.expect_navigation():
            page.get_by_role("link", name=LANGUAGE_LINKS[lang], exact=True).click()
        assert path_of(page) == "/login"
        expect_language(page, lang)
        expect(page.get_by_role("heading", level=1)).to_have_text(translated(app, lang, "Log in"))
        # A new page load without ?lang keeps the choice (a cookie before login).
        page.goto(f"{live_server}/login")
        expect_language(page, lang)

    # Choose Swedish before logging in: the choice is carried onto the user (whose
    # language in the demo world is Finnish).
    assert user_language("referrer.social@example.fi") == "fi"
    with page.expect_navigation():
        page.get_by_role("link", name="På svenska", exact=True).click()
    page.locator("input[name=email]").fill("referrer.social@example.fi")
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name=translated(app, "sv", "Log in"), exact=True).click()
    assert path_of(page) == "/"
    expect_language(page, "sv")
    expect(page.get_by_role("heading", level=1)).to_have_text(translated(app, "sv", "My work"))
    assert user_language("referrer.social@example.fi") == "sv"

    # After login the links switch the user's language, and it sticks on new page loads.
    with page.expect_navigation():
        page.get_by_role("link", name="Suomeksi", exact=True).click()
    expect_language(page, "fi")
    assert path_of(page) == "/"
    page.goto(f"{live_server}/")
    expect_language(page, "fi")
    expect(page.get_by_role("heading", level=1)).to_have_text(translated(app, "fi", "My work"))
    assert user_language("referrer.social@example.fi") == "fi"


@pytest.mark.several_browsers
def test_language_stored_on_the_user_follows_them_to_a_new_browser(
        app, demo_world, live_server, page, new_context):
    login(page, live_server, "physician@example.fi")
    with page.expect_navigation():
        page.get_by_role("link", name="På svenska", exact=True).click()
    expect_language(page, "sv")

    other = new_context().new_page()  # no language cookie in this browser
    other.goto(f"{live_server}/login")
    expect_language(other, "fi")
    other.locator("input[name=email]").fill("physician@example.fi")
    other.locator("input[name=password]").fill(DEMO_PASSWORD)
    with other.expect_navigation():
        other.locator("main form button[type=submit]").click()
    assert path_of(other) == "/"
    expect_language(other, "sv")


# --- logging out -------------------------------------------------------------------------

def test_log_out_ends_the_session(demo_world, live_server, page, context):
    login(page, live_server, "coordinator@example.fi")
    assert path_of(page) == "/"
    cookies = context.cookies()
    assert any(c["name"] == "consult_session" for c in cookies)

    log_out(page)
    assert path_of(page) == "/login"
    expect(page.get_by_role("status")).to_contain_text("You have logged out.")
    expect(page.get_by_role("button", name="Log out", exact=True)).to_have_count(0)
    page.goto(f"{live_server}/")
    assert path_of(page) == "/login"

    # The old cookie is worth nothing any more: the session row is gone on the server.
    db.session.rollback()
    assert db.session.scalar(select(LoginSession.id)) is None
    context.clear_cookies()
    context.add_cookies(cookies)
    page.goto(f"{live_server}/")
    assert path_of(page) == "/login"


# --- accessibility (axe-core, WCAG 2.0/2.1 A and AA) -------------------------------------

def test_axe_check_runs_under_the_csp_and_reports_violations(demo_world, live_server, page):
    """The helper is not vacuous: axe loads although the CSP stays on, and finds a fault."""
    response = page.goto(f"{live_server}/login?lang=en")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    with pytest.raises(PlaywrightError, match="Content Security Policy"):
        page.add_script_tag(content="window.inlineRan = true")
    assert page.evaluate("() => window.inlineRan") is None

    assert_no_axe_violations(page)
    page.evaluate("""() => document.querySelector('main').insertAdjacentHTML('beforeend',
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text" id="unlabelled">')""")
    found = {v["id"] for v in axe_violations(page)}
    assert {"image-alt", "label"} <= found
    with pytest.raises(pytest.fail.Exception, match=r"image-alt \(critical\)[\s\S]*#unlabelled"):
        assert_no_axe_violations(page)


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_login_page_has_no_axe_violations(app, demo_world, live_server, page, lang):
    page.goto(f"{live_server}/login?lang={lang}")
    expect_language(page, lang)
    screenshot(page, f"login-{lang}.png")
    assert_no_axe_violations(page)

    # The same page showing a login error.
    page.locator("input[name=email]").fill("referrer@example.fi")
    page.locator("input[name=password]").fill("Not-the-password-123")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect_language(page, lang)
    screenshot(page, f"login-error-{lang}.png")
    assert_no_axe_violations(page)


@pytest.mark.parametrize("lang", ["en", "fi"])
@pytest.mark.parametrize("email", ["admin@example.fi", "referrer@example.fi"])
def test_my_work_has_no_axe_violations(app, demo_world, live_server, page, email, lang):
    login(page, live_server, email)
    page.goto(f"{live_server}/?lang={lang}")
    expect_language(page, lang)
    expect(page.get_by_role("heading", level=1)).to_have_text(translated(app, lang, "My work"))
    screenshot(page, f"my-work-{email.split('@')[0]}-{lang}.png")
    assert_no_axe_violations(page)


def test_logged_out_login_page_has_no_axe_violations(demo_world, live_server, page):
    login(page, live_server, "admin@example.fi")
    log_out(page)
    expect(page.get_by_role("status")).to_be_visible()
    assert_no_axe_violations(page)


# --- without JavaScript ------------------------------------------------------------------

def test_login_my_work_and_logout_work_without_javascript(demo_world, live_server, new_context):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"{live_server}/")
    assert path_of(page) == "/login"
    page.goto(f"{live_server}/login?lang=en")
    page.get_by_label("E-mail").fill("admin@example.fi")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in", exact=True).click()
    second_step(page, "admin@example.fi")
    assert path_of(page) == "/"
    expect(page.get_by_role("heading", level=1)).to_have_text("My work")
    expect(page.get_by_role("heading", level=2, name="Administration")).to_be_visible()
    # The session warning needs JavaScript; without it, it stays out of the way.
    expect(page.locator("#session-warning")).to_be_hidden()

    with page.expect_navigation():
        page.get_by_role("link", name="Suomeksi", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    with page.expect_navigation():
        page.get_by_role("link", name="In English", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    log_out(page)
    assert path_of(page) == "/login"
    expect(page.get_by_role("status")).to_contain_text("You have logged out.")
    page.goto(f"{live_server}/")
    assert path_of(page) == "/login"


# --- keyboard only -----------------------------------------------------------------------

def focused(page) -> dict:
    return page.evaluate("""() => {
        const el = document.activeElement;
        const style = getComputedStyle(el);
        return {tag: el.tagName.toLowerCase(), id: el.id, cls: el.className,
                name: el.getAttribute('name'), text: el.textContent.trim(),
                // a visible focus indicator: an outline, or hds-core's focus ring (box-shadow)
                outline: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
                         || style.boxShadow !== 'none'};
    }""")


def test_skip_link_comes_first_and_moves_focus_to_main(demo_world, live_server, page):
    page.goto(f"{live_server}/login?lang=en")
    page.keyboard.press("Tab")
    first = focused(page)
    assert first["tag"] == "a" and "skip-link" in first["cls"], first
    assert first["text"] == "Skip to content"
    assert first["outline"], "the focused skip link shows no focus outline"
    box = page.locator(".skip-link").bounding_box()
    assert box and box["x"] >= 0 and box["y"] >= 0, "the focused skip link is off screen"

    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"
    page.keyboard.press("Tab")
    assert focused(page)["name"] == "email", "Tab after the skip link does not reach the form"


def test_login_form_works_with_the_keyboard_only(demo_world, live_server, page):
    page.goto(f"{live_server}/login?lang=en")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # skip to content
    page.keyboard.press("Tab")
    field = focused(page)
    assert field["name"] == "email", field
    assert field["outline"], "the focused e-mail field shows no focus indicator"
    page.keyboard.type("manager@example.fi")
    page.keyboard.press("Tab")
    field = focused(page)
    assert field["name"] == "password", field
    assert field["outline"], "the focused password field shows no focus indicator"
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Tab")
    button = focused(page)
    assert button["tag"] == "button" and button["text"] == "Log in", button
    assert button["outline"], "the focused Log in button shows no focus outline"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert path_of(page) == "/"
    expect(page.get_by_role("heading", level=1)).to_have_text("My work")
    expect(page.get_by_role("heading", level=2, name="Indicators")).to_be_visible()


def test_enter_in_the_password_field_submits_the_login_form(demo_world, live_server, page):
    page.goto(f"{live_server}/login?lang=en")
    page.get_by_label("E-mail").focus()
    page.keyboard.type("referrer@example.fi")
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert path_of(page) == "/"
    expect(page.get_by_role("heading", level=1)).to_have_text("My work")


# --- narrow screen -----------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "fi"])
def test_no_horizontal_scrolling_at_375_px(app, demo_world, live_server, new_context, lang):
    page = new_context(viewport={"width": 375, "height": 812}).new_page()
    page.goto(f"{live_server}/login?lang={lang}")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375, f"the login page is {width} px wide at 375 px"

    login(page, live_server, "admin@example.fi")
    page.goto(f"{live_server}/?lang={lang}")
    expect(page.get_by_role("heading", level=1)).to_have_text(translated(app, lang, "My work"))
    screenshot(page, f"my-work-admin-375-{lang}.png")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375, f"my work is {width} px wide at 375 px"


def test_session_warning_appears_before_the_idle_timeout_and_continue_keeps_working(
        app, demo_world, live_server, page):
    from datetime import timedelta

    # A short idle timeout for this app only: the warning shows 3 s before it.
    app.config["SESSION_IDLE_TIMEOUT"] = timedelta(seconds=5)
    app.config["SESSION_WARNING_BEFORE"] = timedelta(seconds=3)
    login(page, live_server, "referrer@example.fi")
    warning = page.get_by_role("alertdialog")
    expect(warning).to_be_visible(timeout=6000)
    expect(page.get_by_role("button", name="Continue working")).to_be_focused()
    with page.expect_response(lambda r: r.url.endswith("/session/continue")) as answer:
        page.get_by_role("button", name="Continue working").click()
    assert answer.value.status == 204
    expect(warning).to_be_hidden()
    # Once the time runs out without activity, the box says so and offers a new login.
    expect(page.get_by_role("link", name="Log in again")).to_be_visible(timeout=8000)
    page.wait_for_timeout(1000)  # past the server's own count of the idle time
    page.reload()
    assert page.url.startswith(f"{live_server}/login")

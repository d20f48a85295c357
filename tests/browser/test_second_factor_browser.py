"""The second factor in a real browser (issue 11): a user turns it on from the profile
page with the keyboard, logs out and logs in with a code from the app; an
administrator without one sets it up while logging in. axe-core on every new page,
in English and in Finnish."""
from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.sync_api import expect

from consult.demo import DEMO_PASSWORD
from consult.extensions import db
from tests import factories
from tests.browser.conftest import assert_no_axe_violations, login, translated

pytestmark = pytest.mark.browser

CODE_LABEL = "Code from your authenticator app"
LOGIN_CODE_LABEL = "Code from your authenticator app, or a recovery code"


def path_of(page) -> str:
    return urlsplit(page.url).path


def focused(page) -> dict:
    return page.evaluate("""() => {
        const el = document.activeElement;
        return {tag: el.tagName.toLowerCase(), id: el.id, text: el.textContent.trim(),
                href: el.getAttribute('href') || ''};
    }""")


def tab_to(page, matches, limit: int = 80) -> dict:
    """Presses Tab until the focused element matches; fails if it never does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = focused(page)
        if matches(element):
            return element
    pytest.fail("Tab never reached the element")


def key_on(page) -> str:
    return page.locator("#second-factor-key").inner_text().replace(" ", "")


def code(secret: str, offset: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + offset)


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_a_user_turns_it_on_with_the_keyboard_and_logs_in_with_a_code(
        app, demo_world, live_server, page, lang):
    email = "referrer@example.fi"
    login(page, live_server, email)
    page.goto(f"{live_server}/profile?lang={lang}")
    assert_no_axe_violations(page)

    turn_on = translated(app, lang, "Turn on the second factor")
    tab_to(page, lambda e: e["tag"] == "a" and e["text"] == turn_on)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert path_of(page) == "/profile/second-factor"
    expect(page.get_by_role("heading", level=1)).to_have_text(turn_on)
    expect(page.get_by_role("img", name=translated(
        app, lang, "QR code of the key for the authenticator app"))).to_be_visible()
    assert_no_axe_violations(page)

    secret = key_on(page)
    label = translated(app, lang, CODE_LABEL)
    field = tab_to(page, lambda e: e["tag"] == "input" and e["id"] == "code")
    assert field
    expect(page.get_by_label(label)).to_be_focused()
    page.keyboard.type(code(secret))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        translated(app, lang, "Your recovery codes"))
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"\d{4} \d{4} \d{4}", c) for c in codes)
    assert_no_axe_violations(page)

    saved = translated(app, lang, "I have saved the codes, continue")
    tab_to(page, lambda e: e["text"] == saved)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert path_of(page) == "/profile"
    expect(page.locator("#second-factor")).to_contain_text(
        translated(app, lang, "Unused recovery codes: %(n)s.", n=10))
    assert_no_axe_violations(page)

    with page.expect_navigation():
        page.get_by_role("button", name=translated(app, lang, "Log out"), exact=True).click()
    page.goto(f"{live_server}/login?lang={lang}")
    page.get_by_label(translated(app, lang, "E-mail")).fill(email)
    page.get_by_label(translated(app, lang, "Password")).fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert path_of(page) == "/login/second-factor"
    assert page.url.split("/")[-1] == "second-factor"
    expect(page.get_by_role("heading", level=1)).to_have_text(
        translated(app, lang, "Log in: second step"))
    assert_no_axe_violations(page)

    page.get_by_label(translated(app, lang, LOGIN_CODE_LABEL)).fill("000000")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    error = page.locator("#code-error")
    expect(error).to_have_text(translated(app, lang, "The code is wrong or has already been used."))
    assert_no_axe_violations(page)

    # The step of the enrolment's code is spent; the next step's is accepted too.
    page.get_by_label(translated(app, lang, LOGIN_CODE_LABEL)).fill(code(secret, 30))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert path_of(page) == "/"
    expect(page.get_by_role("heading", level=1)).to_have_text(translated(app, lang, "My work"))


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_an_admin_without_one_sets_it_up_while_logging_in(app, demo_world, live_server, page,
                                                        lang):
    admin = factories.create_user("admin", second_factor=False, language=lang)
    db.session.commit()
    page.goto(f"{live_server}/login?lang={lang}")
    page.get_by_label(translated(app, lang, "E-mail")).fill(admin.email)
    page.get_by_label(translated(app, lang, "Password")).fill(factories.PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert path_of(page) == "/login/second-factor/setup"
    expect(page.get_by_text(translated(
        app, lang, "Your account must use a second factor. Set it up now; you are logged in "
        "once the app gives you its first code."))).to_be_visible()
    page.get_by_text(translated(app, lang, "The key as a link, for apps that take one")).click()
    expect(page.get_by_label(translated(app, lang, "Link to copy into the app"))).to_have_value(
        re.compile(r"^otpauth://totp/"))
    assert_no_axe_violations(page)

    page.get_by_label(translated(app, lang, CODE_LABEL)).fill(code(key_on(page)))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".recovery-codes code")).to_have_count(10)
    assert_no_axe_violations(page)
    with page.expect_navigation():
        page.get_by_role("link", name=translated(app, lang, "I have saved the codes, continue")).click()
    assert path_of(page) == "/"
    expect(page.get_by_role("heading", level=2, name=translated(app, lang, "Administration"))
           ).to_be_visible()


def test_the_demo_admin_logs_in_through_the_second_step(demo_world, live_server, page):
    login(page, live_server, "admin@example.fi")
    assert path_of(page) == "/"


def test_the_set_up_page_reflows_at_320_px(demo_world, live_server, new_context):
    page = new_context(viewport={"width": 320, "height": 800}).new_page()
    login(page, live_server, "referrer@example.fi")
    page.goto(f"{live_server}/profile/second-factor?lang=fi")
    page.locator("details summary").click()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 320, f"the set-up page is {width} px wide at 320 px"


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_an_admin_removes_a_lost_second_factor(app, demo_world, live_server, page, lang):
    from sqlalchemy import select

    from consult.accounts.models import User
    from consult.timeutil import utcnow

    user = db.session.scalars(select(User).where(User.email == "kela.advisor@example.fi")).one()
    user.totp_secret, user.totp_enabled_at = pyotp.random_base32(32), utcnow()
    db.session.commit()
    login(page, live_server, "admin@example.fi")
    page.goto(f"{live_server}/admin/users/{user.id}?lang={lang}")
    assert_no_axe_violations(page)
    page.get_by_role("button", name=translated(app, lang, "Remove the second factor")).click()
    expect(page.get_by_role("heading", level=2, name=translated(app, lang, "Second factor"))
           ).to_be_visible()
    expect(page.get_by_text(translated(app, lang, "Off."), exact=True)).to_be_visible()
    assert_no_axe_violations(page)
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret is None

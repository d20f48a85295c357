"""Browser fixtures: Debian's chromium (its headless shell) through pytest-playwright, a
live server for the `app` fixture's app, logging in through the UI, and the axe-core
check (SPEC §6)."""
from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from consult.demo import DEMO_PASSWORD
from consult.extensions import db

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Debian's chromium in its headless shell (the package chromium-headless-shell: the same
# Chromium build as the browser, without the browser's windowing layers), which is also
# what Playwright itself runs for headless tests. The full browser spent over twice the
# CPU on the same tests (340 CPU-seconds to the shell's 160 on two cores; a new browser
# context alone costs it some 200 ms). TEST_CHROMIUM=/usr/bin/chromium runs the tests in
# the full browser (package chromium).
CHROMIUM = os.environ.get("TEST_CHROMIUM") or "/usr/bin/chromium-headless-shell"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's chromium (`playwright install` cannot download browsers here)."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def base_url():
    """No fixed base URL: every test gets its own live server (this also replaces
    pytest-playwright's own `base_url`, which pytest 9 warns about)."""
    return None


@pytest.fixture
def live_server(app):
    """Serves the `app` fixture's app on a free local port; yields its base URL.

    Seed data inside the test (the app context is the test's) and commit before the
    browser visits. The server stops before the `app` fixture empties the tables."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def demo_request_id(last_name: str, state: str | None = None, mode: str | None = None,
                    team: bool | None = None) -> int:
    """The id of the demo client's first request (by id) with the given state, mode and
    kind of target, as the server committed it."""
    from sqlalchemy import select

    from consult.clients.models import Client
    from consult.consultations.models import ConsultationRequest as R

    db.session.rollback()
    db.session.expire_all()
    query = select(R.id).join(R.client).where(Client.last_name == last_name).order_by(R.id)
    if state is not None:
        query = query.where(R.state == state)
    if mode is not None:
        query = query.where(R.mode == mode)
    if team is not None:
        target = R.target_team_id if team else R.target_physician_id
        query = query.where(target.is_not(None))
    found = db.session.scalars(query.limit(1)).first()
    db.session.commit()  # the test holds no transaction while the server works
    assert found is not None, (last_name, state, mode, team)
    return found


def login(page, base_url: str, email: str, password: str = DEMO_PASSWORD) -> None:
    """Logs in through the English login form, as a user would: fields found by label."""
    page.goto(f"{base_url}/login?lang=en")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in", exact=True).click()
    # The second step, for a user with a second factor. A code is accepted once: when
    # this step's code was used a moment ago, the next step's (also accepted) follows.
    for offset in (0, 30):
        if not page.url.split("?")[0].endswith("/login/second-factor"):
            break
        page.get_by_label("Code from your authenticator app").fill(current_code(email, offset))
        with page.expect_navigation():
            page.get_by_role("button", name="Log in", exact=True).click()


def sign_in(page, base_url: str, email: str, to: str = "/") -> None:
    """Logs the browser in without the login form, then opens `to` (by default my work,
    where the form leads): a session row is inserted and its token set in the signed
    session cookie, as the login view would. The language cookie and the user's
    language are English, as after `login`. For tests about something other than
    logging in; `login` is the real thing."""
    import hashlib
    import secrets

    from flask import current_app
    from sqlalchemy import select

    from consult.accounts.models import LoginSession, User

    db.session.rollback()
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None, email
    user.language = "en"
    token = secrets.token_urlsafe(32)
    # The cookie carries the token, the row its SHA-256 (consult/accounts/sessions.py).
    db.session.add(LoginSession(token_hash=hashlib.sha256(token.encode()).hexdigest(),
                                user_id=user.id, remote_addr="127.0.0.1"))
    db.session.commit()
    cookie = current_app.session_interface.get_signing_serializer(current_app).dumps(
        {"sid": token, "_permanent": True})
    page.context.add_cookies([
        {"name": current_app.config["SESSION_COOKIE_NAME"], "value": cookie, "url": base_url},
        {"name": "lang", "value": "en", "url": base_url},
    ])
    page.goto(base_url + to)


def current_code(email: str, offset: int = 0) -> str:
    """The user's authenticator app's code now, or `offset` seconds from now (the
    secret as the server sees it)."""
    import time

    import pyotp
    from sqlalchemy import select

    from consult.accounts.models import User

    with db.engine.connect() as connection:
        secret = connection.scalar(select(User.totp_secret).where(User.email == email))
    return pyotp.TOTP(secret).at(time.time() + offset)


def tab_to(page, locator, *, backwards: bool = False, limit: int = 300) -> None:
    """Presses Tab (or Shift+Tab) until the locator's one element has the focus. The
    element is found once: finding it by its role again after every key cost more than
    the key."""
    from playwright.sync_api import expect

    expect(locator).to_have_count(1)
    element = locator.element_handle()
    key = "Shift+Tab" if backwards else "Tab"
    try:
        for _ in range(limit):
            page.keyboard.press(key)
            if element.evaluate("el => el === document.activeElement"):
                expect(locator).to_be_focused()
                return
    finally:
        element.dispose()
    pytest.fail(f"{limit} presses of {key} did not reach {locator}")


def translated(app, lang: str, msgid: str, **values) -> str:
    """The text the server shows for msgid in lang."""
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale(lang):
        return gettext(msgid, **values)


@lru_cache(maxsize=1)
def axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def inject_axe(page) -> None:
    """Loads axe-core into the page with the page's CSP still on.

    `page.add_script_tag(content=…)` adds an inline <script>, which the CSP (no
    'unsafe-inline') blocks. `page.evaluate` runs through the DevTools protocol, which
    CSP does not govern, so the library's source is evaluated there instead."""
    if page.evaluate("() => typeof window.axe !== 'undefined'"):
        return
    page.evaluate(axe_source())
    assert page.evaluate("() => typeof window.axe === 'object' && typeof window.axe.run === 'function'"), (
        "axe-core did not load into the page"
    )


def axe_violations(page) -> list[dict]:
    inject_axe(page)
    return page.evaluate(
        """async (tags) => {
            const results = await window.axe.run(document, {
                runOnly: {type: 'tag', values: tags},
                resultTypes: ['violations'],
            });
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary})),
            }));
        }""",
        AXE_TAGS,
    )


def assert_no_axe_violations(page) -> None:
    """Fails listing every WCAG 2.0/2.1 A and AA violation axe-core finds on the page."""
    violations = axe_violations(page)
    if not violations:
        return
    lines = [f"axe-core found {len(violations)} violation(s) on {page.url}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            summary = (node["summary"] or "").replace("\n", " ")
            lines.append(f"    {target}: {summary}")
    pytest.fail("\n".join(lines), pytrace=False)

"""A forgotten password in a real browser (SPEC §5): from the login page to a link by
e-mail (read from the outbox), a new password, and logging in with it — in English and
in Finnish, with axe-core on every page."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from consult.extensions import db
from consult.outbox.models import OutboxMessage
from tests import factories
from tests.browser.conftest import assert_no_axe_violations, translated

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Brand-new-passphrase-77"
SENT = ("If the address belongs to an active account, we have sent a link for setting a "
        "new password. The link is valid for %(minutes)s minutes.")


def exactly(label: str) -> re.Pattern:
    """A field's label, with or without the required-field asterisk."""
    return re.compile(rf"^{re.escape(label)}( \*)?$")


def path_of(page) -> str:
    return urlsplit(page.url).path


def emailed_link(email: str) -> str:
    db.session.rollback()  # a fresh read of what the server committed
    body = db.session.scalars(select(OutboxMessage.body).where(
        OutboxMessage.recipient == email, OutboxMessage.kind == "reset")).one()
    [link] = [line for line in body.splitlines() if "/password/reset/" in line]
    return link.strip()


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_forgotten_password_is_replaced_through_the_emailed_link(app, live_server, page, lang):
    t = lambda msgid, **values: translated(app, lang, msgid, **values)  # noqa: E731
    app.config["BASE_URL"] = live_server  # the e-mailed link points at this server
    user = factories.create_user("referrer", language=lang, name="Kerttu Kivinen")
    db.session.commit()

    page.goto(f"{live_server}/login?lang={lang}")
    with page.expect_navigation():
        page.get_by_role("link", name=t("Forgot your password?"), exact=True).click()
    assert path_of(page) == "/password/forgot"
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Forgot your password?"))
    assert_no_axe_violations(page)

    # A mistyped address first: the message sits next to the field, the text is kept.
    field = page.get_by_label(t("E-mail"))
    field.fill("kerttu.example.fi")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Send the link"), exact=True).click()
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_value("kerttu.example.fi")
    expect(page.locator("#email-error")).to_contain_text(t("Enter a valid e-mail address."))
    assert_no_axe_violations(page)

    field.fill(user.email)
    with page.expect_navigation():
        page.get_by_role("button", name=t("Send the link"), exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(t(SENT, minutes=30))
    assert_no_axe_violations(page)

    link = emailed_link(user.email)
    assert link.startswith(f"{live_server}/password/reset/")
    response = page.goto(link)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "same-origin"
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Set a new password"))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    assert_no_axe_violations(page)

    # Two different passwords: refused next to the second field.
    page.get_by_label(exactly(t("New password"))).fill(NEW_PASSWORD)
    page.get_by_label(exactly(t("New password again"))).fill(NEW_PASSWORD + "x")
    with page.expect_navigation():
        page.get_by_role("button", name=t("Change password"), exact=True).click()
    expect(page.get_by_label(exactly(t("New password again")))).to_have_attribute(
        "aria-invalid", "true")
    expect(page.locator("#confirm-error")).to_contain_text(t("The passwords differ."))
    assert_no_axe_violations(page)

    page.get_by_label(exactly(t("New password"))).fill(NEW_PASSWORD)
    page.get_by_label(exactly(t("New password again"))).fill(NEW_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name=t("Change password"), exact=True).click()
    assert path_of(page) == "/login"
    expect(page.get_by_role("status")).to_contain_text(
        t("Your password has been changed. Log in with the new password."))

    # The link works once.
    response = page.goto(link)
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(t("The link does not work"))
    expect(page.get_by_role("link", name=t("Ask for a new link"), exact=True)).to_be_visible()
    assert_no_axe_violations(page)

    page.goto(f"{live_server}/login?lang={lang}")
    page.get_by_label(t("E-mail")).fill(user.email)
    page.get_by_label(exactly(t("Password"))).fill(NEW_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name=t("Log in"), exact=True).click()
    assert path_of(page) == "/"
    expect(page.get_by_role("heading", level=1)).to_have_text(t("My work"))

"""Password reset by e-mail (SPEC §5): a single-use, short-lived link, asked for
without telling anyone which addresses have an account."""
from __future__ import annotations

import logging
import re
from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from consult import tokens
from consult.accounts.models import LoginSession, PasswordReset, User
from consult.audit.models import AuditEvent
from consult.extensions import db
from consult.outbox.models import OutboxMessage
from tests import factories
from tests.conftest import Auth, csrf_from

NEW_PASSWORD = "Brand-new-passphrase-77"
SENT = ("If the address belongs to an active account, we have sent a link for setting a "
        "new password. The link is valid for 30 minutes.")
LINK_RE = re.compile(r"http://localhost(/password/reset/\S+)")


def ask_for_link(client, email: str):
    page = client.get("/password/forgot?lang=en")
    return client.post("/password/forgot", data={"email": email,
                                                 "csrf_token": csrf_from(page.text)})


def messages() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def link_in(message: OutboxMessage) -> str:
    """The reset page's path, as e-mailed."""
    found = LINK_RE.findall(message.body)
    assert len(found) == 1, message.body
    return found[0]


def emailed_link(client, user) -> str:
    ask_for_link(client, user.email)
    return link_in(messages()[-1])


def set_password(client, path: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    page = client.get(path)
    return client.post(path, data={"new_password": password,
                                   "confirm": password if confirm is None else confirm,
                                   "csrf_token": csrf_from(page.text)})


def password_hash_of(user) -> str:
    return db.session.scalar(select(User.password_hash).where(User.id == user.id))


def active_user(**kwargs):
    user = factories.create_user("referrer", **kwargs)
    db.session.commit()
    return user


# --- asking for a link ---------------------------------------------------------------

def test_login_page_links_to_the_forgotten_password_page(client):
    page = client.get("/login?lang=en")
    assert '<a href="/password/forgot">Forgot your password?</a>' in page.text
    assert client.get("/password/forgot").status_code == 200


def test_known_and_unknown_addresses_get_the_same_answer(client):
    user = active_user()
    answers = []
    for email in (user.email, "nobody@example.fi"):
        response = ask_for_link(client, email)
        assert (response.status_code, response.location) == (303, "/password/forgot")
        answers.append(client.get(response.location).text)
    assert SENT in answers[0]
    # The same page but for the form's token, which is signed with the second it was made.
    same = [answer.replace(csrf_from(answer), "(token)") for answer in answers]
    assert "(token)" in same[0]
    assert same[0] == same[1]
    assert [m.recipient for m in messages()] == [user.email]


def test_active_account_gets_exactly_one_reset_email_in_english(client):
    user = active_user(language="en")
    ask_for_link(client, f"  {user.email.upper()} ")
    [message] = messages()
    assert (message.kind, message.recipient, message.user_id, message.language) == (
        "reset", user.email, user.id, "en")
    assert message.subject == "A link for setting a new password in Consult"
    body = message.body
    assert link_in(message).startswith("/password/reset/")
    assert "valid for 30 minutes and works only once" in body
    assert "If you did not ask for a new password, ignore this message" in body
    assert "Consult – work ability team consultations" in body


def test_reset_email_is_in_the_users_own_language_not_the_askers(app, client):
    from tests.browser.conftest import translated

    user = active_user(language="fi")
    ask_for_link(client, user.email)  # the page itself is in English
    [message] = messages()
    assert message.language == "fi"
    assert message.subject == translated(app, "fi", "A link for setting a new password in Consult")
    signature = translated(app, "fi", "work ability team consultations")
    assert signature != "work ability team consultations"
    assert signature in message.body
    assert "Consult – work ability team consultations" not in message.body


def test_deactivated_account_gets_no_email_but_the_same_answer(client):
    user = active_user(active=False)
    response = ask_for_link(client, user.email)
    assert SENT in client.get(response.location).text
    assert messages() == []


def test_invalid_address_is_refused_next_to_the_field_and_kept(client):
    response = ask_for_link(client, "not-an-address")
    assert response.status_code == 422
    assert 'id="email-error"' in response.text
    assert "Enter a valid e-mail address." in response.text
    assert 'value="not-an-address"' in response.text
    assert messages() == []


def test_asking_without_csrf_token_is_refused_and_sends_nothing(client):
    user = active_user()
    response = client.post("/password/forgot", data={"email": user.email})
    assert response.status_code == 400
    assert messages() == []


def test_logged_in_user_may_ask_for_a_link_too(client, auth):
    user = active_user()
    auth.login(user)
    response = ask_for_link(client, user.email)
    assert response.status_code == 303
    assert len(messages()) == 1


def test_fourth_request_within_an_hour_sends_nothing(client):
    user = active_user()
    with time_machine.travel("2026-11-22 08:00", tick=False) as clock:
        for _ in range(3):
            ask_for_link(client, user.email)
            clock.shift(timedelta(minutes=10))
        assert len(messages()) == 3
        response = ask_for_link(client, user.email)
        assert SENT in client.get(response.location).text
        assert len(messages()) == 3
        clock.shift(timedelta(minutes=31))  # 61 minutes after the first
        ask_for_link(client, user.email)
        assert len(messages()) == 4


def test_one_address_asking_for_many_accounts_is_limited_too(app, client):
    users = [active_user() for _ in range(12)]
    app.config["PASSWORD_RESET_MAX_PER_ADDRESS"] = 10
    answers = [ask_for_link(client, user.email) for user in users]
    assert len(messages()) == 10
    assert {a.status_code for a in answers} == {303}  # the same answer for every one
    assert SENT in client.get(answers[-1].location).text
    other = app.test_client()
    other.environ_base = {"REMOTE_ADDR": "192.0.2.7"}
    ask_for_link(other, users[-1].email)
    assert len(messages()) == 11
    assert messages()[-1].recipient == users[-1].email


# --- using the link ------------------------------------------------------------------

def test_link_opens_a_form_for_the_new_password(client):
    user = active_user()
    path = emailed_link(client, user)
    page = client.get(path)
    assert page.status_code == 200
    assert "Set a new password" in page.text
    assert 'name="new_password"' in page.text and 'name="confirm"' in page.text
    assert 'autocomplete="new-password"' in page.text


def test_new_password_works_once_and_then_logs_in(client, auth):
    user = active_user()
    old_hash = password_hash_of(user)
    path = emailed_link(client, user)
    response = set_password(client, path)
    assert (response.status_code, response.location) == (303, "/login")
    assert ("Your password has been changed. Log in with the new password."
            in client.get("/login").text)
    assert password_hash_of(user) != old_hash

    again = client.get(path)
    assert again.status_code == 404
    assert "The link does not work" in again.text
    assert 'href="/password/forgot"' in again.text
    # Posting to the used link changes nothing either.
    hash_after = password_hash_of(user)
    assert client.post(path, data={"new_password": "Another-long-passphrase-8",
                                   "confirm": "Another-long-passphrase-8",
                                   "csrf_token": auth.csrf("/login")}).status_code == 404
    assert password_hash_of(user) == hash_after

    assert auth.login(user).location != "/"  # the old password no longer works
    assert auth.login(user, NEW_PASSWORD).location == "/"


def test_expired_link_is_refused(client):
    user = active_user()
    with time_machine.travel("2026-11-22 08:00", tick=False) as clock:
        path = emailed_link(client, user)
        clock.shift(timedelta(minutes=29))
        assert client.get(path).status_code == 200
        clock.shift(timedelta(minutes=2))
        response = client.get(path)
        assert response.status_code == 404
        assert "The link does not work" in response.text
        old_hash = password_hash_of(user)
        response = client.post(path, data={
            "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
            "csrf_token": csrf_from(client.get("/password/forgot").text)})
        assert response.status_code == 404
        assert password_hash_of(user) == old_hash


def test_asking_again_makes_the_first_link_worthless(client):
    user = active_user()
    first = emailed_link(client, user)
    second = emailed_link(client, user)
    assert first != second
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_of_two_requests_racing_with_one_link_only_one_sets_a_password(client):
    from consult.accounts import reset

    user = active_user()
    token = emailed_link(client, user).rsplit("/", 1)[1]
    first, second = reset.find_valid(token), reset.find_valid(token)  # both checked...
    assert first is not None and second is not None
    assert reset.complete_reset(first, NEW_PASSWORD) == user  # ...then both post
    hash_after = password_hash_of(user)
    assert reset.complete_reset(second, "Another-long-passphrase-8") is None
    assert password_hash_of(user) == hash_after


def test_link_of_a_since_deactivated_account_is_refused(client):
    user = active_user()
    path = emailed_link(client, user)
    user.is_active_account = False
    db.session.commit()
    assert client.get(path).status_code == 404


def test_unknown_malformed_and_tampered_links_get_the_friendly_page(client):
    user = active_user()
    path = emailed_link(client, user)
    token = path.rsplit("/", 1)[1]
    selector, secret = tokens.split(token)
    tampered = selector + ("A" if secret[0] != "A" else "B") + secret[1:]
    for bad in ("short", "x" * 60, tampered, token + "x", "y" * 300):
        response = client.get(f"/password/reset/{bad}?lang=en")
        assert response.status_code == 404, bad
        assert "The link does not work" in response.text
        assert "A link is valid for 30 minutes and works once." in response.text
    assert client.get(path).status_code == 200  # the real one still works


def test_refused_link_page_speaks_the_visitors_language(app, client):
    from tests.browser.conftest import translated

    response = client.get("/password/reset/unknown-token-xxxxxxxx?lang=fi")
    assert response.status_code == 404
    assert '<html lang="fi">' in response.text
    assert translated(app, "fi", "The link does not work") in response.text


def test_reset_page_is_not_cached_and_keeps_its_address_to_this_site(client):
    user = active_user()
    path = emailed_link(client, user)
    for response in (client.get(path), client.get("/password/reset/unknown-token-xxxxxxxx")):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_too_common_password_is_refused_next_to_the_field_and_nothing_changes(app, client):
    user = active_user()
    other = app.test_client()
    Auth(other).login(user)
    old_hash = password_hash_of(user)
    path = emailed_link(client, user)
    response = set_password(client, path, "password1234")
    assert response.status_code == 422
    assert 'id="new_password-error"' in response.text
    assert "This password is too common" in response.text
    assert password_hash_of(user) == old_hash
    assert db.session.scalar(select(PasswordReset.used_at)) is None
    assert other.get("/").status_code == 200
    assert client.get(path).status_code == 200  # the link can still be used


def test_password_with_the_users_own_name_is_refused(client):
    user = active_user(name="Kerttu Kivinen")
    path = emailed_link(client, user)
    response = set_password(client, path, "kerttukivinen-2026")
    assert response.status_code == 422
    assert "must not contain your name or e-mail address" in response.text


def test_differing_passwords_are_refused_next_to_the_field_and_nothing_changes(client):
    user = active_user()
    old_hash = password_hash_of(user)
    path = emailed_link(client, user)
    response = set_password(client, path, NEW_PASSWORD, "Brand-new-passphrase-78")
    assert response.status_code == 422
    assert 'id="confirm-error"' in response.text
    assert "The passwords differ." in response.text
    assert password_hash_of(user) == old_hash
    assert db.session.scalar(select(PasswordReset.used_at)) is None


def test_setting_a_password_without_csrf_token_is_refused(client):
    user = active_user()
    old_hash = password_hash_of(user)
    path = emailed_link(client, user)
    response = client.post(path, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert password_hash_of(user) == old_hash


def test_new_password_ends_every_session_of_the_user(app, client):
    user = active_user()
    elsewhere = app.test_client()
    Auth(elsewhere).login(user)
    assert elsewhere.get("/").status_code == 200
    set_password(client, emailed_link(client, user))
    assert elsewhere.get("/").status_code == 302
    assert db.session.scalar(select(func.count(LoginSession.id))
                             .where(LoginSession.user_id == user.id)) == 0


def test_using_the_link_while_logged_in_ends_this_session_too(client, auth):
    user = active_user()
    auth.login(user)
    response = set_password(client, emailed_link(client, user))
    assert response.location == "/login"
    assert client.get("/").status_code == 302


def test_new_password_is_audited_as_the_users_own_change(client):
    user = active_user()
    set_password(client, emailed_link(client, user))
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.purpose == "password_reset")).one()
    assert (event.action, event.object_type, event.object_id, event.user_id, event.outcome) == (
        "update", "user", user.id, user.id, "allowed")


# --- the token stays secret ----------------------------------------------------------

def test_token_never_appears_in_log_records(client, auth, caplog, monkeypatch):
    from consult.accounts import reset

    caplog.set_level(logging.DEBUG)
    user = active_user()
    path = emailed_link(client, user)
    secret = tokens.split(path.rsplit("/", 1)[1])[1]
    client.get(path)
    set_password(client, path, "password1234")  # refused
    # A failure on the reset page is logged with an incident id: without the link.
    with monkeypatch.context() as patched:
        patched.setattr(reset, "complete_reset", lambda *args: 1 / 0)
        assert set_password(client, path).status_code == 500
    set_password(client, path)
    client.get(path)  # used
    auth.login(user, NEW_PASSWORD)
    assert any("incident" in r.getMessage() for r in caplog.records), (
        "nothing was logged: the check would prove nothing")
    for record in caplog.records:
        text = record.getMessage() + repr(record.args) + (record.exc_text or "")
        assert secret not in text, record


def test_database_keeps_only_the_selector_and_a_hash_of_the_secret(client):
    user = active_user()
    token = emailed_link(client, user).rsplit("/", 1)[1]
    selector, secret = tokens.split(token)
    reset = db.session.scalars(select(PasswordReset)).one()
    assert reset.selector == selector
    assert reset.secret_hash == tokens.hash_secret(secret) != secret
    assert reset.expires_at - reset.created_at == timedelta(minutes=30)
    # Only the e-mail waiting in the outbox carries the link, as any sent e-mail would.
    for table in db.metadata.sorted_tables:
        if table.name == "outbox_message":
            continue
        for row in db.session.execute(table.select()):
            assert secret not in repr(tuple(row)), table.name

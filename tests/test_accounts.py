"""Logging in and out, throttling, sessions and their timeouts."""
from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from consult.accounts.models import LoginAttempt, LoginSession
from consult.extensions import db
from tests import factories
from tests.conftest import csrf_from, make_app


def test_login_with_right_password_opens_my_work(client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    response = auth.login(user)
    assert response.status_code == 302
    assert response.location == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert user.name in page.text


def test_wrong_password_gets_one_clear_message_in_the_users_language(client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    client.get("/login?lang=en")
    response = auth.login(user, "Wrong-password-123")
    assert response.status_code == 200
    assert "The e-mail address or password is wrong." in response.text
    assert response.text.count('role="alert"') == 1
    client.get("/login?lang=fi")
    response = auth.login(user, "Wrong-password-123")
    assert "Sähköpostiosoite tai salasana on väärin." in response.text


def test_unknown_email_gets_the_same_message_as_a_wrong_password(client, auth):
    client.get("/login?lang=en")
    response = auth.login("nobody@example.fi", "Whatever-password-1")
    assert "The e-mail address or password is wrong." in response.text


def test_deactivated_user_cannot_log_in(client, auth):
    user = factories.create_user("referrer", active=False)
    db.session.commit()
    client.get("/login?lang=en")
    response = auth.login(user)
    assert response.status_code == 200
    assert "The e-mail address or password is wrong." in response.text
    assert client.get("/").status_code == 302


def test_deactivation_ends_the_users_sessions_everywhere(app, client, auth):
    user = factories.create_user("referrer")
    admin = factories.create_user("admin")
    db.session.commit()
    auth.login(user)
    assert client.get("/").status_code == 200
    admin_client = app.test_client()
    from tests.conftest import Auth

    admin_auth = Auth(admin_client)
    admin_auth.login(admin)
    admin_client.post(f"/admin/users/{user.id}/deactivate",
                      data={"csrf_token": admin_auth.csrf()})
    assert client.get("/").status_code == 302
    assert db.session.scalar(select(func.count(LoginSession.id))
                             .where(LoginSession.user_id == user.id)) == 0


def test_logout_ends_the_session_even_if_the_old_cookie_is_replayed(client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    auth.login(user)
    cookie = client.get_cookie("consult_session")
    saved = cookie.value
    auth.logout()
    assert client.get("/").status_code == 302
    client.set_cookie("consult_session", saved)
    response = client.get("/")
    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_password_change_ends_other_sessions(app, client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    other = app.test_client()
    from tests.conftest import Auth

    Auth(other).login(user)
    auth.login(user)
    response = client.post("/profile/password", data={
        "csrf_token": auth.csrf("/profile"),
        "current_password": factories.PASSWORD,
        "new_password": "Fresh-and-long-passphrase-3",
        "confirm": "Fresh-and-long-passphrase-3",
    })
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302


def test_weak_new_password_is_refused_next_to_the_field(client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    auth.login(user)
    response = client.post("/profile/password?lang=en", data={
        "csrf_token": auth.csrf("/profile"),
        "current_password": factories.PASSWORD,
        "new_password": "password1234",
        "confirm": "password1234",
    })
    assert response.status_code == 422
    assert 'id="new_password-error"' in response.text
    assert "This password is too common" in response.text


def test_a_password_longer_than_128_characters_is_refused_next_to_the_field(client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    auth.login(user)
    for length, refused in ((128, False), (129, True)):
        new = ("Pitkä salalause " * 10)[:length]
        response = client.post("/profile/password?lang=en", data={
            "csrf_token": auth.csrf("/profile"), "current_password": factories.PASSWORD,
            "new_password": new, "confirm": new})
        assert ("may be at most 128 characters" in response.text) is refused
        if not refused:
            restore_password(user)


def restore_password(user):
    from consult.accounts.passwords import hash_password

    user.password_hash = hash_password(factories.PASSWORD)
    db.session.commit()


def failed_logins(auth, email, n):
    for _ in range(n):
        auth.login(email, "Not-the-password-1")


def test_sixth_failure_for_an_account_is_refused_even_with_the_right_password(client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    client.get("/login?lang=en")
    failed_logins(auth, user, 5)
    response = auth.login(user)
    assert response.status_code == 429
    assert "Too many failed attempts" in response.text
    assert client.get("/").status_code == 302


def test_fifth_failure_still_allows_the_right_password(client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    failed_logins(auth, user, 4)
    assert auth.login(user).location == "/"


def test_throttling_counts_across_app_instances_sharing_the_database(database_url):
    from tests.conftest import Auth

    first, second = make_app(database_url), make_app(database_url)
    with first.app_context():
        user = factories.create_user("referrer")
        db.session.commit()
        email = user.email
    try:
        clients = [Auth(first.test_client()), Auth(second.test_client())]
        for attempt in range(5):
            clients[attempt % 2].login(email, "Not-the-password-1")
        response = clients[1].login(email)
        assert response.status_code == 429
    finally:
        with first.app_context():
            from tests.conftest import empty_all_tables

            empty_all_tables()


def test_throttling_also_counts_failures_from_one_address_across_accounts(client, auth):
    users = [factories.create_user("referrer") for _ in range(6)]
    db.session.commit()
    for user in users[:5]:
        auth.login(user, "Not-the-password-1")
    assert auth.login(users[5]).status_code == 429


def test_failures_older_than_fifteen_minutes_no_longer_count(client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    with time_machine.travel("2026-11-22 08:00", tick=False):
        failed_logins(auth, user, 5)
    with time_machine.travel("2026-11-22 08:16", tick=False):
        assert auth.login(user).location == "/"
    assert db.session.scalar(select(func.count(LoginAttempt.id))) == 5


def test_next_goes_to_local_paths_only(client, auth):
    # A referrer: an administrator stops at the second factor (its own tests keep next).
    user = factories.create_user("referrer")
    db.session.commit()
    page = client.get("/login")
    token = csrf_from(page.text)
    data = {"email": user.email, "password": factories.PASSWORD, "csrf_token": token}
    response = client.post("/login?next=/admin/users", data=data)
    assert response.location == "/admin/users"
    for hostile in ("https://evil.example/", "//evil.example/x", "/\\evil.example",
                    "javascript:alert(1)"):
        client.post("/logout", data={"csrf_token": csrf_from(client.get("/logout").text)})
        token = csrf_from(client.get("/login").text)
        response = client.post("/login", query_string={"next": hostile},
                               data=dict(data, csrf_token=token))
        assert response.location == "/", hostile


def test_protected_page_sends_anonymous_user_to_login_with_next(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.location == "/login?next=%2Fadmin%2Fusers"


def test_session_ends_after_thirty_idle_minutes(client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    with time_machine.travel("2026-11-22 08:00", tick=False) as clock:
        auth.login(user)
        clock.shift(timedelta(minutes=29))
        assert client.get("/").status_code == 200
        clock.shift(timedelta(minutes=29))  # activity at 8.29 restarted the idle clock
        assert client.get("/").status_code == 200
        clock.shift(timedelta(minutes=31))
        response = client.get("/")
        assert response.status_code == 302


def test_idle_timeout_shows_that_the_session_ended(client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    with time_machine.travel("2026-11-22 08:00", tick=False) as clock:
        auth.login(user)
        clock.shift(timedelta(minutes=31))
        response = client.get("/login?lang=en")
        assert "Your session has ended. Log in again." in response.text


def test_session_ends_after_twelve_hours_however_active(client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    with time_machine.travel("2026-11-22 07:00", tick=False) as clock:
        auth.login(user)
        for _ in range(47):  # every 15 minutes for 11 h 45 min
            clock.shift(timedelta(minutes=15))
            assert client.get("/").status_code == 200
        clock.shift(timedelta(minutes=16))
        assert client.get("/").status_code == 302


def test_continue_restarts_the_idle_clock(client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    with time_machine.travel("2026-11-22 08:00", tick=False) as clock:
        auth.login(user)
        clock.shift(timedelta(minutes=28))
        response = client.post("/session/continue", data={"csrf_token": auth.csrf()},
                               headers={"HX-Request": "true"})
        assert response.status_code == 204
        clock.shift(timedelta(minutes=28))
        assert client.get("/").status_code == 200


def test_page_tells_the_browser_when_to_warn_before_the_idle_timeout(client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    auth.login(user)
    page = client.get("/").text
    assert 'data-session-warn-seconds="180"' in page
    assert 'id="session-warning"' in page


def test_login_starts_a_new_session_row_and_a_new_cookie(client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    client.get("/login")
    before = client.get_cookie("consult_session").value
    auth.login(user)
    assert client.get_cookie("consult_session").value != before
    assert db.session.scalar(select(func.count(LoginSession.id))) == 1


def test_language_choice_sticks_on_the_user(client, auth):
    user = factories.create_user("referrer", language="fi")
    db.session.commit()
    auth.login(user)
    assert 'lang="sv"' in client.get("/?lang=sv").text
    assert 'lang="sv"' in client.get("/").text
    db.session.refresh(user)
    assert user.language == "sv"


def test_language_cookie_before_login_is_kept_after_login(client, auth):
    user = factories.create_user("referrer", language="fi")
    db.session.commit()
    assert 'lang="en"' in client.get("/login?lang=en").text
    assert 'lang="en"' in client.get("/login").text
    auth.login(user)
    assert 'lang="en"' in client.get("/").text


def test_finnish_is_the_default_language(client):
    assert '<html lang="fi">' in client.get("/login").text


def test_failures_for_other_accounts_from_other_addresses_do_not_add_up(client, auth):
    user, other = factories.create_user("referrer"), factories.create_user("referrer")
    db.session.commit()
    for _ in range(3):  # this account, from somewhere else
        client.post("/login", data={"email": user.email, "password": "x" * 12,
                                    "csrf_token": auth.csrf("/login")},
                    environ_base={"REMOTE_ADDR": "10.9.9.9"})
    failed_logins(auth, other, 2)  # another account, from this address
    assert auth.login(user).location == "/"


def test_behind_a_trusted_proxy_the_forwarded_address_is_throttled(database_url):
    from tests.conftest import Auth, empty_all_tables

    app = make_app(database_url, TRUSTED_PROXIES=1)
    with app.app_context():
        users = [factories.create_user("referrer") for _ in range(6)]
        db.session.commit()
        try:
            one, two = app.test_client(), app.test_client()
            for user in users[:5]:
                Auth(one).login(user, "Not-the-password-1",
                                headers={"X-Forwarded-For": "192.0.2.10"})
            # Another person behind the same proxy is not locked out by the first.
            assert Auth(two).login(users[5], headers={"X-Forwarded-For": "192.0.2.20"}).location == "/"
            assert Auth(one).login(users[5], headers={"X-Forwarded-For": "192.0.2.10"}).status_code == 429
        finally:
            empty_all_tables()

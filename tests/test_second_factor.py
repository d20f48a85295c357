"""The second factor (issue 11): turning it on, logging in with a code or a recovery
code, throttling and replays, users who must use it, turning it off."""
from __future__ import annotations

import logging
import re
import time
from datetime import datetime, timedelta

import pyotp
import time_machine
from sqlalchemy import func, select

from consult.accounts.models import LoginAttempt, LoginSession, RecoveryCode, User
from consult.accounts.passwords import verify_password
from consult.audit.models import AuditEvent
from consult.extensions import db
from tests import factories
from tests.conftest import csrf_from

KEY_RE = re.compile(r'<code id="second-factor-key">([A-Z2-7 ]+)</code>')
RECOVERY_RE = re.compile(r"<li><code>(\d{4} \d{4} \d{4})</code></li>")


def code_for(secret: str, offset: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + offset)


def wrong_code(secret: str) -> str:
    """Six digits that no step within the accepted window gives."""
    valid = {code_for(secret, s) for s in (-60, -30, 0, 30, 60)}
    candidate = 123456
    while f"{candidate:06d}" in valid:
        candidate += 1
    return f"{candidate:06d}"


def sessions_of(user) -> int:
    return db.session.scalar(select(func.count(LoginSession.id))
                             .where(LoginSession.user_id == user.id))


def events(user, **where):
    query = select(AuditEvent).where(AuditEvent.user_id == user.id)
    for key, value in where.items():
        query = query.where(getattr(AuditEvent, key) == value)
    return db.session.scalars(query.order_by(AuditEvent.id)).all()


def password_step(client, user, next_url: str | None = None):
    page = client.get("/login?lang=en")
    return client.post("/login", query_string={"next": next_url} if next_url else None,
                       data={"email": user.email, "password": factories.PASSWORD,
                             "csrf_token": csrf_from(page.text)})


def send_code(client, code: str):
    page = client.get("/login/second-factor")
    return client.post("/login/second-factor",
                       data={"code": code, "csrf_token": csrf_from(page.text)})


def user_with_recovery_codes(*roles, **kwargs) -> tuple[User, list[str]]:
    from consult.accounts import second_factor

    user = factories.create_user(*(roles or ("referrer",)), second_factor=True, **kwargs)
    codes = second_factor.new_recovery_codes(user)
    db.session.commit()
    return user, codes


def enrol_from_profile(client, auth) -> tuple[str, object]:
    """Opens the set-up page, reads the key shown there, confirms its current code."""
    page = client.get("/profile/second-factor?lang=en")
    assert page.status_code == 200
    secret = KEY_RE.search(page.text).group(1).replace(" ", "")
    response = client.post("/profile/second-factor", data={
        "code": code_for(secret), "csrf_token": csrf_from(page.text)})
    return secret, response


# Turning it on ------------------------------------------------------------------------

def test_the_key_being_set_up_is_not_stored_until_a_code_confirms_it(client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    auth.login(user)
    page = client.get("/profile/second-factor?lang=en")
    secret = KEY_RE.search(page.text).group(1).replace(" ", "")
    assert f"otpauth://totp/Consult:{user.email.replace('@', '%40')}" in page.text
    assert 'src="data:image/svg+xml' in page.text
    assert client.get("/profile/second-factor").text.count(KEY_RE.search(page.text).group(1)) == 1
    db.session.refresh(user)
    assert user.totp_secret is None
    assert len(secret) == 32


def test_a_wrong_code_does_not_turn_it_on(client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    auth.login(user)
    page = client.get("/profile/second-factor?lang=en")
    secret = KEY_RE.search(page.text).group(1).replace(" ", "")
    response = client.post("/profile/second-factor?lang=en", data={
        "code": wrong_code(secret), "csrf_token": csrf_from(page.text)})
    assert response.status_code == 422
    assert 'id="code-error"' in response.text
    assert "The code is wrong or has already been used." in response.text
    db.session.refresh(user)
    assert user.totp_secret is None
    assert db.session.scalar(select(func.count(RecoveryCode.id))) == 0


def test_the_right_code_turns_it_on_and_shows_ten_recovery_codes_once(client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    auth.login(user)
    secret, response = enrol_from_profile(client, auth)
    assert response.status_code == 200
    shown = [c.replace(" ", "") for c in RECOVERY_RE.findall(response.text)]
    assert len(shown) == len(set(shown)) == 10
    db.session.refresh(user)
    assert user.totp_secret == secret and user.totp_enabled_at is not None
    stored = db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all()
    assert len(stored) == 10
    for row, code in zip(stored, shown):
        assert code not in row.code_hash
        assert row.code_hash.startswith("scrypt:")
    assert all(any(verify_password(row.code_hash, code) for row in stored) for code in shown)
    profile = client.get("/profile?lang=en")
    assert not RECOVERY_RE.search(profile.text)
    assert "Unused recovery codes: 10." in profile.text
    assert [e.purpose for e in events(user, outcome="allowed")
            if e.purpose.startswith("second_factor")] == ["second_factor_on"]


# Logging in ---------------------------------------------------------------------------

def test_after_the_password_a_user_with_a_second_factor_is_not_logged_in_yet(client):
    user = factories.create_user("referrer", second_factor=True)
    db.session.commit()
    response = password_step(client, user)
    assert response.location == "/login/second-factor"
    assert sessions_of(user) == 0
    assert client.get("/").location.startswith("/login")
    page = client.get("/login/second-factor?lang=en")
    assert 'autocomplete="one-time-code"' in page.text and 'inputmode="numeric"' in page.text
    assert "Code from your authenticator app, or a recovery code" in page.text


def test_login_completes_with_the_apps_code_and_keeps_next(client):
    user = factories.create_user("referrer", second_factor=True)
    db.session.commit()
    password_step(client, user, next_url="/profile")
    response = send_code(client, code_for(user.totp_secret))
    assert response.location == "/profile"
    assert sessions_of(user) == 1
    assert client.get("/profile").status_code == 200


def test_second_factor_pages_without_a_right_password_send_back_to_login(client):
    assert client.get("/login/second-factor").location.startswith("/login")
    assert client.get("/login/second-factor/setup").location.startswith("/login")


def test_a_recovery_code_logs_in_once(app, client):
    user, codes = user_with_recovery_codes()
    password_step(client, user)
    response = send_code(client, codes[0][:4] + " " + codes[0][4:8] + "-" + codes[0][8:])
    assert response.location == "/"
    assert sessions_of(user) == 1
    assert "Recovery codes left: 9" in client.get("/?lang=en").text
    assert [e.purpose for e in events(user, outcome="allowed")] == ["recovery_code", "login"]

    other = app.test_client()
    password_step(other, user)
    response = send_code(other, codes[0])
    assert response.status_code == 422
    assert sessions_of(user) == 1
    assert send_code(other, codes[1]).location == "/"


def test_a_code_that_let_someone_in_is_refused_the_second_time(app, client):
    user = factories.create_user("referrer", second_factor=True)
    db.session.commit()
    code = code_for(user.totp_secret)
    password_step(client, user)
    assert send_code(client, code).location == "/"
    replayer = app.test_client()
    password_step(replayer, user)
    response = send_code(replayer, code)
    assert response.status_code == 422
    assert sessions_of(user) == 1
    # The holder is told, once an hour however often it is tried.
    send_code(replayer, code)
    from consult.outbox.models import OutboxMessage

    told = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == user.email, OutboxMessage.kind == "security")).all()
    assert len(told) == 1 and "had already been used" in told[0].body


def test_after_a_code_an_earlier_one_still_in_the_window_is_refused(app, client):
    user = factories.create_user("referrer", second_factor=True)
    db.session.commit()
    password_step(client, user)
    assert send_code(client, code_for(user.totp_secret, offset=30)).location == "/"
    late = app.test_client()
    password_step(late, user)
    assert send_code(late, code_for(user.totp_secret)).status_code == 422
    assert sessions_of(user) == 1


def test_of_two_logins_racing_with_one_code_only_one_gets_in(app):
    """Both check the code at the same moment, each in its own thread, session and
    database connection: the conditional UPDATE lets one of them claim the step."""
    import threading

    from consult.accounts import second_factor

    user = factories.create_user("referrer", second_factor=True)
    db.session.commit()
    code, user_id = code_for(user.totp_secret), user.id
    start, results, errors = threading.Barrier(2), [], []

    def attempt():
        with app.app_context():
            try:
                racer = db.session.get(User, user_id)
                start.wait(10)
                results.append(second_factor._check_code(racer, code))
                db.session.commit()
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert sorted(map(bool, results)) == [False, True]


def test_a_code_made_of_other_digits_is_a_wrong_code(client):
    user = factories.create_user("referrer", second_factor=True)
    db.session.commit()
    password_step(client, user)
    assert send_code(client, "¹²³⁴⁵⁶").status_code == 422
    assert send_code(client, "１２３４５６７８９０１２").status_code == 422


def test_wrong_codes_are_audited_and_counted_and_the_fifth_sends_back_to_the_password(client):
    user = factories.create_user("referrer", second_factor=True)
    db.session.commit()
    password_step(client, user, next_url="/profile")
    for _ in range(4):
        response = send_code(client, wrong_code(user.totp_secret))
        assert response.status_code == 422
        assert "The code is wrong or has already been used." in response.text
    response = send_code(client, wrong_code(user.totp_secret))
    assert response.location == "/login?next=/profile"
    assert "Too many wrong codes. Log in again." in client.get("/login?lang=en").text
    denied = events(user, outcome="denied", purpose="second_factor_login")
    assert len(denied) == 5 and all(e.object_id == user.id for e in denied)
    assert db.session.scalar(select(func.count(LoginAttempt.id))
                             .where(LoginAttempt.email == user.email)) == 5
    # The code page no longer answers: the password comes first again.
    response = client.post("/login/second-factor", data={
        "code": code_for(user.totp_secret), "csrf_token": csrf_from(client.get("/login").text)})
    assert response.location.startswith("/login")
    assert sessions_of(user) == 0


def test_the_sixth_failure_within_the_window_is_refused_even_with_the_right_code(client, auth):
    user = factories.create_user("referrer", second_factor=True)
    db.session.commit()
    auth.login(user, "Not-the-password-1")  # one failure at the password step
    password_step(client, user)
    for _ in range(4):
        assert send_code(client, wrong_code(user.totp_secret)).status_code == 422
    response = send_code(client, code_for(user.totp_secret))
    assert response.status_code == 429
    assert "Too many failed attempts" in response.text
    assert sessions_of(user) == 0


def test_the_password_step_expires_after_five_minutes(client):
    user = factories.create_user("referrer", second_factor=True)
    db.session.commit()
    start = datetime.now().replace(microsecond=0) + timedelta(seconds=2)
    with time_machine.travel(start, tick=False):
        password_step(client, user)
    with time_machine.travel(start + timedelta(minutes=4, seconds=50), tick=False):
        page = client.get("/login/second-factor")
        assert page.status_code == 200
    with time_machine.travel(start + timedelta(minutes=5, seconds=10), tick=False):
        response = client.post("/login/second-factor", data={
            "code": code_for(user.totp_secret), "csrf_token": csrf_from(page.text)})
        assert response.location.startswith("/login")
        assert "Logging in took too long" in client.get("/login?lang=en").text
    assert sessions_of(user) == 0


def test_a_password_change_after_the_password_step_voids_it(client):
    from consult.accounts import services

    user = factories.create_user("referrer", second_factor=True)
    db.session.commit()
    password_step(client, user)
    with time_machine.travel(datetime.now() + timedelta(seconds=5), tick=False):
        services.set_password(user, "Another-long-passphrase-7")
        db.session.commit()
        assert client.get("/login/second-factor").location.startswith("/login")
    assert sessions_of(user) == 0


# Users who must use it -------------------------------------------------------------------

def set_up_during_login(client, user, next_url=None):
    response = password_step(client, user, next_url)
    assert response.location == "/login/second-factor/setup"
    page = client.get("/login/second-factor/setup?lang=en")
    assert page.status_code == 200
    secret = KEY_RE.search(page.text).group(1).replace(" ", "")
    return secret, page


def test_an_admin_without_a_second_factor_sets_one_up_before_being_logged_in(client):
    admin = factories.create_user("admin", second_factor=False)
    db.session.commit()
    secret, page = set_up_during_login(client, admin, next_url="/admin/")
    assert sessions_of(admin) == 0
    assert client.get("/admin/").location.startswith("/login")
    wrong = client.post("/login/second-factor/setup", data={
        "code": wrong_code(secret), "csrf_token": csrf_from(page.text)})
    assert wrong.status_code == 422
    assert sessions_of(admin) == 0
    done = client.post("/login/second-factor/setup", data={
        "code": code_for(secret), "csrf_token": csrf_from(page.text)})
    assert done.status_code == 200
    assert len(RECOVERY_RE.findall(done.text)) == 10
    assert 'href="/admin/"' in done.text
    assert sessions_of(admin) == 1
    assert client.get("/admin/").status_code == 200
    db.session.refresh(admin)
    assert admin.totp_secret == secret


def test_users_of_an_organisation_that_requires_it_set_one_up_at_login(client):
    strict = factories.create_organisation()
    strict.requires_second_factor = True
    user = factories.create_user("referrer", organisation=strict)
    relaxed = factories.create_user("referrer")
    db.session.commit()
    secret, page = set_up_during_login(client, user)
    assert "Your account must use a second factor" in page.text
    assert sessions_of(user) == 0
    client.post("/login/second-factor/setup", data={
        "code": code_for(secret), "csrf_token": csrf_from(page.text)})
    assert sessions_of(user) == 1
    assert password_step(client.application.test_client(), relaxed).location == "/"


def test_an_admin_with_a_second_factor_logs_in_with_a_code(client):
    admin = factories.create_user("admin")
    db.session.commit()
    assert admin.totp_secret
    assert password_step(client, admin).location == "/login/second-factor"
    assert send_code(client, code_for(admin.totp_secret)).location == "/"


def test_turning_it_off_is_refused_for_a_user_who_must_use_it(client, auth):
    admin, codes = user_with_recovery_codes("admin")
    auth.login(admin)
    profile = client.get("/profile?lang=en")
    assert "Administrators must use a second factor." in profile.text
    assert 'action="/profile/second-factor/off"' not in profile.text
    response = client.post("/profile/second-factor/off", data={
        "off-password": factories.PASSWORD, "off-code": codes[0],
        "csrf_token": csrf_from(profile.text)})
    assert response.status_code == 403
    db.session.refresh(admin)
    assert admin.totp_secret is not None
    assert events(admin, outcome="denied", purpose="second_factor_off")


def test_turning_it_off_needs_the_password_and_a_code(client, auth):
    user, codes = user_with_recovery_codes()
    auth.login(user)
    token = auth.csrf("/profile")
    response = client.post("/profile/second-factor/off?lang=en", data={
        "off-password": "Not-the-password-1", "off-code": code_for(user.totp_secret, 30),
        "csrf_token": token})
    assert response.status_code == 422
    assert 'id="off-code-error"' in response.text
    db.session.refresh(user)
    assert user.totp_secret is not None
    response = client.post("/profile/second-factor/off", data={
        "off-password": factories.PASSWORD, "off-code": codes[3], "csrf_token": token})
    assert response.status_code == 303
    db.session.refresh(user)
    assert user.totp_secret is None and user.totp_enabled_at is None
    assert db.session.scalar(select(func.count(RecoveryCode.id))
                             .where(RecoveryCode.user_id == user.id)) == 0
    assert events(user, outcome="allowed", purpose="second_factor_off")
    assert events(user, outcome="denied", purpose="second_factor_login")
    client.post("/logout", data={"csrf_token": auth.csrf()})
    assert password_step(client, user).location == "/"


def test_new_recovery_codes_replace_the_old_ones(client, auth):
    user, old = user_with_recovery_codes()
    auth.login(user)
    response = client.post("/profile/second-factor/recovery-codes", data={
        "recovery-code": old[0], "csrf_token": auth.csrf("/profile")})
    assert response.status_code == 200
    new = [c.replace(" ", "") for c in RECOVERY_RE.findall(response.text)]
    assert len(new) == 10 and not set(new) & set(old)
    auth.logout()
    password_step(client, user)
    assert send_code(client, old[1]).status_code == 422
    assert send_code(client, new[0]).location == "/"


def test_a_wrong_code_makes_no_new_recovery_codes(client, auth):
    user, old = user_with_recovery_codes()
    auth.login(user)
    response = client.post("/profile/second-factor/recovery-codes?lang=en", data={
        "recovery-code": "000000000000", "csrf_token": auth.csrf("/profile")})
    assert response.status_code == 422
    assert 'id="recovery-code-error"' in response.text
    assert not RECOVERY_RE.search(response.text)
    assert db.session.scalar(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) == 10


# Secrets stay secret; administration; the demo -------------------------------------------

def test_the_secret_and_codes_never_reach_the_logs_or_the_audit_trail(client, auth, caplog):
    caplog.set_level(logging.DEBUG)
    user = factories.create_user("referrer")
    db.session.commit()
    auth.login(user)
    secret, response = enrol_from_profile(client, auth)
    codes = [c.replace(" ", "") for c in RECOVERY_RE.findall(response.text)]
    auth.logout()
    password_step(client, user)
    send_code(client, wrong_code(secret))
    send_code(client, codes[0])
    assert sessions_of(user) == 1
    logged = caplog.text
    assert secret not in logged and secret[:8] not in logged
    assert not any(code in logged for code in codes)
    trail = " ".join(f"{e.detail} {e.recipient}" for e in events(user))
    assert secret not in trail and not any(code in trail for code in codes)


def admin_removes_second_factor(client, admin, user, lang="en"):
    page = client.get(f"/admin/users/{user.id}?lang={lang}")
    return page, client.post(f"/admin/users/{user.id}/second-factor/reset",
                             data={"csrf_token": csrf_from(page.text)}, follow_redirects=True)


def test_an_admin_removes_a_lost_second_factor_and_the_user_is_told(app, client, auth):
    from consult.outbox.models import OutboxMessage

    user, codes = user_with_recovery_codes()
    secret = user.totp_secret
    owner = app.test_client()
    password_step(owner, user)
    send_code(owner, codes[0])
    assert sessions_of(user) == 1
    user.language = "fi"  # logging in on an English page made it English
    admin = factories.create_user("admin")
    db.session.commit()
    auth.login(admin)

    page, response = admin_removes_second_factor(client, admin, user)

    assert "Remove the second factor" in page.text
    assert "was removed; their sessions have ended" in response.text
    db.session.expire_all()
    assert (user.totp_secret, user.totp_enabled_at, user.totp_last_step) == (None, None, None)
    assert db.session.scalar(select(func.count(RecoveryCode.id))
                             .where(RecoveryCode.user_id == user.id)) == 0
    assert sessions_of(user) == 0
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.purpose == "second_factor_reset")).one()
    assert (event.user_id, event.object_id) == (admin.id, user.id)
    mail = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == user.email, OutboxMessage.kind == "security")).one()
    assert mail.subject == "Toinen tunnistustekijäsi Consultissa poistettiin"  # in their language
    assert "seuraavalla kirjautumisella" not in mail.body  # a referrer need not use one
    assert secret not in mail.body and not any(code in mail.body for code in codes)
    # Not required of a referrer: the password alone lets them in now.
    assert password_step(app.test_client(), user).location == "/"


def test_after_a_removal_a_user_who_must_use_one_sets_it_up_at_the_next_login(client, auth):
    org = factories.create_organisation()
    org.requires_second_factor = True
    user = factories.create_user("referrer", organisation=org, second_factor=True)
    admin = factories.create_user("admin")
    db.session.commit()
    auth.login(admin)
    admin_removes_second_factor(client, admin, user)
    visitor = client.application.test_client()
    assert password_step(visitor, user).location == "/login/second-factor/setup"


def test_an_admin_cannot_remove_their_own_second_factor_nor_one_that_is_off(client, auth):
    admin = factories.create_user("admin")
    plain = factories.create_user("referrer")
    db.session.commit()
    auth.login(admin)
    own_page, response = admin_removes_second_factor(client, admin, admin)
    assert "Remove the second factor" not in own_page.text
    assert "Only another administrator can remove your second factor" in response.text
    _page, response = admin_removes_second_factor(client, admin, plain)
    assert "Only another administrator" in response.text
    db.session.expire_all()
    assert admin.totp_secret and sessions_of(admin) == 1
    assert not db.session.scalars(select(AuditEvent).where(
        AuditEvent.purpose == "second_factor_reset")).all()


def test_an_admin_can_make_an_organisation_require_a_second_factor(client, auth):
    admin = factories.create_user("admin")
    org = factories.create_organisation()
    db.session.commit()
    auth.login(admin)
    page = client.get(f"/admin/organisations/{org.id}?lang=en")
    assert "Its users must log in with a second factor" in page.text
    client.post(f"/admin/organisations/{org.id}", data={
        "name": org.name, "kind": org.kind, "region": org.region,
        "requires_second_factor": "y", "csrf_token": csrf_from(page.text)})
    db.session.refresh(org)
    assert org.requires_second_factor is True
    client.post(f"/admin/organisations/{org.id}", data={
        "name": org.name, "kind": org.kind, "region": org.region,
        "csrf_token": csrf_from(page.text)})
    db.session.refresh(org)
    assert org.requires_second_factor is False


def test_requiring_it_logs_out_the_organisations_users_who_have_none(app, client, auth):
    admin = factories.create_user("admin")
    org = factories.create_organisation()
    without = factories.create_user("referrer", organisation=org)
    with_one = factories.create_user("member", organisation=org, second_factor=True)
    elsewhere = factories.create_user("referrer")
    db.session.commit()
    browsers = {}
    for user in (without, with_one, elsewhere):
        browsers[user.id] = app.test_client()
        password_step(browsers[user.id], user)
        if user is with_one:
            send_code(browsers[user.id], code_for(user.totp_secret))
    assert [sessions_of(u) for u in (without, with_one, elsewhere)] == [1, 1, 1]
    auth.login(admin)
    page = client.get(f"/admin/organisations/{org.id}?lang=en")
    client.post(f"/admin/organisations/{org.id}", data={
        "name": org.name, "kind": org.kind, "region": org.region,
        "requires_second_factor": "y", "csrf_token": csrf_from(page.text)})
    assert [sessions_of(u) for u in (without, with_one, elsewhere)] == [0, 1, 1]
    assert browsers[without.id].get("/").location.startswith("/login")
    assert password_step(app.test_client(), without).location == "/login/second-factor/setup"


def test_a_user_made_an_administrator_without_one_is_logged_out(app, client, auth):
    admin = factories.create_user("admin")
    user = factories.create_user("referrer")
    db.session.commit()
    theirs = app.test_client()
    password_step(theirs, user)
    assert sessions_of(user) == 1
    auth.login(admin)
    page = client.get(f"/admin/users/{user.id}?lang=en")
    client.post(f"/admin/users/{user.id}", data={
        "name": user.name, "email": user.email, "organisation_id": user.organisation_id,
        "roles": ["referrer", "admin"], "language": "en", "csrf_token": csrf_from(page.text)})
    db.session.expire_all()
    assert db.session.get(User, user.id).has_role("admin")
    assert sessions_of(user) == 0


def test_wrong_codes_on_the_profile_count_in_the_login_throttle(client, auth):
    user, codes = user_with_recovery_codes()
    auth.login(user)
    token = auth.csrf("/profile")
    for _ in range(5):
        response = client.post("/profile/second-factor/recovery-codes?lang=en", data={
            "recovery-code": wrong_code(user.totp_secret), "csrf_token": token})
        assert response.status_code == 422
    assert db.session.scalar(select(func.count(LoginAttempt.id))) == 5
    response = client.post("/profile/second-factor/recovery-codes?lang=en", data={
        "recovery-code": codes[2], "csrf_token": token})
    assert response.status_code == 429
    assert "Too many failed attempts" in response.text
    response = client.post("/profile/second-factor/off?lang=en", data={
        "off-password": factories.PASSWORD, "off-code": codes[3], "csrf_token": token})
    assert response.status_code == 429
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret
    assert db.session.scalar(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) == 10  # none spent


def test_seed_demo_prints_the_demo_admins_fixed_secret_and_it_logs_in(runner, client):
    from consult.demo import DEMO_ADMIN_TOTP_SECRET, DEMO_PASSWORD

    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert (f"admin@example.fi second factor: secret {DEMO_ADMIN_TOTP_SECRET} "
            "(add it to an authenticator app; development only)") in result.output
    page = client.get("/login")
    response = client.post("/login", data={"email": "admin@example.fi", "password": DEMO_PASSWORD,
                                           "csrf_token": csrf_from(page.text)})
    assert response.location == "/login/second-factor"
    assert send_code(client, code_for(DEMO_ADMIN_TOTP_SECRET)).location == "/"

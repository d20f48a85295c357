"""A user sees their live sessions on the profile and ends the others (ASVS 3.3.4),
behind the password."""
from __future__ import annotations

from sqlalchemy import func, select

from consult.accounts.models import LoginAttempt, LoginSession
from consult.audit.models import AuditEvent
from consult.extensions import db
from tests import factories
from tests.conftest import Auth, csrf_from


def live(user) -> int:
    return db.session.scalar(select(func.count(LoginSession.id))
                             .where(LoginSession.user_id == user.id))


def test_the_profile_lists_the_other_sessions_and_ends_the_chosen_ones(app, client, auth):
    user = factories.create_user("referrer")
    stranger = factories.create_user("referrer")
    db.session.commit()
    phones = [app.test_client() for _ in range(2)]
    for phone in phones:
        Auth(phone).login(user)
    Auth(app.test_client()).login(stranger)
    auth.login(user)
    page = client.get("/profile?lang=en")
    assert "Your sessions" in page.text and "You are also logged in elsewhere" in page.text
    theirs = [row.id for row in db.session.scalars(
        select(LoginSession).where(LoginSession.user_id == user.id).order_by(LoginSession.id))]
    strangers = db.session.scalar(select(LoginSession.id).where(
        LoginSession.user_id == stranger.id))
    assert len(theirs) == 3 and page.text.count('name="sessions-chosen"') == 2

    response = client.post("/profile/sessions/end?lang=en", data={
        "sessions-chosen": [theirs[0], strangers], "sessions-password": factories.PASSWORD,
        "csrf_token": csrf_from(page.text)}, follow_redirects=True)

    assert "1 session ended." in response.text
    assert live(user) == 2 and live(stranger) == 1  # another user's id is ignored
    assert phones[0].get("/").location.startswith("/login")
    assert phones[1].get("/").status_code == 200
    assert client.get("/").status_code == 200  # this browser stays in
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.purpose == "logout", AuditEvent.detail == "ended from another session")) == 1


def test_a_wrong_password_ends_nothing_and_counts_as_a_failure(app, client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    Auth(app.test_client()).login(user)
    auth.login(user)
    page = client.get("/profile?lang=en")
    other = db.session.scalar(select(LoginSession.id).where(
        LoginSession.user_id == user.id).order_by(LoginSession.id))
    response = client.post("/profile/sessions/end?lang=en", data={
        "sessions-chosen": [other], "sessions-password": "wrong-password-here",
        "csrf_token": csrf_from(page.text)})
    assert response.status_code == 422
    assert "The password is wrong." in response.text
    assert live(user) == 2
    assert db.session.scalar(select(func.count(LoginAttempt.id))) == 1


def test_alone_the_profile_says_so(client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    auth.login(user)
    assert "You are not logged in anywhere else." in client.get("/profile?lang=en").text

"""Notices of changes to one's own account's security (ASVS 2.2.3, 2.5.5): each goes to
the account's address in its language, names the change, and carries no secret."""
from __future__ import annotations

from sqlalchemy import select

from consult.extensions import db
from consult.outbox.models import OutboxMessage
from tests import factories
from tests.conftest import csrf_from

NEW = "Uusi-pitka-salalause-2026"


def notices_to(user) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == user.email, OutboxMessage.kind == "security")
        .order_by(OutboxMessage.id)))


def test_changing_ones_own_password_sends_a_notice_in_ones_language(client, auth):
    user = factories.create_user("referrer", language="fi")
    db.session.commit()
    auth.login(user)
    user.language = "fi"  # the login page was English
    db.session.commit()
    client.post("/profile/password", data={
        "csrf_token": auth.csrf("/profile"), "current_password": factories.PASSWORD,
        "new_password": NEW, "confirm": NEW})
    (notice,) = notices_to(user)
    assert notice.subject == "Muutos tiliisi Consultissa"
    assert "Tilisi salasana vaihdettiin." in notice.body
    assert NEW not in notice.body and factories.PASSWORD not in notice.body


def test_an_administrators_new_password_and_a_reset_are_told_too(app, client, auth):
    from consult.accounts import reset

    admin = factories.create_user("admin")
    user = factories.create_user("referrer")
    db.session.commit()
    auth.login(admin)
    page = client.get(f"/admin/users/{user.id}?lang=en")
    client.post(f"/admin/users/{user.id}/password", data={
        "password": NEW, "csrf_token": csrf_from(page.text)})
    with app.test_request_context():
        link = reset.request_reset(user.email)
        reset.complete_reset(link, NEW + "-toinen")
    db.session.commit()
    bodies = [n.body for n in notices_to(user)]
    assert len(bodies) == 2
    assert "An administrator set a new password for your account." in bodies[0]
    assert "A new password was set for your account with a reset link." in bodies[1]
    assert not any(NEW in body for body in bodies)


def test_wrong_attempts_send_no_notice(client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    auth.login(user)
    client.post("/profile/password", data={
        "csrf_token": auth.csrf("/profile"), "current_password": "not-the-password",
        "new_password": NEW, "confirm": NEW})
    assert notices_to(user) == []

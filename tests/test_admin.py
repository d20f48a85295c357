"""Administration through the browser's forms: organisations, teams, users."""
from __future__ import annotations

from sqlalchemy import func, select

from consult.accounts.models import LoginSession, User
from consult.extensions import db
from consult.organisations.models import Organisation, Team
from tests import factories


def login_admin(auth):
    admin = factories.create_user("admin")
    db.session.commit()
    auth.login(admin)
    return admin


def test_admin_creates_an_organisation(client, auth):
    login_admin(auth)
    response = client.post("/admin/organisations/new", data={
        "csrf_token": auth.csrf(), "name": "Ohjaamo Nokia", "kind": "ohjaamo",
        "region": "Pirkanmaa"})
    assert response.status_code == 302
    org = db.session.scalar(select(Organisation).where(Organisation.name == "Ohjaamo Nokia"))
    assert (org.kind, org.region) == ("ohjaamo", "Pirkanmaa")


def test_organisation_form_errors_stand_next_to_the_field_and_keep_the_input(client, auth):
    login_admin(auth)
    factories.create_organisation("Kela")
    db.session.commit()
    response = client.post("/admin/organisations/new?lang=en", data={
        "csrf_token": auth.csrf(), "name": "Kela", "kind": "kela", "region": "Etelä-Pohjanmaa"})
    assert response.status_code == 422
    assert 'id="name-error"' in response.text
    assert "An organisation with this name already exists." in response.text
    assert 'aria-describedby="name-error"' in response.text
    assert 'value="Etelä-Pohjanmaa"' in response.text
    assert db.session.scalar(select(func.count(Organisation.id))) == 2  # admin's own + Kela


def test_organisation_errors_are_in_the_users_language(client, auth):
    login_admin(auth)
    response = client.post("/admin/organisations/new?lang=fi", data={
        "csrf_token": auth.csrf(), "name": "", "kind": "kela", "region": "R"})
    assert response.status_code == 422
    assert "This field is required." not in response.text
    assert 'lang="fi"' in response.text


def test_admin_creates_a_team_with_meeting_defaults(client, auth):
    admin = login_admin(auth)
    physician = factories.create_user("physician")
    db.session.commit()
    response = client.post("/admin/teams/new", data={
        "csrf_token": auth.csrf(), "name": "Työkykytiimi Nokia",
        "host_organisation_id": admin.organisation_id, "region": "Pirkanmaa",
        "physician_id": physician.id, "meeting_weekday": 4, "meeting_time": "13:00",
        "meeting_minutes": 90, "minutes_per_case": 20, "meeting_location": "Nokian sote-keskus",
        "meeting_video_link": "https://video.example.fi/nokia"})
    assert response.status_code == 302
    team = db.session.scalar(select(Team).where(Team.name == "Työkykytiimi Nokia"))
    assert team.physician_id == physician.id
    assert (team.meeting_weekday, team.meeting_time.hour, team.minutes_per_case) == (4, 13, 20)


def test_video_link_must_be_a_secure_web_address(client, auth):
    admin = login_admin(auth)
    response = client.post("/admin/teams/new?lang=en", data={
        "csrf_token": auth.csrf(), "name": "T", "host_organisation_id": admin.organisation_id,
        "region": "R", "physician_id": 0, "meeting_weekday": 1, "meeting_time": "09:00",
        "meeting_minutes": 60, "minutes_per_case": 20,
        "meeting_video_link": "javascript:alert(1)"})
    assert response.status_code == 422
    assert 'id="meeting_video_link-error"' in response.text
    assert db.session.scalar(select(func.count(Team.id))) == 0


def test_admin_adds_and_removes_team_members(client, auth):
    login_admin(auth)
    coordinator = factories.create_user("coordinator")
    team = factories.create_team()
    db.session.commit()
    response = client.post(f"/admin/teams/{team.id}/members", data={
        "csrf_token": auth.csrf(), "user_id": coordinator.id, "role": "coordinator"})
    assert response.status_code == 302
    db.session.refresh(team)
    assert team.coordinators == [coordinator]
    assert coordinator.organisation in team.participating_organisations()
    membership = team.memberships[0]
    client.post(f"/admin/teams/{team.id}/members/{membership.id}/remove",
                data={"csrf_token": auth.csrf()})
    db.session.refresh(team)
    assert team.memberships == []


def test_a_person_joins_a_team_only_in_a_role_they_have(client, auth):
    login_admin(auth)
    coordinator = factories.create_user("coordinator")
    team = factories.create_team()
    db.session.commit()
    response = client.post(f"/admin/teams/{team.id}/members?lang=en", data={
        "csrf_token": auth.csrf(), "user_id": coordinator.id, "role": "member"})
    assert response.status_code == 422
    assert "does not have this role" in response.text
    db.session.refresh(team)
    assert team.memberships == []


def test_membership_of_another_team_cannot_be_removed_through_this_one(client, auth):
    login_admin(auth)
    member = factories.create_user("member")
    mine, other = factories.create_team(), factories.create_team(members=[member])
    db.session.commit()
    response = client.post(f"/admin/teams/{mine.id}/members/{other.memberships[0].id}/remove",
                           data={"csrf_token": auth.csrf()})
    assert response.status_code == 404
    db.session.refresh(other)
    assert len(other.memberships) == 1


def test_admin_creates_a_user_who_can_then_log_in(app, client, auth):
    admin = login_admin(auth)
    response = client.post("/admin/users/new", data={
        "csrf_token": auth.csrf(), "name": "Uusi Lähettäjä", "email": "Uusi@Example.fi",
        "organisation_id": admin.organisation_id, "roles": ["referrer", "member"],
        "language": "sv", "password": "Ihan-oma-salasana-77"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "uusi@example.fi"))
    assert user.roles == {"referrer", "member"}
    from tests.conftest import Auth

    fresh = app.test_client()
    assert Auth(fresh).login("uusi@example.fi", "Ihan-oma-salasana-77").location == "/"
    assert 'lang="sv"' in fresh.get("/").text


def test_user_form_refuses_weak_password_and_no_role_keeping_the_input(client, auth):
    admin = login_admin(auth)
    response = client.post("/admin/users/new?lang=en", data={
        "csrf_token": auth.csrf(), "name": "Matti Meikäläinen", "email": "matti@example.fi",
        "organisation_id": admin.organisation_id, "language": "fi", "password": "qwerty123456"})
    assert response.status_code == 422
    assert "Choose at least one role." in response.text
    assert "This password is too common" in response.text
    assert 'value="Matti Meikäläinen"' in response.text
    assert 'value="matti@example.fi"' in response.text
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_user_email_must_be_unique(client, auth):
    admin = login_admin(auth)
    response = client.post("/admin/users/new?lang=en", data={
        "csrf_token": auth.csrf(), "name": "Twin", "email": admin.email.upper(),
        "organisation_id": admin.organisation_id, "roles": ["referrer"], "language": "fi",
        "password": "Ihan-oma-salasana-77"})
    assert response.status_code == 422
    assert "A user with this e-mail address already exists." in response.text


def test_admin_edits_roles(client, auth):
    login_admin(auth)
    user = factories.create_user("referrer")
    db.session.commit()
    client.post(f"/admin/users/{user.id}", data={
        "csrf_token": auth.csrf(), "name": user.name, "email": user.email,
        "organisation_id": user.organisation_id, "roles": ["coordinator"], "language": "fi"})
    db.session.refresh(user)
    assert user.roles == {"coordinator"}


def test_admin_sets_a_new_password_which_ends_the_users_sessions(app, client, auth):
    login_admin(auth)
    user = factories.create_user("referrer")
    db.session.commit()
    from tests.conftest import Auth

    theirs = app.test_client()
    Auth(theirs).login(user)
    assert theirs.get("/").status_code == 200
    response = client.post(f"/admin/users/{user.id}/password", data={
        "csrf_token": auth.csrf(), "password": "Uusi-pitkä-salasana-55"})
    assert response.status_code == 302
    assert theirs.get("/").status_code == 302
    assert Auth(app.test_client()).login(user, "Uusi-pitkä-salasana-55").location == "/"


def test_deactivate_and_reactivate(client, auth):
    login_admin(auth)
    user = factories.create_user("referrer")
    db.session.commit()
    client.post(f"/admin/users/{user.id}/deactivate", data={"csrf_token": auth.csrf()})
    db.session.refresh(user)
    assert not user.is_active_account and user.deactivated_at is not None
    client.post(f"/admin/users/{user.id}/activate", data={"csrf_token": auth.csrf()})
    db.session.refresh(user)
    assert user.is_active_account


def test_admin_cannot_deactivate_themselves(client, auth):
    admin = login_admin(auth)
    client.post(f"/admin/users/{admin.id}/deactivate", data={"csrf_token": auth.csrf()})
    db.session.refresh(admin)
    assert admin.is_active_account
    assert db.session.scalar(select(func.count(LoginSession.id))) == 1

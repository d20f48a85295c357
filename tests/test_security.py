"""Security baseline of SPEC §9: headers and CSP on every page, cookies, CSRF,
production refusing a weak configuration, generic error pages."""
from __future__ import annotations

import logging
import re

import pytest

from consult import create_app
from consult.extensions import db
from tests import factories
from tests.conftest import SECRET, Auth, csrf_from, empty_all_tables, make_app
from tests.test_routes import GETS, build, path


def assert_security_headers(response, *, hsts: bool = True):
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert ("Strict-Transport-Security" in response.headers) is hsts


@pytest.mark.parametrize("endpoint", [e for e, _ in GETS])
def test_every_logged_in_page_sends_the_security_headers(app, client, auth, endpoint):
    world = build(endpoint)
    auth.login(world.owner)
    response = client.get(path(app, endpoint, world.values))
    assert response.status_code == 200
    assert_security_headers(response)
    if response.mimetype == "text/html":  # a PDF has no markup to check
        assert " style=" not in response.text, "inline styles are refused by the CSP"
        assert "<script>" not in response.text and "onclick" not in response.text


@pytest.mark.parametrize("url", ["/login", "/accessibility", "/logout", "/nowhere"])
def test_public_pages_send_the_security_headers(client, url):
    response = client.get(url)
    assert_security_headers(response)


def test_htmx_is_configured_as_the_spec_requires(client):
    page = client.get("/login").text
    for setting in ('"includeIndicatorStyles":false', '"allowEval":false',
                    '"historyCacheSize":0', '"selfRequestsOnly":true',
                    '{"code":"422","swap":true}', '{"code":"409","swap":true}'):
        assert setting in page
    # htmx 2.0.11, under its content-hashed name (consult/assets.py)
    assert re.search(r'src="/static/vendor/htmx-2\.0\.11\.min\.[0-9a-f]{12}\.js"', page)


def test_csrf_token_rides_in_hx_headers_on_body(client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    auth.login(user)
    page = client.get("/").text
    assert 'hx-headers=\'{"X-CSRFToken": "' in page


def test_htmx_post_with_the_header_token_is_accepted(client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    auth.login(user)
    token = auth.csrf()
    assert client.post("/session/continue", headers={"X-CSRFToken": token,
                                                     "HX-Request": "true"}).status_code == 204
    assert client.post("/session/continue", headers={"HX-Request": "true"}).status_code == 400


def test_csrf_token_of_another_session_is_refused(app, client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    other = app.test_client()
    foreign_token = csrf_from(other.get("/login").text)
    auth.login(user)
    response = client.post("/session/continue", data={"csrf_token": foreign_token})
    assert response.status_code == 400


def test_session_cookie_is_httponly_and_lax_in_development_style_config(client, auth):
    user = factories.create_user("referrer")
    db.session.commit()
    response = auth.login(user)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_production_cookie_is_secure_with_the_host_prefix(database_url):
    app = make_app(database_url, CONSULT_ENV="production")
    with app.app_context():
        user = factories.create_user("referrer")
        db.session.commit()
        client = app.test_client()
        page = client.get("/login", base_url="https://localhost")
        # Over HTTPS Flask-WTF also checks that the Referer is this site.
        response = client.post("/login", base_url="https://localhost",
                               headers={"Referer": "https://localhost/login"}, data={
            "email": user.email, "password": factories.PASSWORD,
            "csrf_token": csrf_from(page.text)})
        cookie = response.headers["Set-Cookie"]
        try:
            assert cookie.startswith("__Host-consult_session=")
            assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie
            assert "Strict-Transport-Security" in response.headers
        finally:
            empty_all_tables()


@pytest.mark.parametrize("secret", ["", "dev", "change-me", "short-secret"])
def test_production_refuses_to_start_without_a_real_secret(monkeypatch, secret):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"CONSULT_ENV": "production", "SECRET_KEY": secret,
                    "DATABASE_URL": "sqlite://"})


def test_production_refuses_to_start_with_debug_on():
    with pytest.raises(RuntimeError, match="DEBUG"):
        create_app({"CONSULT_ENV": "production", "SECRET_KEY": SECRET, "DEBUG": True,
                    "DATABASE_URL": "sqlite://"})


def test_production_refuses_to_show_the_outbox_on_a_page():
    with pytest.raises(RuntimeError, match="OUTBOX_PAGE"):
        create_app({"CONSULT_ENV": "production", "SECRET_KEY": SECRET, "OUTBOX_PAGE": True,
                    "DATABASE_URL": "sqlite://"})


def test_production_starts_with_a_real_secret():
    app = create_app({"CONSULT_ENV": "production", "SECRET_KEY": SECRET,
                      "DATABASE_URL": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("CONSULT_ENV", "staging")
    with pytest.raises(RuntimeError, match="CONSULT_ENV"):
        create_app({"SECRET_KEY": SECRET, "DATABASE_URL": "sqlite://"})


def test_unexpected_error_shows_a_generic_page_with_an_incident_id(database_url, caplog):
    secret = "Salainen Nimi " + "010101-123N"
    app = make_app(database_url)  # an app of its own: the route is added before any request

    @app.route("/boom-test")
    def boom():
        raise ValueError(secret)

    with app.app_context():
        user = factories.create_user("referrer")
        db.session.commit()
        try:
            client = app.test_client()
            Auth(client).login(user)
            with caplog.at_level(logging.ERROR):
                response = client.get("/boom-test?lang=en")
        finally:
            db.session.remove()
            empty_all_tables()
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "010101-123N" not in response.text and "Traceback" not in response.text
    incident = response.text.split('class="incident-id">')[1].split("<")[0]
    assert len(incident) == 12
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert incident in logged
    assert "010101-123N" not in logged


def test_not_found_page_is_generic(client):
    response = client.get("/no/such/page?lang=en")
    assert response.status_code == 404
    assert "The page does not exist, or you have no access to it." in response.text


def test_production_refuses_to_turn_off_csrf_or_secure_cookies():
    for off in ({"WTF_CSRF_ENABLED": False}, {"SECURE_COOKIES": False}):
        with pytest.raises(RuntimeError, match="CSRF protection and secure cookies"):
            create_app({"CONSULT_ENV": "production", "SECRET_KEY": SECRET,
                        "DATABASE_URL": "sqlite://", **off})


@pytest.mark.parametrize("command", [["seed-demo"], ["seed-volume", "--cases", "5"]])
def test_commands_that_make_published_logins_refuse_to_run_in_production(database_url,
                                                                         command):
    from sqlalchemy import func, select

    from consult.accounts.models import User

    app = make_app(database_url, CONSULT_ENV="production")
    with app.app_context():
        result = app.test_cli_runner().invoke(args=command)
        assert result.exit_code == 1
        assert "does not run when CONSULT_ENV is production" in result.output
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_a_request_body_over_the_limit_is_refused_before_it_is_read(client):
    body = "x" * (2 * 1024 * 1024 + 1)
    response = client.post("/login", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413

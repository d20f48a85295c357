"""Test fixtures: a fresh schema per run (SQLite, or PostgreSQL when TEST_DATABASE_URL
names a server), emptied after every test; app, client, runner and auth helpers."""
from __future__ import annotations

import contextvars
import os
import re
import uuid
from contextlib import contextmanager

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import make_url

from consult import create_app
from consult.extensions import db
from consult.retention import audit_trail_unlocked
from tests import factories

SECRET = "test-secret-" + "x" * 40


def postgres_admin_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


def engine_under_test() -> str:
    return "postgresql" if postgres_admin_url() else "sqlite"


def pytest_collection_modifyitems(config, items):
    """Tests marked engine("sqlite") or engine("postgresql") run in that engine's pass
    only; in the other pass they are deselected (CI runs both passes)."""
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("engine")
        (drop if marker and marker.args[0] != engine_under_test() else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@contextmanager
def fresh_postgres_database(server_url: str):
    """A new, empty PostgreSQL database on the given server, dropped afterwards."""
    url = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"consult_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
            ), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as under a real server.

    Tests keep an app context open for factories; without this, requests would share
    its `g` (Flask-Login's and Flask-Babel's per-request caches) across requests."""

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            db.session.expire_all()  # the test sees what the request committed
        return response


def make_app(database_url: str, **overrides):
    config = {
        "CONSULT_ENV": "testing",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": database_url,
        "BASE_URL": "http://localhost",
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",  # fast tests; production keeps the default
    }
    config.update(overrides)
    app = create_app(config)
    app.test_client_class = IsolatedClient
    return app


def upgrade_schema(database_url: str) -> None:
    from flask_migrate import upgrade

    app = make_app(database_url)
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    server = postgres_admin_url()
    if server:
        with fresh_postgres_database(server) as url:
            upgrade_schema(url)
            yield url
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "consult-test.sqlite")
        upgrade_schema(url)
        yield url


def empty_all_tables() -> None:
    # Audit events are append-only (migration 0013): unlocked for this alone.
    with audit_trail_unlocked():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    with app.app_context():
        yield app
        db.session.remove()
        empty_all_tables()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


class Auth:
    """Logs in through the real login view."""

    def __init__(self, client):
        self.client = client

    def login(self, user_or_email, password: str = factories.PASSWORD, **kwargs):
        email = getattr(user_or_email, "email", user_or_email)
        page = self.client.get("/login")
        response = self.client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": csrf_from(page.text)},
            **kwargs,
        )
        if response.location == "/login/second-factor":
            response = self.second_factor(email, **kwargs)
        return response

    def second_factor(self, email: str, **kwargs):
        """The second step of logging in, with the app's current code. A code is
        accepted once, so when this step's code let the user in a moment ago, the
        next step's (also accepted) comes after it."""
        import time

        import pyotp

        from consult.accounts.models import User

        with db.engine.connect() as connection:  # what the server sees, not this session
            secret = connection.scalar(select(User.totp_secret).where(User.email == email.lower()))
        token = csrf_from(self.client.get("/login/second-factor").text)
        for offset in (0, 30, -30):
            response = self.client.post("/login/second-factor", data={
                "code": pyotp.TOTP(secret).at(time.time() + offset), "csrf_token": token},
                **kwargs)
            if response.status_code != 422:
                break
        return response

    def csrf(self, path: str = "/") -> str:
        return csrf_from(self.client.get(path).text)

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": self.csrf()})


@pytest.fixture
def auth(client):
    return Auth(client)


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as counter: client.get(...)`; counter.count is the number
    of SQL statements the request ran (SPEC §10's budget)."""

    @contextmanager
    def counting():
        counter = QueryCounter()

        def before(conn, cursor, statement, parameters, context, executemany):
            counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counting

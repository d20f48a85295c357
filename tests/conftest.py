"""Test fixtures: a fresh schema and one app per worker (SQLite, or PostgreSQL when
TEST_DATABASE_URL names a server), the database emptied after every test; app, client,
runner and auth helpers, the demo world, and which tests run in which pass."""
from __future__ import annotations

import contextvars
import gc
import os
import re
import shutil
import tempfile
import uuid
from contextlib import contextmanager, nullcontext
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import (String, Table, TextClause, create_engine, event, exists, literal, select,
                        text, union_all)
from sqlalchemy.engine import make_url
from werkzeug.test import run_wsgi_app
from werkzeug.wsgi import get_current_url

from consult import create_app
from consult.extensions import db
from consult.retention import audit_trail_unlocked
from tests import factories

SECRET = "test-secret-" + "x" * 40


# TEST_CLOCK=2027-03-27T23:58 runs the whole suite with the clock moved there (Helsinki
# time when no offset is given), ticking on: every worker starts at that moment.
CLOCK_VARIABLE = "TEST_CLOCK"


def moved_clock() -> datetime | None:
    value = os.environ.get(CLOCK_VARIABLE, "").strip()
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("Europe/Helsinki"))


# CPython collects cyclic garbage after every 700 new objects, each collection walking
# the young objects, and every tenth of those the older ones too. A test process holds
# a large heap that lives as long as it does (the app, its compiled templates, the
# demo world's copy, Hypothesis's strategies), and its requests allocate quickly:
# with the default thresholds, a twentieth to a tenth of its time went into
# collections that found little. Collect less often; the worker's app is frozen out of
# the collections (`worker_app`).
GC_THRESHOLDS = (10_000, 20, 20)


def pytest_configure(config):
    gc.set_threshold(*GC_THRESHOLDS)
    moment = moved_clock()
    if moment is not None:
        import time_machine

        config._moved_clock = time_machine.travel(moment, tick=True)
        config._moved_clock.start()


def pytest_unconfigure(config):
    traveller = getattr(config, "_moved_clock", None)
    if traveller is not None:
        traveller.stop()


def pytest_report_header(config):
    moment = moved_clock()
    engine = engine_under_test()
    lines = [f"consult: {engine} pass; browser tests of the "
             + ("accessibility sweeps and the front door" if engine == "sqlite" else "flows")
             + " run in it"]
    if moment is not None:
        lines.append(f"consult: the clock starts at {moment.isoformat()} ({CLOCK_VARIABLE})")
    return lines


def database_now() -> datetime:
    """The database server's own clock (naive UTC), which TEST_CLOCK does not move: what
    the audit trail's triggers (migration 0013) compare a row's age with."""
    if db.engine.dialect.name == "postgresql":
        return db.session.scalar(text("SELECT clock_timestamp() AT TIME ZONE 'utc'"))
    return datetime.fromisoformat(db.session.scalar(text("SELECT datetime('now')")))


def postgres_admin_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


def engine_under_test() -> str:
    return "postgresql" if postgres_admin_url() else "sqlite"


# Each browser test runs in one pass. The flows that take a case through its states run
# in PostgreSQL's, the engine a deployment runs on, under what a person sees and does.
# In SQLite's run the sweeps about the page itself — axe and reflow, the keyboard,
# without JavaScript, error messages (tests/browser/test_accessibility_*.py) — and the
# front door: logging in, the second factor, a new password, the session and the
# language (test_foundation_browser, test_second_factor_browser,
# test_password_reset_browser) — and the weight of each key page's first load
# (test_first_load_browser). What these check is the markup, what the browser
# receives and the browser's side of the accounts; every query behind them runs on
# both engines in the other tests (tests/test_accounts.py, test_second_factor.py,
# test_password_reset.py and the route tests), and the two passes, run side by side,
# end together. Browser tests with several people's browsers open at once run in both
# passes: they are about people acting together.
SQLITE_BROWSER_FILES = ("test_accessibility_", "test_foundation_browser",
                        "test_second_factor_browser", "test_password_reset_browser",
                        "test_first_load_browser")


def browser_pass(item) -> str:
    return "sqlite" if item.path.name.startswith(SQLITE_BROWSER_FILES) else "postgresql"


def runs_in_this_pass(item) -> bool:
    marker = item.get_closest_marker("engine")
    if marker:
        return marker.args[0] == engine_under_test()
    if item.get_closest_marker("browser") and not item.get_closest_marker("several_browsers"):
        return engine_under_test() == browser_pass(item)
    return True


def pytest_collection_modifyitems(config, items):
    """Tests marked engine("sqlite") or engine("postgresql") run in that engine's pass
    only, and each browser test in its browser_pass; in the other pass they are
    deselected (CI runs both passes). The tests marked long run first, in the order
    they had (pytest-randomly's shuffle runs before this): a worker that ends while
    the other is still in a long test waits idle, so the passes end on short tests."""
    keep, drop = [], []
    for item in items:
        (keep if runs_in_this_pass(item) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    keep.sort(key=lambda item: item.get_closest_marker("long") is None)
    items[:] = keep


@contextmanager
def fresh_postgres_database(server_url: str):
    """A new, empty PostgreSQL database on the given server, dropped afterwards."""
    url = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"consult_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A test database need not survive a crash of the server: commits do not wait
        # for the disk (what they see and lock is unchanged).
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
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

    # Which cookies go with a request, and where the answer's cookies belong, depend on
    # the host and the path alone. Werkzeug's client finds both by rebuilding the whole
    # address, query string decoded, twice per request: for the hostile query strings
    # (100,000 characters) that was a tenth of their tests' time.
    @staticmethod
    def _host_and_path(environ) -> tuple[str, str]:
        address = urlsplit(get_current_url(environ, strip_querystring=True))
        return address.hostname or "localhost", address.path

    def _add_cookies_to_wsgi(self, environ) -> None:
        if self._cookies is None:
            return
        host, path = self._host_and_path(environ)
        header = "; ".join(cookie._to_request_header() for cookie in self._cookies.values()
                           if cookie._matches_request(host, path))
        if header:
            environ["HTTP_COOKIE"] = header
        else:
            environ.pop("HTTP_COOKIE", None)

    def run_wsgi_app(self, environ, buffered: bool = False):
        self._add_cookies_to_wsgi(environ)
        answer = run_wsgi_app(self.application, environ, buffered=buffered)
        self._update_cookies_from_response(*self._host_and_path(environ),
                                           answer[2].getlist("Set-Cookie"))
        return answer


def make_app(database_url: str, **overrides):
    config = {
        "CONSULT_ENV": "testing",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": database_url,
        "BASE_URL": "http://localhost",
        "PASSWORD_HASH_METHOD": "scrypt:1024:1:1",  # fast tests; production keeps the default
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


def _scratch_directory(tmp_path_factory):
    """SQLite's file: in memory-backed /dev/shm where there is one (a commit's fsync
    costs nothing there), else in pytest's temporary directory."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return Path(tempfile.mkdtemp(prefix="consult-test-", dir=shm))
    return tmp_path_factory.mktemp("db")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    server = postgres_admin_url()
    if server:
        with fresh_postgres_database(server) as url:
            upgrade_schema(url)
            yield url
    else:
        directory = _scratch_directory(tmp_path_factory)
        url = "sqlite:///" + str(directory / "consult-test.sqlite")
        upgrade_schema(url)
        yield url
        shutil.rmtree(directory, ignore_errors=True)


_EMPTINESS: dict[str, TextClause] = {}


def _tables_with_rows() -> list[Table]:
    """The tables that hold a row, found in one statement (its SQL made once per engine:
    building it and its cache key anew after every test cost more than running it)."""
    tables = db.metadata.sorted_tables
    dialect = db.engine.dialect
    if dialect.name not in _EMPTINESS:
        statement = union_all(*(
            select(literal(table.name, String)).where(exists().select_from(table))
            for table in tables))
        _EMPTINESS[dialect.name] = text(str(statement.compile(
            dialect=dialect, compile_kwargs={"literal_binds": True})))
    found = set(db.session.scalars(_EMPTINESS[dialect.name]))
    return [table for table in tables if table.name in found]


def empty_all_tables() -> None:
    """Deletes every row, children first; only the tables that hold any are touched."""
    tables = _tables_with_rows()
    if not tables:
        db.session.rollback()
        return
    # Audit events are append-only (migration 0013): unlocked for this alone.
    unlocked = audit_trail_unlocked() if any(t.name == "audit_event" for t in tables) \
        else nullcontext()
    with unlocked:
        for table in reversed(tables):
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(scope="session")
def worker_app(database_url):
    """One app per test worker: building an app and compiling its templates again for
    every test cost more than most tests themselves. The `app` fixture gives each test
    a fresh application context and database, and puts back any configuration the test
    changed."""
    app = make_app(database_url)
    gc.collect()
    gc.freeze()  # what exists now lives as long as the worker: never collected again
    return app


@pytest.fixture
def app(worker_app):
    config = dict(worker_app.config)
    with worker_app.app_context():
        try:
            yield worker_app
        finally:
            db.session.remove()
            empty_all_tables()
            db.session.remove()
    worker_app.config.clear()
    worker_app.config.update(config)


# The demo world of `seed-demo` as a worker last seeded it: the Helsinki day and the
# moment of the seed (it places its meetings, slots and consents around today, and
# stamps its messages and events with now), its rows table by table, and the logins it
# printed. A copy is used for two minutes after its seed: a world older than that has
# aged (its outbox messages count as overdue after five), not what a test expects.
_DEMO: dict[str, tuple[date, datetime, list[tuple[Table, list[dict]]], list]] = {}
DEMO_COPY_LIFETIME = timedelta(minutes=2)


@pytest.fixture
def demo_world(app):
    """The demo world of `seed-demo`, committed so that a live server or another
    connection sees it (load_demo_world)."""
    return load_demo_world()


def load_demo_world():
    """The demo world into the empty database, committed. A worker seeds it and copies
    its rows back into the emptied database for the tests of the next two minutes: the
    same rows, ids included, in a fraction of a seed's time."""
    from consult.demo import seed
    from consult.timeutil import today, utcnow

    day, now = today(), utcnow()
    if "copy" in _DEMO:
        seeded_on, seeded_at, tables, people = _DEMO["copy"]
        if seeded_on == day and timedelta(0) <= now - seeded_at < DEMO_COPY_LIFETIME:
            assert not _tables_with_rows(), "the demo world is copied into an empty database"
            for table, rows in tables:
                if rows:
                    db.session.execute(table.insert(), rows)
            db.session.commit()
            return people
    empty = not _tables_with_rows()
    people = seed()
    db.session.commit()
    if empty:  # the seed's rows alone: a copy for the next tests
        rows = [(table, [dict(row) for row in db.session.execute(table.select()).mappings()])
                for table in db.metadata.sorted_tables]
        _DEMO["copy"] = (day, now, rows, people)
    return people


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

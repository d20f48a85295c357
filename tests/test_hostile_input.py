"""Hostile input (issue 11): every form fuzzed with Hypothesis.

Each POST route of tests/route_registry.py is posted to by its owner — logged in, with
the page's role, the object in scope and a valid CSRF token, so that the input gets
past the access checks to the validation and the database. Each example takes the
route's valid form and keeps, replaces, drops or duplicates each field, and may add
keys the form does not expect; the hostile values are very long text, control
characters, markup, SQL, numbers where text is expected and text where numbers are,
impossible dates, other rows' ids (another organisation's among them), empty strings
and awkward Unicode. The query strings of the pages that read one (the indicators
filter, the request list's state, …) and the public forms (login, forgotten and new
password) get the same treatment. For every example:

- the answer is never a 5xx;
- HTML never carries a planted marker unescaped (`<script>alert(1)`, …) nor a
  `javascript:` link;
- nothing is stored half-way: a refusal (4xx, or a page showing a field error) leaves
  every table as it was, except the audit trail (refusals are audited) and the login
  bookkeeping (login attempts, a session's last-seen time); a success stores no text
  PostgreSQL would refuse (a NUL character) or that is longer than its column.

The route's world is built once per test; the examples share it, so a route that
changes state (a one-time transition) refuses the later examples, and the properties
still hold. Profiles: "ci" (the default, 100 examples per form) and "long" (5,000):

    HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/test_hostile_input.py -p no:cacheprovider

(add `-n 2` for two workers, `-k 'indicators'` for some routes, and
`TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test` for PostgreSQL). A failure
prints the smallest payload found and a `@reproduce_failure` blob."""
from __future__ import annotations

import hashlib
import logging
import os
import pathlib
import re
from unittest import mock
from urllib.parse import parse_qsl

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import BigInteger, Integer, String, delete, event, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from wtforms import Form

import consult
from consult.accounts.models import LoginAttempt, PasswordReset, User
from consult.extensions import db
from tests import factories
from tests.conftest import csrf_from
from tests.hostile import JS_URL, RAW_MARKERS, payloads
from tests.route_registry import BUILDERS
from tests.test_routes import GETS, POSTS, build, path

settings.register_profile(
    "ci", max_examples=100, deadline=None, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture])
settings.register_profile("long", settings.get_profile("ci"), max_examples=5000)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Routes of the registry not fuzzed here, and why. Keep it short.
EXCLUDED: dict[str, str] = {}
FUZZED_POSTS = [(e, m) for e, m in POSTS if e not in EXCLUDED]

# Pages that read a query string, and the arguments they read (every page reads `lang`).
QUERY_ARGS = {
    "indicators.page": ["team", "period", "day", "start", "end", "kind"],
    "indicators.csv": ["team", "period", "day", "start", "end", "kind", "excel"],
    "consultations.requests_list": ["state", "mine", "page"],
    "consultations.new": ["client_id"],
    "teams.inbox": ["state"],
    "physician.inbox": ["kind"],
    "availability.page": ["week"],
    "meetings.list": ["month"],
    "meetings.new": ["team_id"],
    "meetings.run": ["item"],
    "notifications.list": ["page"],
    "actions.list": ["show"],
    "clients.register": ["page"],
    "outbox.admin": ["page"],
}
QUERY_VALID = {
    "indicators.page": {"period": "range", "start": "2026-01-01", "end": "2026-06-30"},
    "indicators.csv": {"period": "quarter", "day": "2026-05-15", "excel": "1"},
    "consultations.requests_list": {"state": "submitted", "mine": "1", "page": "1"},
    "actions.list": {"show": "done"},
    "meetings.list": {"month": "2026-11"},
    "availability.page": {"week": "2026-11-02"},
}

# An attribute (not a query string's `action=`) whose value is a javascript: URL.
JS_LINK = re.compile(r"""\s(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)


# The world ---------------------------------------------------------------------------

def strangers() -> None:
    """Rows of other organisations, so that their ids are among the values tried: a
    team with a submitted case, its client and consent, a physician's slot, a meeting,
    an administrator."""
    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator],
                                 members=[factories.create_user("member")])
    factories.create_submitted_request(team=team)
    factories.create_meeting(team)
    factories.create_slot(factories.create_user("physician"))
    factories.create_user("admin")
    factories.create_client()


def known_ids() -> list[int]:
    """Every id in the database (the world's own rows and the strangers'), 0 and a
    missing one."""
    ids = {0, 999999}
    for table in db.metadata.sorted_tables:
        if "id" in table.columns:
            ids.update(db.session.scalars(select(table.c.id)))
    return sorted(ids)


def form_fields(client, url: str, data: MultiDict, headers=None) -> list[str]:
    """The names of the fields of the forms the view validates, found by posting valid
    data once with validation failing and commits disabled: the page changes nothing."""
    seen: list[str] = []

    def validate(form, *args, **kwargs):
        seen.extend(field.name for field in form if field.name not in seen)
        return False

    with mock.patch.object(Form, "validate", validate), \
            mock.patch.object(Session, "commit", lambda session: session.flush()):
        client.post(url, data=data, headers=headers)
    return [name for name in seen if name != "csrf_token"]


# Snapshots ---------------------------------------------------------------------------

# What a refused request may still change: the audit trail and the login bookkeeping.
BOOKKEEPING = {"audit_event", "login_attempt"}
BOOKKEEPING_COLUMNS = {("login_session", "last_seen_at")}


def _watched_tables() -> list[tuple[str, list[str], list[str]]]:
    """(table, its columns less the bookkeeping ones, its primary key columns)."""
    return [(table.name,
             [c.name for c in table.columns if (table.name, c.name) not in BOOKKEEPING_COLUMNS],
             [c.name for c in table.primary_key.columns])
            for table in db.metadata.sorted_tables if table.name not in BOOKKEEPING]


_STATEMENTS: dict[str, list[tuple[str, str]]] = {}


def _fingerprint_statements() -> list[tuple[str, str]]:
    """SQLite: a statement per table, its rows hashed here. PostgreSQL: one statement
    for every table, each table's rows counted and hashed by the server (a statement
    per table, 45 round trips for every example, was half of the fuzzing's time): the
    sum of a 64-bit hash of each row, which any change to a row changes, with no sort
    and no long string to build (an md5 of the sorted rows took the server twice the
    time)."""
    dialect = db.engine.dialect
    if dialect.name not in _STATEMENTS:
        quote = dialect.identifier_preparer.quote
        tables = _watched_tables()
        if dialect.name == "postgresql":
            _STATEMENTS[dialect.name] = [("", " UNION ALL ".join(
                "SELECT '{name}', count(*), coalesce(sum(hashtextextended(ROW({cols})::text, "
                "0)), 0)::text FROM {table}".format(
                    name=name, table=quote(name), cols=", ".join(map(quote, columns)))
                for name, columns, _key in tables))]
        else:
            _STATEMENTS[dialect.name] = [
                (name, "SELECT {} FROM {} ORDER BY {}".format(
                    ", ".join(map(quote, columns)), quote(name), ", ".join(map(quote, key))))
                for name, columns, key in tables]
    return _STATEMENTS[dialect.name]


def fingerprint() -> dict[str, tuple[int, str]]:
    """Per table: the number of rows and a hash of them, bookkeeping left out. Plain
    SQL on a driver connection of its own: it runs after every example that wrote a row
    (Watch.wrote)."""
    state = {}
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        for name, statement in _fingerprint_statements():
            cursor.execute(statement)
            rows = cursor.fetchall()
            if name:
                state[name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
            else:
                state.update((table, (count, digest)) for table, count, digest in rows)
        cursor.close()
        connection.rollback()
    finally:
        connection.close()
    return state


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(name for name in before if before[name] != after.get(name))


def test_the_fingerprint_sees_every_change_but_the_bookkeeping(app, client, auth):
    """What the refusals are checked with: a changed value, a new row and a deleted
    one each change their table's fingerprint, and only theirs; a value put back gives
    the fingerprint back; the login bookkeeping changes nothing."""
    from consult.accounts.models import LoginSession

    owner, other = factories.create_user("referrer"), factories.create_user("referrer")
    db.session.commit()
    auth.login(owner)
    start = fingerprint()
    name = other.name
    other.name = name + "x"
    db.session.commit()
    assert changed_tables(start, fingerprint()) == ["user"]
    other.name = name
    db.session.commit()
    assert fingerprint() == start
    for row in db.session.scalars(select(LoginSession)):
        row.last_seen_at = row.last_seen_at.replace(year=2001)
    db.session.add(LoginAttempt(email="someone@example.org", remote_addr="192.0.2.1"))
    db.session.commit()
    assert fingerprint() == start
    db.session.add(PasswordReset(user_id=other.id, selector="s" * 12, secret_hash="h" * 64,
                                 expires_at=other.created_at))
    db.session.commit()
    assert changed_tables(start, fingerprint()) == ["password_reset"]
    db.session.execute(delete(PasswordReset))
    db.session.execute(delete(LoginSession))
    db.session.commit()
    assert changed_tables(start, fingerprint()) == ["login_session"]


# Watching the app --------------------------------------------------------------------

INT_MAX = 2**31 - 1  # PostgreSQL's INTEGER; SQLite stores 64 bits


def _flat(parameters):
    """Every value of a statement's parameters, whatever their shape (one row or many,
    by position or by name)."""
    if isinstance(parameters, dict):
        parameters = parameters.values()
    elif not isinstance(parameters, (list, tuple)):
        yield parameters
        return
    for value in parameters:
        yield from _flat(value) if isinstance(value, (list, tuple, dict)) else (value,)


# A statement that cannot change a watched table: a read, a savepoint, or a write to
# the bookkeeping alone. An update or a delete that touched no row changed nothing
# either; other statements' counts are not trusted (SQLite's driver counts the rows
# of an INSERT … RETURNING only as they are fetched).
READ_ONLY = re.compile(r"\s*(SELECT|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b"
                       r"|\s*(INSERT INTO|UPDATE|DELETE FROM) \W?(%s)(\W|$)"
                       % "|".join(sorted(BOOKKEEPING)), re.I)
COUNTED = re.compile(r"\s*(UPDATE|DELETE)\b(?!.*\bRETURNING\b)", re.I | re.S)


class Watch(logging.Handler):
    """What one request did that a response does not show: the app's log of a 500 (its
    type and code path, no values), what PostgreSQL would refuse although SQLite
    takes it — a NUL character in any statement's parameters, and on a flush text
    longer than its column or an integer beyond INTEGER — and whether it may have
    changed a watched table: a statement other than READ_ONLY, unless it is COUNTED
    and touched no row."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.incidents: list[str] = []
        self.refused_by_postgres: list[str] = []
        self.wrote = False

    def emit(self, record):
        self.incidents.append(record.getMessage())

    def on_statement(self, _conn, _cursor, statement, parameters, _context, _executemany):
        if any(isinstance(v, str) and "\x00" in v for v in _flat(parameters)):
            self.refused_by_postgres.append(
                f"a NUL character in the parameters of {' '.join(statement.split()[:6])} …")

    def on_executed(self, _conn, cursor, statement, _parameters, _context, _executemany):
        if not self.wrote and not READ_ONLY.match(statement) and not (
                cursor.rowcount == 0 and COUNTED.match(statement)):
            self.wrote = True

    def on_flush(self, session, _context, _instances):
        for obj in [*session.new, *session.dirty]:
            state = sa_inspect(obj)
            for attr in state.mapper.column_attrs:
                column = attr.columns[0]
                value = state.dict.get(attr.key)
                if isinstance(value, str) and isinstance(column.type, String) \
                        and column.type.length and len(value) > column.type.length:
                    self.refused_by_postgres.append(
                        f"{column.table.name}.{column.name}: {len(value)} characters into "
                        f"{column.type.length}")
                elif isinstance(value, int) and not isinstance(value, bool) \
                        and isinstance(column.type, Integer) \
                        and not isinstance(column.type, BigInteger) and abs(value) > INT_MAX:
                    self.refused_by_postgres.append(
                        f"{column.table.name}.{column.name}: {value} is beyond INTEGER")

    def clear(self) -> None:
        self.incidents.clear()
        self.refused_by_postgres.clear()
        self.wrote = False


@pytest.fixture
def watch(app):
    handler = Watch()
    logger = logging.getLogger("consult.security")
    logger.addHandler(handler)
    event.listen(db.engine, "before_cursor_execute", handler.on_statement)
    event.listen(db.engine, "after_cursor_execute", handler.on_executed)
    event.listen(Session, "before_flush", handler.on_flush)
    yield handler
    event.remove(Session, "before_flush", handler.on_flush)
    event.remove(db.engine, "after_cursor_execute", handler.on_executed)
    event.remove(db.engine, "before_cursor_execute", handler.on_statement)
    logger.removeHandler(handler)


def test_the_watch_sees_every_write_but_the_bookkeeping(app, watch):
    """What spares an example the fingerprint: a statement that changed a row of a
    watched table is seen; reads, writes that touched no row and the bookkeeping's are
    not."""
    from consult.audit import services as audit

    user = factories.create_user("referrer")
    db.session.commit()

    def wrote(statement) -> bool:
        watch.clear()
        db.session.execute(statement)
        db.session.commit()
        return watch.wrote

    assert not wrote(select(User).where(User.id == user.id))
    assert wrote(User.__table__.update().where(User.id == user.id).values(name="Uusi Nimi"))
    assert not wrote(User.__table__.update().where(User.id == -1).values(name="Ei kukaan"))
    assert not wrote(LoginAttempt.__table__.insert().values(
        email="someone@example.org", remote_addr="192.0.2.1"))
    assert not wrote(delete(LoginAttempt))
    watch.clear()
    audit.record("view", object_type="user", object_id=user.id, user=user)
    db.session.commit()
    assert not watch.wrote
    watch.clear()
    db.session.add(PasswordReset(user_id=user.id, selector="s" * 12, secret_hash="h" * 64,
                                 expires_at=user.created_at))
    db.session.commit()
    assert watch.wrote
    assert wrote(delete(PasswordReset))


# Checks ------------------------------------------------------------------------------

def describe(method: str, url: str, pairs) -> str:
    """The request in a line, long values shortened."""
    def short(value: str) -> str:
        return repr(value) if len(value) <= 60 else f"{value[:30]!r}…({len(value)} chars)"

    return f"{method} {url} " + ", ".join(f"{key}={short(value)}" for key, value in pairs)


def has_field_error(response) -> bool:
    return 'aria-invalid="true"' in response.get_data(as_text=True)


def check_answer(response, watch, what: str) -> None:
    # The app logs a 500's type and code path; its last lines say where it broke.
    where = "\n".join(watch.incidents[-1].splitlines()[-6:]) if watch.incidents else ""
    assert response.status_code < 500, f"{what} answered {response.status_code}\n{where}"
    assert not watch.refused_by_postgres, (
        f"{what}: PostgreSQL would refuse {sorted(set(watch.refused_by_postgres))}")
    if "html" in (response.content_type or ""):
        text = response.get_data(as_text=True)
        for marker in RAW_MARKERS:
            assert marker not in text, f"{what} echoed {marker!r} unescaped"
        assert not JS_LINK.search(text), f"{what} made a {JS_URL!r} link"


def check_nothing_stored_on_refusal(response, before: dict, after: dict, what: str) -> None:
    refused = 400 <= response.status_code < 500 or (
        response.status_code == 200 and "html" in (response.content_type or "")
        and has_field_error(response))
    if refused:
        assert not changed_tables(before, after), (
            f"{what} was refused ({response.status_code}) but changed "
            f"{changed_tables(before, after)}")


def hostile_settings():
    return settings(PROFILE)


def send(client, method: str, url: str, pairs, *, csrf=None, htmx=False, multipart=False):
    """The request as a browser would send it; long values always as multipart, which
    is also what keeps 100,000 characters from taking a second to percent-encode."""
    data = MultiDict(([("csrf_token", csrf)] if csrf else []) + list(pairs))
    headers = {"HX-Request": "true"} if htmx else None
    if method == "GET":
        return client.get(url, query_string=data, headers=headers)
    if multipart or any(len(value) > 2000 for _, value in pairs):
        return client.post(url, data=data, headers=headers, content_type="multipart/form-data")
    return client.post(url, data=data, headers=headers)

class Login:
    """The owner's login, renewed when an example ended it."""

    def __init__(self, client, auth, owner: User):
        self.client, self.auth = client, auth
        self.owner_id, self.email = owner.id, owner.email
        self.login()

    def login(self) -> None:
        user = db.session.get(User, self.owner_id)
        if user.password_hash != factories.password_hash():
            user.password_hash = factories.password_hash()  # an example changed it
        db.session.commit()
        self.auth.login(self.email)
        page = self.client.get("/")
        assert page.status_code == 200, f"the owner could not log in ({page.status_code})"
        self.csrf = csrf_from(page.text)
        self.expired = False

    def notice(self, response) -> None:
        if response.status_code == 401 or (
                response.status_code in (302, 303)
                and (response.location or "").startswith("/login")):
            self.expired = True


def build_world(endpoint):
    if endpoint not in BUILDERS:
        pytest.fail(f"{endpoint} has no builder in tests/route_registry.py")
    world = build(endpoint)
    strangers()
    db.session.commit()
    return world


# POST forms as their owner -----------------------------------------------------------

@pytest.mark.long
@pytest.mark.parametrize("endpoint,method", FUZZED_POSTS)
def test_form_survives_hostile_input(app, client, auth, watch, endpoint, method):
    world = build_world(endpoint)
    ids = known_ids()
    url = path(app, endpoint, world.values)
    login = Login(client, auth, world.owner)
    probe = MultiDict([("csrf_token", login.csrf), *MultiDict(world.form).items(multi=True)])
    fields = list(dict.fromkeys([*world.form, *form_fields(client, url, probe)]))
    last = {"state": fingerprint()}

    @hostile_settings()
    @given(pairs=payloads(world.form, fields, ids), htmx=st.booleans(), multipart=st.booleans())
    def post(pairs, htmx, multipart):
        if login.expired:
            login.login()
            last["state"] = fingerprint()
        before = last["state"]
        watch.clear()
        what = describe("POST", url, pairs)
        response = send(client, "POST", url, pairs, csrf=login.csrf, htmx=htmx,
                        multipart=multipart)
        if watch.wrote:  # else every watched table is as it was
            last["state"] = fingerprint()
        after = last["state"]
        check_answer(response, watch, what)
        check_nothing_stored_on_refusal(response, before, after, what)
        login.notice(response)

    post()


# Query strings -----------------------------------------------------------------------

# Query arguments read by pages not fuzzed above: `next` (the login page's; the
# keep-alive's form field gets hostile values above as an unexpected key; only a local
# path is followed, tests/test_accounts.py) and `to` (the development outbox, 404
# outside development).
UNFUZZED_ARGS = {"next", "to"}


def test_every_page_that_reads_a_query_string_is_fuzzed():
    assert set(QUERY_ARGS) <= {endpoint for endpoint, _ in GETS}
    read = set()
    for source in pathlib.Path(consult.__file__).parent.rglob("*.py"):
        text = source.read_text()
        read.update(re.findall(r"(?:request\.args\.get|id_arg|date_arg)\(\s*[\"'](\w+)", text))
        read.update("page" for _ in re.findall(r"page_arg\(\)", text))
    fuzzed = {name for names in QUERY_ARGS.values() for name in names} | {"lang"}
    assert read - UNFUZZED_ARGS <= fuzzed, "add the page to QUERY_ARGS"


@pytest.mark.long
@pytest.mark.parametrize("endpoint", sorted(QUERY_ARGS))
def test_query_string_survives_hostile_input(app, client, auth, watch, endpoint):
    world = build_world(endpoint)
    ids = known_ids()
    url, _, query = path(app, endpoint, world.values).partition("?")
    valid = dict(parse_qsl(query), **QUERY_VALID.get(endpoint, {}))
    login = Login(client, auth, world.owner)
    fields = [*QUERY_ARGS[endpoint], "lang"]

    @hostile_settings()
    @given(pairs=payloads(valid, fields, ids), htmx=st.booleans())
    def get(pairs, htmx):
        if login.expired:
            login.login()
        watch.clear()
        response = send(client, "GET", url, pairs, htmx=htmx)
        check_answer(response, watch, describe("GET", url, pairs))
        login.notice(response)

    get()


# The public forms, as an anonymous visitor --------------------------------------------

def _reset_link(user: User) -> str:
    from flask import current_app

    from consult import tokens
    from consult.timeutil import utcnow

    token = tokens.new_token()
    db.session.add(PasswordReset(
        user_id=user.id, selector=token.selector, secret_hash=token.secret_hash,
        created_at=utcnow(), expires_at=utcnow() + current_app.config["PASSWORD_RESET_VALID"]))
    return f"/password/reset/{token.token}"


def _password_given(email: str, url: str):
    """A visitor past the password, at the second factor's step: its CSRF token. The
    examples' wrong codes count in the login throttle; forgetting them lets the next
    visitor past the password."""
    def prepare(visitor) -> str:
        db.session.execute(delete(LoginAttempt))
        db.session.commit()
        token = csrf_from(visitor.get("/login").text)
        visitor.post("/login", data={"email": email, "password": factories.PASSWORD,
                                     "csrf_token": token})
        return csrf_from(visitor.get(url).text)
    return prepare


def _second_factor_login(user: User):
    url = "/login/second-factor"
    return url, {"code": "123456"}, _password_given(user.email, url)


def _second_factor_setup(user: User):
    user.organisation.requires_second_factor = True
    url = "/login/second-factor/setup"
    return url, {"code": "123456"}, _password_given(user.email, url)


# endpoint: (the user it is for) -> (url, valid form, what a visitor does first and the
# CSRF token it gets)
PUBLIC_FORMS = {
    "accounts.login": lambda user: (
        "/login", {"email": user.email, "password": factories.PASSWORD}, None),
    "password.forgot": lambda user: ("/password/forgot", {"email": user.email}, None),
    "password.reset": lambda user: (_reset_link(user), {
        "new_password": "A-brand-new-passphrase-42",
        "confirm": "A-brand-new-passphrase-42"}, None),
    "pages.accessibility": lambda user: ("/accessibility", {
        "name": "Testi Käyttäjä", "email": user.email,
        "message": "Lomakkeen virheilmoitus ei näy ruudunlukijalla."}, None),
    "second_factor.login_code": _second_factor_login,
    "second_factor.login_setup": _second_factor_setup,
}
# The other public routes take no form: logging out is a button (CSRF only), and the
# rest answer GET only (health check, calendar feed, static files, the development
# outbox, which is 404 outside development).


@pytest.mark.long
@pytest.mark.parametrize("endpoint", sorted(PUBLIC_FORMS))
def test_public_form_survives_hostile_input(app, watch, endpoint):
    user = factories.create_user(
        "referrer", second_factor=endpoint == "second_factor.login_code")
    strangers()
    url, form, prepare = PUBLIC_FORMS[endpoint](user)
    db.session.commit()
    ids = known_ids()
    last = {"state": fingerprint()}

    @hostile_settings()
    @given(pairs=payloads(form, list(form), ids), multipart=st.booleans())
    def post(pairs, multipart):
        visitor = app.test_client()  # a new browser each time: a success logs in
        watch.clear()
        token = prepare(visitor) if prepare else csrf_from(visitor.get("/login").text)
        if watch.wrote:
            last["state"] = fingerprint()
        before = last["state"]
        watch.clear()
        what = describe("POST", url, pairs)
        response = send(visitor, "POST", url, pairs, csrf=token, multipart=multipart)
        if watch.wrote:
            last["state"] = fingerprint()
        after = last["state"]
        check_answer(response, watch, what)
        check_nothing_stored_on_refusal(response, before, after, what)

    post()


def test_every_public_route_that_takes_a_form_is_fuzzed():
    from tests.route_registry import PUBLIC
    from tests.test_routes import RULES

    public_posts = {endpoint for endpoint, method in RULES
                    if method == "POST" and endpoint in PUBLIC}
    assert public_posts - {"accounts.logout"} == set(PUBLIC_FORMS)


# Ids in the path ---------------------------------------------------------------------

def _int_arguments(endpoint: str) -> list[str]:
    from werkzeug.routing import IntegerConverter

    from tests.test_routes import _APP

    rule = next(rule for rule in _APP.url_map.iter_rules() if rule.endpoint == endpoint)
    return [name for name, converter in rule._converters.items()
            if isinstance(converter, IntegerConverter)]


ID_PAGES = [endpoint for endpoint, _ in GETS if _int_arguments(endpoint)]
assert ID_PAGES, "routes take ids as <int:…>"


@pytest.mark.parametrize("endpoint", ID_PAGES)
def test_an_id_beyond_integer_in_the_path_is_a_missing_id(app, client, auth, endpoint):
    """PostgreSQL's INTEGER ends at 2**31 - 1, Python's int parsing at 4,300 digits:
    a longer number in the address is an id that does not exist, on both engines."""
    world = build_world(endpoint)
    auth.login(world.owner)
    for name in _int_arguments(endpoint):
        for number in ("2147483648", "9223372036854775808", "9" * 5000):
            url = path(app, endpoint, world.values)
            good = path(app, endpoint, {**world.values, name: 7654321})
            hostile = good.replace("7654321", number, 1)
            assert hostile != url
            assert client.get(hostile).status_code == 404, f"GET {hostile[:60]}"


# What fuzzing found, kept as fixed examples --------------------------------------------

BIG = "9223372036854775808"
FOUND = [
    # (endpoint, fields replaced in the valid form, query string)
    ("booking.book_or_propose", {"action": "book", "slots": BIG}, None),
    ("booking.move", {"slot_id": "2147483648"}, None),
    ("booking.move", {"slot_id": "-1"}, None),
    ("consultations.save_preform", {"revision": "9" * 5000}, None),
    ("meetings.add_guest", {"organisation_id": "-1"}, None),
    ("meetings.attendance", {"present": "u-²"}, None),
    ("protocols.add_recommendation", {"service_id": "2147483648"}, None),
    ("availability.add_absence", {"starts_on": "9999-12-31", "ends_on": "9999-12-31"}, None),
    ("consultations.requests_list", None, {"page": BIG}),
    ("notifications.list", None, {"page": "9" * 5000}),
    ("meetings.new", None, {"team_id": "9" * 5000}),
    ("meetings.run", None, {"item": "²"}),
    ("availability.page", None, {"week": "9999-12-31"}),
    ("meetings.list", None, {"month": "9999-12"}),
    ("indicators.page", None, {"team": "2147483648"}),
    ("indicators.page", None, {"period": "range", "start": "2026-01-01"}),
    ("indicators.page", None, {"period": "range", "start": "2026-01-01", "end": "<b>"}),
]


@pytest.mark.parametrize("endpoint,fields,query", FOUND)
def test_what_fuzzing_found_is_refused_cleanly(app, client, auth, watch, endpoint, fields,
                                               query):
    """Each of these answered 500 on one engine or both: a number beyond INTEGER or
    Python's int(), a digit int() refuses, a date whose next day does not exist, a
    missing organisation, a range without its end."""
    world = build_world(endpoint)
    url = path(app, endpoint, world.values)
    login = Login(client, auth, world.owner)
    if query is not None:
        response = send(client, "GET", url.partition("?")[0], list(query.items()))
        check_answer(response, watch, describe("GET", url, query.items()))
        return
    pairs = [*{**MultiDict(world.form).to_dict(), **fields}.items()]
    before = fingerprint()
    response = send(client, "POST", url, pairs, csrf=login.csrf)
    check_answer(response, watch, describe("POST", url, pairs))
    assert response.status_code in (303, 404, 409, 422) or has_field_error(response), (
        f"{endpoint} took {fields} ({response.status_code})")
    if response.status_code != 303:
        assert not changed_tables(before, fingerprint())

"""Server-side login sessions (SPEC §9).

The signed cookie holds a random token; its hash names a LoginSession row. Every
worker checks the row, so logout, deactivation and a password change end the
session everywhere. Idle (30 min) and absolute (12 h) timeouts are checked here."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import cache

from flask import current_app, g, request, session
from flask_login import current_user
from sqlalchemy import bindparam, delete, inspect, select
from sqlalchemy.orm import joinedload

from consult.accounts.models import LoginSession, User
from consult.audit import services as audit
from consult.extensions import db
from consult.timeutil import utcnow

SESSION_KEY = "sid"
# last_seen_at is written at most this often, not on every request.
TOUCH_EVERY = timedelta(seconds=60)


# The statements every request runs, built once (on first use, when every model is
# mapped): building one and its cache key (the joined loads make the key long) cost
# more than running it. The user and their roles come with the row: every page needs
# them. After a commit or a rollback, the row is read again by its id, overwriting
# what was loaded.
@cache
def _row_statements():
    row = select(LoginSession).options(
        joinedload(LoginSession.user).joinedload(User.role_rows))
    by_token = row.where(LoginSession.token_hash == bindparam("key"))
    again = row.where(LoginSession.id == bindparam("key")).execution_options(
        populate_existing=True)
    return by_token, again


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User) -> LoginSession:
    """A fresh session: the old cookie's contents (and CSRF token) are dropped."""
    language = session.get("lang")
    session.clear()
    token = secrets.token_urlsafe(32)
    row = LoginSession(
        token_hash=_hash(token),
        user_id=user.id,
        remote_addr=(request.remote_addr or "")[:64],
    )
    db.session.add(row)
    audit.record("create", object_type="user", object_id=user.id, purpose="login", user=user)
    session[SESSION_KEY] = token
    if language:
        session["lang"] = language
    session.permanent = True
    return row


def end_current() -> None:
    token = session.get(SESSION_KEY)
    if token and current_user.is_authenticated:
        audit.record("update", object_type="user", object_id=current_user.id, purpose="logout")
    if token:
        db.session.execute(delete(LoginSession).where(LoginSession.token_hash == _hash(token)))
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def end_all_for(user: User) -> None:
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


def live_sessions_of(user: User) -> list[LoginSession]:
    """The user's sessions that are still alive (within both timeouts), newest first."""
    now, config = utcnow(), current_app.config
    return list(db.session.scalars(
        select(LoginSession).where(
            LoginSession.user_id == user.id,
            LoginSession.last_seen_at > now - config["SESSION_IDLE_TIMEOUT"],
            LoginSession.created_at > now - config["SESSION_ABSOLUTE_TIMEOUT"])
        .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())))


def end_others(user: User, ids) -> int:
    """Ends the chosen sessions of this user other than the current one (ids of other
    users' sessions or of this one are ignored); each is a "logout" audit event."""
    current = current_row()
    chosen = [row for row in live_sessions_of(user)
              if row.id in set(ids) and (current is None or row.id != current.id)]
    for row in chosen:
        audit.record("update", object_type="user", object_id=user.id, purpose="logout",
                     detail="ended from another session")
        db.session.delete(row)
    db.session.flush()
    return len(chosen)


def current_row() -> LoginSession | None:
    """The live session row of this request, loaded once."""
    if "login_session" in g:
        return g.login_session
    g.login_session = None
    token = session.get(SESSION_KEY)
    if not token:
        return None
    by_token, _again = _row_statements()
    row = db.session.scalars(by_token, {"key": _hash(token)}).unique().first()
    if row is None:
        session.pop(SESSION_KEY, None)
        g.session_ended = True
        return None
    now = utcnow()
    config = current_app.config
    expired = (now - row.last_seen_at > config["SESSION_IDLE_TIMEOUT"]) or (
        now - row.created_at > config["SESSION_ABSOLUTE_TIMEOUT"]
    )
    if expired or not row.user.is_active:
        db.session.delete(row)
        db.session.commit()
        session.pop(SESSION_KEY, None)
        g.session_ended = True
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        db.session.commit()
    g.login_session = row
    return row


def reload_current() -> None:
    """After a commit: the request's session row, its user and their roles, fresh from
    the database in one statement (each would otherwise be loaded on first use)."""
    row = g.get("login_session")
    if row is not None:
        _by_token, again = _row_statements()
        db.session.scalars(again, {"key": inspect(row).identity[0]}).unique().first()


def touch() -> None:
    """The user asked to continue: restart the idle clock now."""
    row = current_row()
    if row is not None:
        row.last_seen_at = utcnow()


def seconds_left(row: LoginSession) -> int:
    """Seconds until the idle or absolute timeout, whichever comes first."""
    config = current_app.config
    now = utcnow()
    idle_end = row.last_seen_at + config["SESSION_IDLE_TIMEOUT"]
    absolute_end = row.created_at + config["SESSION_ABSOLUTE_TIMEOUT"]
    return max(0, int((min(idle_end, absolute_end) - now).total_seconds()))

"""Accounts: logging in with throttling, creating and changing users.

Services flush, never commit: the view or CLI command that calls them commits."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from consult.accounts import sessions
from consult.accounts.models import ROLES, LoginAttempt, User, UserRole
from consult.accounts.passwords import hash_password, password_problem, verify_password
from consult.audit import services as audit
from consult.extensions import db
from consult.organisations.models import Organisation
from consult.query import database_id
from consult.timeutil import utcnow


class AccountError(ValueError):
    """A refused change; the message is shown to the user or printed by the CLI."""


@dataclass
class LoginResult:
    user: User | None = None
    throttled: bool = False


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _recent_failures(email: str, remote_addr: str) -> int:
    """Failures within the window for this account or from this address, whichever
    is higher: either alone reaching the limit refuses the next attempt."""
    since = utcnow() - current_app.config["LOGIN_THROTTLE_WINDOW"]
    recent = LoginAttempt.attempted_at >= since
    by_account = select(func.count(LoginAttempt.id)).where(recent, LoginAttempt.email == email)
    by_address = select(func.count(LoginAttempt.id)).where(
        recent, LoginAttempt.remote_addr == remote_addr)
    counts = db.session.execute(
        select(by_account.scalar_subquery(), by_address.scalar_subquery())).one()
    return max(counts)


def throttled(user: User, remote_addr: str) -> bool:
    """Whether the user's account or the address failed too often lately: checks of
    a password or code after the login count in the same throttle as logins."""
    return _recent_failures(normalise_email(user.email), (remote_addr or "")[:64]) \
        >= current_app.config["LOGIN_THROTTLE_MAX_FAILURES"]


def count_failure(user: User, remote_addr: str) -> None:
    db.session.add(LoginAttempt(email=normalise_email(user.email),
                                remote_addr=(remote_addr or "")[:64]))


def authenticate(email: str, password: str, remote_addr: str) -> LoginResult:
    """Check credentials unless the account or address has failed too often.

    The counters live in the database, so every worker sees the same numbers."""
    email = normalise_email(email)
    remote_addr = (remote_addr or "")[:64]
    if _recent_failures(email, remote_addr) >= current_app.config["LOGIN_THROTTLE_MAX_FAILURES"]:
        db.session.add(LoginAttempt(email=email, remote_addr=remote_addr))
        return LoginResult(throttled=True)
    user = db.session.scalar(select(User).where(User.email == email))
    if verify_password(user.password_hash if user else None, password) and user.is_active:
        return LoginResult(user=user)
    db.session.add(LoginAttempt(email=email, remote_addr=remote_addr))
    if user is not None:  # an unknown address names no account: nothing to record
        audit.record("create", object_type="user", object_id=user.id, purpose="login",
                     outcome="denied", detail="wrong password or inactive account")
    return LoginResult()


def find_organisation(name_or_id: str) -> Organisation | None:
    key = (name_or_id or "").strip()
    if key.isdigit():
        return db.session.get(Organisation, database_id(key) or 0)
    return db.session.scalar(select(Organisation).where(Organisation.name == key))


def check_roles(roles) -> list[str]:
    roles = sorted(set(roles))
    if not roles:
        raise AccountError("A user needs at least one role.")
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise AccountError(f"Unknown role: {', '.join(unknown)} (roles: {', '.join(ROLES)}).")
    return roles


def email_taken(email: str, *, except_user: User | None = None) -> bool:
    query = select(User.id).where(User.email == normalise_email(email))
    if except_user is not None:
        query = query.where(User.id != except_user.id)
    return db.session.scalar(query) is not None


def create_user(*, email: str, name: str, organisation: Organisation, roles,
                password: str, language: str = "fi") -> User:
    email = normalise_email(email)
    if not email or "@" not in email:
        raise AccountError("An e-mail address is required.")
    if not name.strip():
        raise AccountError("A name is required.")
    if email_taken(email):
        raise AccountError(f"A user with the e-mail address {email} already exists.")
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise AccountError(str(problem))
    user = User(
        email=email,
        name=name.strip(),
        organisation=organisation,
        password_hash=hash_password(password),
        language=language,
    )
    user.role_rows = [UserRole(role=r) for r in check_roles(roles)]
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user: User, *, email: str, name: str, organisation: Organisation,
                roles, language: str) -> None:
    if email_taken(email, except_user=user):
        raise AccountError(f"A user with the e-mail address {email} already exists.")
    roles = check_roles(roles)
    user.email = normalise_email(email)
    user.name = name.strip()
    user.organisation = organisation
    user.language = language
    current = {r.role: r for r in user.role_rows}
    user.role_rows = [current.get(r) or UserRole(role=r) for r in roles]
    db.session.flush()


def set_password(user: User, password: str) -> None:
    """A new password ends every session of the user, in every worker."""
    problem = password_problem(password, email=user.email, name=user.name)
    if problem:
        raise AccountError(str(problem))
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    sessions.end_all_for(user)
    db.session.flush()


def deactivate(user: User) -> None:
    user.is_active_account = False
    user.deactivated_at = utcnow()
    sessions.end_all_for(user)
    db.session.flush()


def reactivate(user: User) -> None:
    user.is_active_account = True
    user.deactivated_at = None
    db.session.flush()


def set_language(user: User, language: str) -> None:
    user.language = language
    db.session.flush()

"""Password reset by e-mail (SPEC §5): a single-use link, valid for a short while.

Only the token's selector and a hash of its secret are stored; the token itself is
only in the e-mail (its outbox row forgets it once sent). Whoever asks gets the same
answer whether or not the address has an account, so the page tells nobody who has one.

Services flush, never commit: the view commits."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import func, select, update

from consult import tokens
from consult.accounts import notices, services
from consult.accounts.models import PasswordReset, User
from consult.audit import services as audit
from consult.extensions import db
from consult.outbox import services as outbox
from consult.timeutil import utcnow

# Compared against when the selector finds no row, so that an unknown link costs
# the same hash-and-compare as a known one with a wrong secret.
_DUMMY_HASH = tokens.hash_secret("consult-reset-timing-equaliser")


def _sent_within_the_hour(user: User) -> int:
    since = utcnow() - timedelta(hours=1)
    return db.session.scalar(select(func.count(PasswordReset.id)).where(
        PasswordReset.user_id == user.id, PasswordReset.created_at >= since))


def _sent_from_the_address_within_the_hour(remote_addr: str) -> int:
    since = utcnow() - timedelta(hours=1)
    return db.session.scalar(select(func.count(PasswordReset.id)).where(
        PasswordReset.remote_addr == remote_addr, PasswordReset.created_at >= since))


def _retire_open_links(user: User, now) -> None:
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now))


def request_reset(email: str, remote_addr: str = "") -> PasswordReset | None:
    """Send a reset link to the active account with this address, unless it already
    got `PASSWORD_RESET_MAX_PER_HOUR` links within the hour, or the asking address
    made `PASSWORD_RESET_MAX_PER_ADDRESS` within the hour (for whatever accounts). A
    new link makes the earlier ones worthless. Returns the new row, or None when
    nothing was sent; the caller answers the same either way."""
    user = db.session.scalar(
        select(User).where(User.email == services.normalise_email(email)))
    if user is None or not user.is_active:
        return None
    config = current_app.config
    remote_addr = (remote_addr or "")[:64]
    if _sent_within_the_hour(user) >= config["PASSWORD_RESET_MAX_PER_HOUR"]:
        return None
    if remote_addr and _sent_from_the_address_within_the_hour(remote_addr) \
            >= config["PASSWORD_RESET_MAX_PER_ADDRESS"]:
        return None
    now = utcnow()
    _retire_open_links(user, now)
    token = tokens.new_token()
    valid = config["PASSWORD_RESET_VALID"]
    reset = PasswordReset(user_id=user.id, selector=token.selector,
                          secret_hash=token.secret_hash, created_at=now,
                          expires_at=now + valid, remote_addr=remote_addr)
    db.session.add(reset)
    outbox.enqueue_rendered(
        "password_reset", kind="reset", recipient=user.email, language=user.language,
        user_id=user.id,
        context={"link": outbox.absolute_url(url_for("password.reset", token=token.token)),
                 "minutes": int(valid.total_seconds() // 60)})
    db.session.flush()
    return reset


def find_valid(token: str) -> PasswordReset | None:
    """The unused, unexpired reset of an active account that this token opens."""
    parts = tokens.split(token)
    if parts is None:
        return None
    selector, secret = parts
    reset = db.session.scalar(select(PasswordReset).where(PasswordReset.selector == selector))
    if not tokens.matches(reset.secret_hash if reset else _DUMMY_HASH, secret) or reset is None:
        return None
    if reset.used_at is not None or reset.expires_at <= utcnow():
        return None
    user = db.session.get(User, reset.user_id)
    if user is None or not user.is_active:
        return None
    return reset


def complete_reset(reset: PasswordReset, password: str) -> User | None:
    """Set the new password (raises AccountError when the policy refuses it). Every
    session of the user ends, and this link and any other open one stop working.

    The link is claimed with a conditional UPDATE first, so that of two requests
    racing with one link only one sets a password; the other gets None."""
    now = utcnow()
    claimed = db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)).rowcount
    if claimed != 1:
        return None
    user = db.session.get(User, reset.user_id)
    services.set_password(user, password)
    _retire_open_links(user, now)
    audit.record("update", object_type="user", object_id=user.id, purpose="password_reset",
                 user=user)
    notices.tell(user, "password_reset")
    db.session.flush()
    return user

"""The second factor (issue 11): TOTP codes (RFC 6238) from an authenticator app, and
single-use recovery codes for when the app is out of reach.

Any user may turn it on; administrators and the users of an organisation that
requires it must use it. Between a correct password and a correct code the user is
not logged in: the signed Flask session only remembers "password ok for user X at
time T" for a few minutes, and no LoginSession row exists yet. A secret being set up
also waits in the Flask session, not in the database, until the user confirms a
first code from it.

A TOTP code is accepted once: accepting it claims its time-step on the user's row with
a conditional UPDATE (`totp_last_step`), so that a code of that step or an earlier one
is refused afterwards, in every worker and browser, and of two requests racing with one
code only one gets in. The step is also named in the audit event of the act it
allowed. Wrong codes count in the login throttle like wrong passwords.

Services flush, never commit: the view commits."""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pyotp
from flask import current_app, session
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from consult.accounts import notices
from consult.accounts.models import LoginAttempt, RecoveryCode, User
from consult.accounts.passwords import hash_password, verify_password
from consult.accounts.services import _recent_failures, count_failure, normalise_email, throttled
from consult.audit import services as audit
from consult.audit.models import AuditEvent
from consult.extensions import db
from consult.timeutil import utcnow

ISSUER = "Consult"
RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_DIGITS = 12
TOTP_DIGITS = 6
# Codes of the previous and the next 30-second step pass too (clocks drift).
VALID_WINDOW = 1
# How long "password ok" waits for the code, and for a forced set-up (scanning a QR
# code for the first time takes longer than typing six digits).
PENDING_VALID = timedelta(minutes=5)
SETUP_VALID = timedelta(minutes=15)
# Wrong codes in one pending login before the user goes back to the password step.
MAX_CODE_FAILURES = 5

PENDING_KEY = "second_factor_pending"
ENROL_KEY = "second_factor_enrol"
STEP_DETAIL = "totp step {}"


class SecondFactorError(ValueError):
    """A refused change; the message is shown to the user."""


class Throttled(SecondFactorError):
    """Too many wrong codes or passwords lately, for the account or the address."""


def _check_throttle(user: User, remote_addr: str) -> None:
    """Code checks outside the login count in the same throttle as logins: a wrong
    code here is a failed attempt, and too many refuse even the right one."""
    if throttled(user, remote_addr):
        raise Throttled("Too many failed attempts.")


# Who must, and what the app shows ---------------------------------------------------

def is_on(user: User) -> bool:
    return bool(user.totp_secret)


def must_use(user: User) -> bool:
    """Administrators always; everyone in an organisation that requires it."""
    return user.has_role("admin") or bool(user.organisation.requires_second_factor)


def needed_at_login(user: User) -> bool:
    return is_on(user) or must_use(user)


def log_out_those_who_now_must(users) -> None:
    """Whoever must use a second factor but has none (just made an administrator, or
    their organisation began to require it) is logged out everywhere: the next login
    sets one up before letting them in."""
    from consult.accounts import sessions

    for user in users:
        if must_use(user) and not is_on(user):
            sessions.end_all_for(user)


def new_secret() -> str:
    return pyotp.random_base32(32)  # 160 bits, as RFC 4226 recommends


def grouped(secret: str) -> str:
    """ABCD EFGH …: easier to type into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The otpauth:// URI as a QR code, an SVG data: URI for an <img> (the CSP allows
    data: images, and an image runs no script)."""
    import segno

    return segno.make(uri, error="m").svg_data_uri(scale=5, border=4)


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))


def format_recovery_code(code: str) -> str:
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))


# Codes --------------------------------------------------------------------------------

def _digits(code: str) -> str:
    """What the user typed, without the spaces and dashes people add."""
    return "".join(ch for ch in (code or "") if ch not in " -\t")


def _matching_step(secret: str, code: str) -> int | None:
    """The time-step whose code this is, within the window; None when none matches."""
    if len(code) != TOTP_DIGITS or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = datetime.now(timezone.utc)
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        moment = now + timedelta(seconds=offset * totp.interval)
        if hmac.compare_digest(totp.at(moment), code):
            return totp.timecode(moment)
    return None


def _claim_step(user: User, step: int) -> bool:
    """Records the step as the user's last, unless a code of it or of a later step was
    already accepted. One conditional UPDATE: of two racing requests one claims it."""
    claimed = db.session.execute(
        update(User)
        .where(User.id == user.id,
               or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)).rowcount
    if claimed == 1:
        set_committed_value(user, "totp_last_step", step)
    return claimed == 1


REUSED_DETAIL = "a code already used"


def _accept_totp(user: User, secret: str, code: str) -> str | None:
    """The audit detail to record with the act when the code is right and not yet
    used; None otherwise. A right code used again tells the user (once an hour):
    someone may have seen it over their shoulder."""
    step = _matching_step(secret, code)
    if step is None:
        return None
    if not _claim_step(user, step):
        _tell_of_reuse(user)
        return None
    return STEP_DETAIL.format(step)


def _tell_of_reuse(user: User) -> None:
    since = utcnow() - timedelta(hours=1)
    told = db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.object_type == "user", AuditEvent.object_id == user.id,
        AuditEvent.detail == REUSED_DETAIL, AuditEvent.at >= since))
    audit.record("update", object_type="user", object_id=user.id, purpose="second_factor_login",
                 outcome="denied", detail=REUSED_DETAIL)
    if not told:
        notices.tell(user, "totp_reused")


def _use_recovery_code(user: User, code: str) -> bool:
    """Spends an unused recovery code of the user. Claimed with a conditional UPDATE,
    so that of two requests racing with one code only one gets in."""
    if len(code) != RECOVERY_CODE_DIGITS or not code.isascii() or not code.isdigit():
        return False
    unused = db.session.scalars(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all()
    for row in unused:
        if verify_password(row.code_hash, code):
            claimed = db.session.execute(
                update(RecoveryCode)
                .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=utcnow())).rowcount
            return claimed == 1
    return False


def _check_code(user: User, code: str) -> tuple[str, str] | None:
    """("totp", audit detail) or ("recovery", "") for a right code of a user whose
    second factor is on; None for a wrong or used one."""
    code = _digits(code)
    detail = _accept_totp(user, user.totp_secret, code) if user.totp_secret else None
    if detail:
        return "totp", detail
    if _use_recovery_code(user, code):
        return "recovery", ""
    return None


def _record_wrong_code(user: User, purpose_detail: str) -> None:
    audit.record("update", object_type="user", object_id=user.id,
                 purpose="second_factor_login", outcome="denied",
                 detail=purpose_detail, user=user)


# Turning it on, new recovery codes, turning it off ---------------------------------

def new_recovery_codes(user: User) -> list[str]:
    """Ten fresh codes (digits only, so that the numeric keypad types them); the old
    ones stop working. Only their hashes are kept: the caller shows them once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice("0123456789") for _ in range(RECOVERY_CODE_DIGITS))
             for _ in range(RECOVERY_CODE_COUNT)]
    now = utcnow()
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=hash_password(code),
                                    created_at=now) for code in codes)
    db.session.flush()
    return codes


def enable(user: User, secret: str, code: str) -> list[str] | None:
    """Turns the second factor on with the secret being set up, when the code is the
    app's current one. Returns the new recovery codes, or None for a wrong code."""
    if is_on(user):
        raise SecondFactorError("The second factor is already on.")
    detail = _accept_totp(user, secret, _digits(code))
    if detail is None:
        return None
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    codes = new_recovery_codes(user)
    audit.record("update", object_type="user", object_id=user.id, purpose="second_factor_on",
                 detail=detail, user=user)
    notices.tell(user, "second_factor_on")
    db.session.flush()
    return codes


def regenerate_recovery_codes(user: User, code: str, remote_addr: str = "") -> list[str] | None:
    """New recovery codes for a code from the app (or a recovery code); None when the
    code is wrong; Throttled after too many failures."""
    _check_throttle(user, remote_addr)
    checked = _check_code(user, code)
    if checked is None:
        count_failure(user, remote_addr)
        _record_wrong_code(user, "wrong code: new recovery codes")
        return None
    audit.record("update", object_type="user", object_id=user.id,
                 purpose="recovery_codes_new", detail=checked[1], user=user)
    notices.tell(user, "recovery_codes_new")
    return new_recovery_codes(user)


def turn_off(user: User, password: str, code: str, remote_addr: str = "") -> bool:
    """Turns the second factor off with the current password and a code. Refused
    (SecondFactorError) for a user who must use it; False for a wrong password or
    code; Throttled after too many failures."""
    if must_use(user):
        raise SecondFactorError("This user must use a second factor.")
    if not is_on(user):
        return True
    _check_throttle(user, remote_addr)
    password_ok = verify_password(user.password_hash, password)
    checked = _check_code(user, code) if password_ok else None
    if checked is None:
        count_failure(user, remote_addr)
        _record_wrong_code(user, "wrong password or code: turning off")
        return False
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record("update", object_type="user", object_id=user.id, purpose="second_factor_off",
                 detail=checked[1], user=user)
    notices.tell(user, "second_factor_off")
    db.session.flush()
    return True


def reset_by_admin(user: User, admin: User) -> None:
    """An administrator removes the second factor of a user who lost both the app and
    the recovery codes: the key and the codes go, every session of the user ends, and
    the user is told by e-mail. A user who must use one sets a new one up at the next
    login, after the password."""
    from consult.accounts import sessions
    from consult.outbox import services as outbox

    if user.id == admin.id:
        raise SecondFactorError("An administrator cannot reset their own second factor.")
    if not is_on(user):
        raise SecondFactorError("This user has no second factor.")
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    sessions.end_all_for(user)
    audit.record("update", object_type="user", object_id=user.id,
                 purpose="second_factor_reset", user=admin)
    outbox.enqueue_rendered("second_factor_reset", kind="security", recipient=user.email,
                            language=user.language, user_id=user.id,
                            context={"must": must_use(user)})
    db.session.flush()


# Logging in ---------------------------------------------------------------------------

@dataclass
class CodeResult:
    kind: str | None = None  # "totp" or "recovery" when the code let the user in
    throttled: bool = False


def check_login_code(user: User, code: str, remote_addr: str) -> CodeResult:
    """The second step of a login. Wrong codes count in the login throttle: the
    account's (or the address's) 6th failure within the window is refused however
    right the code."""
    email = normalise_email(user.email)
    remote_addr = (remote_addr or "")[:64]
    if _recent_failures(email, remote_addr) >= current_app.config["LOGIN_THROTTLE_MAX_FAILURES"]:
        db.session.add(LoginAttempt(email=email, remote_addr=remote_addr))
        return CodeResult(throttled=True)
    checked = _check_code(user, code)
    if checked is None:
        db.session.add(LoginAttempt(email=email, remote_addr=remote_addr))
        _record_wrong_code(user, "wrong code at login")
        return CodeResult()
    kind, detail = checked
    audit.record("update", object_type="user", object_id=user.id,
                 purpose="recovery_code" if kind == "recovery" else "second_factor_login",
                 detail=detail, user=user)
    return CodeResult(kind=kind)


# The pending login and the secret being set up, in the signed Flask session ---------

def _now_ts() -> float:
    return utcnow().replace(tzinfo=timezone.utc).timestamp()


def remember_password_ok(user: User, next_url: str | None) -> None:
    """The password was right: wait for the code (or a set-up) before logging in."""
    session.pop(ENROL_KEY, None)
    session[PENDING_KEY] = {"user_id": user.id, "at": _now_ts(), "failures": 0,
                            "next": next_url or ""}


def pending() -> dict | None:
    return session.get(PENDING_KEY)


def pending_user(*, setup: bool = False) -> User | None:
    """The user whose password was right a moment ago, while that still counts: not
    too long ago, still active, and no password change since."""
    state = pending()
    if not state:
        return None
    valid = SETUP_VALID if setup else PENDING_VALID
    at = state.get("at", 0)
    if _now_ts() - at > valid.total_seconds():
        return None
    user = db.session.get(User, state.get("user_id") or 0)
    if user is None or not user.is_active:
        return None
    changed = user.password_changed_at.replace(tzinfo=timezone.utc).timestamp()
    if changed > at:
        return None
    return user


def count_pending_failure() -> int:
    state = dict(pending() or {})
    state["failures"] = state.get("failures", 0) + 1
    session[PENDING_KEY] = state
    return state["failures"]


def forget_pending() -> None:
    session.pop(PENDING_KEY, None)
    session.pop(ENROL_KEY, None)


def enrolment_secret(user: User) -> str:
    """The secret being set up for this user; the same one until it is confirmed, so
    that reloading the page does not invalidate what the app already scanned."""
    state = session.get(ENROL_KEY)
    if state and state.get("user_id") == user.id and state.get("secret"):
        return state["secret"]
    secret = new_secret()
    session[ENROL_KEY] = {"user_id": user.id, "secret": secret}
    return secret


def stored_enrolment_secret(user: User) -> str | None:
    state = session.get(ENROL_KEY)
    if state and state.get("user_id") == user.id:
        return state.get("secret")
    return None


def forget_enrolment() -> None:
    session.pop(ENROL_KEY, None)

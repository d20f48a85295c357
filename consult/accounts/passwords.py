"""Password policy and hashing (SPEC §9): at least 12 characters, not a common
password, scrypt hashes."""
from __future__ import annotations

from functools import lru_cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn.frequency_lists import FREQUENCY_LISTS

# Computed once so that a wrong e-mail costs as much time as a wrong password.
_DUMMY_HASH = generate_password_hash("consult-timing-equaliser", method="scrypt")


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


# Long passphrases are welcome; beyond this a password is more likely a paste gone
# wrong (and each check costs a full scrypt of it).
MAX_LENGTH = 128


def password_problem(password: str, *, email: str = "", name: str = ""):
    """A translated message saying why the password is refused, or None."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        return _l("The password must be at least %(n)s characters long.", n=minimum)
    if len(password) > MAX_LENGTH:
        return _l("The password may be at most %(n)s characters long.", n=MAX_LENGTH)
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) <= 2:
        return _l("This password is too common. Choose another one.")
    local = email.split("@")[0].lower()
    if (local and len(local) >= 4 and local in lowered) or (
        name and name.lower().replace(" ", "") in lowered.replace(" ", "")
    ):
        return _l("The password must not contain your name or e-mail address.")
    return None


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify_password(password_hash: str | None, password: str) -> bool:
    return check_password_hash(password_hash or _DUMMY_HASH, password) and bool(
        password_hash
    )

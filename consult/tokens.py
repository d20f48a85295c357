"""Secret tokens that travel in links (calendar feeds, password resets): a public
selector finds the row, and only a hash of the secret part is stored and compared in
constant time, so that neither a database dump nor a timing side channel gives one away."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

SELECTOR_LENGTH = 16  # secrets.token_urlsafe(12)
SECRET_BYTES = 32


@dataclass(frozen=True)
class NewToken:
    token: str  # shown once (or e-mailed), never stored
    selector: str
    secret_hash: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token() -> NewToken:
    selector = secrets.token_urlsafe(12)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return NewToken(selector + secret, selector, hash_secret(secret))


def split(token: str) -> tuple[str, str] | None:
    """(selector, secret) of a well-formed token, else None."""
    if not isinstance(token, str) or len(token) <= SELECTOR_LENGTH or len(token) > 200:
        return None
    return token[:SELECTOR_LENGTH], token[SELECTOR_LENGTH:]


def matches(secret_hash: str, secret: str) -> bool:
    return hmac.compare_digest(secret_hash.encode(), hash_secret(secret).encode())

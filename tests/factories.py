"""Builders for the test world. Each returns a flushed object; tests commit when a
request must see it."""
from __future__ import annotations

import itertools
from functools import lru_cache

from consult.accounts.models import User, UserRole
from consult.extensions import db
from consult.organisations import services as organisations
from consult.organisations.models import Organisation, Team

PASSWORD = "Correct-horse-battery-9"
_counter = itertools.count(1)


@lru_cache(maxsize=1)
def password_hash() -> str:
    # scrypt is slow on purpose; one hash serves every test user.
    from consult.accounts.passwords import hash_password

    return hash_password(PASSWORD)


def create_organisation(name: str | None = None, kind: str = "employment_area",
                        region: str = "Pirkanmaa") -> Organisation:
    n = next(_counter)
    org = Organisation(name=name or f"Organisation {n}", kind=kind, region=region)
    db.session.add(org)
    db.session.flush()
    return org


def create_user(*roles: str, organisation: Organisation | None = None,
                email: str | None = None, name: str | None = None,
                language: str = "en", active: bool = True) -> User:
    n = next(_counter)
    user = User(
        email=email or f"user{n}@example.fi",
        name=name or f"User {n}",
        organisation=organisation or create_organisation(),
        password_hash=password_hash(),
        language=language,
        is_active_account=active,
    )
    user.role_rows = [UserRole(role=r) for r in (roles or ("referrer",))]
    db.session.add(user)
    db.session.flush()
    return user


def create_team(name: str | None = None, host: Organisation | None = None,
                coordinators=(), members=(), physician: User | None = None) -> Team:
    n = next(_counter)
    team = organisations.create_team(name=name or f"Team {n}", host=host or create_organisation())
    for user in coordinators:
        organisations.add_member(team, user, "coordinator")
    for user in members:
        organisations.add_member(team, user, "member")
    if physician is not None:
        organisations.set_physician(team, physician)
    return team

"""Recording and withdrawing consent, and what a consent covers (SPEC §3).

A consent covers a team when, on the day, it is valid and names every participating
organisation of the team (and the organisation of every guest invited to the case); it
covers a physician when it names the physician's organisation."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from consult.accounts.models import User, UserRole
from consult.audit import services as audit
from consult.consents.models import Consent
from consult.extensions import db
from consult.organisations.models import Organisation, Team, TeamMembership


def missing_for_team(consent: Consent, team: Team, guest_organisation_ids=()) -> list[Organisation]:
    """The organisations a consent would still have to name to cover the team."""
    needed = {o.id: o for o in team.participating_organisations()}
    for org_id in guest_organisation_ids:
        needed.setdefault(org_id, db.session.get(Organisation, org_id))
    return sorted((o for i, o in needed.items() if i not in consent.organisation_ids),
                  key=lambda o: o.name)


def covers_team(consent: Consent, team: Team, on: date, guest_organisation_ids=()) -> bool:
    if not consent.is_valid(on) or not team.participating_organisations():
        return False
    return not missing_for_team(consent, team, guest_organisation_ids)


def covers_physician(consent: Consent, physician: User, on: date) -> bool:
    return consent.is_valid(on) and physician.organisation_id in consent.organisation_ids


@dataclass
class Coverage:
    teams: list[Team] = field(default_factory=list)
    physicians: list[User] = field(default_factory=list)


def coverage_on(consents: list[Consent], on: date) -> dict[int, Coverage]:
    """For each consent, the teams and physicians it covers on the day."""
    teams = db.session.scalars(
        select(Team).options(selectinload(Team.memberships).joinedload(TeamMembership.user))
        .order_by(Team.name)).all()
    physicians = db.session.scalars(
        select(User).where(User.is_active_account,
                           User.role_rows.any(UserRole.role == "physician"))
        .order_by(User.name)).all()
    result = {}
    for consent in consents:
        result[consent.id] = Coverage(
            teams=[t for t in teams if covers_team(consent, t, on)],
            physicians=[p for p in physicians if covers_physician(consent, p, on)],
        )
    return result


def record_consent(client, *, organisations: list[Organisation], given_on: date,
                   valid_until: date, purpose_consultation: bool, purpose_data_exchange: bool,
                   form_reference: str, by: User) -> Consent:
    consent = Consent(
        client=client, organisations=list(organisations), given_on=given_on,
        valid_until=valid_until, purpose_consultation=purpose_consultation,
        purpose_data_exchange=purpose_data_exchange,
        form_reference=form_reference.strip() or "Y100", recorded_by_id=by.id,
    )
    db.session.add(consent)
    db.session.flush()
    audit.record("create", object_type="consent", object_id=consent.id, client_id=client.id,
                 purpose="consent", user=by)
    return consent


class ConsentError(ValueError):
    pass


def withdraw_consent(consent: Consent, *, on: date, reason: str, by: User) -> None:
    if consent.withdrawn_on is not None:
        raise ConsentError("already withdrawn")
    consent.withdrawn_on = on
    consent.withdrawal_reason = reason.strip()
    consent.withdrawn_by_id = by.id
    db.session.flush()
    audit.record("update", object_type="consent", object_id=consent.id,
                 client_id=consent.client_id, purpose="consent_withdrawn", user=by)

"""The demo world of `seed-demo`: one region, organisations of several kinds, a work
ability team whose people come from three organisations, referrers in three more, a
manager and an administrator; clients with valid, expired and withdrawn consents.
Idempotent: running it again changes nothing."""
from __future__ import annotations

from sqlalchemy import select

from dateutil.relativedelta import relativedelta

from consult import timeutil
from consult.accounts import services as accounts
from consult.catalogue.services import seed_catalogue
from consult.clients import services as clients
from consult.clients.identity import check_character
from consult.consents import services as consents
from consult.accounts.models import User
from consult.extensions import db
from consult.organisations import services as organisations
from consult.organisations.models import Organisation, Team

DEMO_PASSWORD = "Demo-salasana-2026"
REGION = "Pirkanmaa"

ORGANISATIONS = [
    ("Tampereen seudun työllisyysalue", "employment_area"),
    ("Pirkanmaan hyvinvointialue, sosiaalipalvelut", "social_services"),
    ("Pirkanmaan hyvinvointialue, terveyspalvelut", "health_services"),
    ("Pirkanmaan hyvinvointialue, vammaispalvelut", "disability_services"),
    ("Kela, Pirkanmaan vakuutuspiiri", "kela"),
    ("Työterveys Pirkanmaa Oy", "occupational_health"),
    ("Ohjaamo Tampere", "ohjaamo"),
]
TEAM = "Työkyvyn tuen tiimi Pirkanmaa"
TEAM_HOST = "Pirkanmaan hyvinvointialue, terveyspalvelut"

# email, name, organisation, roles, team role (coordinator/member/physician or None), language
PEOPLE = [
    ("admin@example.fi", "Aino Ylläpitäjä", TEAM_HOST, ["admin"], None, "fi"),
    ("manager@example.fi", "Markku Johtaja", TEAM_HOST, ["manager"], None, "fi"),
    ("coordinator@example.fi", "Kaisa Koordinaattori", TEAM_HOST, ["coordinator"], "coordinator", "fi"),
    ("coordinator2@example.fi", "Kalle Kuntoutusohjaaja", TEAM_HOST, ["coordinator"], "coordinator", "fi"),
    ("psychologist@example.fi", "Pirjo Psykologi", TEAM_HOST, ["member"], "member", "fi"),
    ("social.counsellor@example.fi", "Sami Sosiaaliohjaaja",
     "Pirkanmaan hyvinvointialue, sosiaalipalvelut", ["member"], "member", "fi"),
    ("kela.advisor@example.fi", "Kerttu Kela-neuvoja", "Kela, Pirkanmaan vakuutuspiiri",
     ["member"], "member", "sv"),
    ("physician@example.fi", "Liisa Lääkäri", "Työterveys Pirkanmaa Oy", ["physician"],
     "physician", "fi"),
    ("referrer@example.fi", "Riikka Työllisyysasiantuntija", "Tampereen seudun työllisyysalue",
     ["referrer"], None, "fi"),
    ("referrer.social@example.fi", "Sanna Sosiaalityöntekijä",
     "Pirkanmaan hyvinvointialue, sosiaalipalvelut", ["referrer"], None, "fi"),
    ("referrer.ohjaamo@example.fi", "Olli Ohjaaja", "Ohjaamo Tampere", ["referrer"], None, "en"),
]


# Demo clients carry temporary identity codes (individual numbers 900–999), which no
# real person has. (last name, first names, birth date DDMMYY + century sign, number,
# municipality, registering referrer, consent: valid · expired · withdrawn · none)
CLIENTS = [
    ("Virtanen", "Matti Olavi", "150378-", "901", "Tampere", "referrer@example.fi", "valid"),
    ("Korhonen", "Aino Maria", "020591-", "902", "Nokia", "referrer@example.fi", "expired"),
    ("Nieminen", "Jari", "241166-", "903", "Ylöjärvi", "referrer@example.fi", "withdrawn"),
    ("Mäkinen", "Sanna Elina", "110200A", "904", "Tampere", "referrer@example.fi", "none"),
    ("Hämäläinen", "Pekka", "300785-", "905", "Kangasala", "referrer.social@example.fi", "valid"),
    ("Laine", "Emma", "070704A", "906", "Tampere", "referrer.ohjaamo@example.fi", "valid"),
]


def demo_identity_code(birth: str, number: str) -> str:
    digits = birth[:6] + number
    return birth + number + check_character(digits)


def _seed_clients(users: dict[str, User], team: Team, orgs: dict[str, Organisation]) -> None:
    today = timeutil.today()
    covered = {o.id: o for o in team.participating_organisations()}
    for last, first, birth, number, municipality, referrer_email, consent in CLIENTS:
        referrer = users[referrer_email]
        code = demo_identity_code(birth, number)
        client = clients.find_by_identity_code(referrer.organisation_id, code)
        if client is None:
            client = clients.register_client(
                organisation=referrer.organisation, by=referrer, identity_code=code,
                last_name=last, first_names=first, municipality=municipality,
                preferred_language="en" if referrer_email.endswith("ohjaamo@example.fi") else "fi")
        if consent == "none" or client.consents:
            continue
        organisations = sorted({referrer.organisation_id: referrer.organisation, **covered}
                               .values(), key=lambda o: o.name)
        if consent == "expired":
            given, until = today - relativedelta(months=14), today - relativedelta(months=2)
        else:
            given, until = today - relativedelta(months=1), today + relativedelta(months=11)
        record = consents.record_consent(
            client, organisations=organisations, given_on=given, valid_until=until,
            purpose_consultation=True, purpose_data_exchange=True, form_reference="Y100",
            by=referrer)
        if consent == "withdrawn":
            consents.withdraw_consent(record, on=today - relativedelta(days=3),
                                      reason="Asiakas perui suostumuksen puhelimessa.",
                                      by=referrer)


def _organisation(name: str, kind: str) -> Organisation:
    org = db.session.scalar(select(Organisation).where(Organisation.name == name))
    return org or organisations.create_organisation(name=name, kind=kind, region=REGION)


def seed() -> list[tuple[str, list[str]]]:
    orgs = {name: _organisation(name, kind) for name, kind in ORGANISATIONS}
    team = db.session.scalar(select(Team).where(Team.name == TEAM))
    if team is None:
        team = organisations.create_team(
            name=TEAM, host=orgs[TEAM_HOST], region=REGION,
            meeting_location="Hatanpään puistokuja 4, Tampere",
            meeting_video_link="https://video.example.fi/tyokykytiimi",
        )
    listed = []
    users = {}
    for email, name, org_name, roles, team_role, language in PEOPLE:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = accounts.create_user(email=email, name=name, organisation=orgs[org_name],
                                        roles=roles, password=DEMO_PASSWORD, language=language)
        if team_role:
            organisations.add_member(team, user, team_role)
        listed.append((email, roles))
        users[email] = user
    db.session.flush()
    _seed_clients(users, team, orgs)
    seed_catalogue()
    db.session.flush()
    return listed

"""The demo world of `seed-demo`: one region, organisations of several kinds, a work
ability team whose people come from three organisations, referrers in three more, a
manager and an administrator. Idempotent: running it again changes nothing."""
from __future__ import annotations

from sqlalchemy import select

from consult.accounts import services as accounts
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
    for email, name, org_name, roles, team_role, language in PEOPLE:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = accounts.create_user(email=email, name=name, organisation=orgs[org_name],
                                        roles=roles, password=DEMO_PASSWORD, language=language)
        if team_role:
            organisations.add_member(team, user, team_role)
        listed.append((email, roles))
    db.session.flush()
    return listed

"""The demo world of `seed-demo`: one region, organisations of several kinds, a work
ability team whose people come from three organisations, referrers in three more, a
manager and an administrator; clients with valid, expired and withdrawn consents;
the physician's weekly availability with slots some weeks ahead; consultation requests
to the team and to the physician in every state reachable so far (a booked time and
proposed times among them), with message threads. Idempotent: running it again changes nothing."""
from __future__ import annotations

from datetime import time

from sqlalchemy import select

from dateutil.relativedelta import relativedelta

from consult import timeutil
from consult.accounts import services as accounts
from consult.catalogue.services import seed_catalogue
from consult.clients import services as clients
from consult.clients.identity import check_character
from consult.catalogue.models import Service
from consult.consents import services as consents
from consult.consultations import services as requests
from consult.consultations.models import ConsultationRequest
from consult.accounts.models import User
from consult.extensions import db
from consult.organisations import services as organisations
from consult.meetings import agenda
from consult.meetings import services as meetings
from consult.meetings.models import Meeting
from consult.organisations.models import Organisation, Team
from consult.scheduling import availability
from consult.scheduling import booking as bookings
from consult.scheduling.models import AvailabilityRule

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


# Pre-forms of the demo cases: invented people and situations.
PREFORMS = {
    "Virtanen": {
        "background.reason": "Pitkä työttömyys ja toistuvat selkäkivut; työkyky epäselvä.",
        "background.services_and_plans": "Työllistymissuunnitelma, kuntouttava työtoiminta "
                                          "syksyllä 2026.",
        "background.benefits": "Työmarkkinatuki.",
        "background.contacts": "Työllisyysasiantuntija, terveysaseman lääkäri.",
        "education_work.education": "Rakennusalan perustutkinto.",
        "education_work.work_history": "Rakennustöitä 20 vuotta, viimeksi 2023.",
        "education_work.skills": "Työmaan johtaminen, trukkikortti.",
        "health.client_view": "Selkä kipeytyy istuessa ja nostaessa.",
        "health.referrer_view": "Motivoitunut, mutta fyysisesti raskas työ ei enää onnistu.",
        "life.housing": "Vuokra-asunto Tampereella.",
        "life.daily_routines": "Säännöllinen päivärytmi, kävelee päivittäin.",
        "wishes_goals.wishes_goals": "Haluaa kevyempään työhön, esimerkiksi varastoon tai "
                                     "työnjohtoon.",
        "self_assessment.kykyviisari_score": "5",
        "question.question": "Mikä olisi oikea seuraava askel: ammatillinen kuntoutus vai "
                             "työkyvyn arvio?",
    },
    "Hämäläinen": {
        "background.reason": "Sairauspäivärahan enimmäisaika täyttymässä.",
        "background.benefits": "Sairauspäiväraha.",
        "health.client_view": "Uupumus ja unettomuus, vointi vaihtelee.",
        "life.social_network": "Puoliso ja aikuinen tytär tukevat.",
        "wishes_goals.wishes_goals": "Palata osa-aikaisesti entiseen työhön kaupan alalle.",
        "question.question": "Miten osa-aikainen paluu työhön järjestetään?",
    },
    "Laine": {
        "background.reason": "Opinnot keskeytyneet, ei työ- tai opiskelupaikkaa.",
        "education_work.education": "Lukio kesken.",
        "health.client_view": "Jännittää ryhmätilanteita.",
        "wishes_goals.wishes_goals": "Haluaa ammattiin, kiinnostaa kokin työ.",
        "question.question": "Sopisiko Nuotti-valmennus tai nuoren kuntoutusraha?",
    },
}

# (client, referrer, target, mode, urgent reason, acts by side, messages (side, text))
DEMO_REQUESTS = [
    ("Virtanen", "team", "team_meeting", "", [], []),
    ("Virtanen", "team", "team_meeting", "Työmarkkinatuen velvoitteet, päätös kuukauden sisällä.",
     [("referrer", "submit", "")],
     [("referrer", "Asiakas pääsee paikalle tiistaisin ja torstaisin."),
      ("coordinator", "Kiitos, otamme käsittelyyn seuraavassa kokouksessa.")]),
    ("Hämäläinen", "team", "team_meeting", "",
     [("referrer", "submit", ""),
      ("coordinator", "return_for_completion",
       "Lisää kuvaus nykyisestä työkyvystä ja työterveyshuollon kannanotto.")],
     [("referrer", "Pyydän työterveyshuollon lausunnon ja täydennän ensi viikolla.")]),
    ("Laine", "team", "team_meeting", "",
     [("referrer", "submit", ""), ("coordinator", "accept", "")],
     [("coordinator", "Hyväksytty. Kutsummeko Ohjaamon opinto-ohjaajan mukaan?"),
      ("referrer", "Kyllä, lisäsin hänet vieraaksi.")]),
    ("Hämäläinen", "team", "team_meeting", "",
     [("referrer", "submit", ""),
      ("coordinator", "resolve_at_consultation",
       "Ohjaa asiakas Kelan ammatillisen kuntoutuksen selvitykseen; kokousta ei tarvita.")],
     []),
    ("Virtanen", "team", "team_meeting", "",
     [("referrer", "submit", ""),
      ("coordinator", "decline", "Sama kysymys on jo käsittelyssä toisessa pyynnössä.")], []),
    ("Laine", "team", "team_meeting", "", [("referrer", "withdraw", "")], []),
    # Accepted, then put on the agendas of the demo meetings (see _seed_meetings).
    ("Virtanen", "team", "team_meeting", "",
     [("referrer", "submit", ""), ("coordinator", "accept", "")], []),
    ("Hämäläinen", "team", "team_meeting", "",
     [("referrer", "submit", ""), ("coordinator", "accept", "")], []),
    ("Virtanen", "physician", "video", "",
     [("referrer", "submit", ""), ("physician", "book_slot", "")],
     [("referrer", "Asiakkaalla on tuore selän magneettikuva terveysasemalla.")]),
    ("Hämäläinen", "physician", "phone", "",
     [("referrer", "submit", ""), ("physician", "propose_slots", "")],
     [("physician", "Ehdotin kahta puhelinaikaa, valitse sopivampi.")]),
    ("Laine", "physician", "video", "", [("referrer", "submit", "")], []),
    ("Hämäläinen", "physician", "written_statement", "",
     [("referrer", "submit", ""), ("physician", "accept", "")], []),
    ("Laine", "physician", "phone", "",
     [("referrer", "submit", ""),
      ("physician", "return_for_completion", "Kerro, mitä lääkäriltä halutaan kysyä.")], []),
]


# The physician's weekly availability: (weekday, start, end, minutes, mode, place or link)
AVAILABILITY = [
    (2, time(9), time(12), 30, "video", "https://video.example.fi/tyoterveys-lääkäri"),
    (2, time(13), time(15), 30, "phone", ""),
    (4, time(9), time(12), 45, "in_person", "Työterveys Pirkanmaa, Hämeenkatu 10, Tampere"),
    (4, time(13), time(15), 30, "video", "https://video.example.fi/tyoterveys-lääkäri"),
]


def _seed_availability(physician: User) -> None:
    if db.session.scalar(select(AvailabilityRule.id).where(
            AvailabilityRule.physician_id == physician.id)):
        availability.generate_slots(physician)  # roll the horizon forward
        return
    for weekday, start, end, minutes, mode, location in AVAILABILITY:
        availability.add_rule(physician, weekday=weekday, start_time=start, end_time=end,
                              slot_minutes=minutes, mode=mode, location=location)


def _seed_requests(users: dict[str, User], team: Team) -> None:
    referrers = {c[0]: users[c[5]] for c in CLIENTS}
    codes = {c[0]: demo_identity_code(c[2], c[3]) for c in CLIENTS}
    if db.session.scalar(select(ConsultationRequest.id).where(
            ConsultationRequest.referrer_id.in_([u.id for u in referrers.values()]))):
        return  # already seeded
    coordinator = users["coordinator@example.fi"]
    physician = users["physician@example.fi"]
    by_side = {"coordinator": coordinator, "physician": physician}
    guidance = db.session.scalars(select(Service).where(
        Service.name_en == "Vocational rehabilitation assessment")).all()
    for last, target, mode, urgent, acts, messages in DEMO_REQUESTS:
        referrer = referrers[last]
        client = clients.find_by_identity_code(referrer.organisation_id, codes[last])
        request = requests.create_request(
            client=client, referrer=referrer, mode=mode,
            team=team if target == "team" else None,
            physician=physician if target == "physician" else None,
            urgency="urgent" if urgent else "normal", urgency_reason=urgent,
            preferred_dates="tiistaisin tai torstaisin")
        request.preform.draft = dict(PREFORMS[last])
        if last == "Laine" and target == "team" and acts and acts[-1][1] == "accept":
            requests.propose_guest(request, name="Teemu Opinto-ohjaaja",
                                   organisation=referrer.organisation,
                                   email="teemu.opinto@example.fi", by=referrer)
        for side, act, message in acts:
            actor = referrer if side == "referrer" else by_side[side]
            if act == "book_slot":
                bookings.book(request, bookings.free_slots(request)[0], actor)
            elif act == "propose_slots":
                bookings.propose(request, bookings.free_slots(request)[:2], actor)
            else:
                requests.perform(request, act, actor, message=message,
                                 linked_services=guidance if act == "resolve_at_consultation"
                                 else ())
        for side, text in messages:
            requests.post_message(request, referrer if side == "referrer" else by_side[side],
                                  text)


def _seed_meetings(users: dict[str, User], team: Team) -> None:
    """A weekly series on the team's meeting day: the first meeting with its agenda
    sent, the second a draft with a case on it, the rest empty drafts."""
    if db.session.scalar(select(Meeting.id).where(Meeting.team_id == team.id)):
        return
    coordinator = users["coordinator@example.fi"]
    first = timeutil.today() + relativedelta(days=1)
    while first.isoweekday() != team.meeting_weekday:
        first += relativedelta(days=1)
    series = meetings.create_series(
        team, pattern="weekly", weekday=team.meeting_weekday, nth=None,
        start_time=team.meeting_time, minutes=team.meeting_minutes, first_date=first,
        until_date=first + relativedelta(weeks=5), location=team.meeting_location,
        video_link=team.meeting_video_link, by=coordinator)
    db.session.flush()
    waiting = [r for r in db.session.scalars(select(ConsultationRequest).where(
        ConsultationRequest.target_team_id == team.id, ConsultationRequest.state == "accepted")
        .order_by(ConsultationRequest.id)) if not r.guests]
    sent, draft = series.meetings[0], series.meetings[1]
    agenda.add_item(sent, waiting[0], by=coordinator)
    agenda.send_agenda(sent, by=coordinator)
    agenda.add_item(draft, waiting[1], by=coordinator)


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
    _seed_availability(users["physician@example.fi"])
    db.session.flush()
    _seed_requests(users, team)
    db.session.flush()
    _seed_meetings(users, team)
    db.session.flush()
    return listed

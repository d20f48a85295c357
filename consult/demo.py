"""The demo world of `seed-demo`: one region, organisations of several kinds, a work
ability team whose people come from three organisations, referrers in three more, a
manager and an administrator; clients with valid, expired and withdrawn consents;
the physician's weekly availability with slots some weeks ahead; consultation requests
to the team and to the physician in every state reachable so far (a booked time and
proposed times among them), with message threads; a weekly meeting series; a meeting
held one to two weeks ago with finalised protocols, action items and an addendum; a
meeting today with its agenda sent, ready to be started; a signed consultation note and
a signed written statement. Idempotent: running it again changes nothing."""
from __future__ import annotations

from datetime import date, time, timedelta

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
from consult.followups import services as followups
from consult.protocols import services as protocols
from consult.scheduling import availability
from consult.scheduling import booking as bookings
from consult.scheduling.models import AvailabilityRule, Booking, Slot

DEMO_PASSWORD = "Demo-salasana-2026"
# The demo administrator's second factor (administrators must use one). Fixed and
# printed by seed-demo, so that a developer can add it to an authenticator app once;
# for development only, like everything here.
DEMO_ADMIN_EMAIL = "admin@example.fi"
DEMO_ADMIN_TOTP_SECRET = "DEMOADMINTOTPSECRETFORDEVONLY234"
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
    # The cases of the held meeting, of today's meeting and of the physician's signed records.
    ("Lehtonen", "Timo Juhani", "120869-", "907", "Tampere", "referrer@example.fi", "valid"),
    ("Koskinen", "Heli Annikki", "230492-", "908", "Orivesi", "referrer.social@example.fi",
     "valid"),
    ("Saarinen", "Joonas", "050503A", "909", "Tampere", "referrer.ohjaamo@example.fi", "valid"),
    ("Heikkinen", "Laura Kristiina", "180275-", "910", "Lempäälä", "referrer@example.fi",
     "valid"),
    ("Salminen", "Antti Ilmari", "290988-", "911", "Pirkkala", "referrer.social@example.fi",
     "valid"),
    ("Mattila", "Jukka Pekka", "140761-", "912", "Valkeakoski", "referrer@example.fi", "valid"),
    ("Rantanen", "Minna", "010184-", "913", "Tampere", "referrer.social@example.fi", "valid"),
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
    "Lehtonen": {
        "background.reason": "Työttömänä kaksi vuotta; masennus on hoidossa, mutta paluu "
                             "työhön ei ole edennyt.",
        "background.services_and_plans": "Työllistymissuunnitelma; hoitokontakti "
                                          "psykiatriseen sairaanhoitajaan terveysasemalla.",
        "background.benefits": "Työmarkkinatuki, asumistuki.",
        "background.contacts": "Työllisyysasiantuntija, psykiatrinen sairaanhoitaja, "
                               "terveysaseman lääkäri.",
        "education_work.education": "Logistiikan perustutkinto.",
        "education_work.work_history": "Varastotyöntekijä ja trukinkuljettaja 18 vuotta; "
                                       "irtisanottiin tuotannollisista syistä 2024.",
        "education_work.skills": "Trukkikortti, varastojärjestelmien käyttö.",
        "health.client_view": "Mieliala on parempi kuin vuosi sitten, mutta jaksaminen loppuu "
                              "iltapäivisin.",
        "health.referrer_view": "Sitoutunut hoitoon; tarvitsee asteittaisen paluun työhön.",
        "health.diagnoses": "Keskivaikea masennus, lääkitys aloitettu 2025.",
        "life.housing": "Asuu yksin vuokrayksiössä.",
        "life.finances": "Aiemmin vuokrarästejä, nyt maksusuunnitelma.",
        "life.social_network": "Aikuinen poika, jonka kanssa tiivis yhteys.",
        "life.daily_routines": "Herää säännöllisesti, käy kuntosalilla kahdesti viikossa.",
        "wishes_goals.wishes_goals": "Haluaa takaisin varastotyöhön, aluksi lyhyempää päivää.",
        "self_assessment.kykyviisari_score": "4",
        "question.question": "Onko Kelan ammatillinen kuntoutus realistinen nyt, vai tarvitaanko "
                             "ensin työkyvyn arvio?",
    },
    "Koskinen": {
        "background.reason": "Pitkään jatkunut toimeentulotuen asiakkuus; asiakas haluaa tukea "
                             "työelämään, mutta jännittää uusia tilanteita.",
        "background.services_and_plans": "Sosiaalihuollon asiakassuunnitelma; "
                                          "aktivointisuunnitelma on vanhentunut.",
        "background.benefits": "Työmarkkinatuki, toimeentulotuki.",
        "education_work.education": "Peruskoulu; siivousalan opinnot keskeytyivät 2014.",
        "education_work.work_history": "Siivoojana määräaikaisissa töissä 2012–2017.",
        "health.client_view": "Sosiaaliset tilanteet jännittävät, nukkuu huonosti.",
        "health.referrer_view": "Ahdistus rajoittaa asioimista; hoitokontaktia ei ole.",
        "life.housing": "Vuokra-asunto Orivedellä kahden lapsen kanssa.",
        "life.social_network": "Äiti asuu lähellä ja auttaa lastenhoidossa.",
        "life.daily_routines": "Arki rakentuu lasten koulun ja päiväkodin mukaan.",
        "wishes_goals.wishes_goals": "Haluaa pois toimeentulotuelta ja osa-aikatyöhön, jossa ei "
                                     "tarvitse tehdä asiakaspalvelua.",
        "question.question": "Onko sosiaalinen kuntoutus oikea ensimmäinen askel ennen "
                             "työllisyyspalveluja?",
    },
    "Saarinen": {
        "background.reason": "Ammatilliset opinnot keskeytyivät keväällä 2025; ei työ- eikä "
                             "opiskelupaikkaa.",
        "background.services_and_plans": "Ohjaamon henkilökohtainen ohjaus.",
        "background.benefits": "Työmarkkinatuki.",
        "education_work.education": "Sähkö- ja automaatioalan perustutkinto kesken, noin puolet "
                                    "suoritettu.",
        "education_work.work_history": "Kesätöitä kaupan varastossa.",
        "health.client_view": "Keskittyminen on vaikeaa, ja aamuisin on vaikea herätä.",
        "health.referrer_view": "Keskittymisen vaikeudet viittaavat mahdolliseen ADHD:hen; "
                                "arviota ei ole tehty.",
        "life.housing": "Asuu vanhempien luona.",
        "life.daily_routines": "Vuorokausirytmi on kääntynyt; valvoo öisin.",
        "wishes_goals.wishes_goals": "Haluaa suorittaa sähköalan tutkinnon loppuun.",
        "self_assessment.kykyviisari_score": "6",
        "question.question": "Millä tuella paluu opintoihin onnistuisi?",
    },
    "Heikkinen": {
        "background.reason": "Sairauspäivärahan enimmäisaika täyttyi; lähihoitajan työ ei "
                             "onnistu olkapään vuoksi.",
        "background.benefits": "Ansiosidonnainen työttömyyspäiväraha, aiemmin sairauspäiväraha.",
        "background.contacts": "Työllisyysasiantuntija, terveysaseman lääkäri.",
        "education_work.education": "Lähihoitaja (2001).",
        "education_work.work_history": "Kotihoidossa ja palvelutalossa 20 vuotta.",
        "health.client_view": "Oikea olkapää ei kestä nostoja; istumatyö onnistuu.",
        "health.diagnoses": "Olkapään kiertäjäkalvosimen repeämä, leikattu 2025.",
        "life.housing": "Omakotitalo Lempäälässä puolison kanssa.",
        "wishes_goals.wishes_goals": "Haluaa kouluttautua hallinnollisiin tehtäviin, "
                                     "esimerkiksi osastosihteeriksi.",
        "self_assessment.kykyviisari_score": "6",
        "question.question": "Onko uudelleenkoulutus Kelan ammatillisena kuntoutuksena "
                             "mahdollinen, ja mitä hakemukseen tarvitaan?",
    },
    "Salminen": {
        "background.reason": "Päihdekuntoutus päättynyt, raittiina puoli vuotta; haluaa "
                             "työelämään.",
        "background.services_and_plans": "Kuntouttava työtoiminta puutyöpajassa kolmena "
                                          "päivänä viikossa.",
        "background.benefits": "Työmarkkinatuki, toimeentulotuki.",
        "education_work.education": "Puusepän perustutkinto.",
        "education_work.work_history": "Huonekalutehtaalla 2008–2016.",
        "health.client_view": "Vointi on hyvä, käy vertaistukiryhmässä.",
        "life.housing": "Tuettu asuminen Pirkkalassa.",
        "life.substance_use": "Raittiina puoli vuotta, säännöllinen tuki päihdepalveluista.",
        "wishes_goals.wishes_goals": "Palkkatyö puusepänä, aluksi palkkatuella.",
        "question.question": "Onko palkkatukityö realistinen seuraava askel, ja miten siirtymää "
                             "työtoiminnasta tuetaan?",
    },
    "Mattila": {
        "background.reason": "Linja-autonkuljettajan ajo-oikeus raskaaseen kalustoon peruttiin "
                             "terveydellisin perustein; työsuhde päättyi.",
        "background.benefits": "Ansiosidonnainen työttömyyspäiväraha.",
        "education_work.work_history": "Linja-autonkuljettaja 25 vuotta.",
        "education_work.skills": "Asiakaspalvelu; henkilöauton ajo-oikeus voimassa.",
        "health.client_view": "Uniapnea hoidossa CPAP-laitteella, diabetes tablettihoidossa.",
        "health.referrer_view": "Hyväkuntoinen ja motivoitunut jatkamaan työelämässä.",
        "wishes_goals.wishes_goals": "Haluaa työhön, jossa voi ajaa henkilöautoa, esimerkiksi "
                                     "kuljetus- tai huoltotehtäviin.",
        "question.question": "Mihin tehtäviin asiakkaan terveydentila sallii, ja tarvitaanko "
                             "laaja työkyvyn arvio?",
    },
    "Rantanen": {
        "background.reason": "Pitkäaikainen kipuoireyhtymä; sosiaalityö tarvitsee lääkärin "
                             "kannanoton osa-aikatyön edellytyksistä.",
        "background.benefits": "Osatyökyvyttömyyseläkehakemus hylätty 2025; nyt "
                               "työmarkkinatuki.",
        "education_work.education": "Merkonomi.",
        "education_work.work_history": "Toimistotyöntekijä 2005–2022.",
        "health.client_view": "Kipu vaihtelee; neljän tunnin työpäivät onnistuvat.",
        "health.diagnoses": "Fibromyalgia.",
        "wishes_goals.wishes_goals": "Haluaa osa-aikaiseen toimistotyöhön.",
        "question.question": "Pyydämme kirjallista lausuntoa osa-aikatyön edellytyksistä ja "
                             "tarvittavista työjärjestelyistä.",
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


# Records of discussed cases ----------------------------------------------------------
# A record is what the team's protocol, the physician's consultation note or statement
# holds: notes by pre-form section (protocols.NOTE_KEYS), recommendations (text, the
# Finnish name of a catalogue service or None), action items (what, the responsible
# user's e-mail or an organisation's name, due in days from the day of the discussion,
# completed afterwards?), the client's path and the follow-up after so many months or days
# (and, where the referrer has already checked in, the follow-up that closed the case).

# The meeting held one to two weeks ago: each case on its agenda with its protocol.
HELD_MEETING_CASES = [
    {
        "client": "Lehtonen",
        "present": "asiakas etäyhteydellä",
        "notes": {
            "background": "Työttömyys jatkunut kaksi vuotta. Työllistymissuunnitelma on "
                          "voimassa, ja mielenterveyden hoito terveysasemalla on säännöllistä.",
            "education_work": "Pitkä ja vakaa työhistoria varastoalalla, trukkikortti voimassa.",
            "health": "Masennus on hoidossa ja mieliala kohentunut. Psykologin mukaan "
                      "kuormitusta kannattaa lisätä vähitellen; kokoaikatyö ei vielä onnistu.",
            "life": "Asuminen ja talous vakiintuneet maksusuunnitelman myötä. Päivärytmi hyvä.",
            "wishes_goals": "Asiakas toivoo paluuta varastotyöhön ensin osa-aikaisesti.",
            "self_assessment": "Kykyviisari 4/10; asiakas arvioi työkykynsä parantuneen.",
            "question": "Ammatillinen kuntoutus on realistinen. Ensin Kelan ammatillisen "
                        "kuntoutuksen selvitys, jossa työkykyä arvioidaan käytännön työssä.",
            "general": "Asiakas osallistui etäyhteydellä ja hyväksyi suunnitelman.",
        },
        "recommendations": [
            ("Haetaan Kelan ammatillisen kuntoutuksen selvitystä. Hakemuksen liitteeksi "
             "B-lausunto hoitavalta lääkäriltä.", "Ammatillisen kuntoutuksen selvitys"),
            ("Mielenterveyden hoito jatkuu terveysasemalla vähintään kerran kuukaudessa.",
             "Mielenterveys- ja päihdepalvelut"),
            ("Selvityksen jälkeen osa-aikainen työkokeilu varastotyössä, neljä tuntia päivässä.",
             None),
        ],
        "actions": [
            ("Pyydä B-lausunto hoitavalta lääkäriltä.", "referrer@example.fi", 4, False),
            ("Varaa asiakkaalle psykologin arviointikäynti.", "psychologist@example.fi", 3,
             True),
            ("Täytä Kelan kuntoutushakemus yhdessä asiakkaan kanssa.",
             "Tampereen seudun työllisyysalue", 21, False),
            ("Kartoita osa-aikaisia työkokeilupaikkoja varastoalalta.",
             "Tampereen seudun työllisyysalue", 45, False),
        ],
        "path": "rehabilitation",
        "follow_up_months": 3,
        "addendum": "Täydennys: asiakkaan hoitava lääkäri on vaihtunut, joten B-lausunto "
                    "pyydetään Hervannan terveysasemalta.",
    },
    {
        "client": "Koskinen",
        "present": "asiakas ei ollut paikalla",
        "notes": {
            "background": "Sosiaalipalvelujen asiakkuus vuodesta 2019. Aktivointisuunnitelma "
                          "on vanhentunut ja päivitetään.",
            "education_work": "Ei ammatillista tutkintoa; siivoustyöstä myönteisiä kokemuksia.",
            "health": "Ahdistus ja univaikeudet ovat hoitamatta. Hoitokontakti terveysasemalle "
                      "ennen työkokeilua.",
            "life": "Asuminen on vakaa; lastenhoidon järjestelyt ratkaisevat, milloin ryhmään "
                    "voi osallistua.",
            "wishes_goals": "Tavoitteena osa-aikatyö taustatehtävissä vuoden sisällä.",
            "question": "Sosiaalinen kuntoutus on oikea ensimmäinen askel; työllisyyspalvelut "
                        "rinnalle, kun arki on vakiintunut.",
            "general": "Sosiaalityöntekijä kertoo asiakkaalle tiimin suosituksista.",
        },
        "recommendations": [
            ("Ryhmämuotoinen sosiaalinen kuntoutus kahdesti viikossa, aloitus kuukauden "
             "sisällä.", "Sosiaalinen kuntoutus"),
            ("Aktivointisuunnitelma päivitetään yhteistapaamisessa työllisyysalueen kanssa.",
             "Aktivointisuunnitelma"),
            ("Hoitokontakti mielenterveyspalveluihin ahdistuksen ja unettomuuden vuoksi.",
             "Mielenterveys- ja päihdepalvelut"),
        ],
        "actions": [
            ("Ohjaa asiakas sosiaalisen kuntoutuksen ryhmään.", "social.counsellor@example.fi",
             4, False),
            ("Varaa asiakkaalle aika terveysaseman mielenterveyshoitajalle.",
             "referrer.social@example.fi", 14, False),
            ("Järjestä yhteistapaaminen aktivointisuunnitelman päivittämiseksi.",
             "Pirkanmaan hyvinvointialue, sosiaalipalvelut", 30, False),
        ],
        "path": "social_rehabilitation",
        "follow_up_days": 7,  # a quick check-in: due now
    },
    {
        "client": "Saarinen",
        "present": "asiakas paikalla",
        "notes": {
            "background": "Opinnot keskeytyivät poissaolojen vuoksi. Ohjaamon ohjaus on "
                          "säännöllistä.",
            "education_work": "Tutkinnosta puolet suoritettu; oppilaitos voi ottaa takaisin "
                              "jatkuvan haun kautta.",
            "health": "Keskittymisen vaikeudet arvioidaan terveysasemalla ennen opintojen "
                      "aloitusta.",
            "life": "Vuorokausirytmin korjaaminen on ensimmäinen tavoite; vanhemmat tukevat.",
            "wishes_goals": "Selkeä tavoite: sähköalan tutkinto.",
            "self_assessment": "Kykyviisari 6/10.",
            "question": "Nuotti-valmennus ja paluu opintoihin puolen vuoden sisällä, tarvittaessa "
                        "valmentavan koulutuksen kautta.",
        },
        "recommendations": [
            ("Nuotti-valmennus opintoihin paluun tueksi.", "Nuotti-valmennus"),
            ("Jos paluu tutkinto-opintoihin ei vielä onnistu, tutkintokoulutukseen "
             "valmentava koulutus.", "Valmentava koulutus"),
            ("Keskittymisen vaikeuksien arvio terveysasemalla.", None),
        ],
        "actions": [
            ("Varaa aika terveysaseman lääkärille keskittymisvaikeuksien arviota varten.",
             "referrer.ohjaamo@example.fi", 4, False),
            ("Selvitä Nuotti-valmennuksen aloitusaika ja kerro siitä Ohjaamolle.",
             "kela.advisor@example.fi", 14, False),
            ("Tee Nuotti-valmennuksen hakemus asiakkaan kanssa.", "Ohjaamo Tampere", 21, False),
            ("Sovi oppilaitoksen opinto-ohjaajan kanssa opintojen jatkamisesta.",
             "Ohjaamo Tampere", 35, False),
        ],
        "path": "studies",
        "follow_up_days": 7,
        # Checked in a week later: the case is closed.
        "follow_up": {"path_taken": "studies", "kykyviisari_score": 7, "meeting_needed": True,
                      "plan_changed": "yes",
                      "situation": "Nuotti-valmennus alkoi, ja opinto-ohjaaja on luvannut "
                                   "paikan jatkuvassa haussa tammikuusta. Vuorokausirytmi on "
                                   "parantunut."},
    },
]

# Today's meeting: accepted cases on a sent agenda, waiting for the coordinator to start.
TODAY_MEETING_CASES = ["Heikkinen", "Salminen"]
TODAY_MEETING_START = time(12, 30)

# The physician's consultation one to two weeks ago, signed; and a signed statement.
SIGNED_NOTE = {
    "client": "Mattila",
    "mode": "in_person",
    "attendees": "Liisa Lääkäri (työterveyslääkäri), asiakas",
    "notes": {
        "background": "Ajo-oikeus raskaaseen kalustoon on peruttu; henkilöauton ajo-oikeus "
                      "on voimassa.",
        "health": "Uniapnea on hyvässä hoitotasapainossa ja verensokeri tavoitteessa. Ei "
                  "esteitä kevyeen fyysiseen työhön eikä henkilöauton ajoon työssä.",
        "wishes_goals": "Tavoite on realistinen.",
        "question": "Asiakas soveltuu huolto-, kuljetus- ja varastotehtäviin ilman raskaan "
                    "kaluston ajoa. Laaja työkyvyn arvio ei ole tarpeen.",
        "general": "Vastaanotto Työterveys Pirkanmaalla, asiakas paikalla.",
    },
    "recommendations": [
        ("Työnhaku huolto- ja kuljetustehtäviin henkilöautolla.", None),
        ("Uudelle työnantajalle tiedoksi työolosuhteiden järjestelytuki säännöllisiä taukoja "
         "varten.", "Työolosuhteiden järjestelytuki"),
    ],
    "actions": [
        ("Päivitä työllistymissuunnitelma lääkärin kannanoton mukaiseksi.",
         "referrer@example.fi", 14, False),
        ("Lähetä asiakkaalle kuljetus- ja huoltoalan avoimia työpaikkoja.",
         "Tampereen seudun työllisyysalue", 30, False),
    ],
    "path": "work",
    "follow_up_months": 3,
}

SIGNED_STATEMENT = {
    "client": "Rantanen",
    "mode": "written_statement",
    "attendees": "",
    "notes": {
        "background": "Lausunto sosiaalityöntekijän pyynnöstä esitietojen ja terveysaseman "
                      "tekstien perusteella.",
        "health": "Kipuoireyhtymä on pitkäaikainen, mutta toimintakyky riittää kevyeen "
                  "istumatyöhön, kun työpäivä on lyhyt ja tauotus vapaa.",
        "question": "Asiakas kykenee osa-aikaiseen toimistotyöhön, enintään 4–5 tuntia "
                    "päivässä. Työjärjestelyiksi suositellaan säädettävää työpistettä, vapaata "
                    "tauotusta ja mahdollisuutta etätyöhön.",
        "general": "Asiakasta ei tavattu; lausunto laadittu asiakirjojen perusteella.",
    },
    "recommendations": [
        ("Osa-aikainen toimistotyö palkkatuella.", "Palkkatuki"),
        ("Säädettävä työpiste työolosuhteiden järjestelytuella.",
         "Työolosuhteiden järjestelytuki"),
        ("Fysioterapeutin ohjaama kotiharjoitteluohjelma.", "Fysioterapia"),
    ],
    "actions": [
        ("Ohjaa asiakas työllisyysalueen palkkatukityön hakuun.", "referrer.social@example.fi",
         14, False),
        ("Varaa asiakkaalle fysioterapeutin arvio.",
         "Pirkanmaan hyvinvointialue, terveyspalvelut", 21, False),
    ],
    "path": "work",
    "follow_up_months": 4,
}


def _demo_client(users: dict[str, User], last: str):
    """The demo client of this last name, and the referrer who registered them."""
    row = next(c for c in CLIENTS if c[0] == last)
    referrer = users[row[5]]
    client = clients.find_by_identity_code(referrer.organisation_id,
                                           demo_identity_code(row[2], row[3]))
    return client, referrer


def _has_requests(client) -> bool:
    return db.session.scalar(select(ConsultationRequest.id).where(
        ConsultationRequest.client_id == client.id)) is not None


def _submitted_request(users: dict[str, User], last: str, *, mode: str, team: Team | None = None,
                       preferred_dates: str = "") -> ConsultationRequest:
    client, referrer = _demo_client(users, last)
    request = requests.create_request(
        client=client, referrer=referrer, mode=mode, team=team,
        physician=None if team else users["physician@example.fi"],
        preferred_dates=preferred_dates)
    request.preform.draft = dict(PREFORMS[last])
    requests.perform(request, "submit", referrer)
    return request


def _service(name_fi: str | None) -> Service | None:
    if name_fi is None:
        return None
    return db.session.scalar(select(Service).where(Service.name_fi == name_fi))


def _write_record(protocol, record: dict, *, day: date, attendees: str, users: dict[str, User],
                  orgs: dict[str, Organisation], by: User) -> list:
    """Notes, outcome, recommendations and action items of one record, through the
    services; returns the action items to complete once the record is final."""
    protocols.save_notes(protocol, record["notes"], expected_revision=protocol.revision, by=by)
    protocols.set_outcome(protocol, path=record["path"], attendees=attendees, by=by,
                          follow_up_on=day + relativedelta(months=record.get("follow_up_months", 0),
                                                           days=record.get("follow_up_days", 0)))
    for text, service in record["recommendations"]:
        protocols.add_recommendation(protocol, text, service=_service(service), by=by)
    to_complete = []
    for what, responsible, days, done in record["actions"]:
        person = users.get(responsible)
        item = protocols.add_action_item(
            protocol, what, responsible_user=person,
            responsible_organisation=None if person else orgs[responsible],
            due_on=day + timedelta(days=days), by=by)
        if done:
            to_complete.append(item)
    return to_complete


def _complete(item) -> None:
    """By the responsible person, or for an organisation by the case's referrer."""
    protocols.complete_action_item(
        item, by=item.responsible_user or item.protocol.request.referrer)


def _held_meeting_day(team: Team) -> date:
    """The team's meeting weekday one to two weeks ago, not a public holiday."""
    day = timeutil.today() - timedelta(days=7)
    while (day.isoweekday() != team.meeting_weekday
           or availability.finnish_holidays(day, day)):
        day -= timedelta(days=1)
    return day


def _sent_a_week_before(meeting: Meeting) -> None:
    """The agenda of a meeting already held went out before it: dated so, and its
    deliveries marked sent, so that no invitation to a past meeting is mailed later."""
    sent_at = meeting.starts_at - timedelta(days=7)
    meeting.sent_at = sent_at
    for delivery in meeting.deliveries:
        delivery.sent_at = sent_at


def _seed_held_meeting(users: dict[str, User], team: Team,
                       orgs: dict[str, Organisation]) -> None:
    """A meeting of one to two weeks ago, held and protocol_finalised: attendance
    marked, each case's protocol finalised (its request discussed), one action item
    already done, an addendum on one protocol."""
    if _has_requests(_demo_client(users, HELD_MEETING_CASES[0]["client"])[0]):
        return
    coordinator = users["coordinator@example.fi"]
    day = _held_meeting_day(team)
    meeting = meetings.create_meeting(
        team, day=day, start_time=team.meeting_time, minutes=team.meeting_minutes,
        location=team.meeting_location, video_link=team.meeting_video_link, by=coordinator)
    cases = []
    for case in HELD_MEETING_CASES:
        request = _submitted_request(users, case["client"], mode="team_meeting", team=team)
        requests.perform(request, "accept", coordinator)
        cases.append((case, agenda.add_item(meeting, request, by=coordinator)))
    agenda.send_agenda(meeting, by=coordinator)
    _sent_a_week_before(meeting)
    absent = users["coordinator2@example.fi"]
    present = [p for p in agenda.participants(meeting) if p.user_id != absent.id]
    agenda.mark_attendance(meeting, user_ids={p.user_id for p in present}, guest_ids=set(),
                           by=coordinator)
    protocols.start_meeting(meeting, by=coordinator)
    staff = ", ".join(u.name for u in [*team.coordinators, *team.members, team.physician]
                      if u.id != absent.id)
    to_complete = []
    for case, item in cases:
        protocol = protocols.protocol_of(item.request, item)
        attendees = f"{staff}; asiakasvastaava {item.request.referrer.name}; {case['present']}"
        to_complete += _write_record(protocol, case, day=day, attendees=attendees, users=users,
                                     orgs=orgs, by=coordinator)
        protocols.finalise(protocol, by=coordinator)
        if case.get("addendum"):
            protocols.add_addendum(protocol, case["addendum"], by=coordinator)
    for action in to_complete:
        _complete(action)
    for case, item in cases:
        if case.get("follow_up"):
            followups.record_follow_up(item.request, by=item.request.referrer, **case["follow_up"])


def _seed_meeting_today(users: dict[str, User], team: Team) -> None:
    """A meeting today (Helsinki) with its agenda sent and two accepted cases on it, not
    yet started: a coordinator can open the run view and start it."""
    if _has_requests(_demo_client(users, TODAY_MEETING_CASES[0])[0]):
        return
    coordinator = users["coordinator@example.fi"]
    meeting = meetings.create_meeting(
        team, day=timeutil.today(), start_time=TODAY_MEETING_START, minutes=90,
        location=team.meeting_location, video_link=team.meeting_video_link, by=coordinator)
    for last in TODAY_MEETING_CASES:
        request = _submitted_request(users, last, mode="team_meeting", team=team)
        requests.perform(request, "accept", coordinator)
        agenda.add_item(meeting, request, by=coordinator)
    agenda.send_agenda(meeting, by=coordinator)


def _into_the_past(booking: Booking) -> date:
    """book() takes only future slots, and slots are generated only ahead: the demo
    books the first free one through the service, then moves the booking to the same
    weekly time one to two weeks back (a working day), to the slot the rules gave
    then. The future slot is free again. Returns the day of the consultation."""
    slot = booking.slot
    local = timeutil.to_helsinki(slot.starts_at)
    day = local.date() - timedelta(weeks=(local.date() - timeutil.today()).days // 7 + 2)
    while availability.finnish_holidays(day, day):
        day -= timedelta(weeks=1)
    starts_at = availability.local_to_utc(day, local.time().replace(tzinfo=None))
    earlier = db.session.scalar(select(Slot).where(
        Slot.physician_id == slot.physician_id, Slot.starts_at == starts_at))
    if earlier is None:
        earlier = Slot(physician_id=slot.physician_id, starts_at=starts_at,
                       ends_at=starts_at + (slot.ends_at - slot.starts_at), mode=slot.mode,
                       location=slot.location)
        db.session.add(earlier)
    booking.slot = earlier
    db.session.flush()
    return day


def _seed_signed_note(users: dict[str, User], orgs: dict[str, Organisation]) -> None:
    """An appointment that took place one to two weeks ago, its consultation note signed
    (the request discussed)."""
    record = SIGNED_NOTE
    if _has_requests(_demo_client(users, record["client"])[0]):
        return
    physician = users["physician@example.fi"]
    request = _submitted_request(users, record["client"], mode=record["mode"],
                                 preferred_dates="torstaisin aamupäivällä")
    booking = bookings.book(request, bookings.free_slots(request)[0], physician)
    day = _into_the_past(booking)
    protocol = protocols.protocol_of(request)
    _write_record(protocol, record, day=day, attendees=record["attendees"], users=users,
                  orgs=orgs, by=physician)
    protocols.finalise(protocol, by=physician)


def _seed_signed_statement(users: dict[str, User], orgs: dict[str, Organisation]) -> None:
    """A written statement, accepted and signed today (the request discussed)."""
    record = SIGNED_STATEMENT
    if _has_requests(_demo_client(users, record["client"])[0]):
        return
    physician = users["physician@example.fi"]
    request = _submitted_request(users, record["client"], mode=record["mode"])
    requests.perform(request, "accept", physician)
    protocol = protocols.protocol_of(request)
    _write_record(protocol, record, day=timeutil.today(), attendees=record["attendees"],
                  users=users, orgs=orgs, by=physician)
    protocols.finalise(protocol, by=physician)


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
        if email == DEMO_ADMIN_EMAIL and user.totp_secret is None:
            user.totp_secret = DEMO_ADMIN_TOTP_SECRET
            user.totp_enabled_at = timeutil.utcnow()
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
    _seed_meetings(users, team)  # first: it stands back when the team has any meeting
    db.session.flush()
    _seed_held_meeting(users, team, orgs)
    _seed_meeting_today(users, team)
    _seed_signed_note(users, orgs)
    _seed_signed_statement(users, orgs)
    db.session.flush()
    return listed

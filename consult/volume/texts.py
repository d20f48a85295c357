"""Invented names, places and phrases for the volume data: Finnish, plausible, and about
nobody. Pre-forms, protocols and follow-ups are put together from these pieces."""
from __future__ import annotations

FIRST_NAMES_FEMALE = (
    "Aino", "Anna", "Anne", "Eija", "Elina", "Emma", "Hanna", "Heidi", "Helena", "Johanna",
    "Kaisa", "Katja", "Laura", "Leena", "Maria", "Marja", "Minna", "Niina", "Noora", "Outi",
    "Päivi", "Riikka", "Sanna", "Satu", "Sofia", "Suvi", "Tiina", "Tuula", "Ulla", "Veera",
)
FIRST_NAMES_MALE = (
    "Aleksi", "Antti", "Ari", "Eero", "Eino", "Heikki", "Ilkka", "Janne", "Jari", "Joonas",
    "Juha", "Jukka", "Kalle", "Lauri", "Markku", "Matti", "Mikko", "Niko", "Olli", "Pekka",
    "Petri", "Sami", "Santeri", "Teemu", "Timo", "Tommi", "Tuomas", "Ville", "Vesa", "Eetu",
)
LAST_NAMES = (
    "Aaltonen", "Ahonen", "Anttila", "Heikkilä", "Heikkinen", "Heinonen", "Hiltunen",
    "Hirvonen", "Hämäläinen", "Jokinen", "Järvinen", "Kallio", "Karjalainen", "Kinnunen",
    "Koivisto", "Korhonen", "Koskinen", "Laaksonen", "Laine", "Lehtinen", "Lehtonen",
    "Leinonen", "Lindholm", "Manninen", "Mattila", "Miettinen", "Mustonen", "Mäkelä",
    "Mäkinen", "Nieminen", "Niemi", "Ojala", "Pitkänen", "Rantanen", "Räsänen", "Saarinen",
    "Salminen", "Salo", "Seppälä", "Toivonen", "Turunen", "Tuominen", "Vainio", "Virtanen",
)

# Pirkanmaa's municipalities, roughly by population (weights).
MUNICIPALITIES = (
    ("Tampere", 50), ("Nokia", 7), ("Ylöjärvi", 7), ("Kangasala", 7), ("Lempäälä", 5),
    ("Pirkkala", 4), ("Valkeakoski", 4), ("Sastamala", 4), ("Orivesi", 2), ("Akaa", 3),
    ("Mänttä-Vilppula", 2), ("Parkano", 1), ("Ikaalinen", 1), ("Hämeenkyrö", 2),
    ("Virrat", 1),
)
STREETS = (
    "Hämeenkatu", "Satakunnankatu", "Pyynikintie", "Sammonkatu", "Hervannan valtaväylä",
    "Teiskontie", "Nokiantie", "Puistokatu", "Koulukatu", "Rautatienkatu", "Kauppakatu",
    "Myllypuronkatu", "Kuntokatu", "Tullikatu", "Rongankatu",
)
INTERPRETER_LANGUAGES = ("arabia", "somali", "venäjä", "dari", "kurdi (sorani)", "ukraina")

COORDINATOR_TITLES = ("terveyssosiaalityöntekijä", "kuntoutusohjaaja", "kuntoutuskoordinaattori")
# (organisation kind, title) of the people a team is made of.
MEMBER_PROFILES = (
    ("social_services", "sosiaaliohjaaja"),
    ("employment_area", "työllisyysasiantuntija"),
    ("employment_area", "yksilövalmentaja"),
    ("health_services", "psykologi"),
    ("health_services", "fysioterapeutti"),
    ("health_services", "terveydenhoitaja"),
    ("kela", "Kelan työkykyneuvoja"),
    ("disability_services", "vammaispalvelujen sosiaalityöntekijä"),
    ("ohjaamo", "ohjaaja"),
)

PREFERRED_DATES = (
    "", "", "", "", "", "tiistaisin tai torstaisin", "aamupäivisin", "ei maanantaisin",
    "iltapäivisin", "mahdollisimman pian",
)
URGENT_REASONS = (
    "Sairauspäivärahan enimmäisaika täyttyy kuukauden sisällä.",
    "Työmarkkinatuen velvoitteet, päätös kuukauden sisällä.",
    "Kuntoutusrahan hakuaika päättyy pian.",
    "Asiakkaan tilanne on kriisiytymässä, asunto vaarassa.",
    "Työkokeilu alkaa kahden viikon päästä.",
)

PREFORM = {
    "background.reason": (
        "Pitkä työttömyys ja toistuvat tuki- ja liikuntaelinvaivat; työkyky epäselvä.",
        "Sairauspäivärahan enimmäisaika täyttymässä, paluu entiseen työhön epävarma.",
        "Opinnot keskeytyneet, ei työ- tai opiskelupaikkaa.",
        "Mielenterveyden haasteet ovat pitkittäneet työttömyyttä.",
        "Päihdekuntoutus päättynyt, asiakas haluaa työelämään.",
        "Kuntouttava työtoiminta päättymässä, jatkopolku avoin.",
        "Toistuvat lyhyet työsuhteet, jotka ovat päättyneet jaksamisen vuoksi.",
        "Osatyökyvyttömyyseläkehakemus hylätty, työkyky on edelleen alentunut.",
    ),
    "background.services_and_plans": (
        "Työllistymissuunnitelma voimassa.", "Aktivointisuunnitelma on vanhentunut.",
        "Monialainen yhteispalvelusuunnitelma laadittu viime vuonna.",
        "Kuntouttava työtoiminta kolmena päivänä viikossa.",
        "Hoitokontakti terveysaseman psykiatriseen sairaanhoitajaan.",
    ),
    "background.benefits": (
        "Työmarkkinatuki.", "Työmarkkinatuki, asumistuki.", "Sairauspäiväraha.",
        "Ansiosidonnainen työttömyyspäiväraha.", "Kuntoutustuki.",
        "Työmarkkinatuki, toimeentulotuki.",
    ),
    "background.contacts": (
        "Työllisyysasiantuntija, terveysaseman lääkäri.", "Sosiaaliohjaaja, psykiatrinen hoitaja.",
        "Ohjaamon ohjaaja.", "Kelan kuntoutusasiantuntija, työterveyshuolto.",
    ),
    "education_work.education": (
        "Peruskoulu.", "Lukio.", "Merkonomi.", "Lähihoitaja.", "Logistiikan perustutkinto.",
        "Rakennusalan perustutkinto.", "Ammatilliset opinnot kesken.", "Tradenomi.",
    ),
    "education_work.work_history": (
        "Varastotyötä 15 vuotta.", "Kaupan alalla määräaikaisissa töissä.",
        "Kotihoidossa ja palvelutalossa useita vuosia.",
        "Rakennustöitä, viimeksi kaksi vuotta sitten.",
        "Kesätöitä ja lyhyitä työkokeiluja.", "Toimistotyötä yli kymmenen vuotta.",
    ),
    "education_work.skills": (
        "Trukkikortti.", "Asiakaspalvelu.", "Tietotekniikan perustaidot.", "Hygieniapassi.",
        "Ajokortti.",
    ),
    "health.client_view": (
        "Selkä kipeytyy istuessa ja nostaessa.", "Uupumus ja unettomuus, vointi vaihtelee.",
        "Jännittää ryhmätilanteita.", "Keskittyminen on vaikeaa.",
        "Olkapää ei kestä nostoja; istumatyö onnistuu.", "Vointi on parempi kuin vuosi sitten.",
    ),
    "health.referrer_view": (
        "Motivoitunut, mutta fyysisesti raskas työ ei onnistu.",
        "Sitoutunut hoitoon; tarvitsee asteittaisen paluun työhön.",
        "Ahdistus rajoittaa asioimista.", "Toimintakyky vaihtelee viikoittain.",
    ),
    "health.diagnoses": (
        "Keskivaikea masennus.", "Selän kulumamuutokset.", "Uniapnea, hoidossa.",
        "Ahdistuneisuushäiriö.", "Olkapään kiertäjäkalvosimen vamma.",
    ),
    "life.housing": (
        "Vuokra-asunto.", "Asuu vanhempien luona.", "Omistusasunto puolison kanssa.",
        "Tuettu asuminen.", "Asuu yksin vuokrayksiössä.",
    ),
    "life.finances": (
        "Vuokrarästejä, maksusuunnitelma tehty.", "Talous tiukka mutta hallinnassa.",
        "Ulosottoa.",
    ),
    "life.social_network": (
        "Puoliso ja aikuiset lapset tukevat.", "Vähän sosiaalisia kontakteja.",
        "Äiti asuu lähellä ja auttaa.", "Käy vertaistukiryhmässä.",
    ),
    "life.substance_use": (
        "Ei päihteiden ongelmakäyttöä.", "Raittiina puoli vuotta.", "Alkoholin käyttö vähentynyt.",
    ),
    "life.daily_routines": (
        "Säännöllinen päivärytmi.", "Vuorokausirytmi on kääntynyt.",
        "Arki rakentuu lasten koulun mukaan.", "Liikkuu päivittäin.",
    ),
    "wishes_goals.wishes_goals": (
        "Haluaa kevyempään työhön, esimerkiksi varastoon tai työnjohtoon.",
        "Palata osa-aikaisesti entiseen työhön.", "Haluaa ammattiin; kiinnostaa kokin työ.",
        "Haluaa suorittaa tutkinnon loppuun.", "Palkkatyö aluksi palkkatuella.",
        "Osa-aikatyö ilman asiakaspalvelua.", "Haluaa kouluttautua hallinnollisiin tehtäviin.",
        "Haluaa selvyyden siihen, mihin työhön terveys riittää.",
    ),
    "question.question": (
        "Mikä olisi oikea seuraava askel: ammatillinen kuntoutus vai työkyvyn arvio?",
        "Miten osa-aikainen paluu työhön järjestetään?",
        "Sopisiko Nuotti-valmennus tai nuoren kuntoutusraha?",
        "Onko palkkatukityö realistinen seuraava askel?",
        "Onko sosiaalinen kuntoutus oikea ensimmäinen askel ennen työllisyyspalveluja?",
        "Mihin tehtäviin asiakkaan terveydentila sallii?",
        "Tarvitaanko laaja työkyvyn arvio?",
        "Millä tuella paluu opintoihin onnistuisi?",
    ),
}
# Each optional field's chance of being filled in.
PREFORM_OPTIONAL = {
    "background.reason": 0.95, "background.services_and_plans": 0.7,
    "background.benefits": 0.8, "background.contacts": 0.5,
    "education_work.education": 0.7, "education_work.work_history": 0.7,
    "education_work.skills": 0.4, "health.client_view": 0.8, "health.referrer_view": 0.6,
    "health.diagnoses": 0.3, "life.housing": 0.6, "life.finances": 0.3,
    "life.social_network": 0.4, "life.substance_use": 0.15, "life.daily_routines": 0.4,
}

NOTES = {
    "background": (
        "Tilanne käytiin läpi esitietolomakkeen mukaan.", "Suunnitelmat ovat ajan tasalla.",
        "Aktivointisuunnitelma päivitetään.", "Etuudet ja palvelut selvitetty.",
    ),
    "education_work": (
        "Työhistoria antaa hyvän pohjan.", "Ei ammatillista tutkintoa; kokemusta on.",
        "Tutkinto kesken, oppilaitos voi ottaa takaisin.",
    ),
    "health": (
        "Terveydentila rajoittaa raskasta työtä.", "Mieliala on kohentunut hoidon myötä.",
        "Kuormitusta lisätään vähitellen.", "Hoitokontakti tarvitaan ennen työkokeilua.",
    ),
    "life": (
        "Asuminen on vakaa.", "Talous vakiintunut.",
        "Päivärytmin korjaaminen on ensimmäinen tavoite.",
    ),
    "wishes_goals": (
        "Tavoite on realistinen.", "Asiakkaan toive on lähtökohta suunnitelmalle.",
        "Tavoitteena osa-aikatyö vuoden sisällä.",
    ),
    "self_assessment": ("Kykyviisari kertoo parantuneesta työkyvystä.", "Kykyviisari ennallaan."),
    "question": (
        "Ammatillinen kuntoutus on realistinen.", "Ensin työkyvyn arvio.",
        "Sosiaalinen kuntoutus on oikea ensimmäinen askel.",
        "Palkkatukityö sopii seuraavaksi askeleeksi.",
        "Opintoihin paluu tuetusti puolen vuoden sisällä.",
    ),
    "general": (
        "Asiakas osallistui ja hyväksyi suunnitelman.", "Asiakasvastaava kertoo asiakkaalle.",
        "Asiakasta ei tavattu; kannanotto asiakirjojen perusteella.",
    ),
}

RECOMMENDATIONS = (
    "Haetaan Kelan ammatillisen kuntoutuksen selvitystä.",
    "Hoito jatkuu terveysasemalla vähintään kerran kuukaudessa.",
    "Osa-aikainen työkokeilu, neljä tuntia päivässä.",
    "Ryhmämuotoinen sosiaalinen kuntoutus kahdesti viikossa.",
    "Aktivointisuunnitelma päivitetään yhteistapaamisessa.",
    "Työnhaku kevyempiin tehtäviin.",
    "Fysioterapeutin arvio ja kotiharjoitteluohjelma.",
    "Paluu opintoihin valmentavan koulutuksen kautta.",
    "Palkkatukityö sopivalta työnantajalta.",
    "Laaja työkyvyn arvio erikoissairaanhoidossa.",
)
ACTIONS = (
    "Pyydä B-lausunto hoitavalta lääkäriltä.", "Varaa asiakkaalle psykologin arviointikäynti.",
    "Täytä kuntoutushakemus yhdessä asiakkaan kanssa.", "Kartoita työkokeilupaikkoja.",
    "Päivitä työllistymissuunnitelma.", "Ohjaa asiakas sosiaalisen kuntoutuksen ryhmään.",
    "Varaa aika terveysaseman lääkärille.", "Järjestä yhteistapaaminen.",
    "Selvitä valmennuksen aloitusaika.", "Lähetä asiakkaalle avoimia työpaikkoja.",
)
COMPLETION_NOTES = ("", "", "Tehty.", "Haettu.", "Ei tarpeen.", "Sovittu asiakkaan kanssa.")

RETURN_MESSAGES = (
    "Lisää kuvaus nykyisestä työkyvystä.", "Kerro, mitä tiimiltä halutaan kysyä.",
    "Täydennä asiakkaan omat tavoitteet.", "Liitä työterveyshuollon kannanotto.",
)
DECLINE_MESSAGES = (
    "Sama kysymys on jo käsittelyssä toisessa pyynnössä.",
    "Asia kuuluu työterveyshuollolle, ei tiimille.", "Asiakas ei ole tiimin kohderyhmää.",
)
NO_TIMES_MESSAGE = "Ei vapaita aikoja kahteen kuukauteen; pyydä aikaa toiselta lääkäriltä."
GUIDANCE_MESSAGES = (
    "Ohjaa asiakas Kelan ammatillisen kuntoutuksen selvitykseen; kokousta ei tarvita.",
    "Sosiaalinen kuntoutus sopii; ohjaa asiakas ryhmään.",
    "Palkkatuki on oikea seuraava askel; kokousta ei tarvita.",
    "Ohjaa asiakas Ohjaamon valmennukseen.",
)
WITHDRAW_MESSAGES = (
    "", "Asiakas muutti paikkakunnalta.", "Asiakas työllistyi.", "Asiakas ei halua jatkaa.",
)
SITUATIONS = (
    "Kuntoutus alkoi suunnitellusti.", "Asiakas on työkokeilussa ja viihtyy.",
    "Opinnot alkoivat jatkuvassa haussa.", "Tilanne ennallaan, hoito jatkuu.",
    "Asiakas työllistyi osa-aikaisesti.", "Sosiaalisen kuntoutuksen ryhmä alkoi.",
    "Työkyvyn arvio on kesken.",
)

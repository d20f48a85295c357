"""The services catalogue: creation, editing and the seeded list. Services flush, never
commit."""
from __future__ import annotations

from sqlalchemy import case, select

from consult.catalogue.models import SERVICE_CATEGORIES, Service
from consult.extensions import db
from consult.organisations.models import ORGANISATION_KINDS

SERVICE_FIELDS = ("category", "organisation_kind", "name_fi", "name_sv", "name_en",
                  "description_fi", "description_sv", "description_en", "is_active")
TEXT_FIELDS = ("name_fi", "name_sv", "name_en", "description_fi", "description_sv",
               "description_en")


class CatalogueError(ValueError):
    """A refused change; the message is shown to the user or printed by the CLI."""


def _checked(values: dict, service: Service | None = None) -> dict:
    unknown = set(values) - set(SERVICE_FIELDS)
    if unknown:
        raise CatalogueError(f"Unknown service fields: {', '.join(sorted(unknown))}.")
    values = {k: (v or "").strip() if k in TEXT_FIELDS else v for k, v in values.items()}
    if "category" in values and values["category"] not in SERVICE_CATEGORIES:
        raise CatalogueError(f"Unknown service category {values['category']!r} "
                             f"(categories: {', '.join(SERVICE_CATEGORIES)}).")
    if "organisation_kind" in values and values["organisation_kind"] not in ORGANISATION_KINDS:
        raise CatalogueError(f"Unknown organisation kind {values['organisation_kind']!r}.")
    if "name_fi" in values:
        if not values["name_fi"]:
            raise CatalogueError("A service needs a Finnish name.")
        query = select(Service.id).where(Service.name_fi == values["name_fi"])
        if service is not None:
            query = query.where(Service.id != service.id)
        if db.session.scalar(query) is not None:
            raise CatalogueError(f"A service named {values['name_fi']!r} already exists.")
    return values


def create_service(**values) -> Service:
    values = _checked(values)
    if "name_fi" not in values or "category" not in values or "organisation_kind" not in values:
        raise CatalogueError("A service needs a category, a providing organisation kind and "
                             "a Finnish name.")
    values.setdefault("name_sv", "")
    values.setdefault("name_en", "")
    service = Service(**values)
    db.session.add(service)
    db.session.flush()
    return service


def update_service(service: Service, **values) -> None:
    for key, value in _checked(values, service).items():
        setattr(service, key, value)
    db.session.flush()


def category_order():
    """The categories in the catalogue's own order, not alphabetically."""
    return case({c: i for i, c in enumerate(SERVICE_CATEGORIES)}, value=Service.category,
                else_=len(SERVICE_CATEGORIES))


def active_services() -> list[Service]:
    """What guidance and recommendations may link to: services in use, by category."""
    return list(db.session.scalars(
        select(Service).where(Service.is_active).order_by(category_order(), Service.name_fi)))


def all_services() -> list[Service]:
    return list(db.session.scalars(select(Service).order_by(category_order(), Service.name_fi)))


def _service(category, kind, names, descriptions) -> dict:
    return {
        "category": category, "organisation_kind": kind,
        "name_fi": names[0], "name_sv": names[1], "name_en": names[2],
        "description_fi": descriptions[0], "description_sv": descriptions[1],
        "description_en": descriptions[2],
    }


# SPEC §3. Names and descriptions in (fi, sv, en); the employment services are those of
# the municipal employment areas after the 2025 reform.
SEED_SERVICES = [
    # Employment services ------------------------------------------------------
    _service("employment", "employment_area",
             ("Palkkatuki", "Lönesubvention", "Pay subsidy"),
             ("Työllisyysalueen työnantajalle myöntämä tuki työttömän työnhakijan "
              "palkkauskustannuksiin, kun työllistyminen tarvitsee tukea.",
              "Stöd som sysselsättningsområdet beviljar en arbetsgivare för lönekostnaderna "
              "när en arbetslös arbetssökande som behöver stöd för att få arbete anställs.",
              "Support the employment area grants an employer towards the pay costs of hiring "
              "an unemployed jobseeker who needs support to find work.")),
    _service("employment", "employment_area",
             ("Työolosuhteiden järjestelytuki", "Stöd för ordnande av arbetsförhållanden",
              "Working conditions arrangement subsidy"),
             ("Työnantajalle myönnettävä tuki työvälineiden tai työpaikan muutoksiin tai "
              "toisen työntekijän antamaan apuun, kun työntekijän vamma tai sairaus sitä "
              "edellyttää.",
              "Stöd till en arbetsgivare för ändringar av arbetsredskap eller arbetsplats eller "
              "för hjälp av en annan arbetstagare, när arbetstagarens skada eller sjukdom "
              "kräver det.",
              "Support to an employer for changes to tools or the workplace, or for help from "
              "a co-worker, when an employee's injury or illness calls for it.")),
    _service("employment", "employment_area",
             ("Aktivointisuunnitelma", "Aktiveringsplan", "Activation plan"),
             ("Työllisyysalueen ja hyvinvointialueen sosiaalipalvelujen yhdessä pitkään "
              "työttömänä olleen kanssa laatima suunnitelma, johon voi kuulua esimerkiksi "
              "kuntouttavaa työtoimintaa.",
              "En plan som sysselsättningsområdet och välfärdsområdets socialtjänst gör upp "
              "tillsammans med en långtidsarbetslös, till exempel med arbetsverksamhet i "
              "rehabiliteringssyfte.",
              "A plan the employment area and the wellbeing services county's social services "
              "draw up with a long-term unemployed person, for example with rehabilitative "
              "work activity.")),
    _service("employment", "employment_area",
             ("Monialainen yhteispalvelu", "Sektorsövergripande samservice",
              "Multi-sector joint service"),
             ("Työllisyysalueen, hyvinvointialueen ja Kelan yhteinen palvelu pitkään työttömänä "
              "olleille, jotka tarvitsevat työllistyäkseen usean tahon palveluja.",
              "Sysselsättningsområdets, välfärdsområdets och FPA:s gemensamma service för "
              "långtidsarbetslösa som behöver service av flera aktörer för att få arbete.",
              "Joint service of the employment area, the wellbeing services county and Kela "
              "for long-term unemployed people who need several organisations' services to "
              "find work.")),
    # Kela ---------------------------------------------------------------------
    _service("kela", "kela",
             ("Ammatillinen kuntoutus", "Yrkesinriktad rehabilitering",
              "Vocational rehabilitation"),
             ("Kelan kuntoutus, joka tukee työelämässä pysymistä, sinne palaamista tai "
              "pääsemistä, kun sairaus tai vamma uhkaa työkykyä.",
              "FPA:s rehabilitering som hjälper personen att stanna kvar i, återvända till "
              "eller komma in i arbetslivet när en sjukdom eller skada hotar arbetsförmågan.",
              "Kela's rehabilitation that helps a person stay in, return to or enter working "
              "life when an illness or injury threatens their work ability.")),
    _service("kela", "kela",
             ("Ammatillisen kuntoutuksen selvitys",
              "Utredning av yrkesinriktad rehabilitering",
              "Vocational rehabilitation assessment"),
             ("Kelan järjestämä selvitys asiakkaan työ- ja opiskelukyvystä sekä hänelle "
              "sopivista kuntoutus- ja ammattivaihtoehdoista.",
              "En utredning som FPA ordnar av klientens arbets- och studieförmåga och av "
              "lämpliga rehabiliterings- och yrkesalternativ.",
              "An assessment arranged by Kela of the client's capacity to work or study and "
              "of suitable rehabilitation and occupational options.")),
    _service("kela", "kela",
             ("Nuoren kuntoutusraha", "Rehabiliteringspenning för unga",
              "Youth rehabilitation allowance"),
             ("Kelan etuus 16–19-vuotiaalle, jonka opiskelu- tai työkyky on sairauden tai "
              "vamman vuoksi heikentynyt, henkilökohtaisen opiskelu- ja kuntoutussuunnitelman "
              "ajalta.",
              "FPA:s förmån för 16–19-åringar vars studie- eller arbetsförmåga är nedsatt på "
              "grund av sjukdom eller skada, under tiden de följer en personlig studie- och "
              "rehabiliteringsplan.",
              "Kela's benefit for 16–19-year-olds whose capacity to study or work is reduced "
              "by illness or injury, paid while they follow a personal study and "
              "rehabilitation plan.")),
    _service("kela", "kela",
             ("Nuotti-valmennus", "Nuotti-coachning", "Nuotti coaching"),
             ("Kelan henkilökohtainen valmennus nuorille, jotka tarvitsevat tukea opiskeluun, "
              "työllistymiseen tai arjen hallintaan.",
              "FPA:s personliga coachning för unga som behöver stöd med studier, arbete eller "
              "vardagen.",
              "Kela's personal coaching for young people who need support with studies, "
              "finding work or managing everyday life.")),
    _service("kela", "kela",
             ("KIILA-kuntoutus", "KIILA-rehabilitering", "KIILA rehabilitation"),
             ("Kelan ammatillinen kuntoutuskurssi työssä oleville, joiden työkyky on "
              "sairauden vuoksi heikentynyt, yhdessä työpaikan ja työterveyshuollon kanssa.",
              "FPA:s yrkesinriktade rehabiliteringskurs för personer i arbete vars "
              "arbetsförmåga är nedsatt på grund av sjukdom, i samarbete med arbetsplatsen "
              "och företagshälsovården.",
              "Kela's vocational rehabilitation course for people in work whose work ability "
              "is reduced by illness, run together with the workplace and occupational health "
              "care.")),
    # Social and health services -------------------------------------------------
    _service("social_health", "health_services",
             ("Terveyssosiaalityö", "Hälsosocialt arbete", "Health social work"),
             ("Terveydenhuollossa tehtävä sosiaalityö, joka selvittää sairauden sosiaalisia "
              "vaikutuksia ja ohjaa etuuksiin, kuntoutukseen ja palveluihin.",
              "Socialt arbete inom hälso- och sjukvården som utreder sjukdomens sociala följder "
              "och vägleder till förmåner, rehabilitering och tjänster.",
              "Social work in health care that looks into the social effects of an illness "
              "and guides the client to benefits, rehabilitation and services.")),
    _service("social_health", "disability_services",
             ("Vammaispalvelut", "Funktionshinderservice", "Disability services"),
             ("Hyvinvointialueen palvelut ja tukitoimet, jotka tukevat vammaisen henkilön "
              "arkea, yhdenvertaista osallisuutta ja työntekoa.",
              "Välfärdsområdets tjänster och stödåtgärder som stöder en person med "
              "funktionsnedsättning i vardagen, i jämlik delaktighet och i arbetet.",
              "The wellbeing services county's services and support for a person with a "
              "disability in everyday life, equal participation and work.")),
    _service("social_health", "health_services",
             ("Mielenterveys- ja päihdepalvelut", "Mentalvårds- och missbrukartjänster",
              "Mental health and substance services"),
             ("Hyvinvointialueen tuki, hoito ja kuntoutus mielenterveyden häiriöihin sekä "
              "päihteiden käyttöön ja riippuvuuksiin.",
              "Välfärdsområdets stöd, vård och rehabilitering vid psykisk ohälsa samt vid "
              "missbruk och beroende.",
              "The wellbeing services county's support, treatment and rehabilitation for "
              "mental health problems and for substance use and addiction.")),
    _service("social_health", "health_services",
             ("Fysioterapia", "Fysioterapi", "Physiotherapy"),
             ("Fysioterapeutin arvio, ohjaus ja terapia toimintakyvyn, liikkumisen ja tuki- ja "
              "liikuntaelinten terveyden tueksi.",
              "En fysioterapeuts bedömning, handledning och terapi till stöd för "
              "funktionsförmågan, rörligheten och stöd- och rörelseorganens hälsa.",
              "A physiotherapist's assessment, guidance and therapy to support functional "
              "capacity, mobility and musculoskeletal health.")),
    _service("social_health", "social_services",
             ("Sosiaalinen kuntoutus", "Social rehabilitering", "Social rehabilitation"),
             ("Sosiaalihuollon tehostettu tuki, joka vahvistaa sosiaalista toimintakykyä ja "
              "osallisuutta sekä ehkäisee syrjäytymistä.",
              "Socialvårdens intensifierade stöd som stärker den sociala funktionsförmågan och "
              "delaktigheten och motverkar utslagning.",
              "Intensified support from social services that strengthens social functioning "
              "and inclusion and prevents social exclusion.")),
    # Education providers --------------------------------------------------------
    _service("education", "education",
             ("Valmentava koulutus", "Handledande utbildning", "Preparatory education"),
             ("Koulutus, joka antaa valmiuksia hakeutua ammatilliseen koulutukseen tai "
              "lukioon, kuten tutkintokoulutukseen valmentava koulutus (TUVA).",
              "Utbildning som ger färdigheter att söka till yrkesutbildning eller gymnasiet, "
              "till exempel utbildning som handleder för examensutbildning (Hux).",
              "Education that prepares a person to apply for vocational or general upper "
              "secondary education, such as preparatory education for a qualification "
              "(TUVA).")),
    # NGOs -----------------------------------------------------------------------
    _service("ngo", "ngo",
             ("Järjestöjen työkokeilu ja vertaistuki",
              "Organisationernas arbetsprövning och kamratstöd",
              "NGO work try-out and peer support"),
             ("Järjestöjen työkokeilupaikat, vertaisryhmät ja vertaistuki, jotka tukevat "
              "osallisuutta ja askelia kohti työtä.",
              "Organisationernas platser för arbetsprövning, kamratgrupper och kamratstöd som "
              "stöder delaktighet och steg mot arbete.",
              "Work try-out placements, peer groups and peer support offered by NGOs to "
              "support inclusion and steps towards work.")),
]


def seed_catalogue() -> list[Service]:
    """Add the seeded services that are missing, by Finnish name; edits are kept."""
    existing = set(db.session.scalars(select(Service.name_fi)))
    return [create_service(**values) for values in SEED_SERVICES
            if values["name_fi"] not in existing]

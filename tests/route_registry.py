"""Every route of the app, with a way to build a valid object for it.

test_routes.py walks `app.url_map`: a route missing here fails. For each route a
builder makes the world one request needs: the URL values, a user who may use the page
and is in the object's scope (the owner), a user with the page's role but outside the
object's scope (the outsider), a user none of whose roles may use the page, and valid
form data for POST. Later capabilities add their routes here; the PUBLIC list does not
grow except for the routes SPEC §8 names as public."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from consult.accounts.models import User
from tests import factories

# Answer anonymous users. Exactly these, and nothing else.
PUBLIC = {
    "accounts.login",
    "accounts.logout",
    "pages.healthz",
    "pages.accessibility",
    "static",
    # SPEC §5: a password reset link and a calendar feed work without a login (their
    # token is the key), and in development the outbox is a page (404 elsewhere).
    "password.forgot",
    "password.reset",
    "invites.feed",
    "outbox.development",
    # Between the password and the second factor: not logged in yet (they redirect to
    # /login without a recent correct password).
    "second_factor.login_code",
    "second_factor.login_setup",
}


@dataclass
class World:
    owner: User
    values: dict = field(default_factory=dict)
    # Has the page's role but the object is outside their scope; None only where the
    # object is deployment-wide for that role (`why_no_outsider` says so).
    outsider: User | None = None
    why_no_outsider: str = ""
    # None of whose roles may use the page; None only where every role may.
    wrong_role: User | None = None
    form: dict = field(default_factory=dict)
    # The value of an id to try for "403 whatever the id".
    missing_values: dict = field(default_factory=dict)


BUILDERS: dict[str, Callable[[], World]] = {}


def route(*endpoints: str):
    def register(builder: Callable[[], World]):
        for endpoint in endpoints:
            assert endpoint not in BUILDERS, endpoint
            BUILDERS[endpoint] = builder
        return builder

    return register


ADMIN_WIDE = "an administrator administers the whole deployment"


def _admin_world(values=None, form=None, missing=None) -> World:
    return World(
        owner=factories.create_user("admin"),
        wrong_role=factories.create_user("referrer", "coordinator", "member", "physician",
                                         "manager"),
        values=values or {},
        why_no_outsider=ADMIN_WIDE,
        form=form or {},
        missing_values=missing or {},
    )


@route("admin.user_cases")
def user_cases() -> World:
    leaver = factories.create_user("referrer")
    successor = factories.create_user("referrer", organisation=leaver.organisation)
    factories.create_request(team=factories.create_team(
        coordinators=[factories.create_user("coordinator")]), referrer=leaver)
    return _admin_world(values={"user_id": leaver.id}, missing={"user_id": 999999},
                        form={"referrer_id": successor.id})


@route("home.my_work", "accounts.profile", "accounts.continue_session")
def any_logged_in_user() -> World:
    return World(owner=factories.create_user("referrer"))


@route("accounts.end_sessions")
def sessions_end() -> World:
    from consult.accounts.models import LoginSession
    from consult.extensions import db

    owner = factories.create_user("member")
    elsewhere = LoginSession(token_hash="e" * 64, user_id=owner.id, remote_addr="192.0.2.1")
    db.session.add(elsewhere)
    db.session.flush()
    return World(owner=owner, form={"sessions-chosen": [elsewhere.id],
                                    "sessions-password": factories.PASSWORD})


@route("accounts.change_language")
def language_change() -> World:
    return World(owner=factories.create_user("member"), form={"language": "sv"})


@route("accounts.change_password")
def password_change() -> World:
    return World(owner=factories.create_user("member"), form={
        "current_password": factories.PASSWORD,
        "new_password": "A-brand-new-passphrase-42",
        "confirm": "A-brand-new-passphrase-42",
    })


@route("admin.index", "admin.organisations_list", "admin.teams_list", "admin.users_list")
def admin_pages() -> World:
    return _admin_world()


@route("admin.organisation_new")
def organisation_new() -> World:
    return _admin_world(form={"name": "Uusi järjestö ry", "kind": "ngo", "region": "Pirkanmaa"})


@route("admin.organisation_edit")
def organisation_edit() -> World:
    org = factories.create_organisation()
    return _admin_world(values={"org_id": org.id}, missing={"org_id": 999999},
                        form={"name": "Renamed", "kind": "kela", "region": "Uusimaa"})


@route("admin.team_new")
def team_new() -> World:
    world = _admin_world()
    world.form = {
        "name": "Uusi tiimi", "host_organisation_id": world.owner.organisation_id,
        "region": "Pirkanmaa", "physician_id": 0, "meeting_weekday": 2,
        "meeting_time": "09:00", "meeting_minutes": 120, "minutes_per_case": 30,
    }
    return world


@route("admin.team_edit", "admin.team_member_add")
def team_edit() -> World:
    team = factories.create_team()
    coordinator = factories.create_user("coordinator")
    world = _admin_world(values={"team_id": team.id}, missing={"team_id": 999999})
    world.form = {
        "name": team.name, "host_organisation_id": team.host_organisation_id,
        "region": "Pirkanmaa", "physician_id": 0, "meeting_weekday": 3,
        "meeting_time": "10:00", "meeting_minutes": 90, "minutes_per_case": 20,
        "user_id": coordinator.id, "role": "coordinator",
    }
    return world


@route("admin.team_member_remove")
def team_member_remove() -> World:
    member = factories.create_user("member")
    team = factories.create_team(members=[member])
    membership = team.memberships[0]
    return _admin_world(values={"team_id": team.id, "membership_id": membership.id},
                        missing={"team_id": 999999, "membership_id": 999999})


@route("admin.user_new")
def user_new() -> World:
    world = _admin_world()
    world.form = {"name": "Uusi Käyttäjä", "email": "new.user@example.fi",
                  "organisation_id": world.owner.organisation_id, "roles": ["referrer"],
                  "language": "fi", "password": "Long-enough-passphrase-7"}
    return world


@route("admin.user_edit", "admin.user_password", "admin.user_deactivate",
       "admin.user_activate", "admin.user_second_factor_reset")
def user_edit() -> World:
    user = factories.create_user("referrer", second_factor=True)
    return _admin_world(
        values={"user_id": user.id}, missing={"user_id": 999999},
        form={"name": user.name, "email": user.email, "organisation_id": user.organisation_id,
              "roles": ["referrer", "member"], "language": "en",
              "password": "Another-long-passphrase-8"})


NOT_A_REFERRER = ("coordinator", "member", "physician", "manager", "admin")


def _client_world(values=None, form=None, missing=None, with_client=True) -> World:
    owner = factories.create_user("referrer")
    world = World(
        owner=owner,
        # Another organisation's referrer; pages without a client have no outsider.
        outsider=factories.create_user("referrer") if with_client else None,
        wrong_role=factories.create_user(*NOT_A_REFERRER, organisation=owner.organisation),
        form=form or {},
    )
    if with_client:
        client = factories.create_client(by=owner)
        world.values = {"client_id": client.id}
        world.missing_values = {"client_id": 999999}
        world.client = client
    return world


@route("clients.register")
def client_register() -> World:
    return _client_world(with_client=False, form={"q": "Testinen"})


@route("clients.new")
def client_new() -> World:
    return _client_world(with_client=False, form={
        "last_name": "Uusi", "first_names": "Asiakas", "identity_code": factories.identity_code(),
        "preferred_language": "fi"})


@route("clients.show", "clients.edit", "audit.access_report", "audit.access_report_csv")
def client_page() -> World:
    return _client_world(form={"last_name": "Muutettu", "first_names": "Testi",
                               "preferred_language": "sv", "municipality": "Tampere"})


@route("consents.new")
def consent_new() -> World:
    world = _client_world()
    world.form = {"organisations": [world.owner.organisation_id], "given_on": "2026-11-01",
                  "valid_until": "2027-11-01", "form_reference": "Y100",
                  "purpose_consultation": "y", "purpose_data_exchange": "y"}
    return world


@route("consents.withdraw")
def consent_withdraw() -> World:
    world = _client_world()
    from datetime import date

    consent = factories.create_consent(world.client, [world.owner.organisation], by=world.owner,
                                       given_on=date(2026, 1, 1))
    world.values["consent_id"] = consent.id
    world.missing_values["consent_id"] = 999999
    world.form = {"withdrawn_on": "2026-11-01", "reason": "Asiakas perui."}
    return world


SERVICE_FORM = {
    "category": "kela", "organisation_kind": "kela",
    "name_fi": "Uusi kuntoutuspalvelu", "name_sv": "Ny rehabiliteringstjänst",
    "name_en": "New rehabilitation service",
    "description_fi": "Kuvaus.", "description_sv": "Beskrivning.", "description_en": "Description.",
    "is_active": "y",
}


@route("catalogue.services_list")
def services_list() -> World:
    return _admin_world()


@route("catalogue.service_new")
def service_new() -> World:
    return _admin_world(form=dict(SERVICE_FORM))


@route("catalogue.service_edit")
def service_edit() -> World:
    from consult.catalogue.services import create_service

    service = create_service(category="employment", organisation_kind="employment_area",
                             name_fi="Palvelu", name_sv="Tjänst", name_en="Service")
    return _admin_world(values={"service_id": service.id}, missing={"service_id": 999999},
                        form=dict(SERVICE_FORM, name_fi="Muutettu palvelu"))


def _request_world(**form) -> World:
    """A draft team request of the owner's organisation; the outsider is a referrer of
    another organisation; the wrong role has none of referrer, coordinator, physician."""
    owner = factories.create_user("referrer")
    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    request = factories.create_request(team=team, referrer=owner)
    return World(
        owner=owner, values={"request_id": request.id}, missing_values={"request_id": 999999},
        outsider=factories.create_user("referrer", "coordinator", "physician"),
        wrong_role=factories.create_user("member", "manager", "admin",
                                         organisation=owner.organisation),
        form=form)


@route("consultations.requests_list")
def requests_list() -> World:
    return World(owner=factories.create_user("referrer"),
                 wrong_role=factories.create_user("member", "manager", "admin"))


@route("consultations.new")
def request_new() -> World:
    owner = factories.create_user("referrer")
    client = factories.create_client(by=owner)
    team = factories.create_team(coordinators=[factories.create_user("coordinator")])
    return World(owner=owner, wrong_role=factories.create_user(*NOT_A_REFERRER),
                 form={"client_id": client.id, "target": f"team-{team.id}",
                       "mode": "team_meeting", "urgency": "normal", "client_attends": "yes"})


@route("consultations.withdraw")
def request_withdraw() -> World:
    return _request_world()


@route("consultations.show")
def request_page() -> World:
    """Team members read a case once it is on their meeting's agenda: for a draft a
    member of the team is outside the scope (404), not of the wrong role."""
    world = _request_world()
    world.wrong_role = factories.create_user("manager", "admin",
                                             organisation=world.owner.organisation)
    return world


@route("consultations.save_preform")
def request_preform() -> World:
    world = _request_world(revision="0", action="save", background__reason="Syy")
    world.wrong_role = factories.create_user(*NOT_A_REFERRER)
    return world


@route("teams.inbox")
def team_inbox() -> World:
    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    return World(owner=coordinator, values={"team_id": team.id},
                 missing_values={"team_id": 999999},
                 outsider=factories.create_user("coordinator"),  # another team's
                 wrong_role=factories.create_user("referrer", "member", "physician", "manager",
                                                  "admin"))


@route("consultations.decide")
def request_decision() -> World:
    from consult.consultations import services

    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    request = factories.create_request(team=team)
    services.perform(request, "submit", request.referrer)
    return World(owner=coordinator, values={"request_id": request.id},
                 missing_values={"request_id": 999999},
                 outsider=factories.create_user("coordinator", "physician"),
                 wrong_role=factories.create_user("referrer", "member", "manager", "admin"),
                 form={"action": "accept", "message": ""})


def _submitted_request_world(**form) -> World:
    """A submitted team request; the owner is its referrer (the case manager)."""
    from consult.consultations import services

    world = _request_world(**form)
    request = db_get_request(world.values["request_id"])
    services.perform(request, "submit", world.owner)
    world.request = request
    return world


def db_get_request(request_id):
    from consult.consultations.models import ConsultationRequest
    from consult.extensions import db

    return db.session.get(ConsultationRequest, request_id)


@route("consultations.version")
def request_version() -> World:
    world = _submitted_request_world()
    world.wrong_role = factories.create_user("manager", "admin",
                                             organisation=world.owner.organisation)
    world.values["number"] = 1
    world.missing_values = {"request_id": 999999, "number": 1}
    return world


@route("consultations.autosave_preform")
def request_autosave() -> World:
    world = _request_world(revision="0", background__reason="Syy")
    world.wrong_role = factories.create_user(*NOT_A_REFERRER)
    return world


@route("consultations.post_message")
def request_message() -> World:
    return _submitted_request_world(body="Onko lausunto jo pyydetty?")


@route("consultations.add_guest")
def request_guest_add() -> World:
    world = _request_world()
    world.wrong_role = factories.create_user(*NOT_A_REFERRER)
    # The consent the factory records names the referrer's own organisation.
    world.form = {"name": "Sari Sosiaalityö", "organisation_id": world.owner.organisation_id,
                  "email": "sari@example.fi"}
    return world


@route("consultations.remove_guest")
def request_guest_remove() -> World:
    from consult.consultations import services

    world = _request_world()
    world.wrong_role = factories.create_user(*NOT_A_REFERRER)
    guest = services.propose_guest(db_get_request(world.values["request_id"]),
                                   name="Sari Sosiaalityö", organisation=world.owner.organisation,
                                   email="sari@example.fi", by=world.owner)
    world.values["guest_id"] = guest.id
    world.missing_values = {"request_id": 999999, "guest_id": guest.id}
    return world


def _physician_world(**form) -> World:
    """A submitted video appointment request to the owner (a physician) with two free
    slots of theirs; the outsider is another physician."""
    physician = factories.create_user("physician")
    request = factories.create_submitted_request(physician=physician, mode="video")
    world = World(owner=physician, values={"request_id": request.id},
                  missing_values={"request_id": 999999},
                  outsider=factories.create_user("physician"),
                  wrong_role=factories.create_user("referrer", "coordinator", "member",
                                                   "manager", "admin"),
                  form=form)
    world.request = request
    from datetime import timedelta

    first = factories.create_slot(physician)
    world.slots = [first, factories.create_slot(physician,
                                                starts_at=first.starts_at + timedelta(hours=1))]
    return world


@route("booking.book_or_propose")
def booking_book() -> World:
    world = _physician_world(action="book")
    world.form["slots"] = world.slots[0].id
    return world


@route("booking.move", "booking.cancel")
def booking_change() -> World:
    from consult.scheduling import booking

    world = _physician_world(reason="Lääkäri estynyt")
    booking.book(world.request, world.slots[0], world.owner)
    world.form["slot_id"] = world.slots[1].id
    return world


@route("booking.pick")
def booking_pick() -> World:
    from consult.scheduling import booking

    world = _physician_world()
    booking.propose(world.request, world.slots[:2], world.owner)
    referrer = world.request.referrer
    return World(owner=referrer, values=world.values, missing_values=world.missing_values,
                 outsider=factories.create_user("referrer"),
                 wrong_role=factories.create_user("coordinator", "member", "physician",
                                                  "manager", "admin",
                                                  organisation=referrer.organisation),
                 form={"slot_id": world.slots[1].id})


def _agenda_world(*, item=True, form=None, **meeting_kwargs) -> World:
    """A coordinator's team meeting, with an accepted case on its agenda; the outsider
    coordinates another team."""
    from consult.consultations import services
    from consult.meetings import agenda

    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    meeting = factories.create_meeting(team, **meeting_kwargs)
    request = factories.create_submitted_request(team=team)
    services.perform(request, "accept", coordinator)
    world = World(owner=coordinator, values={"meeting_id": meeting.id},
                  missing_values={"meeting_id": 999999},
                  outsider=factories.create_user("coordinator"),
                  wrong_role=factories.create_user("referrer", "member", "physician",
                                                   "manager", "admin"),
                  form=dict(form or {}, version="1" if item else "0"))
    world.request, world.meeting = request, meeting
    if item:
        placed = agenda.add_item(meeting, request, by=coordinator)
        world.values["item_id"] = placed.id
        world.missing_values["item_id"] = placed.id
    return world


@route("meetings.show")
def meeting_page() -> World:
    world = _agenda_world()
    world.values.pop("item_id")
    world.missing_values.pop("item_id")
    world.wrong_role = factories.create_user("manager", "admin")
    return world


@route("meetings.add_item")
def agenda_add() -> World:
    world = _agenda_world(item=False)
    world.form["request_id"] = world.request.id
    return world


@route("meetings.move_item")
def agenda_move() -> World:
    return _agenda_world(form={"direction": "up"})


@route("meetings.remove_item")
def agenda_remove() -> World:
    return _agenda_world()


@route("meetings.item_minutes")
def agenda_minutes() -> World:
    return _agenda_world(form={"minutes": "20"})


@route("meetings.reorder")
def agenda_reorder() -> World:
    world = _agenda_world()
    world.form["item_ids"] = [world.values.pop("item_id")]
    world.missing_values.pop("item_id")
    return world


@route("meetings.add_guest")
def agenda_guest() -> World:
    world = _agenda_world()
    world.form.update({"name": "Sari Sosiaalityö", "email": "sari@example.fi",
                       "organisation_id": world.request.referrer.organisation_id})
    return world


@route("meetings.send")
def agenda_send() -> World:
    world = _agenda_world()
    world.values.pop("item_id")
    world.missing_values.pop("item_id")
    return world


@route("meetings.attendance")
def agenda_attendance() -> World:
    from datetime import timedelta

    from consult.timeutil import utcnow

    world = _agenda_world(item=False, starts_at=utcnow() - timedelta(minutes=5),
                          state="agenda_sent")
    world.form = {"present": [f"u-{world.owner.id}"]}
    return world


@route("consultations.handover")
def request_handover() -> World:
    world = _request_world()
    colleague = factories.create_user("referrer", organisation=world.owner.organisation)
    world.form = {"referrer_id": colleague.id}
    world.wrong_role = factories.create_user("member", "physician", "manager", "admin",
                                             organisation=world.owner.organisation)
    return world


@route("physician.inbox")
def physician_inbox() -> World:
    physician = factories.create_user("physician")
    for urgent in (False, True, False):  # rows, so the statement budget sees a real list
        factories.create_submitted_request(physician=physician, urgent=urgent)
    return World(owner=physician,
                 wrong_role=factories.create_user("referrer", "coordinator", "member",
                                                  "manager", "admin"))


@route("notifications.list", "notifications.mark_all_read")
def notifications_page() -> World:
    physician = factories.create_user("physician")
    referrer = factories.create_user("referrer")
    request = factories.create_submitted_request(physician=physician, referrer=referrer)
    factories.create_notification(referrer, request, kind="message")
    factories.create_notification(referrer, request, kind="book_slot", read=True)
    # Every role may see their own notifications: no wrong role, and no object id.
    return World(owner=referrer)


# Availability: the physician's own rules, absences and slots ------------------------

NOT_A_PHYSICIAN = ("referrer", "coordinator", "member", "manager", "admin")


def _availability_world(**form) -> World:
    """The owner is a physician with weekly rules; the outsider is another physician."""
    physician = factories.create_user("physician")
    return World(owner=physician, outsider=factories.create_user("physician"),
                 wrong_role=factories.create_user(*NOT_A_PHYSICIAN), form=form)


def _slots_of(physician) -> list:
    from sqlalchemy import select

    from consult.extensions import db
    from consult.scheduling.models import Slot

    return list(db.session.scalars(select(Slot).where(Slot.physician_id == physician.id)
                                   .order_by(Slot.starts_at)))


def _generated_slot(physician):
    factories.create_rule(physician, weekday=2, start="09:00", end="11:00", generate=True)
    return _slots_of(physician)[0]


@route("availability.page")
def availability_page() -> World:
    from datetime import timedelta

    from consult.scheduling.availability import generate_slots
    from consult.timeutil import today

    world = _availability_world()
    owner = world.owner
    world.outsider = None  # the page shows the user's own availability, no id
    for weekday in range(1, 8):  # slots every day, so the budget sees a full week
        factories.create_rule(owner, weekday=weekday, start="08:00", end="16:00")
    factories.create_absence(owner, today() + timedelta(days=20), reason="Koulutus")
    generate_slots(owner)
    booked, blocked = _slots_of(owner)[1:3]  # among the earliest: mostly this week
    factories.create_booking(booked)
    blocked.is_blocked = True
    return world


@route("availability.add_rule")
def availability_add_rule() -> World:
    world = _availability_world(weekday=3, start_time="13:00", end_time="15:00",
                                slot_minutes=30, mode="in_person",
                                location="Työterveysasema, huone 12")
    world.outsider = None  # creates the user's own rule, no id
    return world


@route("availability.delete_rule")
def availability_delete_rule() -> World:
    world = _availability_world()
    rule = factories.create_rule(world.owner, weekday=4, generate=True)
    world.values, world.missing_values = {"rule_id": rule.id}, {"rule_id": 999999}
    return world


@route("availability.add_absence")
def availability_add_absence() -> World:
    from datetime import timedelta

    from consult.timeutil import today

    world = _availability_world(starts_on=(today() + timedelta(days=14)).isoformat(),
                                ends_on=(today() + timedelta(days=16)).isoformat(),
                                reason="Loma")
    world.outsider = None  # creates the user's own absence, no id
    return world


@route("availability.delete_absence")
def availability_delete_absence() -> World:
    from datetime import timedelta

    from consult.timeutil import today

    world = _availability_world()
    absence = factories.create_absence(world.owner, today() + timedelta(days=7),
                                       today() + timedelta(days=9))
    world.values, world.missing_values = {"absence_id": absence.id}, {"absence_id": 999999}
    return world


@route("availability.block_slot")
def availability_block_slot() -> World:
    world = _availability_world()
    slot = factories.create_slot(world.owner)
    world.values, world.missing_values = {"slot_id": slot.id}, {"slot_id": 999999}
    return world


@route("availability.unblock_slot")
def availability_unblock_slot() -> World:
    world = _availability_world()
    slot = _generated_slot(world.owner)
    slot.is_blocked = True
    world.values, world.missing_values = {"slot_id": slot.id}, {"slot_id": 999999}
    return world


# Meetings: the list, and the coordinator's new, change and cancel forms ---------------

NOT_A_COORDINATOR = ("referrer", "member", "physician", "manager", "admin")


def _meeting_form(day=None, **changes) -> dict:
    from datetime import timedelta

    from consult.timeutil import today

    form = {"day": (day or today() + timedelta(days=10)).isoformat(), "start_time": "09:00",
            "minutes": "120", "location": "Kokoushuone 2", "video_link": ""}
    form.update(changes)
    return form


def _coordinated_meeting_world(**form) -> World:
    """A draft meeting of the owner's team; the outsider coordinates another team."""
    from consult.meetings.services import local_day

    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    meeting = factories.create_meeting(team)
    return World(owner=coordinator, values={"meeting_id": meeting.id},
                 missing_values={"meeting_id": 999999},
                 outsider=factories.create_user("coordinator"),
                 wrong_role=factories.create_user(*NOT_A_COORDINATOR),
                 form=_meeting_form(local_day(meeting), **form) if form else {})


@route("meetings.list")
def meetings_list() -> World:
    """A coordinator who also refers: the team's meetings in every state, and another
    team's meeting with a case of the owner's organisation on its agenda."""
    from datetime import timedelta

    from consult.consultations import services as consultations
    from consult.meetings import agenda
    from consult.timeutil import utcnow

    owner = factories.create_user("coordinator", "referrer")
    team = factories.create_team(coordinators=[owner],
                                 members=[factories.create_user("member")])
    now = utcnow()
    for days, state in ((-30, "protocol_finalised"), (-2, "held"), (1, "agenda_sent"),
                        (3, "cancelled"), (8, "draft"), (40, "draft")):
        factories.create_meeting(team, starts_at=now + timedelta(days=days), state=state)
    other_coordinator = factories.create_user("coordinator")
    other_team = factories.create_team(coordinators=[other_coordinator])
    request = factories.create_submitted_request(team=other_team, referrer=owner)
    consultations.perform(request, "accept", other_coordinator)
    agenda.add_item(factories.create_meeting(other_team), request, by=other_coordinator)
    factories.create_meeting(other_team)  # not the owner's to see
    return World(owner=owner, wrong_role=factories.create_user("manager", "admin"))


@route("meetings.new")
def meetings_new() -> World:
    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    return World(owner=coordinator, values={"team_id": team.id},
                 missing_values={"team_id": 999999},
                 outsider=factories.create_user("coordinator"),  # another team's
                 wrong_role=factories.create_user(*NOT_A_COORDINATOR),
                 form=_meeting_form(repeat="none", nth="1", until=""))


@route("meetings.edit")
def meetings_edit() -> World:
    return _coordinated_meeting_world(start_time="10:00", minutes="90",
                                      video_link="https://video.example.fi/tiimi")


@route("meetings.cancel")
def meetings_cancel() -> World:
    world = _coordinated_meeting_world()
    world.form = {"scope": "one"}
    return world


def _run_world(*, started=True) -> World:
    """A meeting today with a case on its sent agenda; started (held, the case's
    protocol open) unless told otherwise."""
    from datetime import timedelta

    from consult.meetings import agenda
    from consult.protocols import services as records
    from consult.timeutil import utcnow

    world = _agenda_world(starts_at=utcnow() - timedelta(minutes=5))
    meeting = world.meeting
    agenda.send_agenda(meeting, by=world.owner)
    if started:
        records.start_meeting(meeting, by=world.owner)
        world.protocol = records.protocol_of(world.request, meeting.items[0])
    world.form = {}
    return world


@route("meetings.run", "meetings.protocol")
def run_view() -> World:
    world = _run_world()
    world.values.pop("item_id")
    world.missing_values.pop("item_id")
    world.wrong_role = factories.create_user("referrer", "manager", "admin")
    return world


@route("meetings.start")
def run_start() -> World:
    world = _run_world(started=False)
    world.values.pop("item_id")
    world.missing_values.pop("item_id")
    return world


@route("meetings.carry_over")
def run_carry_over() -> World:
    return _run_world()


def _record_world(*, notes=False, form=None) -> World:
    """The started meeting's protocol: members (and the team's physician) write notes,
    the coordinator everything."""
    world = _run_world()
    world.values = {"protocol_id": world.protocol.id}
    world.missing_values = {"protocol_id": 999999}
    world.wrong_role = factories.create_user("referrer", "manager", "admin",
                                             *(() if notes else ("member",)))
    world.form = form or {}
    return world


@route("protocols.save_notes", "protocols.autosave_notes")
def record_notes() -> World:
    return _record_world(notes=True, form={"revision": "0", "health": "Kipu rajoittaa"})


@route("protocols.save_outcome")
def record_outcome() -> World:
    return _record_world(form={"attendees": "Tiimi", "path": "work", "follow_up_on": ""})


@route("protocols.add_recommendation")
def record_recommendation() -> World:
    return _record_world(form={"text": "Työkokeilu", "service_id": ""})


@route("protocols.remove_recommendation")
def record_recommendation_removal() -> World:
    from consult.protocols import services as records

    world = _record_world()
    added = records.add_recommendation(world.protocol, "Työkokeilu", by=world.owner)
    world.values["recommendation_id"] = added.id
    world.missing_values["recommendation_id"] = 999999
    return world


@route("protocols.add_action_item")
def record_action_item() -> World:
    world = _record_world()
    world.form = {"what": "Hakemus Kelaan", "responsible": f"u-{world.owner.id}", "due_on": ""}
    return world


@route("protocols.finalise")
def record_finalise() -> World:
    return _record_world(form={"confirmed": "y"})


@route("protocols.add_addendum")
def record_addendum() -> World:
    from consult.protocols import services as records

    world = _record_world(form={"text": "Korjaus"})
    records.finalise(world.protocol, by=world.owner)
    return world


@route("protocols.physician_record")
def physician_record() -> World:
    from consult.scheduling import booking

    world = _physician_world()
    booking.book(world.request, world.slots[0], world.owner)
    return world


def _discussed_world() -> World:
    """A team case whose protocol is finalised, with a recommendation and an action
    item for its referrer (the owner) due in two weeks; the outsider is a referrer of
    another organisation, the wrong role a manager and admin of the owner's."""
    from datetime import timedelta

    from consult.protocols import services as records
    from consult.timeutil import today

    world = _run_world()
    coordinator, request = world.owner, world.request
    records.add_recommendation(world.protocol, "Työkokeilu", by=coordinator)
    records.add_action_item(world.protocol, "Hakemus Kelaan", responsible_user=request.referrer,
                            due_on=today() + timedelta(days=14), by=coordinator)
    records.finalise(world.protocol, by=coordinator)
    return World(owner=request.referrer, values={"request_id": request.id},
                 missing_values={"request_id": 999999},
                 outsider=factories.create_user("referrer"),
                 wrong_role=factories.create_user("manager", "admin",
                                                  organisation=request.referrer.organisation))


@route("protocols.case_record")
def case_record() -> World:
    return _discussed_world()


@route("followups.record")
def follow_up() -> World:
    world = _discussed_world()
    world.wrong_role = factories.create_user("coordinator", "member", "physician", "manager",
                                             "admin", organisation=world.owner.organisation)
    world.form = {"path_taken": "work", "situation": "Töissä", "kykyviisari_score": "7",
                  "meeting_needed": "yes", "plan_changed": "yes"}
    return world


@route("actions.list")
def action_list() -> World:
    world = _discussed_world()
    world.values, world.missing_values, world.outsider = {}, {}, None  # everyone's own list
    return world


@route("actions.complete")
def action_complete() -> World:
    from consult.protocols.models import ActionItem

    world = _discussed_world()
    item = ActionItem.query.filter_by(what="Hakemus Kelaan").order_by(ActionItem.id.desc()).first()
    world.values, world.missing_values = {"item_id": item.id}, {"item_id": 999999}
    world.form = {"note": "Tehty"}
    return world


# A case's final record on paper (protocols/print_views.py) ----------------------------

@route("protocols.record_pdf", "protocols.client_summary_pdf")
def printable_record() -> World:
    return _discussed_world()


@route("outbox.admin")
def outbox_page() -> World:
    return _admin_world()


@route("outbox.retry")
def outbox_retry() -> World:
    from consult.extensions import db
    from consult.outbox.models import OutboxMessage

    message = OutboxMessage(message_id="<dead-1@example.fi>", kind="notification",
                            recipient="someone@example.fi", subject="Agenda", body="Agenda\n",
                            state="dead", attempts=8, last_error="Connection refused")
    db.session.add(message)
    db.session.flush()
    return _admin_world(values={"message_id": message.id}, missing={"message_id": 999999})


@route("invites.meeting_ics")
def meeting_calendar_download() -> World:
    return meeting_page()


@route("invites.booking_ics")
def booking_calendar_download() -> World:
    from consult.scheduling import booking

    world = _physician_world()
    booking.book(world.request, world.slots[0], world.owner)
    # _physician_world's wrong role is also a referrer, who may read requests.
    world.wrong_role = factories.create_user("manager", "admin")
    return world


@route("invites.create_feed", "invites.revoke_feed")
def calendar_feed_address() -> World:
    from consult.invites import feeds

    owner = factories.create_user("member")
    feeds.create_feed(owner)  # something for revoking (and the CSRF check) to change
    return World(owner=owner)


@route("indicators.page", "indicators.csv")
def indicators() -> World:
    """Numbers of the coordinator's own teams; the team is a filter (another team's is
    404, tested in test_indicators.py), not part of the URL."""
    coordinator = factories.create_user("coordinator")
    factories.create_team(coordinators=[coordinator])
    return World(owner=coordinator,
                 wrong_role=factories.create_user("referrer", "member", "physician", "admin"))


@route("second_factor.enrol")
def second_factor_enrol() -> World:
    # Without a key being set up in the session, the POST answers 303 (back to set-up).
    return World(owner=factories.create_user("referrer"), form={"code": "123456"})


@route("second_factor.recovery_codes", "second_factor.turn_off")
def second_factor_on() -> World:
    from consult.accounts import second_factor

    owner = factories.create_user("referrer", second_factor=True)
    recovery_code = second_factor.new_recovery_codes(owner)[0]
    return World(owner=owner, form={"recovery-code": recovery_code,
                                    "off-password": factories.PASSWORD,
                                    "off-code": recovery_code})

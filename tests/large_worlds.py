"""Large worlds for the statement budget (SPEC §10: at most 12 statements per page,
whatever the data's shape).

`grow(grower, world, endpoint)` takes a page's world of tests/route_registry.py and
makes long whatever that page lists: its meeting's agenda (CASES cases, GUESTS guests
on each), its team (many coordinators and members, a full inbox), its case's history
(messages, events, versions, guests, notifications; its record's recommendations,
action items and addenda), its client's file (consents, access events), and the
owner's own work (cases in every state, records, action items, notifications, booked
times, sessions). `busy_user` makes a user of some roles with all of their work, for
My work.

Every listed row brings its own related rows (each case its own referrer, client and
organisation; messages and events by several people), so that a page that loads a
related row per listed row pays for it in its count instead of finding one shared row
in the session.

The rows go straight into the tables, many at a time (one INSERT per table and flush),
as they would be after the services' acts: through the services, one row and one
flush at a time with the notices and e-mails of every act, the worlds of every page
took 45 s to build on PostgreSQL."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pyotp
from sqlalchemy import or_, select

from consult.accounts.models import LoginSession, User, UserRole
from consult.audit.models import AuditEvent
from consult.catalogue.models import Service
from consult.clients.models import Client
from consult.consents.models import Consent
from consult.consultations.models import (ConsultationRequest, Notification, PreForm,
                                          PreFormVersion, RequestEvent, RequestGuest,
                                          RequestMessage)
from consult.extensions import db
from consult.meetings import agenda as agendas
from consult.meetings.models import AgendaGuest, AgendaItem, Attendance, Meeting
from consult.organisations.models import ORGANISATION_KINDS, Organisation, Team, TeamMembership
from consult.outbox.models import OutboxMessage
from consult.protocols.models import ActionItem, Addendum, Protocol, Recommendation
from consult.scheduling.availability import monday_of, utc_bounds
from consult.scheduling.models import Booking, Slot
from consult.timeutil import today, utcnow
from tests import factories

CASES = 16        # cases on an agenda, in an inbox, of a referrer, of a physician
GUESTS = 2        # guests on each case of an agenda
MEMBERS = 12      # members added to a team
COORDINATORS = 4  # coordinators added to a team
HISTORY = 15      # messages, events, versions, notifications, addenda … of one case

DRAFT = {"wishes_goals.wishes_goals": "Haluaa palata työelämään osa-aikaisesti.",
         "question.question": "Mikä kuntoutus sopisi?", "health.client_view": "Selkä kipeytyy"}

# The acts that bring a new request to each state: (act, from, to, by whom).
WAY_TO = {
    "draft": (),
    "submitted": (("submit", "draft", "submitted", "referrer"),),
    "returned": (("submit", "draft", "submitted", "referrer"),
                 ("return_for_completion", "submitted", "returned", "decider")),
    "accepted": (("submit", "draft", "submitted", "referrer"),
                 ("accept", "submitted", "accepted", "decider")),
}
WAY_TO["scheduled"] = WAY_TO["accepted"] + (
    ("schedule_on_agenda", "accepted", "scheduled", "decider"),)
WAY_TO["discussed"] = WAY_TO["scheduled"] + (
    ("finalise_protocol", "scheduled", "discussed", "decider"),)
PHYSICIAN_WAY_TO = dict(WAY_TO, scheduled=WAY_TO["submitted"] + (
    ("book_slot", "submitted", "scheduled", "decider"),))
PHYSICIAN_WAY_TO["discussed"] = PHYSICIAN_WAY_TO["scheduled"] + (
    ("sign_note", "scheduled", "discussed", "decider"),)

_serial = itertools.count(1)


# Rows -------------------------------------------------------------------------------

def organisation() -> Organisation:
    n = next(_serial)
    made = Organisation(name=f"Iso organisaatio {n}", region="Pirkanmaa",
                        kind=ORGANISATION_KINDS[n % len(ORGANISATION_KINDS)])
    db.session.add(made)
    return made


def person(*roles: str, of: Organisation | None = None) -> User:
    """A user of their own organisation (unless given), not flushed yet."""
    n = next(_serial)
    user = User(email=f"iso{n}@example.fi", name=f"Henkilö {n}", language="en",
                organisation=of or organisation(), password_hash=factories.password_hash())
    user.role_rows = [UserRole(role=role) for role in roles]
    if "admin" in roles:  # administrators log in with a second factor
        user.totp_secret, user.totp_enabled_at = pyotp.random_base32(32), utcnow()
    db.session.add(user)
    return user


def identity_code(n: int) -> str:
    """A temporary identity code of its own for each n (below 33,600)."""
    birth = f"{n % 28 + 1:02d}{n // 28 % 12 + 1:02d}85-"
    return factories.identity_code(birth=birth, number=900 + n // 336 % 100)


def cases(n: int, *, team: Team | None = None, physician: User | None = None,
          referrer: User | None = None, client: Client | None = None, state: str = "submitted",
          mode: str | None = None, guests: int = 0, urgent_every: int = 0
          ) -> list[ConsultationRequest]:
    """`n` requests to the team or the physician, each of its own referrer (unless
    given) and client (unless given) with a consent that names every organisation the
    case involves; submitted some days ago with the pre-form's first version and moved
    on to `state` with the events of the way; `guests` proposed by the referrer."""
    referrers = [referrer or person("referrer") for _ in range(n)]
    db.session.flush()
    involved = team.participating_organisations() if team is not None \
        else [physician.organisation]
    decider = team.coordinators[0] if team is not None else physician
    way = (WAY_TO if team is not None else PHYSICIAN_WAY_TO)[state]
    made = []
    for i, who in enumerate(referrers):
        k = next(_serial)
        own = client or Client(organisation=who.organisation, last_name=f"Asiakas{k}",
                               first_names="Testi", identity_code=identity_code(k),
                               created_by_id=who.id)
        if client is None:
            own.refresh_name_key()
        named = {o.id: o for o in (who.organisation, *involved)}
        db.session.add(Consent(client=own, organisations=list(named.values()),
                               given_on=today() - timedelta(days=30),
                               valid_until=today() + timedelta(days=300),
                               recorded_by_id=who.id))
        at = utcnow() - timedelta(days=k % 20 + 2, minutes=k)
        urgent = bool(urgent_every) and i % urgent_every == 0
        request = ConsultationRequest(
            client=own, organisation_id=who.organisation_id, referrer=who, target_team=team,
            target_physician=physician, state=state,
            mode=mode or ("team_meeting" if team is not None else "video"),
            urgency="urgent" if urgent else "normal",
            urgency_reason="Etuus päättyy" if urgent else "",
            first_submitted_at=at if way else None, preform=PreForm(draft=dict(DRAFT)))
        if way:
            request.preform.versions.append(PreFormVersion(
                number=1, content=dict(DRAFT), frozen_by_id=who.id, frozen_at=at))
        for step, (act, source, target, by) in enumerate(way):
            request.events.append(RequestEvent(
                act=act, from_state=source, to_state=target, at=at + timedelta(hours=step),
                actor_id=(who if by == "referrer" else decider).id,
                message="Täydennä" if act == "return_for_completion" else ""))
        for g in range(guests):
            request.guests.append(RequestGuest(
                name=f"Vieras {k}.{g}", organisation=who.organisation,
                email=f"vieras{k}.{g}@example.fi", proposed_by_id=who.id))
        made.append(request)
    db.session.add_all(made)
    db.session.flush()
    return made


def final_records(requests: list[ConsultationRequest], *, kind: str = "protocol"
                  ) -> list[Protocol]:
    """The record of each discussed request, final since some days, its follow-up
    due around today."""
    made = []
    for n, request in enumerate(requests):
        made.append(Protocol(request=request, kind=kind, notes={"health": "Kipu rajoittaa"},
                             attendees="Tiimi", path="work",
                             finalised_at=utcnow() - timedelta(days=n % 12 + 1),
                             follow_up_on=today() + timedelta(days=n - 6)))
    db.session.add_all(made)
    db.session.flush()
    return made


def action_items(protocols, *, user: User | None = None,
                 organisation: Organisation | None = None) -> None:
    """One open action item on each record, of the user or of the organisation, due
    from a week ago on (and one without a date)."""
    db.session.add_all(ActionItem(
        protocol=protocol, what=f"Tehtävä {n}", responsible_user=user,
        responsible_organisation=organisation,
        due_on=None if n == 0 else today() + timedelta(days=n - 7))
        for n, protocol in enumerate(protocols))
    db.session.flush()


def cover(requests: list[ConsultationRequest]) -> None:
    """A new consent of each request's client naming every organisation the case
    involves now (after the team grew)."""
    for request in requests:
        involved = request.target_team.participating_organisations() \
            if request.target_team is not None else [request.target_physician.organisation]
        named = {o.id: o for o in (request.referrer.organisation, *involved)}
        db.session.add(Consent(client_id=request.client_id, organisations=list(named.values()),
                               given_on=today() - timedelta(days=1),
                               valid_until=today() + timedelta(days=300),
                               recorded_by_id=request.referrer_id))
    db.session.flush()
    for request in requests:
        db.session.expire(request.client, ["consents"])


class Grower:
    """Grows each object once (pages share worlds, and teams several meetings)."""

    def __init__(self):
        self.done: set[tuple[str, int]] = set()
        self.services: list[Service] = []
        self.shared_team: Team | None = None
        self.finals: dict[int, list[Protocol]] = {}

    def first_time(self, kind: str, obj) -> bool:
        key = (kind, obj.id)
        if key in self.done:
            return False
        self.done.add(key)
        return True

    def catalogue(self) -> list[Service]:
        """Services for recommendations to point to."""
        if not self.services:
            self.services = [Service(category="kela", organisation_kind="kela",
                                     name_fi=f"Palvelu {n}", name_sv=f"Tjänst {n}",
                                     name_en=f"Service {n}") for n in range(8)]
            db.session.add_all(self.services)
            db.session.flush()
        return self.services

    # Teams -------------------------------------------------------------------------

    def crowd(self, team: Team) -> Team:
        """Many coordinators and members, each of their own organisation, and a
        physician; the team's cases get a consent that names them all."""
        if not self.first_time("crowd", team):
            return team
        for role, n in (("member", MEMBERS), ("coordinator", COORDINATORS)):
            team.memberships.extend(TeamMembership(user=person(role), role=role)
                                    for _ in range(n))
        if team.physician is None:
            team.physician = person("physician")
        db.session.flush()
        cover(list(db.session.scalars(select(ConsultationRequest).where(
            ConsultationRequest.target_team_id == team.id))))
        return team

    def shared(self) -> Team:
        """The large team of those who need one."""
        if self.shared_team is None:
            self.shared_team = factories.create_team(coordinators=[person("coordinator")])
            self.crowd(self.shared_team)
        return self.shared_team

    def team_of(self, user: User, *, join: bool = True) -> Team | None:
        """A team of the user's (as coordinator, member or physician), or else the
        shared large team, which they join in their roles."""
        team = db.session.scalars(select(Team).where(or_(
            Team.memberships.any(TeamMembership.user_id == user.id),
            Team.physician_id == user.id)).order_by(Team.id)).first()
        if team is None and join:
            team = self.shared()
            team.memberships.extend(TeamMembership(user=user, role=role)
                                    for role in ("coordinator", "member") if user.has_role(role))
            db.session.flush()
        return team

    def inbox(self, team: Team) -> None:
        """Requests to the team in every inbox state, urgent and not, each from a
        referrer of its own."""
        if not self.first_time("inbox", team):
            return
        self.crowd(team)
        for state in ("submitted", "returned", "accepted", "submitted"):
            cases(CASES // 4, team=team, state=state, urgent_every=3)

    # Meetings ----------------------------------------------------------------------

    def agenda(self, meeting: Meeting, n: int = CASES) -> None:
        """`n` more cases on the meeting's agenda, each of its own referrer and client
        with GUESTS guests, and accepted cases waiting for an agenda; on a held
        meeting each case has its protocol, and on its day attendance is marked."""
        if not self.first_time("agenda", meeting):
            return
        team = self.crowd(meeting.team)
        placed = cases(n, team=team, state="scheduled", guests=GUESTS, urgent_every=5)
        position = max((i.position for i in meeting.items), default=0)
        items = [AgendaItem(meeting=meeting, request=request, position=position + k,
                            minutes=team.minutes_per_case,
                            guests=[AgendaGuest(name=g.name, organisation=g.organisation,
                                                email=g.email) for g in request.guests])
                 for k, request in enumerate(placed, start=1)]
        db.session.add_all(items)
        cases(3, team=team, state="accepted")  # for the agenda to come
        if meeting.state == "held":
            db.session.add_all(Protocol(request=item.request, agenda_item=item, kind="protocol",
                                        notes={"health": "Kipu"}) for item in items)
        db.session.flush()
        if agendas.can_mark_attendance(meeting):
            coordinator = team.coordinators[0]
            db.session.add_all(Attendance(meeting=meeting, user_id=p.user_id,
                                          guest_id=p.guest_id, attended=k % 3 > 0,
                                          marked_by_id=coordinator.id)
                               for k, p in enumerate(agendas.participants(meeting)))
            db.session.flush()

    # A case's history --------------------------------------------------------------

    def history(self, request: ConsultationRequest) -> None:
        """A long life: guests, the thread with the team or physician, returns and
        resubmissions (events and frozen versions) by several people, notifications;
        the lists of its records."""
        if not self.first_time("history", request):
            return
        cover([request])
        referrer = request.referrer
        deciders = (request.target_team.coordinators if request.target_team is not None
                    else [request.target_physician])
        people = [referrer, *deciders]
        if request.state in ("draft", "submitted", "returned", "accepted"):
            for g in range(GUESTS + 2):
                request.guests.append(RequestGuest(
                    name=f"Vieras {g}", organisation=referrer.organisation,
                    email=f"vieras{g}@example.fi", proposed_by_id=referrer.id))
        if request.state != "draft":
            number = len(request.preform.versions)
            for n in range(HISTORY):
                decider = deciders[n % len(deciders)]
                request.messages.append(RequestMessage(author_id=people[n % len(people)].id,
                                                       body=f"Viesti {n}"))
                request.events.extend((
                    RequestEvent(actor_id=decider.id, act="return_for_completion",
                                 from_state="submitted", to_state="returned",
                                 message=f"Täydennä {n}"),
                    RequestEvent(actor_id=referrer.id, act="resubmit", from_state="returned",
                                 to_state="submitted")))
                request.preform.versions.append(PreFormVersion(
                    number=number + n + 1, content=dict(DRAFT), frozen_by_id=referrer.id))
                db.session.add(Notification(user_id=people[(n + 1) % len(people)].id,
                                            request_id=request.id, kind="message",
                                            read_at=utcnow() if n % 2 else None))
        db.session.flush()
        for protocol in db.session.scalars(select(Protocol).where(
                Protocol.request_id == request.id)):
            self.record_lists(protocol)

    def record_lists(self, protocol: Protocol) -> None:
        """Recommendations (most pointing to a service), action items of as many
        people and organisations (some done), and a final record's addenda, each by
        another person."""
        services = self.catalogue()
        responsible = [person("member") for _ in range(HISTORY)]
        for n in range(HISTORY):
            protocol.recommendations.append(Recommendation(
                position=100 + n, text=f"Suositus {n}",
                service=services[n % len(services)] if n % 3 else None))
            done = n % 5 == 0
            protocol.action_items.append(ActionItem(
                what=f"Tehtävä {n}", due_on=today() + timedelta(days=n - 5),
                responsible_user=responsible[n] if n % 2 else None,
                responsible_organisation=None if n % 2 else organisation(),
                state="done" if done else "open", completed_at=utcnow() if done else None,
                completed_by=responsible[n] if done else None))
            if protocol.is_final:
                protocol.addenda.append(Addendum(text=f"Lisäys {n}", author=responsible[n]))
        db.session.flush()

    # A client's file ---------------------------------------------------------------

    def client_file(self, client: Client, by: User) -> None:
        """Consents over the years naming many organisations, requests to a team and
        to physicians, and the access events of many people."""
        if not self.first_time("client", client):
            return
        for n in range(6):
            given = today() - timedelta(days=400 - 60 * n)
            db.session.add(Consent(
                client=client, organisations=[by.organisation, *(organisation()
                                                                 for _ in range(4))],
                given_on=given, valid_until=given + timedelta(days=365), recorded_by_id=by.id,
                withdrawn_on=given + timedelta(days=30) if n == 0 else None))
        cases(3, team=self.shared(), referrer=by, client=client, state="accepted")
        cases(3, physician=person("physician"), referrer=by, client=client)
        readers = [person("referrer", of=by.organisation) for _ in range(HISTORY)]
        db.session.flush()
        db.session.add_all(AuditEvent(user_id=reader.id, organisation_id=reader.organisation_id,
                                      client_id=client.id, object_type="client",
                                      object_id=client.id, action="view", purpose="client")
                           for reader in readers)
        db.session.flush()
        db.session.expire(client, ["consents"])

    # A user's own work -------------------------------------------------------------

    def own_work(self, user: User) -> None:
        """Whatever each of the user's roles has to do, at length; notices about many
        cases; sessions on other devices."""
        if not self.first_time("user", user):
            return
        if user.has_role("referrer"):
            self._referrer(user)
        if user.has_role("coordinator", "member") or self.team_of(user, join=False):
            self._team_work(user)
        if user.has_role("physician"):
            self._physician(user)
        latest = db.session.scalars(select(ConsultationRequest.id).order_by(
            ConsultationRequest.id.desc()).limit(HISTORY)).all()
        now = utcnow()
        db.session.add_all(Notification(user_id=user.id, request_id=request_id,
                                        kind=("message", "submit", "accept")[n % 3],
                                        created_at=now - timedelta(hours=n),
                                        read_at=now if n % 3 == 0 else None)
                           for n, request_id in enumerate(latest))
        db.session.add_all(LoginSession(token_hash=f"{user.id:08d}{n:056d}", user_id=user.id,
                                        remote_addr=f"192.0.2.{n}",
                                        last_seen_at=now - timedelta(hours=n))
                           for n in range(HISTORY))
        db.session.flush()

    def _referrer(self, user: User) -> None:
        """Cases of clients of the user's organisation in every state, to a team and to
        a physician; final records, new and with follow-ups due, with action items of
        the user's and of the organisation's."""
        team = self.shared()
        for state in ("draft", "submitted", "returned", "accepted", "scheduled"):
            cases(2, team=team, referrer=user, state=state)
        cases(2, physician=person("physician"), referrer=user)
        finals = final_records(cases(CASES // 2, team=team, referrer=user, state="discussed"))
        action_items(finals, user=user)
        action_items(finals, organisation=user.organisation)

    def _team_work(self, user: User) -> None:
        """The user's team crowded, with its inbox, an agenda to come, a held meeting
        with cases still open, and action items of the user's on the team's final
        records."""
        team = self.team_of(user)
        self.inbox(team)
        if self.first_time("meetings", team):
            self.agenda(factories.create_meeting(team, state="agenda_sent"), n=4)
            self.agenda(factories.create_meeting(team, state="held",
                                                 starts_at=utcnow() - timedelta(days=1)), n=4)
            self.finals[team.id] = final_records(cases(CASES, team=team, state="discussed"))
        action_items(self.finals[team.id], user=user)

    def _physician(self, user: User) -> None:
        """Requests to the physician in every inbox state; booked times from yesterday
        to the end of the week (those begun are to be signed) and free ones; written
        statements to sign; signed notes with action items of the physician's."""
        now = utcnow()
        _start, end = utc_bounds(today(), monday_of(today()) + timedelta(days=7))
        step = max((end - now) / CASES, timedelta(minutes=30))
        for state in ("submitted", "returned"):
            cases(CASES // 4, physician=user, state=state, urgent_every=3)
        booked = cases(CASES // 2, physician=user, state="scheduled")
        cases(CASES // 4, physician=user, mode="written_statement", state="accepted")
        times = [now - timedelta(hours=20, minutes=n) if n % 4 == 0 else now + step * n
                 for n in range(CASES)]
        slots = [Slot(physician_id=user.id, mode="video", location="https://video.example.fi/x",
                      starts_at=at, ends_at=at + timedelta(minutes=30)) for at in times]
        db.session.add_all(slots)
        db.session.add_all(Booking(request=request, slot=slot, booked_by_id=user.id)
                           for request, slot in zip(booked, slots))
        finals = final_records(cases(CASES, physician=user, state="discussed"), kind="note")
        action_items(finals, user=user)


# Which pages list the owner's own work.
OWN_WORK_PAGES = {
    "home.my_work", "accounts.profile", "notifications.list", "actions.list",
    "consultations.requests_list", "consultations.new", "clients.register",
    "physician.inbox", "availability.page", "meetings.list", "indicators.page",
    "indicators.csv",
}


def grow(grower: Grower, world, endpoint: str) -> None:
    """The page's world, large where the page lists something."""
    values = world.values
    if "meeting_id" in values:
        grower.agenda(db.session.get(Meeting, values["meeting_id"]))
    if "team_id" in values:
        grower.inbox(db.session.get(Team, values["team_id"]))
    if "request_id" in values:
        grower.history(db.session.get(ConsultationRequest, values["request_id"]))
    if "client_id" in values:
        grower.client_file(db.session.get(Client, values["client_id"]), world.owner)
    if "user_id" in values:  # an administrator's page about a user: their cases
        user = db.session.get(User, values["user_id"])
        if user.has_role("referrer"):
            grower.own_work(user)
    if endpoint in OWN_WORK_PAGES:
        grower.own_work(world.owner)
    db.session.flush()


def busy_user(grower: Grower, *roles: str) -> User:
    """A user of these roles with long lists of everything they do; a physician is
    the shared large team's."""
    user = person(*roles)
    db.session.flush()
    if "physician" in roles:
        grower.team_of(user).physician = user
    grower.own_work(user)
    return user


def outbox(n: int = HISTORY) -> None:
    """Messages in every state, some dead, some overdue."""
    now = utcnow()
    db.session.add_all(OutboxMessage(
        message_id=f"<iso-{next(_serial)}@example.fi>", kind="notification",
        recipient=f"someone{i}@example.fi", subject="Asia", body="Asia\n",
        state=("pending", "sent", "dead")[i % 3], attempts=8 if i % 3 == 2 else 0,
        due_at=now - timedelta(minutes=10 + i),
        last_error="Connection refused" if i % 3 == 2 else "") for i in range(n))
    db.session.flush()

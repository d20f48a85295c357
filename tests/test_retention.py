"""`purge-expired` (SPEC §3, §9): closed cases go after CASE_RETENTION_DAYS with
everything that is theirs, open cases never, clients only with nothing left of them,
audit events only after AUDIT_RETENTION_DAYS; one transaction, counts only."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import exists, func, select

from consult.audit import services as audit
from consult.audit.models import AuditEvent
from consult.catalogue.models import Service
from consult.clients.models import Client
from consult.consents.models import Consent, consent_organisation
from consult.consultations.models import (
    ConsultationRequest, Notification, PreForm, PreFormVersion, RequestEvent, RequestGuest,
    RequestMessage, request_event_service)
from consult.consultations.states import OPEN_STATES
from consult.extensions import db
from consult.followups.models import FollowUp
from consult.meetings.models import AgendaGuest, AgendaItem, Attendance, Delivery, Meeting
from consult.outbox.models import OutboxMessage
from consult.protocols.models import ActionItem, Addendum, Protocol, Recommendation
from consult.retention import AUDIT_RETENTION_FLOOR_DAYS, FINAL_STATES
from consult.scheduling.models import Booking, Slot, SlotProposal
from consult.timeutil import utcnow
from tests import factories
from tests.conftest import database_now, make_app

NOW = datetime(2031, 3, 3, 10, 0)  # naive UTC, as stored
CASE_DAYS = 1826
CUTOFF = NOW - timedelta(days=CASE_DAYS)

# Every table whose rows belong to one case.
CASE_TABLES = (ConsultationRequest.__table__, PreForm.__table__, PreFormVersion.__table__,
               RequestEvent.__table__, request_event_service, RequestMessage.__table__,
               RequestGuest.__table__, Notification.__table__, AgendaItem.__table__,
               AgendaGuest.__table__, Attendance.__table__, Booking.__table__,
               SlotProposal.__table__, Protocol.__table__, Recommendation.__table__,
               ActionItem.__table__, Addendum.__table__, FollowUp.__table__,
               OutboxMessage.__table__)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW.replace(tzinfo=timezone.utc), tick=False):
        yield


@pytest.fixture
def world(app, frozen):
    coordinator = factories.create_user("coordinator")
    physician = factories.create_user("physician")
    team = factories.create_team(coordinators=[coordinator], physician=physician)
    service = Service(category="kela", organisation_kind="kela", name_fi="Kuntoutus",
                      name_sv="Rehabilitering", name_en="Rehabilitation")
    db.session.add(service)
    meeting = factories.create_meeting(team, starts_at=NOW - timedelta(days=CASE_DAYS + 30))
    # The meeting's own delivery to a member: the meeting's, not a case's.
    db.session.add(Delivery(meeting=meeting, user_id=coordinator.id, email=coordinator.email,
                            kind="request"))
    db.session.flush()
    return dict(coordinator=coordinator, physician=physician, team=team, service=service,
                meeting=meeting, slots=iter(range(100)))


def full_case(world, *, closed_at: datetime, state: str = "closed", client=None,
              referrer=None) -> ConsultationRequest:
    """A case with a row in every table a case owns, closed at `closed_at` (the event
    that reached `state`)."""
    coordinator, physician = world["coordinator"], world["physician"]
    request = factories.create_submitted_request(team=world["team"], client=client,
                                                 referrer=referrer)
    referrer = request.referrer
    db.session.add_all([
        RequestMessage(request=request, author_id=referrer.id, body="Viesti"),
        RequestGuest(request=request, name="Vieras", organisation_id=referrer.organisation_id,
                     email="vieras@example.fi", proposed_by_id=referrer.id),
        OutboxMessage(message_id=f"<m{request.id}@consult>", kind="notification",
                      recipient=referrer.email, request_id=request.id, subject="s", body="b"),
    ])
    factories.create_notification(coordinator, request)
    item = AgendaItem(meeting=world["meeting"], request=request, position=request.id,
                      minutes=20, state="finalised")
    guest = AgendaGuest(item=item, name="Vieras", organisation_id=referrer.organisation_id,
                        email="vieras@example.fi")
    db.session.add_all([item, guest])
    db.session.flush()
    db.session.add_all([
        Attendance(meeting_id=world["meeting"].id, guest_id=guest.id, marked_by_id=coordinator.id),
        Delivery(meeting_id=world["meeting"].id, item_id=item.id, guest_id=guest.id,
                 email=guest.email, kind="request"),
    ])
    slot = factories.create_slot(
        physician, starts_at=datetime(2030, 1, 7, 7, 0) + timedelta(hours=next(world["slots"])))
    factories.create_booking(slot, request, state="cancelled")
    db.session.add(SlotProposal(request_id=request.id, slot_id=slot.id))
    protocol = Protocol(request_id=request.id, agenda_item_id=item.id, kind="protocol",
                        finalised_at=closed_at)
    db.session.add(protocol)
    db.session.flush()
    db.session.add_all([
        Recommendation(protocol=protocol, position=1, text="Kuntoutus",
                       service_id=world["service"].id),
        ActionItem(protocol=protocol, what="Hae kuntoutusta"),
        Addendum(protocol=protocol, text="Korjaus", author_id=coordinator.id),
        FollowUp(request_id=request.id, path_taken="rehabilitation", situation="Kuntoutuksessa",
                 meeting_needed=True, plan_changed="yes", recorded_by_id=referrer.id),
    ])
    close(request, state, at=closed_at, services=[world["service"]])
    return request


def close(request, state: str, *, at: datetime, services=()) -> None:
    request.state = state
    event = RequestEvent(request=request, actor_id=request.referrer_id, act=state,
                         from_state="discussed", to_state=state, at=at)
    event.services = list(services)
    db.session.add(event)
    db.session.flush()


def count(table, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(table).where(*where))


def counts() -> dict:
    return {t.name: count(t) for t in db.metadata.sorted_tables}


def purge(runner, *args):
    result = runner.invoke(args=["purge-expired", *args])
    db.session.expire_all()
    return result


def orphans() -> list[str]:
    """Every row whose foreign key (or the outbox's case number) names a missing row."""
    found = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            missing = count(table, fk.parent.is_not(None),
                            ~exists().where(fk.column == fk.parent))
            if missing:
                found.append(f"{table.name}.{fk.parent.name}: {missing}")
    missing = count(OutboxMessage.__table__, OutboxMessage.request_id.is_not(None),
                    ~exists().where(ConsultationRequest.id == OutboxMessage.request_id))
    if missing:
        found.append(f"outbox_message.request_id: {missing}")
    return found


def test_the_final_states_are_the_four_closed_ones():
    assert set(FINAL_STATES) == {"closed", "resolved_at_consultation", "declined", "withdrawn"}


def test_a_case_closed_just_outside_the_period_goes_with_all_its_rows_and_one_inside_stays(
        world, runner):
    outside = full_case(world, closed_at=CUTOFF - timedelta(seconds=1))
    inside = full_case(world, closed_at=CUTOFF + timedelta(seconds=1))
    outside_id, inside_id = outside.id, inside.id
    db.session.commit()
    before = {t.name: count(t) for t in CASE_TABLES}
    # The two cases are built alike: each has the same rows, at least one in each table.
    assert all(n >= 2 and n % 2 == 0 for n in before.values()), before

    result = purge(runner)

    assert result.exit_code == 0, result.output
    assert "Cases deleted: 1." in result.output
    assert {t.name: count(t) for t in CASE_TABLES} == {k: n // 2 for k, n in before.items()}
    assert db.session.get(ConsultationRequest, outside_id) is None
    assert db.session.get(ConsultationRequest, inside_id) is not None
    assert count(AgendaItem.__table__, AgendaItem.request_id == inside_id) == 1
    assert orphans() == []
    # What is not the case's stays: the meeting and its own delivery, the slot, the service.
    assert count(Meeting.__table__) == 1 and count(Slot.__table__) == 2
    assert count(Delivery.__table__) == 2 and count(Service.__table__) == 1


def test_every_final_state_counts_from_the_event_that_reached_it(world, runner):
    gone = []
    for state in FINAL_STATES:
        request = factories.create_submitted_request(team=world["team"])
        close(request, state, at=CUTOFF - timedelta(minutes=1))
        gone.append(request.id)
    # Handed over after it was resolved: the handover does not restart its period.
    handed = factories.create_submitted_request(team=world["team"])
    close(handed, "resolved_at_consultation", at=CUTOFF - timedelta(minutes=1))
    db.session.add(RequestEvent(request=handed, act="handover", from_state=handed.state,
                                to_state=handed.state, at=NOW - timedelta(days=1)))
    gone.append(handed.id)
    recent = factories.create_submitted_request(team=world["team"])
    close(recent, "withdrawn", at=CUTOFF + timedelta(minutes=1))
    db.session.commit()

    assert purge(runner).exit_code == 0
    remaining = set(db.session.scalars(select(ConsultationRequest.id)))
    assert remaining == {recent.id}
    assert orphans() == []


def test_an_open_case_never_goes_however_old(world, runner):
    long_ago = NOW - timedelta(days=30 * 365)
    ids = []
    for state in OPEN_STATES:
        request = factories.create_submitted_request(team=world["team"])
        request.state = state
        request.created_at = request.updated_at = long_ago
        for event in request.events:
            event.at = long_ago
        ids.append(request.id)
    db.session.commit()

    result = purge(runner)

    assert result.exit_code == 0 and "Cases deleted: 0." in result.output
    assert sorted(db.session.scalars(select(ConsultationRequest.id))) == sorted(ids)


def client_with(world, *, cases=(), consent=None, registered=CUTOFF - timedelta(days=400)):
    """A client registered long ago with (state, closed_at) cases and one consent
    (valid_until, withdrawn_on)."""
    referrer = factories.create_user("referrer")
    person = factories.create_client(by=referrer, created_at=registered)
    for state, closed_at in cases:
        request = factories.create_submitted_request(team=world["team"], client=person,
                                                     referrer=referrer)
        if state in FINAL_STATES:
            close(request, state, at=closed_at)
    # create_submitted_request recorded a consent valid from today: replace them all.
    for old in list(person.consents):
        db.session.delete(old)
    db.session.flush()
    if consent is not None:
        valid_until, withdrawn_on = consent
        factories.create_consent(person, [referrer.organisation], given_on=date(2020, 1, 1),
                                 valid_until=valid_until, withdrawn_on=withdrawn_on, by=referrer)
    db.session.expire(person, ["consents"])
    return person.id


def test_a_client_goes_only_with_every_case_purged_and_no_consent_in_force_since_the_cutoff(
        world, runner):
    cutoff_day = CUTOFF.date()
    old = CUTOFF - timedelta(days=10)
    expired = client_with(world, cases=[("closed", old)],
                          consent=(cutoff_day - timedelta(days=1), None))
    withdrawn = client_with(world, cases=[("declined", old)],
                            consent=(cutoff_day + timedelta(days=900),
                                     cutoff_day - timedelta(days=1)))
    never_referred = client_with(world, consent=(cutoff_day - timedelta(days=5), None))
    with_open_case = client_with(world, cases=[("closed", old), ("accepted", None)],
                                 consent=(cutoff_day - timedelta(days=1), None))
    consent_in_force = client_with(world, cases=[("withdrawn", old)],
                                   consent=(cutoff_day, None))
    registered_recently = client_with(world, registered=NOW - timedelta(days=3))
    db.session.commit()

    result = purge(runner)

    assert result.exit_code == 0, result.output
    assert "force since the cutoff): 3." in result.output
    remaining = set(db.session.scalars(select(Client.id)))
    assert {expired, withdrawn, never_referred}.isdisjoint(remaining)
    assert {with_open_case, consent_in_force, registered_recently} <= remaining
    assert count(Consent.__table__, Consent.client_id.in_([expired, withdrawn])) == 0
    assert orphans() == []
    assert count(consent_organisation) == count(Consent.__table__)  # one organisation each


def test_audit_events_about_a_purged_case_stay_until_their_own_retention(world, runner):
    client_id = full_case(world, closed_at=CUTOFF - timedelta(days=1)).client_id
    about = count(AuditEvent.__table__, AuditEvent.client_id == client_id)
    db.session.commit()
    assert about > 0

    assert "Cases deleted: 1." in purge(runner).output
    assert count(AuditEvent.__table__, AuditEvent.client_id == client_id) == about


def audit_at(at: datetime) -> int:
    event = audit.record("view", object_type="client", object_id=1, client_id=1,
                         purpose="client_register")
    event.at = at  # still pending: written with this time
    db.session.flush()
    return event.id


def test_audit_events_older_than_their_retention_go_and_younger_stay(app, runner):
    # The database's clock: its triggers (migration 0013) compare with their own.
    with time_machine.travel(database_now().replace(tzinfo=timezone.utc), tick=False):
        now = utcnow()
        days = AUDIT_RETENTION_FLOOR_DAYS + 30
        app.config["AUDIT_RETENTION_DAYS"] = days
        older = audit_at(now - timedelta(days=days, hours=1))
        younger = audit_at(now - timedelta(days=days) + timedelta(hours=1))
        recent = audit_at(now - timedelta(days=1))
        db.session.commit()

        result = purge(runner)

    assert result.exit_code == 0, result.output
    assert "Audit events deleted: 1." in result.output
    kept = set(db.session.scalars(select(AuditEvent.id).where(
        AuditEvent.purpose != "retention_purge")))
    assert kept == {younger, recent}


def test_dry_run_counts_but_changes_nothing(world, runner):
    full_case(world, closed_at=CUTOFF - timedelta(days=1))
    client_with(world, cases=[("closed", CUTOFF - timedelta(days=1))],
                consent=(CUTOFF.date() - timedelta(days=1), None))
    db.session.commit()
    before = counts()

    result = purge(runner, "--dry-run")

    assert result.exit_code == 0, result.output
    assert "Cases to delete: 2." in result.output and "force since the cutoff): 1." in result.output
    assert "Dry run: nothing was deleted." in result.output
    assert counts() == before
    assert not purge_events()
    assert "Cases deleted: 2." in purge(runner).output


def purge_events():
    return db.session.scalars(select(AuditEvent).where(
        AuditEvent.purpose == "retention_purge")).all()


def test_a_purge_leaves_an_audit_event_with_its_counts_and_no_client(world, runner):
    full_case(world, closed_at=CUTOFF - timedelta(days=1))
    db.session.commit()

    assert purge(runner).exit_code == 0
    assert purge(runner).exit_code == 0  # a second run finds nothing, and says so too

    first, second = purge_events()
    assert (first.action, first.client_id, first.user_id) == ("delete", None, None)
    assert first.detail == "cases=1 clients=0 audit_events=0"
    assert second.detail == "cases=0 clients=0 audit_events=0"


def test_the_output_has_counts_and_never_client_data(world, runner):
    person = factories.create_client(last_name="Salainen", first_names="Sanna",
                                     created_at=CUTOFF - timedelta(days=100))
    full_case(world, closed_at=CUTOFF - timedelta(days=1), client=person)
    code = person.identity_code
    db.session.commit()

    output = purge(runner).output

    assert "request_event" in output and "pre_form_version" in output
    assert "Salainen" not in output and "Sanna" not in output and code not in output


def test_the_period_comes_from_the_configuration(world, runner, app):
    full_case(world, closed_at=NOW - timedelta(days=40))
    db.session.commit()
    assert "Cases deleted: 0." in purge(runner).output
    app.config["CASE_RETENTION_DAYS"] = 30
    assert "Cases deleted: 1." in purge(runner).output


@pytest.mark.parametrize("key, value, message", [
    ("AUDIT_RETENTION_DAYS", AUDIT_RETENTION_FLOOR_DAYS - 1, "at least 12 years"),
    ("CASE_RETENTION_DAYS", 0, "CASE_RETENTION_DAYS must be a whole number"),
    ("CASE_RETENTION_DAYS", "1826", "CASE_RETENTION_DAYS must be a whole number"),
])
def test_purge_refuses_a_bad_period_and_deletes_nothing(app, runner, key, value, message):
    app.config[key] = value
    result = purge(runner)
    assert result.exit_code == 1
    assert message in result.output


def test_the_app_refuses_to_start_with_audit_retention_below_the_legal_minimum(database_url):
    with pytest.raises(RuntimeError, match="AUDIT_RETENTION_DAYS is 3650"):
        make_app(database_url, AUDIT_RETENTION_DAYS=3650)
    assert make_app(database_url, AUDIT_RETENTION_DAYS=AUDIT_RETENTION_FLOOR_DAYS + 365)


def test_a_realistic_region_purged_leaves_no_orphans_and_every_open_case(app, runner):
    assert runner.invoke(args=["seed-volume", "--cases", "80", "--seed", "5"]).exit_code == 0
    states = dict(db.session.execute(select(ConsultationRequest.state, func.count())
                                      .group_by(ConsultationRequest.state)).all())
    app.config["CASE_RETENTION_DAYS"] = 1
    # Two days on, every case the seed closed (all before today) is past its period.
    later = utcnow().replace(tzinfo=timezone.utc) + timedelta(days=2)
    with time_machine.travel(later, tick=False):
        result = purge(runner)

    assert result.exit_code == 0, result.output
    closed = sum(n for state, n in states.items() if state in FINAL_STATES)
    assert closed > 0
    assert f"Cases deleted: {closed}." in result.output
    assert orphans() == []
    left = dict(db.session.execute(select(ConsultationRequest.state, func.count())
                                   .group_by(ConsultationRequest.state)).all())
    assert left == {state: n for state, n in states.items() if state in OPEN_STATES}


def test_login_housekeeping_rows_go_once_they_serve_nothing(app, runner):
    from consult.accounts.models import LoginAttempt, LoginSession, PasswordReset
    from consult.invites.models import CalendarFeed

    user = factories.create_user("referrer")
    now = utcnow()
    old, recent = now - timedelta(days=91), now - timedelta(days=1)
    db.session.add_all([
        LoginAttempt(email="a@example.fi", remote_addr="10.0.0.1", attempted_at=old),
        LoginAttempt(email="b@example.fi", remote_addr="10.0.0.1", attempted_at=recent),
        LoginSession(token_hash="d" * 64, user_id=user.id, created_at=now - timedelta(hours=3),
                     last_seen_at=now - timedelta(hours=2)),  # idle too long: dead
        LoginSession(token_hash="a" * 64, user_id=user.id, created_at=now, last_seen_at=now),
        PasswordReset(user_id=user.id, selector="old", secret_hash="x" * 64, created_at=old,
                      expires_at=old + timedelta(minutes=30)),
        PasswordReset(user_id=user.id, selector="new", secret_hash="y" * 64, created_at=now,
                      expires_at=now + timedelta(minutes=30)),
        CalendarFeed(user_id=user.id, selector="gone", secret_hash="z" * 64, created_at=old,
                     revoked_at=old),
        CalendarFeed(user_id=user.id, selector="lately", secret_hash="w" * 64, created_at=old,
                     revoked_at=recent),
        CalendarFeed(user_id=user.id, selector="live", secret_hash="v" * 64, created_at=old),
    ])
    db.session.commit()

    result = purge(runner)

    assert result.exit_code == 0, result.output
    assert set(db.session.scalars(select(LoginAttempt.email))) == {"b@example.fi"}
    assert set(db.session.scalars(select(LoginSession.token_hash))) == {"a" * 64}
    assert set(db.session.scalars(select(PasswordReset.selector))) == {"new"}
    assert set(db.session.scalars(select(CalendarFeed.selector))) == {"lately", "live"}
    assert "login_attempt" in result.output and "calendar_feed" in result.output

"""`seed-volume --cases N` (SPEC §9): a region's data at volume whose every request is
consistent with its state — agenda items, bookings, records, follow-ups, events,
consents — with valid identity codes, the same data for the same seed, and room left
for the application's own inserts afterwards."""
from __future__ import annotations

import re
from collections import defaultdict
from contextlib import nullcontext
from datetime import time
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from stdnum.fi import hetu

from consult.clients.identity import parse
from consult.clients.models import Client
from consult.consents.services import covers_physician, covers_team
from consult.consultations.models import ConsultationRequest as CR
from consult.consultations.models import PreForm, PreFormVersion, RequestEvent
from consult.consultations.states import ACTS, APPOINTMENT_MODES, OPEN_STATES
from consult.extensions import db
from consult.followups.models import FollowUp
from consult.meetings.models import AgendaItem, Meeting
from consult.organisations.models import Organisation
from consult.protocols.models import Protocol
from consult.scheduling.availability import local_to_utc
from consult.scheduling.models import Booking, Slot
from consult.timeutil import to_helsinki, today, utcnow
from tests import factories
from tests.conftest import fresh_postgres_database, make_app, postgres_admin_url, upgrade_schema

CASES = 300
ON_THE_CALENDAR = ("scheduled", "discussed", "closed")
RECORD_KIND = {"team_meeting": "protocol", "written_statement": "statement"}


@pytest.fixture(scope="module")
def volume(tmp_path_factory):
    """One seeded database of its own for the read-only checks of this module (seeding
    once keeps them fast); on PostgreSQL when the test run uses it."""
    server = postgres_admin_url()
    database = (fresh_postgres_database(server) if server else nullcontext(
        "sqlite:///" + str(tmp_path_factory.mktemp("volume") / "volume.sqlite")))
    with database as url:
        upgrade_schema(url)
        app = make_app(url)
        result = app.test_cli_runner().invoke(
            args=["seed-volume", "--cases", str(CASES), "--seed", "3"])
        assert result.exit_code == 0, result.output
        yield SimpleNamespace(app=app, output=result.output)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def session(volume):
    with volume.app.app_context():
        yield db.session
        db.session.remove()


def volume_requests():
    """The requests seed-volume made (not the demo's)."""
    return (select(CR).join(Organisation, Organisation.id == CR.organisation_id)
            .where(Organisation.name.like("Volyymi%")).order_by(CR.id))


def by_request(rows) -> dict:
    found = defaultdict(list)
    for row in rows:
        found[row[0]].append(tuple(row[1:]))
    return found


def test_makes_the_requests_asked_for_in_every_kind_of_state(session):
    states = dict(session.execute(select(CR.state, func.count()).group_by(CR.state)).all())
    assert sum(states.values()) == CASES
    # At this small volume only the last weeks' few requests are still open.
    for state in ("discussed", "closed", "resolved_at_consultation", "declined", "withdrawn"):
        assert states.get(state), state
    assert states["closed"] > CASES / 3
    modes = dict(session.execute(select(CR.mode, func.count()).group_by(CR.mode)).all())
    assert set(modes) == {"team_meeting", "phone", "video", "in_person", "written_statement"}
    assert modes["team_meeting"] == max(modes.values())


def test_the_output_counts_rows_and_names_no_client(volume, session):
    assert re.search(rf"consultation_request +{CASES}\n", volume.output)
    assert re.search(r"slot +\d+\n", volume.output)
    for client in session.scalars(select(Client)):
        assert client.identity_code not in volume.output
        assert client.full_name not in volume.output


def test_every_team_case_on_the_calendar_has_one_item_on_its_teams_meeting(session):
    cases = session.execute(select(CR.id, CR.target_team_id, CR.state).where(
        CR.mode == "team_meeting", CR.state.in_(ON_THE_CALENDAR))).all()
    items = by_request(session.execute(
        select(AgendaItem.request_id, Meeting.team_id, AgendaItem.state, Meeting.state)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(AgendaItem.state != "removed")))
    assert cases
    for request_id, team_id, state in cases:
        [(meeting_team, item_state, meeting_state)] = items[request_id]
        assert meeting_team == team_id
        assert item_state == ("on_agenda" if state == "scheduled" else "finalised")
        assert meeting_state != "cancelled"


def test_every_appointment_on_the_calendar_has_one_active_booking_on_its_physicians_slot(
        session):
    cases = session.execute(select(CR.id, CR.target_physician_id, CR.mode).where(
        CR.mode.in_(APPOINTMENT_MODES), CR.state.in_(ON_THE_CALENDAR))).all()
    bookings = by_request(session.execute(
        select(Booking.request_id, Slot.physician_id, Slot.mode, Slot.starts_at,
               Booking.created_at)
        .join(Slot, Slot.id == Booking.slot_id).where(Booking.state == "active")))
    assert cases
    for request_id, physician_id, mode in cases:
        [(slot_physician, slot_mode, starts_at, booked_at)] = bookings[request_id]
        assert (slot_physician, slot_mode) == (physician_id, mode)
        assert booked_at < starts_at


def test_no_slot_holds_two_active_bookings_and_no_request_two(session):
    for column in (Booking.slot_id, Booking.request_id):
        doubled = session.execute(select(column).where(Booking.state == "active")
                                  .group_by(column).having(func.count() > 1)).all()
        assert doubled == []


def test_cases_off_the_calendar_hold_no_booking_and_no_item(session):
    off = select(CR.id).where(CR.state.not_in(ON_THE_CALENDAR))
    assert session.scalar(select(func.count()).select_from(Booking).where(
        Booking.state == "active", Booking.request_id.in_(off))) == 0
    assert session.scalar(select(func.count()).select_from(AgendaItem).where(
        AgendaItem.state != "removed", AgendaItem.request_id.in_(off))) == 0


def test_finalised_team_protocols_belong_to_meetings_held_in_the_past(session):
    rows = session.execute(
        select(Meeting.state, Meeting.starts_at, Protocol.finalised_at)
        .join(AgendaItem, AgendaItem.id == Protocol.agenda_item_id)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(Protocol.finalised_at.is_not(None))).all()
    assert rows
    now = utcnow()
    for meeting_state, starts_at, finalised_at in rows:
        assert meeting_state in ("held", "protocol_finalised")
        assert starts_at < finalised_at < now


def test_meetings_are_held_only_in_the_past_and_finalised_only_when_every_item_is(session):
    # The data's "now" is the start of today: a meeting earlier today is not held yet.
    now = local_to_utc(today(), time(0))
    items = by_request(session.execute(select(AgendaItem.meeting_id, AgendaItem.state)))
    for meeting_id, state, starts_at in session.execute(
            select(Meeting.id, Meeting.state, Meeting.starts_at)):
        counted = [s for (s,) in items[meeting_id] if s != "removed"]
        if state in ("held", "protocol_finalised"):
            assert starts_at < now and counted
            assert (state == "protocol_finalised") == all(s == "finalised" for s in counted)
        elif state in ("draft", "agenda_sent"):
            assert starts_at > now and "finalised" not in counted


def test_every_discussed_or_closed_case_has_its_finalised_record(session):
    cases = session.execute(select(CR.id, CR.mode).where(
        CR.state.in_(("discussed", "closed")))).all()
    records = by_request(session.execute(
        select(Protocol.request_id, Protocol.kind, Protocol.agenda_item_id, Protocol.path)
        .where(Protocol.finalised_at.is_not(None))))
    assert cases
    for request_id, mode in cases:
        [(kind, item_id, path)] = records[request_id]
        assert kind == RECORD_KIND.get(mode, "note")
        assert (item_id is not None) == (mode == "team_meeting")
        assert path is not None


def test_every_closed_case_has_a_follow_up_recorded_with_its_event(session):
    closed = set(session.scalars(select(CR.id).where(CR.state == "closed")))
    follow_ups = dict(session.execute(select(FollowUp.request_id, FollowUp.recorded_at)).all())
    events = dict(session.execute(select(RequestEvent.request_id, RequestEvent.at).where(
        RequestEvent.act == "record_follow_up")).all())
    assert closed
    assert set(follow_ups) == closed
    assert events == follow_ups


def test_events_follow_the_state_machine_in_time_order(session):
    events = by_request(session.execute(
        select(RequestEvent.request_id, RequestEvent.at, RequestEvent.act,
               RequestEvent.from_state, RequestEvent.to_state).order_by(RequestEvent.id)))
    for request in session.scalars(volume_requests()):
        history = events[request.id]
        state, last_at = "draft", None
        for at, act, from_state, to_state in history:
            assert ACTS[act].allowed_from(from_state, request.mode), (request.id, act)
            assert (from_state, to_state) == (state, ACTS[act].target)
            assert last_at is None or at > last_at
            state, last_at = to_state, at
        assert state == request.state
        if request.first_submitted_at is None:
            assert [a for _, a, _, _ in history] in ([], ["withdraw"])
        else:
            assert history[0][:2] == (request.first_submitted_at, "submit")


def test_each_submission_froze_a_preform_version_with_the_required_answers(session):
    submissions = by_request(session.execute(
        select(RequestEvent.request_id, RequestEvent.at).where(
            RequestEvent.act.in_(("submit", "resubmit"))).order_by(RequestEvent.id)))
    versions = by_request(session.execute(
        select(PreForm.request_id, PreFormVersion.number, PreFormVersion.frozen_at,
               PreFormVersion.content)
        .join(PreForm, PreForm.id == PreFormVersion.preform_id)
        .order_by(PreFormVersion.number)))
    assert session.scalar(select(func.count()).select_from(PreForm)) == CASES
    for request_id in session.scalars(select(CR.id)):
        frozen = versions[request_id]
        assert [(n, at) for n, at, _ in frozen] == [
            (n, at) for n, (at,) in enumerate(submissions[request_id], start=1)]
        for _, _, content in frozen:
            assert content["wishes_goals.wishes_goals"] and content["question.question"]


def test_identity_codes_are_valid_and_unique(session):
    codes = list(session.scalars(select(Client.identity_code)))
    assert len(codes) == len(set(codes)) > 0
    for code in codes:
        assert hetu.is_valid(code, allow_temporary=True)
        assert parse(code).is_temporary


def test_each_case_was_submitted_under_a_consent_that_covers_it(session):
    day = today()
    for request in session.scalars(volume_requests()):
        if request.first_submitted_at is None:
            continue
        days = [to_helsinki(request.first_submitted_at).date()]
        if request.state in OPEN_STATES:
            days.append(day)  # and an open case is not paused
        for on in days:
            if request.target_team is not None:
                assert any(covers_team(c, request.target_team, on)
                           for c in request.client.consents), request.id
            else:
                assert any(covers_physician(c, request.target_physician, on)
                           for c in request.client.consents), request.id


# These run on the test session's own database, emptied after each test.

@pytest.mark.parametrize("cases", ["0", "-3", "many"])
def test_the_command_refuses_a_bad_number_of_cases(runner, cases):
    result = runner.invoke(args=["seed-volume", "--cases", cases])
    assert result.exit_code != 0
    assert "--cases" in result.output
    assert db.session.scalar(select(func.count()).select_from(CR)) == 0


def _run(runner, seed: int, cases: int = 120):
    """What one run added: its counts per table, requests, events and identity codes."""
    before = db.session.scalar(select(func.max(CR.id))) or 0
    result = runner.invoke(args=["seed-volume", "--cases", str(cases), "--seed", str(seed)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    counts = result.output.split("Rows written:")[1].split("Logins")[0]
    requests = db.session.execute(
        select(CR.state, CR.mode, CR.urgency, CR.created_at, CR.first_submitted_at)
        .where(CR.id > before).order_by(CR.id)).all()
    events = db.session.execute(
        select(RequestEvent.act, RequestEvent.at, RequestEvent.to_state, RequestEvent.message)
        .where(RequestEvent.request_id > before).order_by(RequestEvent.id)).all()
    codes = db.session.scalars(select(Client.identity_code).join(
        CR, CR.client_id == Client.id).where(CR.id > before).order_by(CR.id)).all()
    return counts, requests, events, codes


def test_the_same_seed_makes_the_same_data(app, runner):
    first = _run(runner, seed=5)
    second = _run(runner, seed=5)  # into the same database, beside the first run's
    assert first == second
    assert _run(runner, seed=6, cases=50)[1] != first[1][:50]


def test_works_on_a_database_that_holds_the_demo(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    demo = db.session.scalar(select(func.count()).select_from(CR))
    result = runner.invoke(args=["seed-volume", "--cases", "150"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(CR)) == demo + 150
    # The application's own inserts still get fresh ids (PostgreSQL's sequences moved).
    newest = db.session.scalar(select(func.max(Organisation.id)))
    org = factories.create_organisation("Uusi organisaatio")
    db.session.commit()
    assert org.id > newest


@pytest.mark.engine("postgresql")  # SQLite itself reuses the largest id of deleted rows
def test_ids_of_deleted_rows_are_not_handed_out_again(app, runner):
    """The command writes its own ids and then moves the sequences past them: never
    back below an id the sequence had already given (an audit event may still name it)."""
    gone = factories.create_organisation("Lakkautettu organisaatio")
    db.session.commit()
    gone_id = gone.id
    db.session.delete(gone)
    db.session.commit()

    result = runner.invoke(args=["seed-volume", "--cases", "20"])

    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.min(Organisation.id))) > gone_id
    org = factories.create_organisation("Uusi organisaatio")
    db.session.commit()
    assert org.id > db.session.scalar(select(func.max(Organisation.id)).where(
        Organisation.id != org.id))

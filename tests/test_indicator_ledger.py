"""The indicators' kept facts and counts (consult/indicators/ledger.py) always give what
the tables give directly (`compute_direct`): over random worlds and random periods,
after the changes the ledger follows (new cases, decisions, meetings moved, bookings,
records, action items completed, follow-ups, an organisation's kind changed, a team's
physician changed) and those it is told of (a purge, a rebuild, seed-volume)."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from consult.catalogue.models import Service
from consult.consultations.models import ConsultationRequest as CR
from consult.consultations.models import RequestEvent
from consult.extensions import db
from consult.followups.models import FollowUp
from consult.indicators import ledger
from consult.indicators import services as indicators
from consult.indicators.models import IndicatorCount, IndicatorFact
from consult.indicators.periods import Period, month_of, pieces, quarter_of, year_of
from consult.meetings.models import AgendaItem
from consult.protocols.models import ActionItem, Protocol, Recommendation
from consult.scheduling.models import Booking, Slot
from consult.timeutil import today
from tests import factories

ACTS = ("accept", "decline", "return_for_completion", "resolve_at_consultation", "book_slot",
        "propose_slots", "finalise_protocol", "sign_note", "sign_statement", "handover")
KINDS = ("employment_area", "kela", "social_services")


def moment(offset_hours: int) -> datetime:
    """Naive UTC, `offset_hours` from midnight UTC of today minus 400 days (so that
    periods cross years, DST changes and Helsinki midnights)."""
    return datetime.combine(today() - timedelta(days=400), time(0)) + timedelta(
        hours=offset_hours)


hours = st.integers(min_value=0, max_value=24 * 520)
cases = st.lists(st.fixed_dictionaries({
    "target": st.integers(0, 3),  # team 0, team 1, team 0's physician, a lone physician
    "organisation": st.integers(0, len(KINDS) - 1),
    "submitted": st.one_of(st.none(), hours),
    "state": st.sampled_from(("submitted", "accepted", "resolved_at_consultation",
                              "declined", "closed")),
    "mode": st.sampled_from(("team_meeting", "video", "in_person")),
    "events": st.lists(st.tuples(st.sampled_from(ACTS), hours), max_size=4),
    "agenda": st.one_of(st.none(), st.tuples(st.integers(0, 2), st.sampled_from(
        ("on_agenda", "removed", "carried_over", "finalised")))),
    "booking": st.one_of(st.none(), st.tuples(hours, st.sampled_from(("active", "cancelled")))),
    "record": st.one_of(st.none(), st.fixed_dictionaries({
        "finalised": st.one_of(st.none(), hours),
        "services": st.lists(st.booleans(), max_size=3),
        "items": st.lists(st.tuples(st.one_of(st.none(), st.integers(-30, 400)),
                                    st.sampled_from(("open", "completed", "cancelled")),
                                    hours), max_size=3)})),
    "follow_up": st.one_of(st.none(), st.tuples(hours, st.sampled_from(("work", "studies")),
                                                st.sampled_from(("yes", "no", "partly")),
                                                st.booleans())),
}), min_size=1, max_size=6)
changes = st.lists(st.sampled_from(("move_meeting", "complete_item", "purge", "kind",
                                    "physician", "rebuild", "drop_event", "cancel_booking")),
                   max_size=3)
days = st.integers(min_value=0, max_value=560)
periods = st.one_of(
    st.tuples(st.sampled_from(("month", "quarter", "year")), days),
    st.tuples(st.just("range"), days, st.integers(min_value=0, max_value=1100)))


class World:
    """Two teams, a physician of team 0 who is also a lone physician's colleague,
    three referring organisations of different kinds, three meetings, a service."""

    def __init__(self):
        self.organisations = [factories.create_organisation(kind=kind) for kind in KINDS]
        self.referrers = [factories.create_user("referrer", organisation=o)
                          for o in self.organisations]
        self.physicians = [factories.create_user("physician") for _ in range(3)]
        self.teams = [factories.create_team(physician=self.physicians[0]),
                      factories.create_team()]
        self.client = factories.create_client(by=self.referrers[0])
        self.meetings = [factories.create_meeting(self.teams[i % 2], starts_at=moment(h))
                         for i, h in enumerate((24 * 30 + 7, 24 * 200 + 12, 24 * 420 + 8))]
        self.service = Service(category="kela", organisation_kind="kela", name_fi="Palvelu",
                               name_sv="Tjänst", name_en="Service")
        db.session.add(self.service)
        db.session.flush()

    def add(self, spec) -> None:
        organisation = spec["organisation"]
        target = spec["target"]
        request = CR(client_id=self.client.id,
                     organisation_id=self.organisations[organisation].id,
                     referrer_id=self.referrers[organisation].id,
                     target_team_id=self.teams[target].id if target < 2 else None,
                     target_physician_id=(self.physicians[0 if target == 2 else 1].id
                                          if target >= 2 else None),
                     mode=spec["mode"], state=spec["state"],
                     first_submitted_at=moment(spec["submitted"])
                     if spec["submitted"] is not None else None)
        db.session.add(request)
        db.session.flush()
        for act, at in spec["events"]:
            db.session.add(RequestEvent(request_id=request.id, act=act, from_state="submitted",
                                        to_state=spec["state"], at=moment(at)))
        item = None
        if spec["agenda"] is not None:
            meeting, state = spec["agenda"]
            item = AgendaItem(meeting_id=self.meetings[meeting].id, request_id=request.id,
                              position=1, minutes=20,
                              state=state if state != "on_agenda" or not self._on_agenda(
                                  request.id) else "removed")
            db.session.add(item)
        if spec["booking"] is not None:
            at, state = spec["booking"]
            starts = moment(at) + timedelta(seconds=request.id)  # one slot a time
            slot = Slot(physician_id=self.physicians[1].id, starts_at=starts,
                        ends_at=starts + timedelta(minutes=45), mode="video")
            db.session.add(slot)
            db.session.flush()
            db.session.add(Booking(request_id=request.id, slot_id=slot.id, state=state,
                                   booked_by_id=self.referrers[0].id))
        if spec["record"] is not None:
            record = spec["record"]
            protocol = Protocol(request_id=request.id, kind="protocol", notes={},
                                finalised_at=moment(record["finalised"])
                                if record["finalised"] is not None else None)
            db.session.add(protocol)
            db.session.flush()
            for position, with_service in enumerate(record["services"], start=1):
                db.session.add(Recommendation(
                    protocol_id=protocol.id, position=position, text="R",
                    service_id=self.service.id if with_service else None))
            for due, state, completed in record["items"]:
                db.session.add(ActionItem(
                    protocol_id=protocol.id, what="x", state=state,
                    due_on=today() - timedelta(days=400 - due) if due is not None else None,
                    completed_at=moment(completed) if state == "completed" else None))
        if spec["follow_up"] is not None:
            at, path, plan, needed = spec["follow_up"]
            db.session.add(FollowUp(request_id=request.id, path_taken=path, situation="",
                                    meeting_needed=needed, plan_changed=plan,
                                    recorded_by_id=self.referrers[0].id, recorded_at=moment(at)))
        db.session.flush()

    def _on_agenda(self, request_id) -> bool:
        return db.session.scalar(select(func.count()).select_from(AgendaItem).where(
            AgendaItem.request_id == request_id, AgendaItem.state == "on_agenda")) > 0

    def change(self, what: str, n: int) -> None:
        if what == "move_meeting":
            meeting = self.meetings[n % 3]
            meeting.starts_at += timedelta(days=3 + n, hours=5)
            meeting.ends_at += timedelta(days=3 + n, hours=5)
        elif what == "complete_item":
            item = db.session.scalar(select(ActionItem).where(ActionItem.state == "open")
                                     .order_by(ActionItem.id.desc()))
            if item is not None:
                item.state, item.completed_at = "completed", moment(24 * (n % 500) + 20)
        elif what == "purge":
            from consult.retention import _delete_cases

            last = db.session.scalar(select(func.max(CR.id)))
            if last is not None:
                _delete_cases([last], Counter())
        elif what == "kind":
            organisation = self.organisations[n % 3]
            organisation.kind = KINDS[(KINDS.index(organisation.kind) + 1) % len(KINDS)]
        elif what == "physician":
            from consult.organisations import services as organisations

            organisations.set_physician(self.teams[n % 2], self.physicians[(n + 1) % 3])
        elif what == "rebuild":
            ledger.rebuild()
        elif what == "drop_event":
            event = db.session.scalar(select(RequestEvent).order_by(RequestEvent.id.desc()))
            if event is not None:
                db.session.delete(event)
        elif what == "cancel_booking":
            booking = db.session.scalar(select(Booking).where(Booking.state == "active"))
            if booking is not None:
                booking.state = "cancelled"


def period_of(drawn) -> Period:
    base = today() - timedelta(days=400)
    if drawn[0] == "range":
        start = base + timedelta(days=drawn[1])
        return Period("range", start, start + timedelta(days=drawn[2]))
    return {"month": month_of, "quarter": quarter_of, "year": year_of}[drawn[0]](
        base + timedelta(days=drawn[1]))


def assert_same(teams, period) -> None:
    kept = indicators.compute(teams, period)
    direct = indicators.compute_direct(teams, period)
    assert kept.figures == direct.figures, period
    assert kept.services == direct.services
    assert kept.snapshot_day == direct.snapshot_day


@pytest.mark.long
def test_the_kept_counts_agree_with_the_tables_over_random_worlds(app):
    from tests.conftest import empty_all_tables

    @settings(max_examples=30, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(specs=cases, later=changes, asked=st.lists(periods, min_size=1, max_size=3),
           committed=st.booleans())
    def check(specs, later, asked, committed):
        db.session.rollback()
        empty_all_tables()  # each example its own world
        world = World()
        for spec in specs:
            world.add(spec)
        if committed:
            db.session.commit()
        for n, what in enumerate(later):
            world.change(what, n + len(specs))
        if committed:
            db.session.commit()
        for drawn in asked:
            period = period_of(drawn)
            assert_same(world.teams, period)
            assert_same(world.teams[:1], period)
        db.session.commit()
        # What is kept is what a rebuild keeps.
        assert kept_rows() == rebuilt_rows()

    check()


def kept_rows():
    facts = Counter(tuple(row) for row in db.session.execute(
        select(IndicatorFact.request_id, IndicatorFact.measure, IndicatorFact.key,
               IndicatorFact.day, IndicatorFact.team_id, IndicatorFact.physician_id,
               IndicatorFact.kind)))
    counts = {tuple(row[:-1]): row[-1] for row in db.session.execute(
        select(IndicatorCount.grain, IndicatorCount.start, IndicatorCount.measure,
               IndicatorCount.key, IndicatorCount.team_id, IndicatorCount.physician_id,
               IndicatorCount.n)) if row[-1]}
    return facts, counts


def rebuilt_rows():
    ledger.rebuild()
    rows = kept_rows()
    db.session.rollback()
    return rows


def test_a_period_is_its_whole_years_quarters_and_months_and_the_days_at_either_end():
    assert pieces(date(2024, 12, 15), date(2027, 2, 3)) == [
        ("day", date(2024, 12, 15), date(2025, 1, 1)),
        ("year", date(2025, 1, 1), date(2027, 1, 1)),
        ("month", date(2027, 1, 1), date(2027, 2, 1)),
        ("day", date(2027, 2, 1), date(2027, 2, 4))]
    assert pieces(date(2026, 1, 1), date(2026, 11, 30)) == [
        ("quarter", date(2026, 1, 1), date(2026, 10, 1)),
        ("month", date(2026, 10, 1), date(2026, 12, 1))]
    assert pieces(date(2026, 3, 1), date(2026, 3, 31)) == [
        ("month", date(2026, 3, 1), date(2026, 4, 1))]
    assert pieces(date(2026, 3, 2), date(2026, 3, 2)) == [
        ("day", date(2026, 3, 2), date(2026, 3, 3))]


@given(st.dictionaries(st.integers(0, 400), st.integers(0, 9), max_size=30))
def test_medians_and_percentiles_of_counted_days_are_those_of_the_days(counts):
    from consult.indicators import measures

    values = [value for value, n in counts.items() for _ in range(n)]
    for statistic in ("median", "p90"):
        assert measures.days_counted(counts, statistic) == measures.days(values, statistic)


def test_seed_volume_keeps_the_counts_of_the_cases_it_writes(app):
    from consult.volume import seed_volume
    from consult.organisations.models import Team

    seed_volume(300, seed=3)
    db.session.commit()
    teams = list(db.session.scalars(select(Team).order_by(Team.id)))
    for period in (year_of(today()), year_of(today() - timedelta(days=366)),
                   Period("range", today() - timedelta(days=800), today() - timedelta(days=3)),
                   month_of(today() - timedelta(days=40))):
        assert_same(teams, period)
        assert_same(teams[:1], period)
    assert indicators.compute(teams, year_of(today() - timedelta(days=366))).figures[
        indicators.ALL].received.number > 0


def test_init_db_fills_the_counts_of_a_database_that_had_none(app, runner):
    world = World()
    world.add({"target": 0, "organisation": 0, "submitted": 24 * 300, "state": "accepted",
               "mode": "team_meeting", "events": [("accept", 24 * 302)], "agenda": None,
               "booking": None, "record": None, "follow_up": None})
    db.session.commit()
    db.session.execute(IndicatorFact.__table__.delete())
    db.session.execute(IndicatorCount.__table__.delete())
    db.session.commit()
    assert ledger.missing()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "computed from the cases" in result.output
    assert not ledger.missing()
    assert_same(world.teams, year_of(today() - timedelta(days=100)))


def test_people_changing_cases_at_the_same_moment_keep_the_counts_true(app):
    """Six transactions at once, each in its own thread, session and connection: four
    decide cases of one team (the same count rows), two of them the same case, one
    moves the meeting those cases are on, one rebuilds everything. Whoever commits
    first, the kept facts and counts end as a rebuild makes them."""
    import threading

    world = World()
    spec = {"target": 0, "organisation": 0, "submitted": 24 * 390, "state": "submitted",
            "mode": "team_meeting", "events": [], "agenda": (2, "on_agenda"),
            "booking": None, "record": None, "follow_up": None}
    for _ in range(3):
        world.add(spec)
    db.session.commit()
    case_ids = list(db.session.scalars(select(CR.id).order_by(CR.id)))
    meeting_id = world.meetings[2].id
    start, errors = threading.Barrier(6), []

    def decide(case_id, hours):
        request = db.session.get(CR, case_id)
        request.state = "accepted"
        db.session.add(RequestEvent(request_id=case_id, act="accept", from_state="submitted",
                                    to_state="accepted", at=moment(24 * 390 + hours)))

    def move():
        from consult.meetings.models import Meeting

        meeting = db.session.get(Meeting, meeting_id)
        meeting.starts_at += timedelta(days=9)
        meeting.ends_at += timedelta(days=9)

    acts = [lambda: decide(case_ids[0], 30), lambda: decide(case_ids[0], 70),
            lambda: decide(case_ids[1], 50), lambda: decide(case_ids[2], 400), move,
            ledger.rebuild]

    def run(act):
        with app.app_context():
            try:
                start.wait(10)
                act()
                db.session.commit()
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(act,)) for act in acts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    db.session.expire_all()
    assert kept_rows() == rebuilt_rows()
    assert_same(world.teams, year_of(today() - timedelta(days=380)))
    assert_same(world.teams, Period("range", today() - timedelta(days=400), today()))

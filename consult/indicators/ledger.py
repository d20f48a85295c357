"""Keeps the indicators' facts and counts (models.py) true, in the transaction that
changes a case.

**When.** Every flush notes the cases whose counted things it touched: the request
itself, its events, agenda items, bookings, protocols with their recommendations and
action items, follow-ups; a meeting or a slot moved (its cases' lead times); an
organisation's kind changed (its cases' kind). Before the transaction commits, those
cases' facts are computed again from the tables, compared with the kept ones, and the
difference is applied to the facts and, as increments, to the counts. On PostgreSQL
the cases' rows are locked first, so two transactions never apply one difference
twice; SQLite has one writer at a time.

Writes that bypass the ORM's unit of work (bulk `insert()`, `update()`, `delete()`)
call `touch()` with the cases they change, or `rebuild()` when they change many:
`seed-volume`, `purge-expired` and `indicators rebuild` do. `restore` brings the
backup's own facts and counts along. A team's physician changing needs nothing: the
facts keep the request's targets, and the page maps them to teams when it asks."""
from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import delete, event, func, insert, inspect, select, text
from sqlalchemy.orm import Session

from consult.consultations.models import ConsultationRequest as CR
from consult.consultations.models import RequestEvent
from consult.extensions import db
from consult.followups.models import FollowUp
from consult.indicators.models import GRAINS, IndicatorCount, IndicatorFact
from consult.indicators.periods import helsinki_date
from consult.meetings.models import AgendaItem, Meeting
from consult.organisations.models import Organisation
from consult.protocols.models import ActionItem, Protocol, Recommendation
from consult.scheduling.models import Booking, Slot

DECISION_ACTS = ("accept", "resolve_at_consultation", "decline", "book_slot", "propose_slots")
DISCUSSION_ACTS = ("finalise_protocol", "sign_note", "sign_statement")
NO_SERVICE = "free_text"  # a recommendation that points to no catalogue service
# More cases than this in one transaction: every fact is computed again.
REBUILD_ABOVE = 5000
_PENDING = "indicator_cases"  # session.info: what the flushes touched


# The facts of cases, from the tables -----------------------------------------------

def _days(start, stop) -> int | None:
    if start is None or stop is None:
        return None
    return (helsinki_date(stop) - helsinki_date(start)).days


def _in(column, ids):
    return column.in_(ids) if ids is not None else True


def case_times() -> tuple:
    """Correlated to the request: its first decision, a return for completion (its id,
    if any), its meeting (of its latest agenda item still on the agenda or finalised)
    and its active booking's time."""
    first_decision = (select(func.min(RequestEvent.at))
                      .where(RequestEvent.request_id == CR.id,
                             RequestEvent.act.in_(DECISION_ACTS)).scalar_subquery())
    returned = (select(RequestEvent.id)
                .where(RequestEvent.request_id == CR.id,
                       RequestEvent.act == "return_for_completion")
                .limit(1).scalar_subquery())
    meeting_at = (select(func.max(Meeting.starts_at))
                  .join(AgendaItem, AgendaItem.meeting_id == Meeting.id)
                  .where(AgendaItem.request_id == CR.id,
                         AgendaItem.state.in_(("on_agenda", "finalised")))
                  .scalar_subquery())
    slot_at = (select(func.max(Slot.starts_at))
               .join(Booking, Booking.slot_id == Slot.id)
               .where(Booking.request_id == CR.id, Booking.state == "active")
               .scalar_subquery())
    return first_decision, returned, meeting_at, slot_at


def compute_facts(ids) -> list[tuple]:
    """(request id, measure, key, day, team id, physician id, kind) of each thing the
    indicators count, of the cases `ids` (every case when None)."""
    cases = {row[0]: row[1:] for row in db.session.execute(
        select(CR.id, func.coalesce(CR.target_team_id, 0),
               func.coalesce(CR.target_physician_id, 0), Organisation.kind)
        .join(Organisation, Organisation.id == CR.organisation_id)
        .where(_in(CR.id, ids)))}
    facts: list[tuple] = []

    def add(request_id, measure, key, day):
        facts.append((request_id, measure, key, day, *cases[request_id]))

    cohort = db.session.execute(
        select(CR.id, CR.state, Organisation.kind, CR.first_submitted_at, *case_times())
        .join(Organisation, Organisation.id == CR.organisation_id)
        .where(_in(CR.id, ids), CR.first_submitted_at.is_not(None)))
    for request_id, state, kind, submitted, decided, was_returned, met, slot in cohort:
        day = helsinki_date(submitted)
        add(request_id, "received", "", day)
        add(request_id, "by_kind", kind, day)
        if state == "resolved_at_consultation":
            add(request_id, "resolved", "", day)
        if was_returned is not None:
            add(request_id, "returned", "", day)
        if (days := _days(submitted, decided)) is not None:
            add(request_id, "decision", str(days), day)
        if (days := _days(submitted, met or slot)) is not None:
            add(request_id, "consultation", str(days), day)

    for request_id, at, mode in db.session.execute(
            select(RequestEvent.request_id, RequestEvent.at, CR.mode)
            .join(CR, CR.id == RequestEvent.request_id)
            .where(_in(RequestEvent.request_id, ids), RequestEvent.act.in_(DISCUSSION_ACTS))):
        add(request_id, "discussed", mode, helsinki_date(at))

    for request_id, at, service_id in db.session.execute(
            select(Protocol.request_id, Protocol.finalised_at, Recommendation.service_id)
            .join(Recommendation, Recommendation.protocol_id == Protocol.id)
            .where(_in(Protocol.request_id, ids), Protocol.finalised_at.is_not(None))):
        add(request_id, "service", str(service_id) if service_id else NO_SERVICE,
            helsinki_date(at))

    for request_id, at, path, plan, needed in db.session.execute(
            select(FollowUp.request_id, FollowUp.recorded_at, FollowUp.path_taken,
                   FollowUp.plan_changed, FollowUp.meeting_needed)
            .where(_in(FollowUp.request_id, ids))):
        day = helsinki_date(at)
        add(request_id, "path", path, day)
        add(request_id, "plan", plan, day)
        add(request_id, "needed", "yes" if needed else "no", day)

    # An item is open from the day its record is final until the day it is completed
    # (never, while open); overdue from the day after it fell due, if still open then.
    for request_id, final, state, completed, due in db.session.execute(
            select(Protocol.request_id, Protocol.finalised_at, ActionItem.state,
                   ActionItem.completed_at, ActionItem.due_on)
            .join(ActionItem, ActionItem.protocol_id == Protocol.id)
            .where(_in(Protocol.request_id, ids), Protocol.finalised_at.is_not(None))):
        opened = helsinki_date(final)
        closed = (helsinki_date(completed) if completed is not None
                  else None if state == "open" else opened)
        for measure, start in (("open", opened),
                               ("overdue", max(opened, due + timedelta(days=1))
                                if due is not None else None)):
            if start is None or (closed is not None and closed <= start):
                continue
            add(request_id, measure + "_from", "", start)
            if closed is not None:
                add(request_id, measure + "_until", "", closed)
    return facts


# Applying them ---------------------------------------------------------------------

def bucket(grain: str, day: date) -> date:
    """The first day of the month, quarter or year that holds `day`."""
    month = {"month": day.month, "quarter": 3 * ((day.month - 1) // 3) + 1, "year": 1}[grain]
    return date(day.year, month, 1)


def _count_changes(removed, added) -> Counter:
    """{(grain, measure, start, key, team, physician): +/- n} of replacing the facts
    `removed` by `added`."""
    change: Counter = Counter()
    for sign, facts in ((-1, removed), (1, added)):
        for _request, measure, key, day, team, physician, _kind in facts:
            for grain in GRAINS:
                change[(grain, measure, bucket(grain, day), key, team, physician)] += sign
    return Counter({key: n for key, n in change.items() if n})


def _apply_counts(change: Counter) -> None:
    if not change:
        return
    table = IndicatorCount.__table__
    rows = [dict(grain=g, measure=m, start=s, key=k, team_id=t, physician_id=p, n=n)
            for (g, m, s, k, t, p), n in sorted(change.items())]  # one lock order
    if _postgresql():
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    statement = upsert(table)
    statement = statement.on_conflict_do_update(
        index_elements=["grain", "measure", "start", "key", "team_id", "physician_id"],
        set_={"n": table.c.n + statement.excluded.n})
    db.session.execute(statement, rows)


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _stored(ids) -> list[tuple]:
    return [tuple(row) for row in db.session.execute(
        select(IndicatorFact.request_id, IndicatorFact.measure, IndicatorFact.key,
               IndicatorFact.day, IndicatorFact.team_id, IndicatorFact.physician_id,
               IndicatorFact.kind).where(IndicatorFact.request_id.in_(ids)))]


def _insert_facts(facts: list[tuple]) -> None:
    names = ("request_id", "measure", "key", "day", "team_id", "physician_id", "kind")
    for first in range(0, len(facts), 20000):
        db.session.execute(insert(IndicatorFact),
                           [dict(zip(names, fact)) for fact in facts[first:first + 20000]])


def refresh(ids) -> None:
    """Computes the facts of the cases `ids` again and applies the difference."""
    ids = sorted(set(ids))
    if not ids:
        return
    if len(ids) > REBUILD_ABOVE:
        rebuild()
        return
    if _postgresql():
        # Waits for a rebuild (which holds the facts EXCLUSIVE), not for other
        # refreshes; then the cases themselves, in one order.
        db.session.execute(text("LOCK TABLE indicator_fact IN ROW EXCLUSIVE MODE"))
        db.session.execute(select(CR.id).where(CR.id.in_(ids)).order_by(CR.id)
                           .with_for_update())
    old, new = _stored(ids), compute_facts(ids)
    if Counter(old) == Counter(new):
        return
    db.session.execute(delete(IndicatorFact).where(IndicatorFact.request_id.in_(ids)))
    _insert_facts(new)
    _apply_counts(_count_changes(old, new))


def rebuild() -> int:
    """Every fact and count computed again from the tables; the number of facts. On
    PostgreSQL no other transaction changes them meanwhile: one that has changed a case
    applies its difference after the rebuild commits, to what the rebuild kept."""
    if _postgresql():
        db.session.execute(text("LOCK TABLE indicator_fact, indicator_count IN EXCLUSIVE MODE"))
    db.session.execute(delete(IndicatorCount))
    db.session.execute(delete(IndicatorFact))
    facts = compute_facts(None)
    _insert_facts(facts)
    change = _count_changes([], facts)
    rows = list(change.items())
    for first in range(0, len(rows), 20000):
        _apply_counts(Counter(dict(rows[first:first + 20000])))
    return len(facts)


def missing() -> bool:
    """Cases are submitted but no fact is kept (a database from before the ledger)."""
    return (db.session.scalar(select(IndicatorFact.id).limit(1)) is None
            and db.session.scalar(select(CR.id).where(CR.first_submitted_at.is_not(None))
                                  .limit(1)) is not None)


def touch(ids) -> None:
    """Marks cases changed by a statement the ORM does not follow (bulk update or
    delete): their facts are computed again before the transaction commits."""
    db.session.info.setdefault(_PENDING, _Pending()).requests.update(ids)


# Following the session ------------------------------------------------------------

class _Pending:
    def __init__(self):
        self.requests: set[int] = set()
        self.meetings: set[int] = set()
        self.slots: set[int] = set()
        self.protocols: set[int] = set()
        self.organisations: set[int] = set()

    def __bool__(self):
        return any((self.requests, self.meetings, self.slots, self.protocols,
                    self.organisations))

    def case_ids(self) -> set[int]:
        ids = set(self.requests)
        queries = []
        if self.meetings:
            queries.append(select(AgendaItem.request_id)
                           .where(AgendaItem.meeting_id.in_(self.meetings)))
        if self.slots:
            queries.append(select(Booking.request_id).where(Booking.slot_id.in_(self.slots)))
        if self.protocols:
            queries.append(select(Protocol.request_id).where(Protocol.id.in_(self.protocols)))
        if self.organisations:
            queries.append(select(CR.id).where(CR.organisation_id.in_(self.organisations)))
        for query in queries:
            ids.update(db.session.scalars(query))
        return ids


# What each followed table's facts are computed from: a row changed in none of these
# (a note saved, a message read) changes no fact, and costs the commit nothing.
_COUNTED = {
    CR: ("state", "first_submitted_at", "target_team_id", "target_physician_id",
         "organisation_id", "mode"),
    RequestEvent: ("act", "at", "request_id"),
    AgendaItem: ("state", "meeting_id", "request_id"),
    Booking: ("state", "slot_id", "request_id"),
    Protocol: ("finalised_at", "request_id"),
    FollowUp: ("recorded_at", "path_taken", "plan_changed", "meeting_needed", "request_id"),
    Recommendation: ("service_id", "protocol_id"),
    ActionItem: ("state", "completed_at", "due_on", "protocol_id"),
    Meeting: ("starts_at",),
    Slot: ("starts_at",),
    Organisation: ("kind",),
}
_BY_PROTOCOL = (Recommendation, ActionItem)


def _changed(instance) -> bool:
    attributes = inspect(instance).attrs
    return any(attributes[name].history.has_changes() for name in _COUNTED[type(instance)])


def _note(session: Session, _context) -> None:
    pending = session.info.setdefault(_PENDING, _Pending())
    dirty = [i for i in session.dirty if type(i) in _COUNTED and _changed(i)]
    new = [i for i in session.new if type(i) in _COUNTED]
    for instance in (*new, *dirty, *session.deleted):
        kind = type(instance)
        if kind is CR:
            pending.requests.add(instance.id)
        elif kind in _BY_PROTOCOL:
            pending.protocols.add(instance.protocol_id)
        elif kind in (Meeting, Slot, Organisation):
            if instance not in session.new:  # nothing of a new one is counted yet
                {Meeting: pending.meetings, Slot: pending.slots,
                 Organisation: pending.organisations}[kind].add(instance.id)
        elif kind in _COUNTED:
            pending.requests.add(instance.request_id)
    pending.requests.discard(None)


def settle(session: Session | None = None) -> None:
    """The facts of every case this transaction has touched so far: run before it
    commits, and before the counts are read (a transaction reads its own changes)."""
    session = session or db.session()
    session.flush()
    pending = session.info.pop(_PENDING, None)
    if pending:
        refresh(pending.case_ids())
        session.flush()


def _forget(session: Session, *_args) -> None:
    session.info.pop(_PENDING, None)


def init_app(app) -> None:
    with app.app_context():
        session_class = type(db.session())
    if getattr(session_class, "_indicator_ledger", False):
        return
    session_class._indicator_ledger = True
    event.listen(session_class, "after_flush", _note)
    event.listen(session_class, "before_commit", settle)
    event.listen(session_class, "after_rollback", _forget)

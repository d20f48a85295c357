"""Indicators of the work ability teams (SPEC §7): which teams a user may see, and
every measure for a period, per team and for all of them together.

**A team's cases** are the requests addressed to the team and those addressed to its
occupational physician. A physician of two teams counts in both; "all teams" counts
each request once.

**Which period a case counts in:**
- By its *first submission*: requests received, the shares resolved at consultation
  stage and returned for completion (ever), both lead times, and the received ones by
  organisation kind and by month.
- By *when it happened*: cases discussed (the protocol finalised, the note or the
  statement signed) and consultations by mode; recommendations by service (of the
  records finalised); paths and close-out answers at follow-up (follow-ups recorded).
- *As at the period's last day* (or today, if sooner): action items open, and of them
  overdue (due before that day), of records final by then.

**Lead times** are whole Helsinki calendar days from the first submission to the first
decision (accept, resolve at consultation stage, decline, or for a physician
appointment booking or proposing times; a return for completion is not a decision),
and to the meeting or the booked time (the meeting of the case's latest agenda item
still on the agenda or finalised; the active booking's slot). Written statements have
no meeting or slot.

Every query is filtered in the database by period (and organisation kind); the
measures are computed in `measures.py`. Nothing here names a client."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from sqlalchemy import String, and_, cast, func, literal, or_, select, union_all

from consult.catalogue.models import Service
from consult.consultations.models import ConsultationRequest as CR
from consult.consultations.models import RequestEvent
from consult.consultations.states import MODES
from consult.extensions import db
from consult.followups.models import PLAN_CHANGES, FollowUp
from consult.indicators import ledger, measures
from consult.indicators.ledger import DISCUSSION_ACTS, NO_SERVICE
from consult.indicators.models import IndicatorCount, IndicatorFact
from consult.indicators.periods import (Period, helsinki_date, months_until, pieces,
                                        utc_midnight)
from consult.organisations.models import ORGANISATION_KINDS, Organisation, Team, TeamMembership
from consult.protocols.models import PATHS, ActionItem, Protocol, Recommendation
from consult.timeutil import today

ALL = "all"  # the key of all the user's teams together
INDICATOR_ROLES = ("coordinator", "manager")


# Whose indicators --------------------------------------------------------------------

def visible_teams(user) -> list[Team]:
    """A coordinator's own teams; a manager's every team of their organisation's
    region."""
    conditions = []
    if user.has_role("coordinator"):
        conditions.append(Team.id.in_(select(TeamMembership.team_id).where(
            TeamMembership.user_id == user.id, TeamMembership.role == "coordinator")))
    if user.has_role("manager"):
        conditions.append(Team.region == user.organisation.region)
    if not conditions:
        return []
    return list(db.session.scalars(select(Team).where(or_(*conditions)).order_by(Team.name)))


# The figures -------------------------------------------------------------------------

@dataclass
class Figures:
    received: measures.Value
    resolved_share: measures.Value
    returned_share: measures.Value
    decision_median: measures.Value
    decision_p90: measures.Value
    consultation_median: measures.Value
    consultation_p90: measures.Value
    discussed: measures.Value
    actions_open: measures.Value
    actions_overdue: measures.Value
    by_kind: list[tuple[str, measures.Value]] = field(default_factory=list)
    by_mode: list[tuple[str, measures.Value]] = field(default_factory=list)
    by_service: list[tuple[str, measures.Value]] = field(default_factory=list)
    paths: list[tuple[str, measures.Value]] = field(default_factory=list)
    plan_changed: list[tuple[str, measures.Value]] = field(default_factory=list)
    meeting_needed: list[tuple[str, measures.Value]] = field(default_factory=list)
    trend: list[tuple[Period, measures.Value]] = field(default_factory=list)


@dataclass
class Indicators:
    period: Period
    kind: str | None
    teams: list[Team]
    figures: dict  # team id or ALL → Figures
    snapshot_day: date
    services: dict = field(default_factory=dict)  # service id → (name_fi, name_sv, name_en)


def _scoped(teams: list[Team], kind: str | None):
    """Adds the teams' cases and the organisation kind to a query that has joined the
    request. Each query starts from its own table filtered by period (indexed); the
    teams are a plain IN on the request's target, and `_split` maps each row to its
    teams afterwards."""
    team_ids = [team.id for team in teams]
    physician_ids = sorted({team.physician_id for team in teams if team.physician_id})

    def where(query):
        # coalesce(): the period's index leads, not the target's (far more rows).
        query = (query.join(Organisation, Organisation.id == CR.organisation_id)
                 .where(or_(func.coalesce(CR.target_team_id, 0).in_(team_ids),
                            func.coalesce(CR.target_physician_id, 0).in_(physician_ids))))
        return query.where(Organisation.kind == kind) if kind else query
    return where


def _cohort(scoped, start, end) -> list:
    query = scoped(select(CR.target_team_id, CR.target_physician_id, CR.id, CR.state,
                          Organisation.kind, CR.first_submitted_at, *ledger.case_times())
                   .select_from(CR))
    return db.session.execute(query.where(CR.first_submitted_at >= start,
                                          CR.first_submitted_at < end)).all()


def _received_dates(scoped, start, end) -> list:
    query = scoped(select(CR.target_team_id, CR.target_physician_id, CR.id, CR.first_submitted_at).select_from(CR))
    return db.session.execute(query.where(CR.first_submitted_at >= start,
                                          CR.first_submitted_at < end)).all()


def _discussed(scoped, start, end) -> list:
    # Each discussion counts (a case may have more than one), under "all" once.
    query = scoped(select(CR.target_team_id, CR.target_physician_id, RequestEvent.id, CR.mode)
                   .select_from(RequestEvent)
                   .join(CR, CR.id == RequestEvent.request_id))
    return db.session.execute(query.where(RequestEvent.act.in_(DISCUSSION_ACTS),
                                          RequestEvent.at >= start,
                                          RequestEvent.at < end)).all()


def _recommendations(scoped, start, end) -> list:
    query = scoped(select(CR.target_team_id, CR.target_physician_id, CR.id, Recommendation.id, Service.name_fi, Service.name_sv,
                          Service.name_en, Recommendation.service_id)
                   .select_from(Protocol)
                   .join(CR, CR.id == Protocol.request_id)
                   .join(Recommendation, Recommendation.protocol_id == Protocol.id)
                   .outerjoin(Service, Service.id == Recommendation.service_id))
    return db.session.execute(query.where(Protocol.finalised_at >= start,
                                          Protocol.finalised_at < end)).all()


def _follow_ups(scoped, start, end) -> list:
    query = scoped(select(CR.target_team_id, CR.target_physician_id, CR.id, FollowUp.path_taken, FollowUp.plan_changed,
                          FollowUp.meeting_needed).select_from(FollowUp)
                   .join(CR, CR.id == FollowUp.request_id))
    return db.session.execute(query.where(FollowUp.recorded_at >= start,
                                          FollowUp.recorded_at < end)).all()


def _action_items(scoped, snapshot: date) -> list:
    """(team_id, item id, due date) of the items open at the end of `snapshot`."""
    day_after = utc_midnight(date.fromordinal(snapshot.toordinal() + 1))
    query = scoped(select(CR.target_team_id, CR.target_physician_id, ActionItem.id, ActionItem.due_on).select_from(ActionItem)
                   .join(Protocol, Protocol.id == ActionItem.protocol_id)
                   .join(CR, CR.id == Protocol.request_id))
    return db.session.execute(query.where(
        Protocol.finalised_at < day_after,
        or_(ActionItem.state == "open", ActionItem.completed_at >= day_after))).all()


def _days(start, stop) -> int | None:
    if start is None or stop is None:
        return None
    return (helsinki_date(stop) - helsinki_date(start)).days


def _breakdown(counter: Counter, keys) -> list[tuple[str, measures.Value]]:
    return [(key, measures.count(counter.get(key, 0))) for key in keys]


def _service_order(pair) -> tuple:
    """Recommendations by service: the most first, free text last, ties by service."""
    key, value = pair
    return (key == NO_SERVICE, -value.cases, str(key))


def _figures(rows: dict, months: list[Period]) -> Figures:
    """One unit's figures from its rows (each list holds one unit's, one row per thing
    counted)."""
    cohort = rows["cohort"]
    n = len(cohort)
    decision_days, consultation_days = [], []
    resolved = returned = 0
    kinds = Counter()
    for _, _, state, kind, submitted, decided, was_returned, meeting_at, slot_at in cohort:
        kinds[kind] += 1
        resolved += state == "resolved_at_consultation"
        returned += was_returned is not None
        if (d := _days(submitted, decided)) is not None:
            decision_days.append(d)
        if (d := _days(submitted, meeting_at or slot_at)) is not None:
            consultation_days.append(d)
    modes = Counter(mode for _, _, mode in rows["discussed"])
    services = Counter(service_id or NO_SERVICE for *_, service_id in rows["recommendations"])
    follow_ups = rows["follow_ups"]
    paths = Counter(path for _, _, path, _, _ in follow_ups)
    plans = Counter(plan for _, _, _, plan, _ in follow_ups)
    needed = Counter("yes" if was else "no" for *_, was in follow_ups)
    open_items = rows["actions"]
    snapshot = rows["snapshot"]
    by_month = Counter()
    for _, _, submitted in rows["received"]:
        day = helsinki_date(submitted)
        by_month[(day.year, day.month)] += 1
    return Figures(
        received=measures.count(n),
        resolved_share=measures.share(resolved, n),
        returned_share=measures.share(returned, n),
        decision_median=measures.days(decision_days, "median"),
        decision_p90=measures.days(decision_days, "p90"),
        consultation_median=measures.days(consultation_days, "median"),
        consultation_p90=measures.days(consultation_days, "p90"),
        discussed=measures.count(len(rows["discussed"])),
        actions_open=measures.count(len(open_items)),
        actions_overdue=measures.count(sum(1 for *_, due in open_items
                                           if due is not None and due < snapshot)),
        by_kind=_breakdown(kinds, ORGANISATION_KINDS),
        by_mode=_breakdown(modes, MODES),
        by_service=sorted(((key, measures.count(c)) for key, c in services.items()),
                          key=_service_order),
        paths=_breakdown(paths, PATHS),
        plan_changed=_breakdown(plans, PLAN_CHANGES),
        meeting_needed=_breakdown(needed, ("yes", "no")),
        trend=[(month, measures.count(by_month.get((month.start.year, month.start.month), 0)))
               for month in months],
    )


def _split(rows: list, teams: list[Team], *, key_index: int = 1) -> dict:
    """Rows (which start with the request's target team and physician) by team — the
    row as (team id, rest…) — and all of them once each under ALL (a request of two
    teams counts once)."""
    team_ids = {team.id for team in teams}
    by_physician: dict = defaultdict(list)
    for team in teams:
        if team.physician_id:
            by_physician[team.physician_id].append(team.id)
    split: dict = defaultdict(list)
    seen = set()
    for target_team, target_physician, *rest in rows:
        row = (None, *rest)
        owners = ([target_team] if target_team in team_ids else []) + by_physician.get(
            target_physician, [])
        for team_id in owners:
            split[team_id].append((team_id, *rest))
        if owners and rest[key_index - 1] not in seen:
            seen.add(rest[key_index - 1])
            split[ALL].append(row)
    return split


def compute_direct(teams: list[Team], period: Period, kind: str | None = None) -> Indicators:
    """Every measure for `period`, for each team and for all of them together, from the
    tables themselves: what the kept counts must always agree with, and the answer when
    a kind of organisation is chosen (the counts are not kept by kind)."""
    team_ids = [team.id for team in teams]
    snapshot = min(period.end, today())
    months = months_until(period)
    figures, services = {}, {}
    if team_ids:
        scoped = _scoped(teams, kind)
        start, end = period.utc_bounds()
        parts = {
            "cohort": _split(_cohort(scoped, start, end), teams),
            "received": _split(_received_dates(scoped, months[0].utc_bounds()[0],
                                               months[-1].utc_bounds()[1]), teams),
            "discussed": _split(_discussed(scoped, start, end), teams),
            "recommendations": _split(_recommendations(scoped, start, end), teams,
                                      key_index=2),
            "follow_ups": _split(_follow_ups(scoped, start, end), teams),
            "actions": _split(_action_items(scoped, snapshot), teams),
        }
        services = {row[-1]: tuple(row[3:6]) for row in parts["recommendations"][ALL]
                    if row[-1] is not None}
        for key in [*team_ids, ALL]:
            rows = {name: part.get(key, []) for name, part in parts.items()}
            rows["snapshot"] = snapshot
            figures[key] = _figures(rows, months)
    return Indicators(period=period, kind=kind, teams=teams, figures=figures,
                      snapshot_day=snapshot, services=services)



# From the kept counts ---------------------------------------------------------------

KEY_MEASURES = ("received", "resolved", "returned", "decision", "consultation", "discussed")
BREAKDOWN_MEASURES = ("by_kind", "service", "path", "plan", "needed")
SNAPSHOT_MEASURES = ("open_from", "open_until", "overdue_from", "overdue_until")
EVER = date(1900, 1, 1)
TOTAL = -1  # the target of a tally of every target together


def _tally(questions: dict, targets) -> Counter:
    """{(question, measure, key, team id, physician id): n} in one statement.
    `questions` maps a name to (measures, periods.pieces(…), by target): the facts of
    those measures that fall in those pieces — whole years, quarters and months from
    the counts, the days from the facts — by target, or all together (team and
    physician TOTAL).
    `targets(table)` says which targets count. The question "trend" asks for months
    only, and its keys are the months' first days."""
    selects = []
    for name, (measures_, parts, by_target) in questions.items():
        for table, grain_of, amount in (
                (IndicatorCount, lambda g: g != "day", func.sum(IndicatorCount.n)),
                (IndicatorFact, lambda g: g == "day", func.count())):
            column = table.start if table is IndicatorCount else table.day
            when = [and_(table.grain == grain, column >= first, column < following)
                    if table is IndicatorCount else and_(column >= first, column < following)
                    for grain, first, following in parts if grain_of(grain)]
            if not when:
                continue
            key = cast(table.start, String) if name == "trend" else table.key
            grouped = (table.measure, key, *((table.team_id, table.physician_id)
                                             if by_target else ()))
            columns = grouped if by_target else (*grouped, literal(TOTAL), literal(TOTAL))
            selects.append(select(literal(name), *columns, amount)
                           .where(or_(*when), table.measure.in_(measures_), targets(table))
                           .group_by(*grouped))
    tallied: Counter = Counter()
    rows = db.session.execute(union_all(*selects)).all()  # all at once: thousands of rows
    for name, measure, key, team, physician, n in rows:
        tallied[(name, measure, key, team, physician)] += int(n)
    return tallied


def _of_teams(team_ids: list[int], physician_ids: list[int]):
    return lambda table: or_(table.team_id.in_(team_ids),
                             table.physician_id.in_(physician_ids))


def _by_unit(tallied: Counter, teams: list[Team]) -> dict:
    """{unit: {question: {measure: Counter(key → n)}}}: the tallies by team, and under
    ALL each once (a request has one target)."""
    team_ids = {team.id for team in teams}
    by_physician: dict = defaultdict(list)
    for team in teams:
        if team.physician_id:
            by_physician[team.physician_id].append(team.id)
    owners_of: dict = {}
    units: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(Counter)))
    for (question, measure, key, team, physician), n in tallied.items():
        if team == TOTAL:
            owners = [ALL]
        else:
            owners = owners_of.get((team, physician))
            if owners is None:
                owners = ([team] if team in team_ids else []) + by_physician.get(physician, [])
                owners = owners_of[(team, physician)] = owners + [ALL] if owners else []
        for owner in owners:
            units[owner][question][measure][key] += n
    return units


def _counted_figures(unit: dict, months: list[Period], full: bool) -> Figures:
    """One unit's figures from its tallies (`_by_unit`); with `full`, its breakdowns and
    trend too."""
    period, snapshot = unit["period"], unit["snapshot"]
    keyed = {**period, **unit["breakdown"]}.get
    empty: Counter = Counter()
    received = period["received"][""]
    decision = {int(k): n for k, n in keyed("decision", empty).items()}
    consultation = {int(k): n for k, n in keyed("consultation", empty).items()}
    discussed = keyed("discussed", empty)
    figures = Figures(
        received=measures.count(received),
        resolved_share=measures.share(period["resolved"][""], received),
        returned_share=measures.share(period["returned"][""], received),
        decision_median=measures.days_counted(decision, "median"),
        decision_p90=measures.days_counted(decision, "p90"),
        consultation_median=measures.days_counted(consultation, "median"),
        consultation_p90=measures.days_counted(consultation, "p90"),
        discussed=measures.count(sum(discussed.values())),
        actions_open=measures.count(snapshot["open_from"][""] - snapshot["open_until"][""]),
        actions_overdue=measures.count(snapshot["overdue_from"][""]
                                       - snapshot["overdue_until"][""]),
    )
    if not full:
        return figures
    by_month = {date.fromisoformat(str(key)[:10]): n
                for key, n in unit["trend"]["received"].items()}
    return replace(
        figures,
        by_kind=_breakdown(keyed("by_kind", empty), ORGANISATION_KINDS),
        by_mode=_breakdown(discussed, MODES),
        by_service=sorted(((int(key) if key != NO_SERVICE else key, measures.count(n))
                           for key, n in keyed("service", empty).items() if n),
                          key=_service_order),
        paths=_breakdown(keyed("path", empty), PATHS),
        plan_changed=_breakdown(keyed("plan", empty), PLAN_CHANGES),
        meeting_needed=_breakdown(keyed("needed", empty), ("yes", "no")),
        trend=[(month, measures.count(by_month.get(month.start, 0))) for month in months],
    )


def compute(teams: list[Team], period: Period, kind: str | None = None, *,
            every_breakdown: bool = True) -> Indicators:
    """Every measure for `period`, for each team and for all of them together, from
    the counts and facts the ledger keeps (models.py); with a kind of organisation
    chosen, from the tables (`compute_direct`). Without `every_breakdown` (the page,
    which shows the breakdowns and the trend of all teams together only) a team's
    figures are its key figures: reading the breakdowns of every team of a region
    would cost most of the time."""
    if kind:
        return compute_direct(teams, period, kind)
    ledger.settle()
    snapshot = min(period.end, today())
    months = months_until(period)
    figures, services = {}, {}
    if teams:
        team_ids = [team.id for team in teams]
        physician_ids = sorted({team.physician_id for team in teams if team.physician_id})
        in_period = pieces(period.start, period.end)
        trend_months = [("month", months[0].start, months[-1].end + timedelta(days=1))]
        questions = {
            "period": (KEY_MEASURES, in_period, True),
            "breakdown": (BREAKDOWN_MEASURES, in_period, every_breakdown),
            "snapshot": (SNAPSHOT_MEASURES, pieces(EVER, snapshot), True),
            "trend": (("received",), trend_months, every_breakdown),
        }
        units = _by_unit(_tally(questions, _of_teams(team_ids, physician_ids)), teams)
        nothing = defaultdict(lambda: defaultdict(Counter))
        for key in [*team_ids, ALL]:
            figures[key] = _counted_figures(units.get(key, nothing), months,
                                            full=every_breakdown or key == ALL)
        # Asked for also when there are none: as many statements whatever the data.
        wanted = [key for key, _ in figures[ALL].by_service if key != NO_SERVICE]
        services = {row[0]: tuple(row[1:]) for row in db.session.execute(
            select(Service.id, Service.name_fi, Service.name_sv, Service.name_en)
            .where(Service.id.in_(wanted)))}
    return Indicators(period=period, kind=kind, teams=teams, figures=figures,
                      snapshot_day=snapshot, services=services)


def region_this_month(user) -> dict[str, measures.Value]:
    """A manager's "my work" figures: requests received this month, cases discussed
    this month and action items overdue today, for every team of their region
    together (the full set is on the indicators page)."""
    from consult.indicators.periods import month_of

    ledger.settle()
    region = select(Team).where(Team.region == user.organisation.region).subquery()

    def in_region(table):  # a region's case counts once, whichever of its teams has it
        return or_(table.team_id.in_(select(region.c.id)),
                   table.physician_id.in_(select(region.c.physician_id)
                                          .where(region.c.physician_id.is_not(None))))

    month = month_of(today())
    tallied = _tally({
        "month": (("received", "discussed"), pieces(month.start, month.end), False),
        "snapshot": (("overdue_from", "overdue_until"), pieces(EVER, today()), False),
    }, in_region)
    total: Counter = Counter()
    for (question, measure, _key, _team, _physician), n in tallied.items():
        total[(question, measure)] += n
    return {
        "received": measures.count(total[("month", "received")]),
        "discussed": measures.count(total[("month", "discussed")]),
        "overdue": measures.count(total[("snapshot", "overdue_from")]
                                  - total[("snapshot", "overdue_until")]),
    }


def service_names(indicators: Indicators, language: str) -> dict:
    """The catalogue names, in `language`, of the services the recommendations point to."""
    column = {"fi": 0, "sv": 1, "en": 2}.get(language, 0)
    return {service_id: names[column] or names[0]
            for service_id, names in indicators.services.items()}

"""My work (`/`, SPEC §4 flow 7): what is each role's, a section for each role the user
has, each linking to where the work is done.

The page costs the same number of statements whatever the amount of data (SPEC §10):
one for the teams, one for every count, and one per kind of row listed — meetings,
records, action items, the physician's requests — where the short lists of one kind
share their statement through UNION ALL, each keeping its own order and LIMIT.

It names no clients: a case is "Request N" with its dates. Every request it lists is
audited as listed, for "my_work", in one statement."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import and_, case, exists, func, literal_column, or_, select, union_all
from sqlalchemy.orm import contains_eager, defer, joinedload, lazyload

from consult.access import login_only
from consult.accounts.models import User
from consult.audit import services as audit
from consult.consultations.models import ConsultationRequest
from consult.consultations.states import STATES
from consult.consultations.views import state_labels
from consult.extensions import db
from consult.forms.scheduling import slot_mode_labels
from consult.indicators import charts
from consult.indicators import services as indicators
from consult.meetings.models import AgendaItem, Meeting
from consult.organisations.models import Organisation, Team, TeamMembership
from consult.protocols import services as records
from consult.protocols.models import ActionItem, Protocol
from consult.protocols.views import kind_labels
from consult.scheduling.availability import monday_of, utc_bounds
from consult.scheduling.models import Booking, Slot
from consult.timeutil import to_helsinki, today, utcnow

bp = Blueprint("home", __name__)

LIMIT = 10  # rows a list shows (the unioned lists read one more, to tell there are more)
MEETINGS_SHOWN = 5
WEEK_LIMIT = 40  # a physician's booked times in one week: two full days of short slots
NEW_FOR_DAYS = 14  # how long a final record counts as new recommendations for its referrer
FOLLOW_UP_WITHIN_DAYS = 7  # follow-ups due this soon are listed

# A returned request waits for its referrer: it comes first.
STATE_ORDER = ("returned", *(s for s in STATES if s != "returned"))

CR = ConsultationRequest


def _shown(rows: list, limit: int = LIMIT) -> tuple[list, bool]:
    """The rows to show, and whether there were more."""
    return rows[:limit], len(rows) > limit


def _ranked_union(parts: dict[str, tuple]):
    """Several short lists of one kind of row, as one subquery of (id, kind, position).

    Each part is (a select of one id column, its order, its limit); each keeps its
    order and its own LIMIT (plus one row, to tell that there are more), so a long
    list never crowds out a short one. The kinds are names from this module."""
    branches = []
    for kind, (ids, order, limit) in parts.items():
        ranked = (ids.add_columns(func.row_number().over(order_by=order).label("position"))
                  .order_by(*order).limit(limit + 1).subquery())
        branches.append(select(ranked.c[0].label("id"), ranked.c.position,
                               literal_column(f"'{kind}'").label("kind")))
    return (union_all(*branches) if len(branches) > 1 else branches[0]).subquery()


def _by_kind(rows, kinds) -> dict[str, list]:
    """Rows of `select(..., union.c.kind)` split into their lists, in order."""
    lists: dict[str, list] = {kind: [] for kind in kinds}
    for *row, kind in rows:
        lists[kind].append(row[0] if len(row) == 1 else tuple(row))
    return lists


# Teams and counts ----------------------------------------------------------------

def _my_teams(user) -> list[tuple[Team, bool, int, int]]:
    """The user's teams (as member, coordinator or team physician), each with whether
    they coordinate it and, if so, its new requests: (team, coordinates, new, urgent)."""
    mine = select(TeamMembership.team_id).where(TeamMembership.user_id == user.id)
    coordinates = exists().where(TeamMembership.team_id == Team.id,
                                 TeamMembership.user_id == user.id,
                                 TeamMembership.role == "coordinator")
    if user.has_role("coordinator"):
        new = and_(CR.target_team_id == Team.id, CR.state == "submitted")
        counts = (select(func.count(CR.id)).where(new).scalar_subquery(),
                  select(func.count(CR.id)).where(new, CR.urgency == "urgent").scalar_subquery())
    else:  # a membership row alone does not make a coordinator
        coordinates, counts = literal_column("0"), (literal_column("0"), literal_column("0"))
    rows = db.session.execute(
        select(Team, coordinates, *counts)
        .where(or_(Team.id.in_(mine), Team.physician_id == user.id))
        .options(lazyload(Team.memberships)).order_by(Team.name, Team.id)).all()
    return [(team, bool(coordinates), new or 0, urgent or 0)
            for team, coordinates, new, urgent in rows]


def _mine_open(user, *where) -> tuple:
    """Conditions on ActionItem and Protocol for the user's open action items of final
    records (and `where`): theirs by name, or an organisation's on a case they refer
    (the referrer completes those)."""
    return (Protocol.finalised_at.is_not(None),
            ActionItem.id.in_(records.action_items_of(user, ActionItem.state == "open", *where)))


def _action_item_count(user, *where):
    return (select(func.count(ActionItem.id))
            .join(Protocol, Protocol.id == ActionItem.protocol_id)
            .where(*_mine_open(user, *where)).scalar_subquery())


def _counts(user, *, acts: bool) -> dict[str, int]:
    """Every number the page shows, in one statement."""
    columns = []
    if user.has_role("referrer"):
        # One pass over the referrer's requests: a column per state.
        mine = select(*(func.count(case((CR.state == state, 1))).label(state)
                        for state in STATES)).where(CR.referrer_id == user.id).subquery()
        columns += list(mine.c)
    if user.has_role("physician"):
        columns.append(select(func.count(CR.id)).where(
            CR.target_physician_id == user.id, CR.state == "submitted")
            .scalar_subquery().label("new_to_me"))
    if acts:
        columns += [_action_item_count(user).label("open_actions"),
                    _action_item_count(user, ActionItem.due_on < today()).label("overdue")]
    if user.has_role("admin"):
        columns += [select(func.count(Organisation.id)).scalar_subquery().label("organisations"),
                    select(func.count(Team.id)).scalar_subquery().label("teams"),
                    select(func.count(User.id)).scalar_subquery().label("users")]
    if not columns:
        return {}
    return {name: int(value or 0)
            for name, value in db.session.execute(select(*columns)).one()._asdict().items()}


# Lists ---------------------------------------------------------------------------

def _meetings(team_ids, coordinated) -> dict[str, list]:
    """The next meetings of the user's teams; for coordinators, held meetings whose
    protocols are not all finalised yet, with how many cases are still open."""
    parts = {}
    if team_ids:
        parts["upcoming"] = (
            select(Meeting.id).where(Meeting.team_id.in_(team_ids), Meeting.ends_at > utcnow(),
                                     Meeting.state != "cancelled"),
            (Meeting.starts_at, Meeting.id), MEETINGS_SHOWN)
    if coordinated:
        still_open = exists().where(AgendaItem.meeting_id == Meeting.id,
                                    AgendaItem.state == "on_agenda")
        parts["to_finalise"] = (
            select(Meeting.id).where(Meeting.team_id.in_(coordinated), Meeting.state == "held",
                                     still_open),
            (Meeting.starts_at, Meeting.id), LIMIT)
    if not parts:
        return {}
    ranked = _ranked_union(parts)
    open_items = (select(func.count(AgendaItem.id))
                  .where(AgendaItem.meeting_id == Meeting.id, AgendaItem.state == "on_agenda")
                  .scalar_subquery())
    rows = db.session.execute(
        select(Meeting, open_items, ranked.c.kind).join(ranked, ranked.c.id == Meeting.id)
        .order_by(ranked.c.kind, ranked.c.position)).all()
    return _by_kind(rows, parts)


def _referrer_records(user) -> dict[str, list[Protocol]]:
    """The user's discussed cases: final records of the last NEW_FOR_DAYS days (new
    recommendations), and follow-ups due within FOLLOW_UP_WITHIN_DAYS, overdue first."""
    final = (select(Protocol.id).join(CR, CR.id == Protocol.request_id)
             .where(CR.referrer_id == user.id, CR.state == "discussed",
                    Protocol.finalised_at.is_not(None)))
    parts = {
        "new": (final.where(Protocol.finalised_at >= utcnow() - timedelta(days=NEW_FOR_DAYS)),
                (Protocol.finalised_at.desc(), Protocol.id.desc()), LIMIT),
        "follow_up": (final.where(Protocol.follow_up_on
                                  <= today() + timedelta(days=FOLLOW_UP_WITHIN_DAYS)),
                      (Protocol.follow_up_on, Protocol.id), LIMIT),
    }
    ranked = _ranked_union(parts)
    rows = db.session.execute(
        select(Protocol, ranked.c.kind).join(ranked, ranked.c.id == Protocol.id)
        .options(defer(Protocol.notes), defer(Protocol.attendees),
                 joinedload(Protocol.request).lazyload("*"))
        .order_by(ranked.c.kind, ranked.c.position)).all()
    return _by_kind(rows, parts)


def _action_items(user) -> list[ActionItem]:
    """The user's open action items, overdue first, then by due date (those without
    one last)."""
    return list(db.session.scalars(
        select(ActionItem).join(ActionItem.protocol).join(CR, CR.id == Protocol.request_id)
        .where(*_mine_open(user))
        .options(contains_eager(ActionItem.protocol).defer(Protocol.notes),
                 contains_eager(ActionItem.protocol).defer(Protocol.attendees),
                 contains_eager(ActionItem.protocol).contains_eager(Protocol.request))
        .order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id)
        .limit(LIMIT)))


def _physician_lists(user) -> dict[str, list[tuple]]:
    """The physician's booked times from today to Sunday (Helsinki), and the records
    to sign: appointments whose time has begun, and accepted written statements. Rows
    are (request, slot or None)."""
    start_of_today, end_of_week = utc_bounds(today(), monday_of(today()) + timedelta(days=7))
    booked = and_(Booking.request_id == CR.id, Booking.state == "active")
    parts = {
        "week": (select(CR.id).join(Booking, booked).join(Slot, Slot.id == Booking.slot_id)
                 .where(Slot.physician_id == user.id, Slot.starts_at >= start_of_today,
                        Slot.starts_at < end_of_week),
                 (Slot.starts_at, CR.id), WEEK_LIMIT),
        "to_sign": (select(CR.id).outerjoin(Booking, booked)
                    .outerjoin(Slot, Slot.id == Booking.slot_id)
                    # The two states also on their own: a lookup in the index of
                    # the physician's requests by state, not all their requests.
                    .where(CR.target_physician_id == user.id,
                           CR.state.in_(("scheduled", "accepted")), or_(
                        and_(CR.state == "scheduled", Slot.starts_at <= utcnow()),
                        and_(CR.state == "accepted", CR.mode == "written_statement"))),
                    (func.coalesce(Slot.starts_at, CR.first_submitted_at), CR.id), LIMIT),
    }
    ranked = _ranked_union(parts)
    rows = db.session.execute(
        select(CR, Slot, ranked.c.kind).join(ranked, ranked.c.id == CR.id)
        .outerjoin(Booking, booked).outerjoin(Slot, Slot.id == Booking.slot_id)
        .options(lazyload("*"))
        .order_by(ranked.c.kind, ranked.c.position)).all()
    return _by_kind(rows, parts)


def _audit_listed(requests) -> None:
    """One event per request shown (each names its client), however many lists show it."""
    unique = list({r.id: r for r in requests}.values())
    audit.record_listed("consultation_request", unique, client_id_of=lambda r: r.client_id,
                        purpose="my_work")


@bp.route("/")
@login_only
def my_work():
    user = current_user
    is_referrer, is_physician = user.has_role("referrer"), user.has_role("physician")
    in_teams = user.has_role("coordinator", "member", "physician")
    has_acts = user.has_role("referrer", "coordinator", "member", "physician")

    team_rows = _my_teams(user) if in_teams else []
    teams = [row[0] for row in team_rows]
    coordinated = {team.id for team, coordinates, *_ in team_rows if coordinates}
    new_by_team = {team.id: (new, urgent) for team, coordinates, new, urgent in team_rows
                   if coordinates and new}
    counts = _counts(user, acts=has_acts)
    meetings = _meetings([t.id for t in teams], coordinated)
    records = _referrer_records(user) if is_referrer else {}
    actions = _action_items(user) if has_acts else []  # the count tells how many in all
    physician = _physician_lists(user) if is_physician else {}
    region = indicators.region_this_month(user) if user.has_role("manager") else None

    new_records, more_new = _shown(records.get("new", []))
    follow_ups, more_follow_ups = _shown(records.get("follow_up", []))
    to_finalise, more_to_finalise = _shown(meetings.get("to_finalise", []))
    week, more_week = _shown(physician.get("week", []), WEEK_LIMIT)
    to_sign, more_to_sign = _shown(physician.get("to_sign", []))
    this_day = today()
    _audit_listed([p.request for p in new_records + follow_ups]
                  + [a.protocol.request for a in actions]
                  + [req for req, _slot in week + to_sign])
    db.session.commit()
    return render_template(
        "home/my_work.html", teams=teams, coordinated=coordinated,
        team_names={t.id: t.name for t in teams},
        upcoming=[m for m, _open in meetings.get("upcoming", [])][:MEETINGS_SHOWN],
        counts=counts,
        my_requests=[(s, counts[s]) for s in STATE_ORDER if counts.get(s)],
        new_by_team=new_by_team, new_to_me=counts.get("new_to_me", 0),
        new_records=new_records, more_new=more_new,
        follow_ups=follow_ups, more_follow_ups=more_follow_ups,
        actions=actions,
        to_finalise=to_finalise, more_to_finalise=more_to_finalise,
        today_slots=[(r, s) for r, s in week if to_helsinki(s.starts_at).date() == this_day],
        later_slots=[(r, s) for r, s in week if to_helsinki(s.starts_at).date() != this_day],
        more_week=more_week, to_sign=to_sign, more_to_sign=more_to_sign,
        follow_up_horizon=this_day + timedelta(days=FOLLOW_UP_WITHIN_DAYS),
        region=region, shown=charts.shown,
        state_labels=state_labels(), kind_labels=kind_labels(), slot_modes=slot_mode_labels(),
        local_date=lambda value: to_helsinki(value).date())

"""A physician's availability (SPEC §3): weekly rules, absences, and the slots generated
from them ahead of time. Services flush, never commit.

Slots are rows so that a booking can hold one under a unique index. The rules say which
slots should exist; `generate_slots` makes the stored future slots agree with them,
without ever deleting a slot a booking refers to (the booking's history and calendar UID
hang on it) and without touching the past."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache

import holidays
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from consult.extensions import db
from consult.scheduling.models import (
    SLOT_MODES,
    AvailabilityException,
    AvailabilityRule,
    Booking,
    Slot,
    SlotProposal,
)
from consult.timeutil import HELSINKI, to_helsinki, today, utcnow

SLOT_WEEKS_AHEAD = 8
SLOT_MINUTES_MIN = 10
SLOT_MINUTES_MAX = 240

# The `holidays` package's names for the holidays, in the UI's languages.
HOLIDAY_LANGUAGES = {"fi": "fi", "sv": "sv_FI", "en": "en_US"}


class AvailabilityError(ValueError):
    """A refused change; `message` is shown to the user."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def is_own(user, obj) -> bool:
    """The access policy of this domain: rules, absences and slots are the physician's
    own; nobody else sees or changes them here."""
    return obj is not None and user.has_role("physician") and obj.physician_id == user.id


# Calendar ------------------------------------------------------------------------

@lru_cache(maxsize=64)
def _holidays_of_year(year: int, language: str) -> tuple[tuple[date, str], ...]:
    names = holidays.country_holidays("FI", years=year, language=language)
    return tuple(sorted(names.items()))


def finnish_holidays(first: date, last: date, language: str = "fi") -> dict[date, str]:
    """Finnish public holidays from `first` to `last` inclusive, with their names.
    Midsummer Eve and Christmas Eve count: the package lists them and nobody works."""
    lang = HOLIDAY_LANGUAGES.get(language, language)
    found: dict[date, str] = {}
    for year in range(first.year, last.year + 1):
        found.update((d, name) for d, name in _holidays_of_year(year, lang) if first <= d <= last)
    return found


def monday_of(day: date) -> date:
    return day - timedelta(days=day.isoweekday() - 1)


def local_to_utc(day: date, wall: time) -> datetime | None:
    """Helsinki wall time on `day` as naive UTC; None when that time does not exist (the
    hour skipped when summer time begins). An ambiguous time (the hour repeated when it
    ends) means its first occurrence (fold=0)."""
    local = datetime.combine(day, wall, tzinfo=HELSINKI)
    utc = local.astimezone(timezone.utc)
    if utc.astimezone(HELSINKI).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return utc.replace(tzinfo=None)


def utc_bounds(first: date, end: date) -> tuple[datetime, datetime]:
    """Naive UTC instants of local midnight at `first` and at `end` (exclusive)."""
    return (datetime.combine(first, time(0), tzinfo=HELSINKI).astimezone(timezone.utc)
            .replace(tzinfo=None),
            datetime.combine(end, time(0), tzinfo=HELSINKI).astimezone(timezone.utc)
            .replace(tzinfo=None))


def rule_times(rule: AvailabilityRule, day: date) -> list[tuple[datetime, datetime]]:
    """The (starts_at, ends_at) pairs in naive UTC that `rule` gives on `day`: from the
    start, one slot length at a time, while the slot ends by the end (wall time). A slot
    lasts its length in real time, also on a night the clocks change."""
    pairs = []
    length = timedelta(minutes=rule.slot_minutes)
    wall = datetime.combine(day, rule.start_time)
    last = datetime.combine(day, rule.end_time)
    while wall + length <= last:
        starts_at = local_to_utc(day, wall.time())
        if starts_at is not None:
            pairs.append((starts_at, starts_at + length))
        wall += length
    return pairs


def _covered(day: date, absences) -> bool:
    return any(a.starts_on <= day <= a.ends_on for a in absences)


@dataclass
class _Wanted:
    ends_at: datetime
    mode: str
    location: str


def _wanted_slots(rules, absences, first: date, end: date) -> dict[datetime, _Wanted]:
    """Every slot the rules give from `first` to `end` (exclusive), keyed by starts_at,
    holidays and absences left out."""
    by_weekday = defaultdict(list)
    for rule in sorted(rules, key=lambda r: (r.start_time, r.id or 0)):
        by_weekday[rule.weekday].append(rule)
    closed = finnish_holidays(first, end - timedelta(days=1))
    wanted: dict[datetime, _Wanted] = {}
    day = first
    while day < end:
        if day not in closed and not _covered(day, absences):
            for rule in by_weekday.get(day.isoweekday(), ()):
                for starts_at, ends_at in rule_times(rule, day):
                    wanted.setdefault(starts_at, _Wanted(ends_at, rule.mode, rule.location))
        day += timedelta(days=1)
    return wanted


def _rules_of(physician) -> list[AvailabilityRule]:
    return list(db.session.scalars(
        select(AvailabilityRule).where(AvailabilityRule.physician_id == physician.id)
        .order_by(AvailabilityRule.weekday, AvailabilityRule.start_time, AvailabilityRule.id)))


def _absences_of(physician, first: date, last: date) -> list[AvailabilityException]:
    """Absences that touch the days from `first` to `last` inclusive."""
    return list(db.session.scalars(
        select(AvailabilityException)
        .where(AvailabilityException.physician_id == physician.id,
               AvailabilityException.ends_on >= first,
               AvailabilityException.starts_on <= last)
        .order_by(AvailabilityException.starts_on, AvailabilityException.id)))


# Generation ----------------------------------------------------------------------

def generate_slots(physician, *, start: date | None = None, weeks: int = SLOT_WEEKS_AHEAD) -> int:
    """Make the physician's future slots from `start` (default today, Helsinki) for
    `weeks` weeks agree with the rules, absences and public holidays. Idempotent.

    Missing slots are created; existing ones are kept. A future slot the rules no longer
    give is deleted with its proposals when no booking refers to it, blocked when only
    cancelled bookings do, and left alone while an active booking holds it (the week
    view flags it). Returns the number of slots created."""
    first = start or today()
    end = first + timedelta(weeks=weeks)
    now = utcnow()
    window_start, window_end = utc_bounds(first, end)

    rules = _rules_of(physician)
    absences = _absences_of(physician, first, end - timedelta(days=1))
    wanted = _wanted_slots(rules, absences, first, end)

    existing = {
        slot.starts_at: slot
        for slot in db.session.scalars(
            select(Slot).where(Slot.physician_id == physician.id, Slot.starts_at > now,
                               Slot.starts_at >= window_start, Slot.starts_at < window_end))
    }
    booking_states = _booking_states([s.id for s in existing.values()])

    doomed: list[int] = []
    for starts_at, slot in existing.items():
        states = booking_states.get(slot.id, set())
        wish = wanted.get(starts_at)
        if wish is not None:
            if "active" not in states and (slot.ends_at, slot.mode, slot.location) != (
                    wish.ends_at, wish.mode, wish.location):
                # A changed rule: an unbooked slot takes the rule's length, mode and place.
                slot.ends_at, slot.mode, slot.location = wish.ends_at, wish.mode, wish.location
        elif "active" in states:
            continue  # the booking stands; the week view flags the slot
        elif states:
            slot.is_blocked = True  # cancelled bookings keep the row, and their history
        else:
            doomed.append(slot.id)

    if doomed:
        db.session.execute(delete(SlotProposal).where(SlotProposal.slot_id.in_(doomed)))
        db.session.execute(delete(Slot).where(Slot.id.in_(doomed)))

    # A booked slot keeps its time even when the rules changed around it: no new free
    # slot may overlap it, or the physician would be offered twice at once.
    held = [(s.starts_at, s.ends_at) for s in existing.values()
            if "active" in booking_states.get(s.id, set())]
    created = 0
    for starts_at, wish in sorted(wanted.items()):
        if starts_at <= now or starts_at in existing:
            continue
        if any(starts_at < held_end and held_start < wish.ends_at
               for held_start, held_end in held):
            continue
        db.session.add(Slot(physician_id=physician.id, starts_at=starts_at,
                            ends_at=wish.ends_at, mode=wish.mode, location=wish.location))
        created += 1
    db.session.flush()
    return created


def _booking_states(slot_ids: list[int]) -> dict[int, set[str]]:
    if not slot_ids:
        return {}
    states: dict[int, set[str]] = defaultdict(set)
    rows = db.session.execute(
        select(Booking.slot_id, Booking.state).where(Booking.slot_id.in_(slot_ids)).distinct())
    for slot_id, state in rows:
        states[slot_id].add(state)
    return states


def regenerate(physician) -> int:
    """After a change of rules or absences: from today over the usual horizon, and
    further if slots were already generated further."""
    horizon = today() + timedelta(weeks=SLOT_WEEKS_AHEAD)
    farthest = db.session.scalar(
        select(func.max(Slot.starts_at)).where(Slot.physician_id == physician.id))
    if farthest is not None:
        horizon = max(horizon, to_helsinki(farthest).date() + timedelta(days=1))
    weeks = -(-(horizon - today()).days // 7)
    return generate_slots(physician, start=today(), weeks=weeks)


# Rules and absences -----------------------------------------------------------------

def check_rule(*, weekday: int, start_time: time, end_time: time, slot_minutes: int,
               mode: str, location: str) -> None:
    """The rules a weekly rule must follow; the form checks the same, field by field."""
    if weekday not in range(1, 8):
        raise AvailabilityError(_l("Choose a weekday."))
    if mode not in SLOT_MODES:
        raise AvailabilityError(_l("Choose a way of consulting."))
    if end_time <= start_time:
        raise AvailabilityError(_l("The end must be after the start."))
    if not SLOT_MINUTES_MIN <= slot_minutes <= SLOT_MINUTES_MAX:
        raise AvailabilityError(_l("A slot lasts from %(min)s to %(max)s minutes.",
                                   min=SLOT_MINUTES_MIN, max=SLOT_MINUTES_MAX))
    span = datetime.combine(date.min, end_time) - datetime.combine(date.min, start_time)
    if span < timedelta(minutes=slot_minutes):
        raise AvailabilityError(_l("Not even one slot of this length fits between the start "
                                   "and the end."))
    if mode == "video" and not location.lower().startswith("https://"):
        raise AvailabilityError(_l("Give the video link (https://…)."))
    if mode == "in_person" and not location:
        raise AvailabilityError(_l("Give the place."))


class RuleOverlap(AvailabilityError):
    """The new rule's hours overlap another rule on the same weekday."""


def add_rule(physician, *, weekday: int, start_time: time, end_time: time, slot_minutes: int,
             mode: str, location: str = "") -> AvailabilityRule:
    location = (location or "").strip()
    check_rule(weekday=weekday, start_time=start_time, end_time=end_time,
               slot_minutes=slot_minutes, mode=mode, location=location)
    clash = db.session.scalar(
        select(AvailabilityRule.id).where(
            AvailabilityRule.physician_id == physician.id, AvailabilityRule.weekday == weekday,
            AvailabilityRule.start_time < end_time, AvailabilityRule.end_time > start_time))
    if clash is not None:
        raise RuleOverlap(_l("These hours overlap another rule on the same weekday."))
    rule = AvailabilityRule(physician_id=physician.id, weekday=weekday, start_time=start_time,
                            end_time=end_time, slot_minutes=slot_minutes, mode=mode,
                            location=location)
    db.session.add(rule)
    db.session.flush()
    regenerate(physician)
    return rule


def delete_rule(rule: AvailabilityRule) -> None:
    physician = _physician(rule)
    db.session.delete(rule)
    db.session.flush()
    regenerate(physician)


def add_absence(physician, starts_on: date, ends_on: date, reason: str = "") -> AvailabilityException:
    if ends_on < starts_on:
        raise AvailabilityError(_l("The absence must end on or after its first day."))
    absence = AvailabilityException(physician_id=physician.id, starts_on=starts_on,
                                    ends_on=ends_on, reason=(reason or "").strip())
    db.session.add(absence)
    db.session.flush()
    regenerate(physician)
    return absence


def delete_absence(absence: AvailabilityException) -> None:
    physician = _physician(absence)
    db.session.delete(absence)
    db.session.flush()
    regenerate(physician)


def _physician(obj):
    from consult.accounts.models import User

    return db.session.get(User, obj.physician_id)


def booked_slots_between(physician, first: date, last: date) -> int:
    """Future slots with an active booking from `first` to `last` inclusive (Helsinki)."""
    lower, upper = utc_bounds(first, last + timedelta(days=1))
    return db.session.scalar(
        select(func.count(Slot.id)).join(Booking, Booking.slot_id == Slot.id)
        .where(Slot.physician_id == physician.id, Booking.state == "active",
               Slot.starts_at >= max(lower, utcnow()), Slot.starts_at < upper)) or 0


# Slots ----------------------------------------------------------------------------

def slot_state(slot: Slot) -> str:
    """free, booked (an active booking holds it) or blocked."""
    has_active = db.session.scalar(
        select(Booking.id).where(Booking.slot_id == slot.id, Booking.state == "active")
        .limit(1)) is not None
    if has_active:
        return "booked"
    return "blocked" if slot.is_blocked else "free"


def is_within_rules(slot: Slot) -> bool:
    """Whether the physician's current rules give this slot (no absence, no holiday)."""
    day = to_helsinki(slot.starts_at).date()
    physician = _physician(slot)
    wanted = _wanted_slots(_rules_of(physician), _absences_of(physician, day, day),
                           day, day + timedelta(days=1))
    return slot.starts_at in wanted


def block_slot(slot: Slot) -> None:
    """Close a free slot: nobody can book it or pick it from a proposal."""
    if slot.starts_at <= utcnow():
        raise AvailabilityError(_l("A past slot cannot be changed."))
    if slot_state(slot) == "booked":
        raise AvailabilityError(_l("A booked slot cannot be blocked. Cancel or move the "
                                   "booking first."))
    slot.is_blocked = True
    db.session.flush()


def unblock_slot(slot: Slot) -> None:
    """Open a blocked slot again, if the rules still give that time."""
    if slot.starts_at <= utcnow():
        raise AvailabilityError(_l("A past slot cannot be changed."))
    if not is_within_rules(slot):
        raise AvailabilityError(_l("This time is no longer in your availability (an absence, "
                                   "a public holiday or no weekly rule covers it)."))
    slot.is_blocked = False
    db.session.flush()


# Week view ------------------------------------------------------------------------

@dataclass
class SlotRow:
    slot: Slot
    state: str  # free | booked | blocked
    request_id: int | None  # the booked request
    # Not given by the current rules: in an absence, on a holiday, or no rule says so.
    outside_rules: bool
    is_past: bool


@dataclass
class Day:
    date: date
    holiday: str | None
    absences: list[AvailabilityException] = field(default_factory=list)
    slots: list[SlotRow] = field(default_factory=list)


@dataclass
class Week:
    monday: date
    days: list[Day]
    rules: list[AvailabilityRule]
    absences: list[AvailabilityException]  # every absence that has not ended yet


def week_view(physician, monday: date, language: str = "fi") -> Week:
    """Monday to Sunday (Helsinki) with holidays, absences and slots in time order,
    each slot with its state. Three statements, whatever the number of slots."""
    monday = monday_of(monday)
    end = monday + timedelta(days=7)
    rules = _rules_of(physician)
    current = today()
    # One query for both the week's absences and the list of those not yet ended.
    absences = list(db.session.scalars(
        select(AvailabilityException)
        .where(AvailabilityException.physician_id == physician.id,
               AvailabilityException.ends_on >= min(monday, current))
        .order_by(AvailabilityException.starts_on, AvailabilityException.id)))
    lower, upper = utc_bounds(monday, end)
    rows = db.session.execute(
        select(Slot, Booking.request_id)
        .outerjoin(Booking, (Booking.slot_id == Slot.id) & (Booking.state == "active"))
        .where(Slot.physician_id == physician.id, Slot.starts_at >= lower,
               Slot.starts_at < upper)
        .order_by(Slot.starts_at, Slot.id)).all()

    wanted = _wanted_slots(rules, absences, monday, end)
    names = finnish_holidays(monday, end - timedelta(days=1), language)
    days = {monday + timedelta(days=i): Day(date=monday + timedelta(days=i),
                                            holiday=names.get(monday + timedelta(days=i)))
            for i in range(7)}
    for day in days.values():
        day.absences = [a for a in absences if a.starts_on <= day.date <= a.ends_on]
    now = utcnow()
    for slot, request_id in rows:
        state = "booked" if request_id is not None else ("blocked" if slot.is_blocked else "free")
        days[to_helsinki(slot.starts_at).date()].slots.append(SlotRow(
            slot=slot, state=state, request_id=request_id,
            outside_rules=slot.starts_at not in wanted, is_past=slot.starts_at <= now))
    return Week(monday=monday, days=list(days.values()), rules=rules,
                absences=[a for a in absences if a.ends_on >= current])

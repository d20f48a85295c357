"""Booking a physician's slot for a request, proposing slots for the referrer to pick,
cancelling and moving a booking (SPEC §3, §4 flow 4). Services flush, never commit.

Integrity: the state change comes first, so that on SQLite the request's write lock is
held before the slot is checked; the booking row is then inserted, and the partial
unique index over active bookings refuses a second booking of the slot on either
engine, whatever the concurrency. The loser gets SlotTaken and the caller rolls back."""
from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from consult.consultations import services as consultations
from consult.consultations.states import APPOINTMENT_MODES
from consult.extensions import db
from consult.invites import dispatch
from consult.scheduling.models import Booking, Slot, SlotProposal
from consult.timeutil import to_helsinki, utcnow

PROPOSE_MIN, PROPOSE_MAX = 2, 3


class SlotTaken(consultations.TransitionRefused):
    """Someone else booked the slot first."""

    def __init__(self, slot: Slot):
        super().__init__(_l("This time was just taken. Choose another one."))
        self.slot = slot


def is_appointment(request) -> bool:
    return request.target_physician_id is not None and request.mode in APPOINTMENT_MODES


def active_booking(request) -> Booking | None:
    return db.session.scalar(select(Booking).where(
        Booking.request_id == request.id, Booking.state == "active"))


def _free(physician_id: int):
    """Future slots of the physician that nothing holds."""
    taken = exists().where(Booking.slot_id == Slot.id, Booking.state == "active")
    return select(Slot).where(Slot.physician_id == physician_id, Slot.starts_at > utcnow(),
                              Slot.is_blocked.is_(False), ~taken)


def free_slots(request, *, limit: int = 24) -> list[Slot]:
    """Free slots of the request's physician in its way of consulting, the ones on the
    request's preferred days first."""
    slots = db.session.scalars(_free(request.target_physician_id)
                               .where(Slot.mode == request.mode)
                               .order_by(Slot.starts_at).limit(limit)).all()
    return preferred_first(slots, request.preferred_dates)


def free_slots_around(slot: Slot, mode: str, *, count: int = 6) -> list[Slot]:
    """The free slots nearest to one that was just taken, in time order."""
    base = _free(slot.physician_id).where(Slot.mode == mode, Slot.id != slot.id)
    before = db.session.scalars(base.where(Slot.starts_at < slot.starts_at)
                                .order_by(Slot.starts_at.desc()).limit(count // 2)).all()
    after = db.session.scalars(base.where(Slot.starts_at >= slot.starts_at)
                               .order_by(Slot.starts_at).limit(count - len(before))).all()
    return sorted([*before, *after], key=lambda s: s.starts_at)


# Weekday words in Finnish, Swedish and English, Monday = 0: a word that starts with
# one of these names' first five letters ("tiistaisin", "Thursdays", "tisdagar") or
# is a three-letter abbreviation names the day. Two-letter Finnish abbreviations are
# left out: "to" and "ma" are ordinary words too.
_WEEKDAYS = {
    0: (("maanantai", "måndag", "monday"), ("mån", "mon")),
    1: (("tiistai", "tisdag", "tuesday"), ("tis", "tue")),
    2: (("keskiviikko", "onsdag", "wednesday"), ("ons", "wed")),
    3: (("torstai", "torsdag", "thursday"), ("tor", "thu")),
    4: (("perjantai", "fredag", "friday"), ("fre", "fri")),
    5: (("lauantai", "lördag", "saturday"), ("lör", "sat")),
    6: (("sunnuntai", "söndag", "sunday"), ("sön", "sun")),
}
_DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})?")


def _names_day(word: str, names, abbreviations) -> bool:
    return word in abbreviations or any(word.startswith(n[:5]) for n in names)


def preferred_days(text: str, *, year: int) -> tuple[set[date], set[int]]:
    """Dates (d.m. or d.m.yyyy) and weekdays a free-text preference names."""
    text = (text or "").casefold()
    dates = set()
    for day, month, full_year in _DATE.findall(text):
        try:
            dates.add(date(int(full_year or year), int(month), int(day)))
        except ValueError:
            continue
    words = set(re.findall(r"[a-zåäö]+", text))
    weekdays = {n for n, (names, abbreviations) in _WEEKDAYS.items()
                if any(_names_day(w, names, abbreviations) for w in words)}
    return dates, weekdays


def preferred_first(slots: list[Slot], preference: str) -> list[Slot]:
    if not preference or not slots:
        return list(slots)
    dates, weekdays = preferred_days(preference, year=to_helsinki(slots[0].starts_at).year)

    def preferred(slot: Slot) -> bool:
        local = to_helsinki(slot.starts_at).date()
        return local in dates or local.weekday() in weekdays

    return sorted(slots, key=lambda s: (not preferred(s), s.starts_at))


def _check_slot(request, slot: Slot) -> None:
    if (slot is None or slot.physician_id != request.target_physician_id
            or slot.starts_at <= utcnow() or slot.mode != request.mode or slot.is_blocked):
        raise consultations.TransitionRefused(_l("Choose a free time of this physician."))


def _taken(slot: Slot) -> bool:
    return db.session.scalar(select(Booking.id).where(
        Booking.slot_id == slot.id, Booking.state == "active")) is not None


def _hold(request, slot: Slot, actor) -> Booking:
    """Insert the booking; the database refuses it if the slot was taken meanwhile."""
    if _taken(slot):
        raise SlotTaken(slot)
    booking = Booking(request_id=request.id, slot_id=slot.id, booked_by_id=actor.id)
    db.session.add(booking)
    try:
        db.session.flush()
    except IntegrityError:  # the caller rolls the whole request back
        raise SlotTaken(slot) from None
    return booking


def _clear_proposals(request) -> None:
    for proposal in db.session.scalars(select(SlotProposal).where(
            SlotProposal.request_id == request.id)):
        db.session.delete(proposal)


def book(request, slot: Slot, actor) -> Booking:
    """The physician books a free slot: submitted → scheduled."""
    _check_slot(request, slot)
    consultations.perform(request, "book_slot", actor)
    booking = _hold(request, slot, actor)
    _clear_proposals(request)
    db.session.flush()
    dispatch.send_booking(booking, "request")
    return booking


def propose(request, slots: list[Slot], actor) -> list[SlotProposal]:
    """The physician offers two or three free slots; the request stays submitted."""
    if not PROPOSE_MIN <= len(slots) <= PROPOSE_MAX:
        raise consultations.TransitionRefused(_l("Choose two or three times to propose."))
    for slot in slots:
        _check_slot(request, slot)
        if _taken(slot):
            raise SlotTaken(slot)
    consultations.perform(request, "propose_slots", actor)
    _clear_proposals(request)
    db.session.flush()
    proposals = [SlotProposal(request_id=request.id, slot_id=s.id, slot=s) for s in slots]
    db.session.add_all(proposals)
    db.session.flush()
    return proposals


def proposals_of(request) -> list[SlotProposal]:
    return list(db.session.scalars(
        select(SlotProposal).join(SlotProposal.slot).where(SlotProposal.request_id == request.id)
        .options(contains_eager(SlotProposal.slot)).order_by(Slot.starts_at)))


def pick(request, slot: Slot, actor) -> Booking:
    """The referrer picks one of the proposed slots: submitted → scheduled, unless
    someone booked it in between (SlotTaken)."""
    if slot is None or slot.id not in {p.slot_id for p in proposals_of(request)}:
        raise consultations.TransitionRefused(_l("Choose one of the proposed times."))
    _check_slot(request, slot)
    consultations.perform(request, "pick_slot", actor)
    booking = _hold(request, slot, actor)
    _clear_proposals(request)
    db.session.flush()
    dispatch.send_booking(booking, "request")
    return booking


def cancel(request, actor, reason: str) -> None:
    """The physician cancels the booking with a reason: the slot frees and the request
    goes back to submitted (consultations.perform releases the booking)."""
    consultations.perform(request, "cancel_booking", actor, message=reason)


def move(request, slot: Slot, actor) -> Booking:
    """Another free slot for the same booking, in one step: the request stays
    scheduled, the booking keeps its UID and its sequence rises."""
    booking = active_booking(request)
    if booking is None:
        raise consultations.TransitionRefused(_l("This request has no booked time."))
    _check_slot(request, slot)
    consultations.perform(request, "move_booking", actor)
    if _taken(slot):
        raise SlotTaken(slot)
    booking.slot = slot
    booking.sequence += 1
    try:
        db.session.flush()
    except IntegrityError:  # the caller rolls the whole request back
        raise SlotTaken(slot) from None
    dispatch.send_booking(booking, "update")
    return booking

"""Each user's personal calendar feed (`/calendar/<token>.ics`, SPEC §5): creating,
replacing and revoking the secret address, finding it by its token, and the events it
shows. Services flush, never commit.

The token is shown once and never stored: the row keeps a public selector and a hash
of the secret part (consult/tokens.py). The feed carries what the invites carry and
nothing more: no client data, a case named by its request number only."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from consult import tokens
from consult.accounts.models import User
from consult.audit import services as audit
from consult.consultations.models import ConsultationRequest
from consult.extensions import db
from consult.invites import ics
from consult.invites.models import CalendarFeed
from consult.meetings.models import AgendaItem, Delivery, Meeting
from consult.meetings.policy import visible_team_ids
from consult.scheduling.models import Booking, Slot
from consult.timeutil import utcnow

FEED_NAME = "consult"
# What a subscribed calendar shows: the recent past and the year ahead.
DAYS_BACK = 60
DAYS_AHEAD = 365
# A referrer's case on a meeting shows once the agenda has gone out (a cancelled
# meeting's cases only if their people had been invited, see _item_events).
ITEM_MEETING_STATES = ("agenda_sent", "held", "protocol_finalised", "cancelled")


# The address ---------------------------------------------------------------------------

def current_feed(user) -> CalendarFeed | None:
    """The user's feed address that still works, if any."""
    return db.session.scalar(
        select(CalendarFeed).where(CalendarFeed.user_id == user.id,
                                   CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.created_at.desc(), CalendarFeed.id.desc()).limit(1))


def _revoke_all(user) -> list[CalendarFeed]:
    now = utcnow()
    revoked = list(db.session.scalars(select(CalendarFeed).where(
        CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None))))
    for feed in revoked:
        feed.revoked_at = now
    return revoked


def create_feed(user) -> tuple[CalendarFeed, str]:
    """A new address for the user; any earlier one stops working. Returns the row and
    the token, which the caller shows once and must not keep."""
    for old in _revoke_all(user):
        audit.record("update", object_type="calendar_feed", object_id=old.id,
                     purpose="calendar_feed", detail="replaced", user=user)
    new = tokens.new_token()
    feed = CalendarFeed(user_id=user.id, selector=new.selector, secret_hash=new.secret_hash)
    db.session.add(feed)
    db.session.flush()
    audit.record("create", object_type="calendar_feed", object_id=feed.id,
                 purpose="calendar_feed", user=user)
    return feed, new.token


def revoke_feed(user) -> bool:
    """The user's address stops working. False when there was none."""
    revoked = _revoke_all(user)
    for feed in revoked:
        audit.record("update", object_type="calendar_feed", object_id=feed.id,
                     purpose="calendar_feed", detail="revoked", user=user)
    db.session.flush()
    return bool(revoked)


def find_feed(token: str) -> tuple[CalendarFeed, User] | None:
    """The working feed the token opens and its user, or None: malformed, unknown,
    revoked, a wrong secret or a deactivated user all look the same to the caller."""
    parts = tokens.split(token)
    if parts is None:
        return None
    selector, secret = parts
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.selector == selector))
    if feed is None or not tokens.matches(feed.secret_hash, secret):
        return None
    if feed.revoked_at is not None:
        return None
    user = db.session.get(User, feed.user_id)
    if user is None or not user.is_active_account:
        return None
    return feed, user


# The events ------------------------------------------------------------------------

def window(now=None):
    now = now or utcnow()
    return now - timedelta(days=DAYS_BACK), now + timedelta(days=DAYS_AHEAD)


def _meeting_events(user, start, end, language: str) -> list:
    """The meetings of the user's teams (not drafts; cancelled ones as cancelled)."""
    team_ids = visible_team_ids(user)
    if not team_ids:
        return []
    meetings = db.session.scalars(
        select(Meeting).where(Meeting.team_id.in_(team_ids), Meeting.state != "draft",
                              Meeting.starts_at >= start, Meeting.starts_at <= end)
        .options(joinedload(Meeting.team),
                 selectinload(Meeting.items).joinedload(AgendaItem.request)
                 .joinedload(ConsultationRequest.referrer),
                 selectinload(Meeting.items).selectinload(AgendaItem.guests))
        .order_by(Meeting.starts_at, Meeting.id)).unique().all()
    return [ics.meeting_event(meeting, language=language) for meeting in meetings]


def _item_events(user, start, end, language: str) -> list:
    """The cases the user refers, on meetings whose agenda went out. A case taken off
    shows as cancelled, but only if its people had been invited for it."""
    invited = exists().where(Delivery.item_id == AgendaItem.id)
    items = db.session.scalars(
        select(AgendaItem)
        .join(AgendaItem.meeting).join(AgendaItem.request)
        .where(ConsultationRequest.referrer_id == user.id,
               Meeting.state.in_(ITEM_MEETING_STATES),
               Meeting.starts_at >= start, Meeting.starts_at <= end,
               or_(AgendaItem.state != "removed", invited))
        .options(contains_eager(AgendaItem.meeting).joinedload(Meeting.team),
                 # The item's time follows from the other items before it.
                 contains_eager(AgendaItem.meeting).selectinload(Meeting.items),
                 contains_eager(AgendaItem.request).joinedload(ConsultationRequest.referrer),
                 selectinload(AgendaItem.guests))
        .order_by(Meeting.starts_at, AgendaItem.position, AgendaItem.id)).unique().all()
    return [ics.item_event(item, language=language) for item in items]


def _booking_events(user, start, end, language: str) -> list:
    """Booked physician times of the user as the physician or the case's referrer;
    cancelled ones as cancelled."""
    bookings = db.session.scalars(
        select(Booking)
        .join(Booking.slot).join(Booking.request)
        .where(or_(ConsultationRequest.target_physician_id == user.id,
                   ConsultationRequest.referrer_id == user.id),
               Booking.state.in_(("active", "cancelled")),
               Slot.starts_at >= start, Slot.starts_at <= end)
        .options(contains_eager(Booking.slot),
                 contains_eager(Booking.request).joinedload(ConsultationRequest.referrer),
                 contains_eager(Booking.request)
                 .joinedload(ConsultationRequest.target_physician))
        .order_by(Slot.starts_at, Booking.id)).unique().all()
    return [ics.booking_event(booking, language=language) for booking in bookings]


def feed_events(user, *, now=None) -> list:
    start, end = window(now)
    language = user.language
    events = (_meeting_events(user, start, end, language)
              + _item_events(user, start, end, language)
              + _booking_events(user, start, end, language))
    return sorted(events, key=lambda e: e.decoded("dtstart"))


def feed_calendar(feed: CalendarFeed, user) -> str:
    """The feed's iCalendar text; the address counts as used now."""
    text = ics.calendar(feed_events(user), method="PUBLISH", name=FEED_NAME)
    feed.last_used_at = utcnow()
    db.session.flush()
    return text

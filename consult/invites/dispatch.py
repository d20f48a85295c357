"""Calendar invites by e-mail (SPEC §5): what the agenda's deliveries and a booked
physician time turn into in the outbox, in the caller's transaction.

METHOD:REQUEST for a new or changed event, METHOD:CANCEL with the same UID for a
cancelled one. Each recipient's invites for one event share a coalescing key, so
several changes within `INVITE_DEBOUNCE` send one message."""
from __future__ import annotations

from flask import current_app
from flask_babel import force_locale

from consult.extensions import db
from consult.i18n import fmt_date, fmt_time
from consult.invites import ics
from consult.meetings.models import AgendaItem, Delivery
from consult.outbox.services import absolute_url, enqueue_rendered
from consult.scheduling.models import Booking
from consult.timeutil import to_helsinki

METHODS = {"request": "REQUEST", "update": "REQUEST", "cancel": "CANCEL"}
GUEST_LANGUAGE = "fi"


def _when(starts_at, ends_at, language: str) -> str:
    with force_locale(language):
        day = fmt_date(to_helsinki(starts_at).date())
        return f"{day} {fmt_time(starts_at)}–{fmt_time(ends_at)}"


def _send(*, kind: str, uid: str, email: str, name: str, language: str, user_id, event,
          link: str | None, request_id: int | None = None,
          client_id: int | None = None) -> None:
    method = METHODS[kind]
    if method == "CANCEL":
        event["status"] = "CANCELLED"
        event.subcomponents = []  # no reminder for a cancelled event
    location = str(event.get("location", ""))
    video_link = str(event.get("url", ""))
    enqueue_rendered(
        "invite", kind="invite", recipient=email, language=language, user_id=user_id,
        request_id=request_id, client_id=client_id,
        ics=ics.calendar([event], method=method), ics_method=method,
        coalesce_key=f"{uid}|{email.lower()}", delay=current_app.config["INVITE_DEBOUNCE"],
        context={"kind": kind, "name": name, "summary": str(event["summary"]),
                 "when": _when(event.decoded("dtstart"), event.decoded("dtend"), language),
                 "place": "" if location == video_link else location,
                 "video_link": video_link, "link": link})


def send_deliveries(deliveries: list[Delivery]) -> None:
    """E-mail each delivery of a sent, changed or cancelled agenda: the whole meeting
    to the team, one case's item to its referrer and guests."""
    for delivery in deliveries:
        user = delivery.user if delivery.user_id else None
        language = user.language if user is not None else GUEST_LANGUAGE
        name = user.name if user is not None else delivery.guest.name
        if delivery.item_id is None:
            meeting = delivery.meeting
            event = ics.meeting_event(meeting, language=language)
            uid, link = meeting.uid, absolute_url(f"/meetings/{meeting.id}")
            request_id = client_id = None
        else:
            item = db.session.get(AgendaItem, delivery.item_id)
            guest = delivery.guest_id is not None
            event = ics.item_event(item, language=language, for_guest=guest)
            uid, request_id, client_id = item.uid, item.request_id, item.request.client_id
            link = None if guest else absolute_url(f"/requests/{item.request_id}")
        _send(kind=delivery.kind, uid=uid, email=delivery.email, name=name,
              language=language, user_id=delivery.user_id, event=event, link=link,
              request_id=request_id, client_id=client_id)


def send_booking(booking: Booking, kind: str) -> None:
    """The booked physician time to the physician and the case's referrer: `request`
    when booked, `update` when moved, `cancel` when cancelled."""
    request = booking.request
    for person in (request.target_physician, request.referrer):
        if person is None or not person.is_active_account:
            continue
        _send(kind=kind, uid=booking.uid, email=person.email, name=person.name,
              language=person.language, user_id=person.id,
              event=ics.booking_event(booking, language=person.language),
              link=absolute_url(f"/requests/{request.id}"), request_id=request.id,
              client_id=request.client_id)

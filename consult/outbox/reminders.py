"""The daily reminder pass: one e-mail per person with follow-ups and action items due
(SPEC §5, issue 9). It runs once a day after `REMINDER_HOUR` (Helsinki), whichever
worker comes first: the day's `ReminderRun` row is inserted in the same transaction as
the messages, and a second worker's insert fails on its primary key.

A person is reminded on the day something is due and then once a week while it stays
open, not every day; each reminder counts everything they have due. It names
requests by number and dates only: never what the action item says."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from consult.accounts.models import User
from consult.consultations.models import ConsultationRequest as CR
from consult.extensions import db
from consult.outbox.models import ReminderRun
from consult.outbox.services import absolute_url, enqueue_rendered
from consult.protocols.models import ActionItem, Protocol
from consult.timeutil import HELSINKI

REMIND_AGAIN_EVERY_DAYS = 7


def _remind_today(due_on: date, day: date) -> bool:
    return due_on <= day and (day - due_on).days % REMIND_AGAIN_EVERY_DAYS == 0


def due_for(day: date) -> dict[int, dict[str, list[tuple[int, date]]]]:
    """{user id: {"action_items": [(request id, due date)], "follow_ups": [...]}} of the
    open things due on or before `day`."""
    due: dict[int, dict[str, list]] = defaultdict(lambda: {"action_items": [],
                                                           "follow_ups": []})
    responsible = ActionItem.responsible_user_id
    organisation_item = ActionItem.responsible_organisation_id.is_not(None)
    rows = db.session.execute(
        select(responsible, CR.referrer_id, CR.id, ActionItem.due_on)
        .join(Protocol, Protocol.id == ActionItem.protocol_id)
        .join(CR, CR.id == Protocol.request_id)
        .where(ActionItem.state == "open", Protocol.finalised_at.is_not(None),
               ActionItem.due_on <= day, or_(responsible.is_not(None), organisation_item))
        .order_by(ActionItem.due_on, ActionItem.id))
    for user_id, referrer_id, request_id, due_on in rows:
        due[user_id or referrer_id]["action_items"].append((request_id, due_on))
    rows = db.session.execute(
        select(CR.referrer_id, CR.id, Protocol.follow_up_on)
        .join(Protocol, Protocol.request_id == CR.id)
        .where(CR.state == "discussed", Protocol.finalised_at.is_not(None),
               Protocol.follow_up_on <= day)
        .order_by(Protocol.follow_up_on, CR.id))
    for referrer_id, request_id, due_on in rows:
        due[referrer_id]["follow_ups"].append((request_id, due_on))
    return due


def send_reminders(day: date) -> int:
    """Queue the day's reminders (no commit); returns how many."""
    due = due_for(day)
    people = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_(list(due)), User.is_active_account.is_(True)))}
    count = 0
    for user_id, things in due.items():
        person = people.get(user_id)
        everything = things["action_items"] + things["follow_ups"]
        if person is None or not any(_remind_today(d, day) for _, d in everything):
            continue
        enqueue_rendered(
            "reminder", kind="reminder", recipient=person.email, language=person.language,
            context={"name": person.name, "day": day, **things,
                     "actions_link": absolute_url("/actions"),
                     "my_work_link": absolute_url("/")})
        count += 1
    return count


def run_daily(now: datetime | None = None) -> int:
    """Once a day, after REMINDER_HOUR: queue the reminders and commit. Returns how many
    were queued (0 when it is too early, or the day's pass already ran)."""
    local = (now.astimezone(HELSINKI) if now is not None else datetime.now(HELSINKI))
    if local.hour < current_app.config["REMINDER_HOUR"]:
        return 0
    day = local.date()
    db.session.add(ReminderRun(day=day.isoformat()))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return 0
    count = send_reminders(day)
    try:
        db.session.commit()
    except IntegrityError:  # another worker committed the day's pass first
        db.session.rollback()
        return 0
    return count

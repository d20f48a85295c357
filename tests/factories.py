"""Builders for the test world. Each returns a flushed object; tests commit when a
request must see it."""
from __future__ import annotations

import itertools
from functools import lru_cache

from consult.accounts.models import User, UserRole
from consult.extensions import db
from consult.organisations import services as organisations
from consult.organisations.models import Organisation, Team

PASSWORD = "Correct-horse-battery-9"
_counter = itertools.count(1)


@lru_cache(maxsize=1)
def password_hash() -> str:
    # scrypt is slow on purpose; one hash serves every test user.
    from consult.accounts.passwords import hash_password

    return hash_password(PASSWORD)


def create_organisation(name: str | None = None, kind: str = "employment_area",
                        region: str = "Pirkanmaa") -> Organisation:
    n = next(_counter)
    org = Organisation(name=name or f"Organisation {n}", kind=kind, region=region)
    db.session.add(org)
    db.session.flush()
    return org


def create_user(*roles: str, organisation: Organisation | None = None,
                email: str | None = None, name: str | None = None,
                language: str = "en", active: bool = True,
                second_factor: bool | None = None) -> User:
    """`second_factor` (TOTP) defaults to on for admins, who must use one."""
    n = next(_counter)
    user = User(
        email=email or f"user{n}@example.fi",
        name=name or f"User {n}",
        organisation=organisation or create_organisation(),
        password_hash=password_hash(),
        language=language,
        is_active_account=active,
    )
    user.role_rows = [UserRole(role=r) for r in (roles or ("referrer",))]
    if second_factor or (second_factor is None and "admin" in roles):
        import pyotp

        from consult.timeutil import utcnow

        user.totp_secret, user.totp_enabled_at = pyotp.random_base32(32), utcnow()
    db.session.add(user)
    db.session.flush()
    return user


def create_team(name: str | None = None, host: Organisation | None = None,
                coordinators=(), members=(), physician: User | None = None) -> Team:
    n = next(_counter)
    team = organisations.create_team(name=name or f"Team {n}", host=host or create_organisation())
    for user in coordinators:
        organisations.add_member(team, user, "coordinator")
    for user in members:
        organisations.add_member(team, user, "member")
    if physician is not None:
        organisations.set_physician(team, physician)
    return team


def identity_code(birth: str = "150379-", number: int | None = None) -> str:
    """A valid identity code; by default a temporary one (900–999), no real person's,
    and none of the demo world's (their birth dates differ: with the demo's Virtanen's
    date, one test in a hundred gave a client of its own Virtanen's code)."""
    from consult.clients.identity import check_character

    individual = f"{number if number is not None else 900 + next(_counter) % 100:03d}"
    return birth + individual + check_character(birth[:6] + individual)


def create_client(organisation: Organisation | None = None, by: User | None = None,
                  last_name: str = "Testinen", first_names: str = "Testi", code: str | None = None,
                  **fields):
    from consult.clients.models import Client

    client = Client(organisation=organisation or (by.organisation if by else create_organisation()),
                    last_name=last_name, first_names=first_names,
                    identity_code=code or identity_code(), created_by_id=by.id if by else None,
                    **fields)
    client.refresh_name_key()
    db.session.add(client)
    db.session.flush()
    return client


def create_consent(client, organisations, *, given_on=None, valid_until=None,
                   withdrawn_on=None, by: User | None = None):
    from datetime import timedelta

    from consult.consents.models import Consent
    from consult.timeutil import today

    consent = Consent(client=client, organisations=list(organisations),
                      given_on=given_on or today() - timedelta(days=10),
                      valid_until=valid_until or today() + timedelta(days=300),
                      withdrawn_on=withdrawn_on,
                      recorded_by_id=(by or create_user("referrer", organisation=client.organisation)).id)
    db.session.add(consent)
    db.session.flush()
    return consent


def create_request(*, team=None, physician=None, mode=None, referrer: User | None = None,
                   client=None, consent: bool = True, draft: dict | None = None):
    """A draft request with a complete pre-form and (by default) a covering consent."""
    from consult.consultations import services

    referrer = referrer or create_user("referrer")
    client = client or create_client(by=referrer)
    if consent:
        organisations = {referrer.organisation_id: referrer.organisation}
        if team is not None:
            organisations.update({o.id: o for o in team.participating_organisations()})
        if physician is not None:
            organisations[physician.organisation_id] = physician.organisation
        create_consent(client, organisations.values(), by=referrer)
    request = services.create_request(
        client=client, referrer=referrer, team=team, physician=physician,
        mode=mode or ("team_meeting" if team is not None else "video"))
    request.preform.draft = draft if draft is not None else {
        "wishes_goals.wishes_goals": "Haluaa palata työelämään osa-aikaisesti.",
        "question.question": "Mikä kuntoutus sopisi?",
    }
    db.session.flush()
    return request


def create_submitted_request(*, urgent: bool = False, **kwargs):
    """A request its referrer has submitted (as create_request takes)."""
    from consult.consultations import services

    request = create_request(**kwargs)
    if urgent:
        request.urgency, request.urgency_reason = "urgent", "Etuus päättyy"
    services.perform(request, "submit", request.referrer)
    return request


def create_notification(user: User, request=None, kind: str = "submit", read: bool = False,
                        created_at=None):
    from consult.consultations.models import Notification
    from consult.timeutil import utcnow

    notification = Notification(user_id=user.id, request_id=request.id if request else None,
                                kind=kind, created_at=created_at or utcnow(),
                                read_at=utcnow() if read else None)
    db.session.add(notification)
    db.session.flush()
    return notification


# Availability and slots ------------------------------------------------------------

def next_weekday_at(hour: int = 9, minute: int = 0, *, days_ahead: int = 1):
    """Naive UTC of the first weekday at least `days_ahead` days from today, at this
    Helsinki wall time."""
    from datetime import datetime, time, timedelta, timezone

    from consult.timeutil import HELSINKI, today

    day = today() + timedelta(days=days_ahead)
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    local = datetime.combine(day, time(hour, minute), tzinfo=HELSINKI)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def create_slot(physician, starts_at=None, minutes=30, mode="video",
                location="https://video.example.fi/x"):
    """A free slot of the physician; by default the next weekday (at least tomorrow) at
    9.00 Helsinki time. `starts_at` is naive UTC."""
    from datetime import timedelta

    from consult.scheduling.models import Slot

    starts_at = starts_at or next_weekday_at(9)
    slot = Slot(physician_id=physician.id, starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=minutes), mode=mode, location=location)
    db.session.add(slot)
    db.session.flush()
    return slot


def create_rule(physician, weekday: int = 1, start="09:00", end="12:00", minutes: int = 30,
                mode: str = "video", location: str = "https://video.example.fi/x",
                generate: bool = False):
    """A weekly rule, straight into the table; `generate=True` also makes its slots."""
    from datetime import time

    from consult.scheduling.availability import generate_slots
    from consult.scheduling.models import AvailabilityRule

    rule = AvailabilityRule(physician_id=physician.id, weekday=weekday,
                            start_time=start if isinstance(start, time) else time.fromisoformat(start),
                            end_time=end if isinstance(end, time) else time.fromisoformat(end),
                            slot_minutes=minutes, mode=mode, location=location)
    db.session.add(rule)
    db.session.flush()
    if generate:
        generate_slots(physician)
    return rule


def create_absence(physician, starts_on, ends_on=None, reason: str = ""):
    from consult.scheduling.models import AvailabilityException

    absence = AvailabilityException(physician_id=physician.id, starts_on=starts_on,
                                    ends_on=ends_on or starts_on, reason=reason)
    db.session.add(absence)
    db.session.flush()
    return absence


def create_booking(slot, request=None, state: str = "active"):
    """A booking row for the slot (for a physician-video request addressed to the slot's
    physician unless given), without the booking service's transitions."""
    from consult.scheduling.models import Booking
    from consult.timeutil import utcnow

    physician = db.session.get(User, slot.physician_id)
    request = request or create_submitted_request(physician=physician)
    booking = Booking(request_id=request.id, slot_id=slot.id, state=state,
                      booked_by_id=physician.id,
                      cancelled_at=utcnow() if state == "cancelled" else None)
    db.session.add(booking)
    db.session.flush()
    return booking


# Meetings ------------------------------------------------------------------------

def create_meeting(team, *, starts_at=None, minutes=120, state="draft"):
    """A meeting of the team, straight into the table; by default 7 days from today at
    9.00 Helsinki time. `starts_at` is naive UTC."""
    from datetime import datetime, time, timedelta, timezone

    from consult.meetings.models import Meeting
    from consult.timeutil import HELSINKI, today, utcnow

    if starts_at is None:
        local = datetime.combine(today() + timedelta(days=7), time(9, 0), tzinfo=HELSINKI)
        starts_at = local.astimezone(timezone.utc).replace(tzinfo=None)
    meeting = Meeting(team_id=team.id, starts_at=starts_at,
                      ends_at=starts_at + timedelta(minutes=minutes), state=state,
                      location=team.meeting_location, video_link=team.meeting_video_link,
                      sent_at=utcnow() if state not in ("draft", "cancelled") else None,
                      cancelled_at=utcnow() if state == "cancelled" else None)
    db.session.add(meeting)
    db.session.flush()
    return meeting


def create_meeting_day(coordinator, member, *, preforms: list[tuple[str, str]]):
    """A meeting of the coordinator's and member's team that started five minutes ago,
    its agenda sent with one accepted case per (wishes, question) pair, the next
    meeting of its series (for carrying over) and a catalogue service."""
    from datetime import timedelta

    from consult.catalogue.models import Service
    from consult.consultations import services
    from consult.meetings import agenda
    from consult.meetings.models import MeetingSeries
    from consult.timeutil import today, utcnow

    team = create_team(coordinators=[coordinator], members=[member])
    series = MeetingSeries(team_id=team.id, pattern="weekly", weekday=1, minutes=120,
                           start_time=utcnow().time(), first_date=today(), until_date=today(),
                           created_by_id=coordinator.id)
    db.session.add(series)
    meeting = create_meeting(team, starts_at=utcnow() - timedelta(minutes=5))
    following = create_meeting(team, starts_at=utcnow() + timedelta(days=7))
    meeting.series = following.series = series
    items = []
    for wishes, question in preforms:
        request = create_submitted_request(team=team)
        version = request.preform.versions[-1]
        version.content = dict(version.content, **{
            "wishes_goals.wishes_goals": wishes, "question.question": question,
            "health.client_view": "Selkä kipeytyy"})
        services.perform(request, "accept", coordinator)
        items.append(agenda.add_item(meeting, request, by=coordinator))
    agenda.send_agenda(meeting, by=coordinator)
    service = Service(category="kela", organisation_kind="kela", name_fi="Ammatillinen kuntoutus",
                      name_sv="Yrkesinriktad rehabilitering", name_en="Vocational rehabilitation")
    db.session.add(service)
    db.session.flush()
    return team, meeting, following, items, service

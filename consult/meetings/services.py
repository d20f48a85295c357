"""Making, changing and cancelling team meetings (SPEC §3 Meeting, §4 flow 3).
Services flush, never commit.

Times are Helsinki wall times turned into naive UTC per occurrence, so that a series at
9.00 stays at 9.00 local time on both sides of a daylight saving change. A meeting can
be changed or cancelled while it is a draft or its agenda has been sent; once held it
belongs to its protocol. A refusal raises MeetingRefused and changes nothing."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l

from consult.audit import services as audit
from consult.consultations.services import TransitionRefused
from consult.extensions import db
from consult.meetings import agenda
from consult.invites import dispatch
from consult.meetings.models import Meeting, MeetingSeries
from consult.meetings.series import SeriesError, occurrence_dates
from consult.scheduling.availability import local_to_utc
from consult.timeutil import to_helsinki, utcnow

CHANGEABLE_STATES = ("draft", "agenda_sent")
SCOPES = ("one", "rest")
MINUTES_MIN, MINUTES_MAX = 15, 600


class MeetingRefused(ValueError):
    """A refused change; `message` is shown to the user."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def local_day(meeting: Meeting) -> date:
    return to_helsinki(meeting.starts_at).date()


def local_start(meeting: Meeting) -> time:
    return to_helsinki(meeting.starts_at).time().replace(tzinfo=None)


def _times(day: date, start_time: time, minutes: int) -> tuple[datetime, datetime]:
    if not MINUTES_MIN <= minutes <= MINUTES_MAX:
        raise MeetingRefused(_l("A meeting lasts from %(min)s to %(max)s minutes.",
                                min=MINUTES_MIN, max=MINUTES_MAX))
    starts_at = local_to_utc(day, start_time)
    if starts_at is None:
        raise MeetingRefused(_l(
            "%(time)s does not exist on %(date)s: the clocks go forward that night. "
            "Choose another time.", time=f"{start_time.hour}.{start_time.minute:02d}",
            date=f"{day.day}.{day.month}.{day.year}"))
    return starts_at, starts_at + timedelta(minutes=minutes)


def check_changeable(meeting: Meeting, action: str) -> None:
    if meeting.state in CHANGEABLE_STATES:
        return
    if meeting.state == "cancelled":
        raise MeetingRefused(_l("This meeting is cancelled."))
    if action == "cancel":
        raise MeetingRefused(_l("This meeting has been held, so it can no longer be "
                                "cancelled."))
    raise MeetingRefused(_l("This meeting has been held, so it can no longer be changed."))


def later_in_series(meeting: Meeting) -> list[Meeting]:
    """The later occurrences of the meeting's series that can still change."""
    if meeting.series is None:
        return []
    return [m for m in meeting.series.meetings
            if m.id != meeting.id and m.starts_at > meeting.starts_at
            and m.state in CHANGEABLE_STATES]


def create_meeting(team, *, day: date, start_time: time, minutes: int, location: str = "",
                   video_link: str = "", by) -> Meeting:
    starts_at, ends_at = _times(day, start_time, minutes)
    meeting = Meeting(team_id=team.id, team=team, starts_at=starts_at, ends_at=ends_at,
                      location=location or "", video_link=video_link or "")
    db.session.add(meeting)
    db.session.flush()
    audit.record("create", object_type="meeting", object_id=meeting.id,
                 purpose="create_meeting", user=by)
    return meeting


def create_series(team, *, pattern: str, weekday: int, nth: int | None, start_time: time,
                  minutes: int, first_date: date, until_date: date, location: str = "",
                  video_link: str = "", by) -> MeetingSeries:
    """The series and one draft meeting per occurrence, each with its own UID."""
    try:
        dates = occurrence_dates(pattern, weekday=weekday, nth=nth, first_date=first_date,
                                 until_date=until_date)
    except SeriesError as refused:
        raise MeetingRefused(refused.message) from None
    times = [_times(day, start_time, minutes) for day in dates]
    series = MeetingSeries(
        team_id=team.id, pattern=pattern, weekday=weekday,
        nth=nth if pattern == "monthly" else None, start_time=start_time, minutes=minutes,
        first_date=dates[0], until_date=until_date, location=location or "",
        video_link=video_link or "", created_by_id=by.id)
    db.session.add(series)
    for starts_at, ends_at in times:
        series.meetings.append(Meeting(team_id=team.id, team=team, starts_at=starts_at,
                                       ends_at=ends_at, location=location or "",
                                       video_link=video_link or ""))
    db.session.flush()
    audit.record("create", object_type="meeting_series", object_id=series.id,
                 purpose="create_meeting", detail=f"{len(dates)} meetings", user=by)
    for meeting in series.meetings:
        audit.record("create", object_type="meeting", object_id=meeting.id,
                     purpose="create_meeting", detail=f"series {series.id}", user=by)
    return series


def edit_meeting(meeting: Meeting, *, day: date, start_time: time, minutes: int,
                 location: str = "", video_link: str = "", scope: str = "one",
                 by) -> list[Meeting]:
    """Change one meeting (its date too), or with scope "rest" the time of day, length,
    place and link of it and of the later occurrences of its series that can still
    change; those keep their dates and the series takes the new values as its own.
    Returns the meetings that changed."""
    check_changeable(meeting, "edit")
    if scope not in SCOPES:
        raise MeetingRefused(_l("Choose which meetings to change."))
    location, video_link = location or "", video_link or ""
    whole_rest = scope == "rest" and meeting.series is not None
    targets = {meeting: day}
    if whole_rest:
        if day != local_day(meeting):
            raise MeetingRefused(_l("Only a single meeting can move to another date. Choose "
                                    "“This meeting only” to move it."))
        targets.update((later, local_day(later)) for later in later_in_series(meeting))
    new_times = {m: _times(d, start_time, minutes) for m, d in targets.items()}
    if whole_rest:
        series = meeting.series
        series.start_time, series.minutes = start_time, minutes
        series.location, series.video_link = location, video_link
        audit.record("update", object_type="meeting_series", object_id=series.id,
                     purpose="edit_meeting", user=by)
    changed = []
    for target, (starts_at, ends_at) in new_times.items():
        wanted = (starts_at, ends_at, location, video_link)
        if (target.starts_at, target.ends_at, target.location, target.video_link) == wanted:
            continue
        target.starts_at, target.ends_at = starts_at, ends_at
        target.location, target.video_link = location, video_link
        agenda.mark_changed(target)
        changed.append(target)
    db.session.flush()
    for target in changed:
        audit.record("update", object_type="meeting", object_id=target.id,
                     purpose="edit_meeting", detail=f"scope {scope}", user=by)
    return changed


def cancel_meeting(meeting: Meeting, *, scope: str = "one", by) -> list[Meeting]:
    """draft|agenda_sent → cancelled, for this meeting or (scope "rest") also the later
    occurrences of its series that can still change. The cases on their agendas go back
    to accepted. Whoever was sent the agenda gets a cancellation with a higher
    sequence. Returns the cancelled meetings."""
    check_changeable(meeting, "cancel")
    if scope not in SCOPES:
        raise MeetingRefused(_l("Choose which meetings to cancel."))
    targets = [meeting] + (later_in_series(meeting) if scope == "rest" else [])
    cancellations = []
    for target in targets:
        was_sent = target.state == "agenda_sent"
        # Asked before the cases leave the agenda: their referrers and guests were invited.
        invited = agenda.participants(target) + agenda.uninvited(target) if was_sent else []
        try:
            agenda.release_items(target, by=by)
        except TransitionRefused as refused:
            raise MeetingRefused(refused.message) from None
        if was_sent:
            target.sequence += 1
            cancellations += agenda.deliveries_for(target, invited, "cancel")
        previous = target.state
        target.state, target.cancelled_at, target.is_changed = "cancelled", utcnow(), False
        audit.record("transition", object_type="meeting", object_id=target.id,
                     purpose="cancel_meeting", detail=f"{previous} → cancelled", user=by)
    db.session.flush()
    dispatch.send_deliveries(cancellations)
    db.session.flush()
    return targets

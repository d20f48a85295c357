"""Meetings (`/meetings`): the month and the list of the meetings a user takes part in,
and the coordinator's forms to create a meeting or a series, change one or the rest of
its series, and cancel. The meeting's own page and agenda are in agenda_views.py, on
this blueprint."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from babel.dates import get_day_names
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, false, func, or_, select

from consult.access import load_or_404, roles_required
from consult.consultations.models import ConsultationRequest
from consult.extensions import db
from consult.forms.admin import weekday_labels
from consult.forms.meetings import (
    CancelMeetingForm,
    EditMeetingForm,
    NewMeetingForm,
    meeting_state_labels,
    repeat_labels,
)
from consult.i18n import current_language, fmt_date, fmt_datetime
from consult.meetings import agenda, services
from consult.meetings.models import AgendaItem, Meeting
from consult.meetings.policy import MEETING_ROLES, is_team_coordinator, load_coordinated_meeting
from consult.meetings.series import first_on_or_after, nth_of
from consult.organisations.models import Team, TeamMembership
from consult.query import date_arg, id_arg
from consult.scheduling.availability import finnish_holidays, monday_of, utc_bounds
from consult.timeutil import to_helsinki, today, utcnow

bp = Blueprint("meetings", __name__, url_prefix="/meetings")
coordinator_only = roles_required("coordinator")

# A list, not an archive: the month view reaches everything else.
UPCOMING_SHOWN = 60
PAST_SHOWN = 20


@bp.context_processor
def helpers():
    return {"meeting_state_labels": meeting_state_labels()}


# The list and the month -------------------------------------------------------------

@dataclass
class TeamRef:
    id: int
    name: str
    is_coordinator: bool


@dataclass
class Row:
    """A meeting as the list shows it: no agenda content, only how many cases."""

    meeting: Meeting
    team_name: str
    cases: int | None  # None for a referrer outside the team: not theirs to count

    @property
    def local_day(self) -> date:
        return to_helsinki(self.meeting.starts_at).date()


@dataclass
class Day:
    date: date
    in_month: bool
    rows: list[Row] = field(default_factory=list)


def _my_teams(user) -> list[TeamRef]:
    """The teams the user takes part in (as SPEC §2's policy counts it: a membership in
    a role the user still holds, or the team's physician), in one statement."""
    rows = db.session.execute(
        select(Team.id, Team.name, Team.physician_id, TeamMembership.role)
        .outerjoin(TeamMembership, and_(TeamMembership.team_id == Team.id,
                                        TeamMembership.user_id == user.id))
        .where(or_(TeamMembership.id.is_not(None), Team.physician_id == user.id))
        .order_by(Team.name, Team.id)).all()
    teams: dict[int, TeamRef] = {}
    for team_id, name, physician_id, role in rows:
        belongs = (role is not None and user.has_role(role)) or (
            physician_id == user.id and user.has_role("physician"))
        if not belongs:
            continue
        ref = teams.setdefault(team_id, TeamRef(team_id, name, False))
        ref.is_coordinator |= role == "coordinator"
    return list(teams.values())


def _visible(user, team_ids: list[int]):
    """The meetings of the user's teams, and for a referrer those with one of their
    organisation's cases on the agenda (what policy.can_view_meeting lets them open)."""
    clauses = [Meeting.team_id.in_(team_ids)] if team_ids else []
    if user.has_role("referrer"):
        clauses.append(Meeting.id.in_(
            select(AgendaItem.meeting_id)
            .join(ConsultationRequest, ConsultationRequest.id == AgendaItem.request_id)
            .where(AgendaItem.state == "on_agenda",
                   ConsultationRequest.organisation_id == user.organisation_id)))
    return or_(*clauses) if clauses else false()


def _rows(where, *, order, limit: int | None, team_ids: list[int]) -> list[Row]:
    cases = (select(func.count(AgendaItem.id))
             .where(AgendaItem.meeting_id == Meeting.id, AgendaItem.state == "on_agenda")
             .correlate(Meeting).scalar_subquery())
    query = (select(Meeting, Team.name, cases).join(Team, Team.id == Meeting.team_id)
             .where(where).order_by(*order))
    if limit is not None:
        query = query.limit(limit)
    return [Row(meeting, name, count if meeting.team_id in team_ids else None)
            for meeting, name, count in db.session.execute(query)]


def _chosen_month() -> date:
    return date_arg("month", "%Y-%m") or today().replace(day=1)


def _month_param(first: date) -> str:
    return f"{first.year:04d}-{first.month:02d}"


def _shift(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_grid(first: date, rows: list[Row]) -> list[list[Day]]:
    """Whole weeks, Monday to Sunday, that cover the month."""
    start = monday_of(first)
    end = monday_of(_shift(first, 1) - timedelta(days=1)) + timedelta(days=7)
    by_day: dict[date, list[Row]] = {}
    for row in rows:
        by_day.setdefault(row.local_day, []).append(row)
    days = [Day(start + timedelta(days=n), (start + timedelta(days=n)).month == first.month)
            for n in range((end - start).days)]
    for day in days:
        day.rows = by_day.get(day.date, [])
    return [days[i:i + 7] for i in range(0, len(days), 7)]


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


@bp.route("", endpoint="list")
@roles_required(*MEETING_ROLES)
def list_meetings():
    teams = _my_teams(current_user)
    team_ids = [t.id for t in teams]
    visible = _visible(current_user, team_ids)
    first = _chosen_month()
    grid_start = monday_of(first)
    grid_end = monday_of(_shift(first, 1) - timedelta(days=1)) + timedelta(days=7)
    start_at, end_at = utc_bounds(grid_start, grid_end)
    month_rows = _rows(and_(visible, Meeting.starts_at >= start_at, Meeting.starts_at < end_at),
                       order=(Meeting.starts_at, Meeting.id), limit=None, team_ids=team_ids)
    now = utcnow()
    upcoming = _rows(and_(visible, Meeting.ends_at > now), order=(Meeting.starts_at, Meeting.id),
                     limit=UPCOMING_SHOWN, team_ids=team_ids)
    past = _rows(and_(visible, Meeting.ends_at <= now),
                 order=(Meeting.starts_at.desc(), Meeting.id.desc()), limit=PAST_SHOWN,
                 team_ids=team_ids)
    this_month = today().replace(day=1)
    days = get_day_names("abbreviated", locale=get_locale())
    return render_template(
        "meetings/list.html", teams=teams, upcoming=upcoming, past=past,
        upcoming_shown=UPCOMING_SHOWN, past_shown=PAST_SHOWN,
        month=first, month_title=_capitalised(format_date(first, "LLLL yyyy")),
        weeks=_month_grid(first, month_rows), today=today(),
        weekday_names=[(days[n], weekday_labels()[n + 1]) for n in range(7)],
        previous_url=url_for("meetings.list", month=_month_param(_shift(first, -1))),
        next_url=url_for("meetings.list", month=_month_param(_shift(first, 1))),
        this_month_url=url_for("meetings.list") if first != this_month else None,
        is_coordinator=any(t.is_coordinator for t in teams))


# New meeting or series ---------------------------------------------------------------

def _new_defaults(team: Team) -> dict:
    """The team's usual meeting, on its next weekday from tomorrow on."""
    day = first_on_or_after(today() + timedelta(days=1), team.meeting_weekday)
    return {"day": day, "start_time": team.meeting_time, "minutes": team.meeting_minutes,
            "location": team.meeting_location, "video_link": team.meeting_video_link,
            "repeat": "none", "nth": _nth_default(day)}


def _nth_default(day: date) -> int:
    """The nth weekday the date is; a fifth one can only be "the last"."""
    return -1 if nth_of(day) > 4 else nth_of(day)


def _holiday_warning(meetings: list[Meeting]) -> None:
    days = [to_helsinki(m.starts_at).date() for m in meetings]
    if not days:
        return
    closed = finnish_holidays(min(days), max(days), current_language())
    hit = [m for m, day in zip(meetings, days) if day in closed]
    if hit:
        flash(ngettext(
            "This meeting falls on a public holiday: %(dates)s. Cancel it if the team does "
            "not meet then.",
            "%(num)s meetings fall on a public holiday: %(dates)s. Cancel them if the team "
            "does not meet then.", len(hit),
            dates=", ".join(fmt_date(to_helsinki(m.starts_at).date()) for m in hit)), "warning")


@bp.route("/new", methods=["GET", "POST"])
@coordinator_only
def new():
    team = load_or_404(Team, id_arg("team_id") or 0, is_team_coordinator)
    form = NewMeetingForm() if request.method == "POST" else \
        NewMeetingForm(data=_new_defaults(team))
    if form.validate_on_submit():
        values = dict(start_time=form.start_time.data, minutes=form.minutes.data,
                      location=form.location.data or "", video_link=form.video_link.data or "",
                      by=current_user)
        try:
            if form.is_series:
                created = services.create_series(
                    team, pattern=form.repeat.data, weekday=form.day.data.isoweekday(),
                    nth=form.nth.data, first_date=form.day.data, until_date=form.until.data,
                    **values).meetings
            else:
                created = [services.create_meeting(team, day=form.day.data, **values)]
        except services.MeetingRefused as refused:
            db.session.rollback()
            form.start_time.errors.append(str(refused.message))
        else:
            db.session.commit()
            first = created[0]
            if len(created) == 1:
                flash(_("Meeting created: %(when)s. It stays a draft until you send the "
                        "agenda.", when=fmt_datetime(first.starts_at)), "success")
            else:
                flash(ngettext("Series created: %(num)s meeting, the first on %(when)s.",
                               "Series created: %(num)s meetings, the first on %(when)s.",
                               len(created), when=fmt_datetime(first.starts_at)), "success")
            _holiday_warning(created)
            return redirect(url_for("meetings.show", meeting_id=first.id), 303)
    return render_template("meetings/new.html", form=form, team=team,
                           weekday_labels=weekday_labels()), \
        422 if request.method == "POST" else 200


# Change and cancel ------------------------------------------------------------------

def _edit_forms(meeting: Meeting, form: EditMeetingForm | None = None):
    if form is None:
        local = to_helsinki(meeting.starts_at)
        form = EditMeetingForm(
            original_day=local.date(),
            data={"day": local.date(), "start_time": time(local.hour, local.minute),
                  "minutes": meeting.minutes, "location": meeting.location,
                  "video_link": meeting.video_link, "scope": "one"})
    cancel_form = CancelMeetingForm(formdata=None)
    if meeting.series is None:
        del form.scope
        del cancel_form.scope
    return form, cancel_form


def _render_edit(meeting: Meeting, form: EditMeetingForm | None = None, status: int = 200):
    form, cancel_form = _edit_forms(meeting, form)
    later = services.later_in_series(meeting)
    return render_template(
        "meetings/edit.html", meeting=meeting, form=form, cancel_form=cancel_form,
        later_count=len(later), cases=len(agenda.on_agenda(meeting)),
        repeat_labels=repeat_labels()), status


def _refusal(meeting: Meeting, action: str):
    """A meeting past changing: say so on its page."""
    try:
        services.check_changeable(meeting, action)
    except services.MeetingRefused as refused:
        db.session.rollback()
        flash(str(refused.message), "error")
        return redirect(url_for("meetings.show", meeting_id=meeting.id), 303)
    return None


@bp.route("/<int:meeting_id>/edit", methods=["GET", "POST"])
@coordinator_only
def edit(meeting_id: int):
    meeting = load_coordinated_meeting(meeting_id)
    refused = _refusal(meeting, "edit")
    if refused is not None:
        return refused
    if request.method == "GET":
        return _render_edit(meeting)
    form = EditMeetingForm(original_day=services.local_day(meeting))
    if meeting.series is None:
        del form.scope
    if form.validate_on_submit():
        scope = form.scope.data if "scope" in form else "one"
        try:
            changed = services.edit_meeting(
                meeting, day=form.day.data, start_time=form.start_time.data,
                minutes=form.minutes.data, location=form.location.data or "",
                video_link=form.video_link.data or "", scope=scope, by=current_user)
        except services.MeetingRefused as refused:
            db.session.rollback()
            form.start_time.errors.append(str(refused.message))
        else:
            db.session.commit()
            if not changed:
                flash(_("Nothing changed."), "info")
            else:
                flash(ngettext("Meeting changed.", "%(num)s meetings changed.", len(changed)),
                      "success")
                if any(m.is_changed for m in changed):
                    flash(_("The agenda was already sent. Send it again from the meeting's "
                            "page so that the participants get the change."), "warning")
            return redirect(url_for("meetings.show", meeting_id=meeting.id), 303)
    return _render_edit(meeting, form, 422)


@bp.route("/<int:meeting_id>/cancel", methods=["POST"])
@coordinator_only
def cancel(meeting_id: int):
    meeting = load_coordinated_meeting(meeting_id)
    refused = _refusal(meeting, "cancel")
    if refused is not None:
        return refused
    form = CancelMeetingForm()
    if meeting.series is None:
        del form.scope
    if not form.validate_on_submit():
        flash(_("Choose which meetings to cancel."), "error")
        return redirect(url_for("meetings.edit", meeting_id=meeting.id, _anchor="cancel"), 303)
    scope = form.scope.data if "scope" in form else "one"
    affected = [meeting] + (services.later_in_series(meeting) if scope == "rest" else [])
    released = sum(len(agenda.on_agenda(m)) for m in affected)
    try:
        cancelled = services.cancel_meeting(meeting, scope=scope, by=current_user)
    except services.MeetingRefused as refused:
        db.session.rollback()
        flash(str(refused.message), "error")
    else:
        db.session.commit()
        flash(ngettext("Meeting cancelled.", "%(num)s meetings cancelled.", len(cancelled)),
              "success")
        if released:
            flash(ngettext("%(num)s case was taken off the agenda and is accepted again: put "
                           "it on another meeting's agenda.",
                           "%(num)s cases were taken off the agenda and are accepted again: "
                           "put them on another meeting's agenda.", released), "info")
    return redirect(url_for("meetings.show", meeting_id=meeting.id), 303)

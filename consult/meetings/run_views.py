"""Meeting day (SPEC §4 flow 5): the run view (`/meetings/<id>/run`) goes through the
agenda one case at a time with the pre-form as the frame, a timer against the case's
time box, the protocol being written, attendance; carrying a case over to the next
meeting. `/meetings/<id>/protocol` is the whole meeting's protocol for the team.
Registered on the meetings blueprint."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consult.access import deny, load_or_404, roles_required
from consult.audit import services as audit
from consult.consultations.models import PREFORM_SECTIONS
from consult.extensions import db
from consult.forms.admin import ConfirmForm
from consult.forms.consultations import field_labels, section_labels
from consult.forms.meetings import meeting_state_labels
from consult.forms.protocols import note_headings, path_labels
from consult.i18n import current_language, fmt_datetime
from consult.meetings import agenda
from consult.meetings.agenda_views import attendance_context
from consult.meetings.models import AgendaItem, Meeting
from consult.meetings.policy import belongs_to_team, is_team_coordinator
from consult.meetings.views import bp
from consult.protocols import services as records
from consult.query import database_id
from consult.protocols.models import Protocol
from consult.protocols.views import editor_context, kind_labels

TEAM_ROLES = ("coordinator", "member", "physician")


def _load(meeting_id: int, *, people: bool = True) -> Meeting:
    """The meeting with its team, cases, referrers and clients (and with `people`,
    guests and attendance), for the team only (a referrer sees the agenda, not the
    run view or the protocol)."""
    loaded = agenda.with_agenda(meeting_id, clients=True, people=people)
    return load_or_404(Meeting, loaded.id if loaded else meeting_id,
                       lambda user, meeting: belongs_to_team(user, meeting.team))


def _protocols(ids: list[int]) -> dict[int, Protocol]:
    """The records of the given agenda items, with everything they list."""
    return {p.agenda_item_id: p for p in records.loaded(agenda_item_id=ids)} if ids else {}


def _cases(meeting: Meeting) -> list[AgendaItem]:
    return [i for i in meeting.items if i.state in agenda.INVITED_STATES]


def _current(meeting: Meeting, item_id: str | None) -> AgendaItem | None:
    """The case asked for, or the first still open (or the first of all)."""
    cases = _cases(meeting)
    if item_id is None:
        return next((i for i in cases if i.state == "on_agenda"), cases[0] if cases else None)
    wanted = database_id(item_id)
    found = next((i for i in cases if i.id == wanted), None)
    if found is None:
        deny(404, object_type="agenda_item", object_id=wanted)
    return found


def render_run(meeting: Meeting, item: AgendaItem | None, *, status: int = 200, forms=None,
               refusal=None, conflict=None):
    cases = _cases(meeting)
    position = cases.index(item) if item in cases else 0
    protocol = _protocols([item.id]).get(item.id) if item is not None else None
    coordinator = is_team_coordinator(current_user, meeting.team)
    times = {row.item.id: row for row in agenda.timetable(meeting, cases)}
    context = {"PREFORM_SECTIONS": PREFORM_SECTIONS, "section_labels": section_labels(),
               "field_labels": field_labels(), "refusal": refusal}
    if protocol is not None:
        context.update(editor_context(protocol, forms, refusal, conflict))
    if coordinator:
        context.update(attendance_context(meeting, agenda.participants(meeting), coordinator))
    return render_template(
        "meetings/run.html", meeting=meeting, cases=cases, item=item, times=times,
        previous=cases[position - 1] if position > 0 else None,
        following=cases[position + 1] if position + 1 < len(cases) else None,
        position=position, version=records.discussed_version(item.request) if item else None,
        coordinator=coordinator, can_start=coordinator and meeting.state == "agenda_sent",
        can_carry_over=coordinator and item is not None and item.state == "on_agenda"
        and meeting.state == "held" and agenda.next_in_series(meeting) is not None,
        run_confirm=ConfirmForm(formdata=None), meeting_state_labels=meeting_state_labels(),
        **context), status


@bp.route("/<int:meeting_id>/run")
@roles_required(*TEAM_ROLES)
def run(meeting_id: int):
    meeting = _load(meeting_id)
    item = _current(meeting, request.args.get("item"))
    if item is not None:
        audit.record("view", object_type="consultation_request", object_id=item.request_id,
                     client_id=item.request.client_id, purpose="meeting_run")
    db.session.commit()
    return render_run(meeting, item)


@bp.route("/<int:meeting_id>/run/start", methods=["POST"])
@roles_required("coordinator")
def start(meeting_id: int):
    """The coordinator starts the meeting on its day: it is held, and each case on
    the agenda gets its protocol."""
    meeting = _load(meeting_id)
    if not is_team_coordinator(current_user, meeting.team):
        deny(404, object_type="meeting", object_id=meeting_id)
    if ConfirmForm().validate_on_submit():
        try:
            records.start_meeting(meeting, by=current_user)
        except agenda.AgendaRefused as refused:
            db.session.rollback()
            flash(str(refused.message), "error")
        else:
            db.session.commit()
            flash(_("The meeting has started."), "success")
    return redirect(url_for("meetings.run", meeting_id=meeting_id), 303)


@bp.route("/<int:meeting_id>/items/<int:item_id>/carry-over", methods=["POST"])
@roles_required("coordinator")
def carry_over(meeting_id: int, item_id: int):
    """A case not finished goes to the next meeting of the series, its notes kept."""
    meeting = _load(meeting_id)
    item = next((i for i in meeting.items if i.id == item_id), None)
    if not is_team_coordinator(current_user, meeting.team) or item is None:
        deny(404, object_type="agenda_item", object_id=item_id)
    if ConfirmForm().validate_on_submit():
        try:
            moved = agenda.carry_over(item, by=current_user)
        except agenda.AgendaRefused as refused:
            db.session.rollback()
            flash(str(refused.message), "error")
        else:
            db.session.commit()
            flash(_("The case was carried over to the meeting of %(when)s.",
                    when=_when(moved.meeting)), "success")
    return redirect(url_for("meetings.run", meeting_id=meeting_id, item=item_id), 303)


def _when(meeting: Meeting) -> str:
    return fmt_datetime(meeting.starts_at)


@bp.route("/<int:meeting_id>/protocol")
@roles_required(*TEAM_ROLES)
def protocol(meeting_id: int):
    """The whole meeting's protocol, case by case in agenda order, for the team."""
    meeting = _load(meeting_id, people=False)
    cases = [i for i in meeting.items if i.state in ("on_agenda", "finalised")]
    protocols = _protocols([i.id for i in cases])
    audit.record_listed("consultation_request", [i.request for i in cases],
                        client_id_of=lambda r: r.client_id, purpose="protocol")
    db.session.commit()
    return render_template("meetings/protocol.html", meeting=meeting, cases=cases,
                           protocols=protocols, note_headings=note_headings(),
                           path_labels=path_labels(), kind_labels=kind_labels(),
                           carried=[i for i in meeting.items if i.state == "carried_over"],
                           lang=_lang())


def _lang() -> str:
    

    return current_language()

"""The meeting's page (`/meetings/<id>`) with its time-boxed agenda: put accepted cases
on it, reorder (buttons, or drag and drop through htmx), time boxes, guests per case,
participants, attendance on the day, and sending the agenda. Registered on the
meetings blueprint."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consult.access import deny, roles_required
from consult.audit import services as audit
from consult.consultations import services as consultations
from consult.consultations.models import ConsultationRequest
from consult.extensions import db
from consult.forms import choices
from consult.forms.admin import ConfirmForm
from consult.forms.agenda import AddItemForm, AttendanceForm, MinutesForm, MoveItemForm, OrderForm
from consult.forms.consultations import GuestForm
from consult.forms.meetings import meeting_state_labels
from consult.meetings import agenda
from consult.meetings.models import AgendaItem, Meeting
from consult.meetings.policy import (MEETING_ROLES, is_team_coordinator, load_coordinated_meeting,
                                     load_meeting, referrer_items)
from consult.meetings.views import bp
from consult.organisations.models import Organisation
from consult.query import database_id


def _load(meeting_id: int, *, coordinated: bool = False) -> Meeting:
    """The meeting with its agenda, cases, referrers and guests in a few statements."""
    loaded = agenda.with_agenda(meeting_id)
    found = load_coordinated_meeting if coordinated else load_meeting
    return found(loaded.id if loaded else meeting_id)


def participant_labels():
    from flask_babel import lazy_gettext as _l

    return {"coordinator": _l("Coordinator"), "member": _l("Team member"),
            "physician": _l("Occupational physician"), "referrer": _l("Referrer"),
            "guest": _l("Guest")}


def attendance_context(meeting: Meeting, people: list, coordinator: bool) -> dict:
    """Who can be marked present (a referrer with two cases is one person) and who is."""
    attendees = list({(p.guest_id and ("g", p.guest_id)) or ("u", p.user_id): p
                      for p in people}.values())
    present = {("u", a.user_id) if a.user_id else ("g", a.guest_id)
               for a in meeting.attendances if a.attended}
    return {"attendees": attendees, "present": present,
            "participant_labels": participant_labels(),
            "can_mark_attendance": coordinator and agenda.can_mark_attendance(meeting)}


def _render(meeting: Meeting, *, status: int = 200, add_form=None, refusal=None,
            conflict=False):
    coordinator = is_team_coordinator(current_user, meeting.team)
    items = agenda.on_agenda(meeting)
    if not coordinator and not _belongs(meeting):
        visible = {i.id for i in referrer_items(current_user, meeting)}
        items = [i for i in items if i.id in visible]
    times = {row.item.id: row for row in agenda.timetable(meeting)}
    if coordinator and add_form is None:
        add_form = AddItemForm(formdata=None)
    if coordinator:
        add_form.request_id.choices = choices(
            (r.id, _("Request %(id)s", id=r.id)
             + (f" ({_('urgent')})" if r.urgency == "urgent" else ""))
            for r in agenda.candidates(meeting))
    people = agenda.participants(meeting) if (coordinator or _belongs(meeting)) else []
    # htmx changes swap the agenda section; a page load gets the whole page.
    template = "meetings/_agenda.html" if _htmx() and request.method == "POST" \
        else "meetings/show.html"
    return render_template(
        template, meeting=meeting, items=items, times=times, coordinator=coordinator,
        add_form=add_form, refusal=refusal, conflict=conflict,
        total=agenda.total_minutes(meeting), overrun=agenda.overrun_minutes(meeting),
        participants=people, state_labels=meeting_state_labels(),
        in_team=coordinator or _belongs(meeting),
        **attendance_context(meeting, people, coordinator), confirm_form=ConfirmForm(), version_form=MoveItemForm(formdata=None),
        editable=coordinator and meeting.state in agenda.EDITABLE_STATES), status


def _htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _belongs(meeting: Meeting) -> bool:
    from consult.meetings.policy import belongs_to_team

    return belongs_to_team(current_user, meeting.team)


@bp.route("/<int:meeting_id>")
@roles_required(*MEETING_ROLES)
def show(meeting_id: int):
    meeting = _load(meeting_id)
    shown = agenda.on_agenda(meeting) if _belongs(meeting) else referrer_items(current_user,
                                                                                meeting)
    audit.record_listed("consultation_request", [i.request for i in shown],
                        client_id_of=lambda r: r.client_id, purpose="agenda")
    db.session.commit()
    return _render(meeting)


def _item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = db.session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        deny(404, object_type="agenda_item", object_id=item_id)
    return item


def _after(meeting: Meeting, message: str | None = None):
    """A change went through: the agenda again (htmx) or back to the page (303)."""
    db.session.commit()
    if _htmx():
        return _render(meeting, status=200)
    if message:
        flash(message, "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id, _anchor="agenda"), 303)


def _refused(meeting_id: int, refused: agenda.AgendaRefused, **kwargs):
    """Nothing changed: the agenda as it is now, with the reason (409 on a conflict)."""
    db.session.rollback()
    meeting = _load(meeting_id, coordinated=True)
    conflict = isinstance(refused, agenda.AgendaConflict)
    return _render(meeting, status=409 if conflict else 422, refusal=str(refused.message),
                   conflict=conflict, **kwargs)


@bp.route("/<int:meeting_id>/items", methods=["POST"])
@roles_required("coordinator")
def add_item(meeting_id: int):
    meeting = _load(meeting_id, coordinated=True)
    form = AddItemForm()
    form.request_id.choices = choices((r.id, "") for r in agenda.candidates(meeting))
    if not form.validate_on_submit():
        return _render(meeting, status=422, add_form=form)
    try:
        agenda.add_item(meeting, db.session.get(ConsultationRequest, form.request_id.data),
                        by=current_user, expected_version=form.expected_version())
    except agenda.AgendaRefused as refused:
        return _refused(meeting_id, refused)
    except consultations.TransitionRefused as refused:
        return _refused(meeting_id, agenda.AgendaRefused(refused.message))
    return _after(meeting, _("The case is on the agenda."))


@bp.route("/<int:meeting_id>/items/<int:item_id>/move", methods=["POST"])
@roles_required("coordinator")
def move_item(meeting_id: int, item_id: int):
    meeting = _load(meeting_id, coordinated=True)
    item = _item(meeting, item_id)
    form = MoveItemForm()
    if form.validate_on_submit():
        try:
            agenda.move_item(item, request.form.get("direction", "down"),
                             expected_version=form.expected_version())
        except agenda.AgendaRefused as refused:
            return _refused(meeting_id, refused)
        return _after(meeting)
    return _render(meeting, status=422)


@bp.route("/<int:meeting_id>/order", methods=["POST"])
@roles_required("coordinator")
def reorder(meeting_id: int):
    """Drag and drop sends the whole new order."""
    meeting = _load(meeting_id, coordinated=True)
    form = OrderForm()
    if form.validate_on_submit():
        try:
            agenda.reorder(meeting, form.item_ids.data or [],
                           expected_version=form.expected_version())
        except agenda.AgendaRefused as refused:
            return _refused(meeting_id, refused)
        return _after(meeting)
    return _render(meeting, status=422)


@bp.route("/<int:meeting_id>/items/<int:item_id>/minutes", methods=["POST"])
@roles_required("coordinator")
def item_minutes(meeting_id: int, item_id: int):
    meeting = _load(meeting_id, coordinated=True)
    item = _item(meeting, item_id)
    form = MinutesForm()
    if form.validate_on_submit():
        try:
            agenda.set_minutes(item, form.minutes.data, expected_version=form.expected_version())
        except agenda.AgendaRefused as refused:
            return _refused(meeting_id, refused)
        return _after(meeting)
    return _refused(meeting_id, agenda.AgendaRefused(
        " ".join(str(e) for e in form.minutes.errors) or _("Give the minutes.")))


@bp.route("/<int:meeting_id>/items/<int:item_id>/remove", methods=["POST"])
@roles_required("coordinator")
def remove_item(meeting_id: int, item_id: int):
    meeting = _load(meeting_id, coordinated=True)
    item = _item(meeting, item_id)
    form = MoveItemForm()
    if form.validate_on_submit():
        try:
            agenda.remove_item(item, by=current_user, expected_version=form.expected_version())
        except agenda.AgendaRefused as refused:
            return _refused(meeting_id, refused)
        except consultations.TransitionRefused as refused:
            return _refused(meeting_id, agenda.AgendaRefused(refused.message))
        return _after(meeting, _("The case was taken off the agenda; it is accepted again."))
    return _render(meeting, status=422)


def _guest_form(item: AgendaItem, form=None) -> GuestForm:
    """A guest's organisation must be one the client's consent names."""
    form = form or GuestForm()
    organisations = {o.id: o for c in consultations.covering_consents(item.request)
                     for o in c.organisations}
    form.organisation_id.choices = choices(
        (o.id, o.name) for o in sorted(organisations.values(), key=lambda o: o.name))
    return form


@bp.route("/<int:meeting_id>/items/<int:item_id>/guests", methods=["GET", "POST"])
@roles_required("coordinator")
def add_guest(meeting_id: int, item_id: int):
    """A guest for one case (e.g. the client's social worker), with the client's
    permission: only organisations the consent names can be chosen."""
    meeting = _load(meeting_id, coordinated=True)
    item = _item(meeting, item_id)
    form = GuestForm()
    form.organisation_id.validate_choice = False  # the service checks the consent
    if form.validate_on_submit():
        try:
            agenda.add_guest(item, name=form.name.data,
                             organisation=db.session.get(Organisation, form.organisation_id.data),
                             email=form.email.data, by=current_user)
        except consultations.GuestNotCovered as refused:
            db.session.rollback()
            item = _item(_load(meeting_id, coordinated=True), item_id)
            form.organisation_id.errors = [str(refused.message)]
        except agenda.AgendaRefused as refused:
            db.session.rollback()
            flash(str(refused.message), "error")
            return redirect(url_for("meetings.show", meeting_id=meeting_id), 303)
        else:
            db.session.commit()
            flash(_("Guest added to the case."), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting_id, _anchor="agenda"), 303)
    return render_template("meetings/guest.html", meeting=meeting, item=item,
                           form=_guest_form(item, form)), (422 if form.errors else 200)


@bp.route("/<int:meeting_id>/send", methods=["POST"])
@roles_required("coordinator")
def send(meeting_id: int):
    meeting = _load(meeting_id, coordinated=True)
    if ConfirmForm().validate_on_submit():
        try:
            deliveries = agenda.send_agenda(meeting, by=current_user)
        except agenda.AgendaRefused as refused:
            db.session.rollback()
            flash(str(refused.message), "error")
        else:
            db.session.commit()
            flash(_("Agenda sent: %(count)s participants will get it.", count=len(deliveries)),
                  "success")
    return redirect(url_for("meetings.show", meeting_id=meeting_id), 303)


@bp.route("/<int:meeting_id>/attendance", methods=["POST"])
@roles_required("coordinator")
def attendance(meeting_id: int):
    meeting = _load(meeting_id, coordinated=True)
    form = AttendanceForm()
    if form.validate_on_submit():
        present = form.present.data or []
        users = {database_id(v[2:]) for v in present if v.startswith("u-")} - {None}
        guests = {database_id(v[2:]) for v in present if v.startswith("g-")} - {None}
        try:
            agenda.mark_attendance(meeting, user_ids=users, guest_ids=guests, by=current_user)
        except agenda.AgendaRefused as refused:
            db.session.rollback()
            flash(str(refused.message), "error")
        else:
            db.session.commit()
            flash(_("Attendance saved."), "success")
    back = database_id(request.form.get("return_item"))
    if back:  # marked in the run view: back to the case being discussed
        return redirect(url_for("meetings.run", meeting_id=meeting_id, item=back,
                                _anchor="attendance"), 303)
    return redirect(url_for("meetings.show", meeting_id=meeting_id, _anchor="attendance"), 303)

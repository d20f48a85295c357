"""Writing a consultation's record, wherever it is shown: a team's protocol in the
meeting's run view, a physician's consultation note or written statement on its own
page (`/requests/<id>/record`). Notes autosave (htmx) with a version check; the
other parts are plain forms. Every change lands back on the record's page."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from consult import autosave
from consult.access import deny, roles_required
from consult.audit import services as audit
from consult.catalogue.models import Service
from consult.consultations import services as consultations
from consult.consultations.models import PREFORM_SECTIONS, ConsultationRequest
from consult.consultations.policy import load_request
from consult.extensions import db
from consult.forms import choices
from consult.forms.admin import ConfirmForm
from consult.forms.consultations import field_labels, section_labels
from consult.forms.protocols import (ActionItemForm, AddendumForm, FinaliseForm, OutcomeForm,
                                     RecommendationForm, expected_revision, note_labels,
                                     note_headings, notes_form, notes_values,
                                     path_labels)
from consult.i18n import current_language
from consult.organisations.models import Organisation
from consult.protocols import policy
from consult.protocols import services as records
from consult.protocols.models import Protocol, Recommendation

bp = Blueprint("protocols", __name__)

EDITOR_ROLES = ("coordinator", "physician")
NOTE_ROLES = ("coordinator", "member", "physician")


def kind_labels():
    return {"protocol": _l("Protocol"), "note": _l("Consultation note"),
            "statement": _l("Written statement")}


def responsible_choices(protocol: Protocol) -> list:
    """People who take part in the case (the team or the physician, and the referrer),
    then organisations: values "u-<id>" and "o-<id>"."""
    req = protocol.request
    people = {req.referrer_id: req.referrer}
    if req.target_team_id is not None:
        team = req.target_team
        people.update({m.user_id: m.user for m in team.memberships})
        if team.physician is not None:
            people[team.physician_id] = team.physician
    elif req.target_physician_id == current_user.id:
        people[current_user.id] = current_user  # the physician writing it
    else:
        people[req.target_physician_id] = req.target_physician
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    return [("", _("Choose")),
            *((f"u-{u.id}", u.name) for u in sorted(people.values(), key=lambda u: u.name)),
            *((f"o-{o.id}", _("Organisation: %(name)s", name=o.name)) for o in organisations)]


def editor_context(protocol: Protocol, forms: dict | None = None, refusal=None,
                   conflict=None) -> dict:
    """What the record partials need: the forms (the user's own, when given back after
    a refusal), who may do what, and the labels."""
    forms = dict(forms or {})
    can_edit = policy.can_edit(current_user, protocol)
    closed = records.recording_refusal(protocol)
    if closed is None:
        forms.setdefault("notes", notes_form(protocol.kind, protocol))
        if can_edit:
            forms.setdefault("outcome", OutcomeForm(formdata=None, obj=protocol))
            recommendation = forms.setdefault("recommendation", RecommendationForm(formdata=None))
            lang = current_language()
            services = db.session.scalars(select(Service).where(Service.is_active)
                                          .order_by(Service.category, Service.name_fi)).all()
            recommendation.service_id.choices = choices(
                [("", _("No linked service")), *((s.id, s.name_in(lang)) for s in services)])
            action = forms.setdefault("action", ActionItemForm(formdata=None))
            action.responsible.choices = choices(responsible_choices(protocol))
            forms.setdefault("finalise", FinaliseForm(formdata=None))
    elif protocol.is_final and can_edit:
        forms.setdefault("addendum", AddendumForm(formdata=None))
    return {"protocol": protocol, "forms": forms, "can_edit": can_edit, "closed": closed,
            "can_write_notes": closed is None and policy.can_write_notes(current_user, protocol),
            "refusal": refusal, "conflict": conflict, "note_labels": note_labels(protocol.kind),
            "note_headings": note_headings(protocol.kind),
            "path_labels": path_labels(), "kind_labels": kind_labels(),
            "PREFORM_SECTIONS": PREFORM_SECTIONS, "section_labels": section_labels(),
            "field_labels": field_labels(),
            "confirm_form": ConfirmForm(formdata=None), "lang": current_language()}


def _home(protocol: Protocol, *, status: int = 200, **context):
    """The page the record lives on, rendered again (after a refusal, with the user's
    own text in its form)."""
    if protocol.agenda_item is not None:
        from consult.meetings.run_views import render_run

        return render_run(protocol.agenda_item.meeting, protocol.agenda_item,
                          status=status, **context)
    return _render_physician_record(protocol.request, protocol, status=status, **context)


def home_url(protocol: Protocol, anchor: str = "record") -> str:
    if protocol.agenda_item is not None:
        return url_for("meetings.run", meeting_id=protocol.agenda_item.meeting_id,
                       item=protocol.agenda_item_id, _anchor=anchor)
    return url_for("protocols.physician_record", request_id=protocol.request_id, _anchor=anchor)


def _done(protocol: Protocol, message: str, anchor: str = "record"):
    db.session.commit()
    flash(message, "success")
    return redirect(home_url(protocol, anchor), 303)


def _refused(protocol_id: int, refused: records.ProtocolRefused, **forms):
    """Nothing changed: the page again with the reason and what the user typed."""
    db.session.rollback()
    protocol = db.session.get(Protocol, protocol_id)
    return _home(protocol, status=422, forms=forms, refusal=str(refused.message))


def _editable(protocol_id: int) -> Protocol:
    return policy.load_record(protocol_id, policy.can_edit)


# --- the physician's record ---------------------------------------------------------

def _render_physician_record(req: ConsultationRequest, protocol: Protocol | None, *,
                             status: int = 200, forms=None, refusal=None, conflict=None):
    context = editor_context(protocol, forms, refusal, conflict) if protocol else {}
    return render_template("protocols/physician_record.html", req=req,
                           version=records.discussed_version(req), **context), status


@bp.route("/requests/<int:request_id>/record")
@roles_required("physician")
def physician_record(request_id: int):
    """The consultation note (after a phone, video or in-person consultation) or the
    written statement, for the physician the request is addressed to."""
    loaded = consultations.with_parties(request_id)  # load_request finds it in the session
    req = load_request(loaded.id if loaded else request_id)
    if req.target_physician_id != current_user.id:
        deny(404, object_type="consultation_request", object_id=request_id,
             client_id=req.client_id)
    protocol = next(iter(records.loaded(request_id=[req.id])), None)
    if protocol is None and req.state == records.RECORDING_STATES[records.kind_for(req)]:
        protocol = records.protocol_of(req)
    audit.record("view", object_type="protocol", object_id=protocol.id if protocol else None,
                 client_id=req.client_id, purpose="protocol")
    db.session.commit()
    return _render_physician_record(req, protocol)


# --- notes --------------------------------------------------------------------------

@bp.route("/protocols/<int:protocol_id>/notes", methods=["POST"])
@roles_required(*NOTE_ROLES)
def save_notes(protocol_id: int):
    """Save notes with the button; after a conflict this is the deliberate overwrite
    (the revision in the form is then the one the user has seen)."""
    protocol = policy.load_record(protocol_id, policy.can_write_notes)
    form = notes_form(protocol.kind)
    if not form.validate_on_submit():
        return _home(protocol, status=422, forms={"notes": form})
    try:
        records.save_notes(protocol, notes_values(form), expected_revision=expected_revision(form),
                           by=current_user)
    except records.NotesConflict as conflict:
        db.session.rollback()
        form.revision.data = str(conflict.revision)
        return _home(protocol, status=409, forms={"notes": form}, conflict=conflict)
    except records.ProtocolRefused as refused:
        return _refused(protocol_id, refused, notes=form)
    return _done(protocol, _("Notes saved."), "notes")


@bp.route("/protocols/<int:protocol_id>/notes/autosave", methods=["POST"])
@roles_required(*NOTE_ROLES)
def autosave_notes(protocol_id: int):
    """htmx saves the notes while people type; the answer is a status line (and the
    new revision). After a conflict autosave stops until the user has seen both texts
    and saves with the button."""
    protocol = policy.load_record(protocol_id, policy.can_write_notes)
    form = notes_form(protocol.kind)
    answer = autosave.notes().answer
    if records.recording_refusal(protocol) is not None:
        return answer("closed", 409)
    if request.form.get("autosave_off"):
        return answer("off", 409)  # not saved: the user has a conflict to settle first
    if not form.validate_on_submit():
        return answer("invalid", 422, form=form)
    try:
        revision = records.save_notes(protocol, notes_values(form),
                                      expected_revision=expected_revision(form), by=current_user)
    except records.NotesConflict as conflict:
        db.session.rollback()
        return answer("conflict", 409, conflict=conflict,
                      note_labels=note_labels(protocol.kind))
    db.session.commit()
    return answer("saved", revision=revision, saved_at=protocol.updated_at)


# --- outcome, recommendations, action items ----------------------------------------

@bp.route("/protocols/<int:protocol_id>/outcome", methods=["POST"])
@roles_required(*EDITOR_ROLES)
def save_outcome(protocol_id: int):
    protocol = _editable(protocol_id)
    form = OutcomeForm()
    if not form.validate_on_submit():
        return _home(protocol, status=422, forms={"outcome": form})
    try:
        records.set_outcome(protocol, path=form.path.data or None,
                            follow_up_on=form.follow_up_on.data,
                            attendees=form.attendees.data or "", by=current_user)
    except records.ProtocolRefused as refused:
        return _refused(protocol_id, refused, outcome=form)
    return _done(protocol, _("Attendees, path and follow-up date saved."), "outcome")


@bp.route("/protocols/<int:protocol_id>/recommendations", methods=["POST"])
@roles_required(*EDITOR_ROLES)
def add_recommendation(protocol_id: int):
    protocol = _editable(protocol_id)
    form = RecommendationForm()
    if not form.validate_on_submit():
        return _home(protocol, status=422, forms={"recommendation": form})
    service = db.session.get(Service, form.service_id.data) if form.service_id.data else None
    try:
        records.add_recommendation(protocol, form.text.data, service=service, by=current_user)
    except records.ProtocolRefused as refused:
        return _refused(protocol_id, refused, recommendation=form)
    return _done(protocol, _("Recommendation added."), "recommendations")


@bp.route("/protocols/<int:protocol_id>/recommendations/<int:recommendation_id>/remove",
          methods=["POST"])
@roles_required(*EDITOR_ROLES)
def remove_recommendation(protocol_id: int, recommendation_id: int):
    protocol = _editable(protocol_id)
    recommendation = db.session.get(Recommendation, recommendation_id)
    if recommendation is None or recommendation.protocol_id != protocol.id:
        deny(404, object_type="recommendation", object_id=recommendation_id)
    if ConfirmForm().validate_on_submit():
        try:
            records.remove_recommendation(recommendation, by=current_user)
        except records.ProtocolRefused as refused:
            return _refused(protocol_id, refused)
    return _done(protocol, _("Recommendation removed."), "recommendations")


@bp.route("/protocols/<int:protocol_id>/action-items", methods=["POST"])
@roles_required(*EDITOR_ROLES)
def add_action_item(protocol_id: int):
    from consult.accounts.models import User

    protocol = _editable(protocol_id)
    form = ActionItemForm()
    allowed = dict(responsible_choices(protocol))
    form.responsible.choices = choices(allowed.items())
    if not form.validate_on_submit():
        return _home(protocol, status=422, forms={"action": form})
    kind, _sep, ident = form.responsible.data.partition("-")
    try:
        records.add_action_item(
            protocol, form.what.data, due_on=form.due_on.data, by=current_user,
            responsible_user=db.session.get(User, int(ident)) if kind == "u" else None,
            responsible_organisation=db.session.get(Organisation, int(ident))
            if kind == "o" else None)
    except records.ProtocolRefused as refused:
        return _refused(protocol_id, refused, action=form)
    return _done(protocol, _("Action item added."), "action-items")


# --- finalising and addenda ---------------------------------------------------------

@bp.route("/protocols/<int:protocol_id>/finalise", methods=["POST"])
@roles_required(*EDITOR_ROLES)
def finalise(protocol_id: int):
    """Finalise a protocol (the coordinator) or sign a note or statement (the
    physician): immutable from then on; the request becomes discussed."""
    protocol = _editable(protocol_id)
    form = FinaliseForm()
    if not form.validate_on_submit():
        return _home(protocol, status=422, forms={"finalise": form})
    try:
        records.finalise(protocol, by=current_user)
    except records.ProtocolRefused as refused:
        return _refused(protocol_id, refused)
    except records.consultations.TransitionRefused as refused:
        return _refused(protocol_id, records.ProtocolRefused(refused.message))
    message = _("Protocol finalised.") if protocol.kind == "protocol" else _("Signed.")
    return _done(protocol, message)


@bp.route("/protocols/<int:protocol_id>/addenda", methods=["POST"])
@roles_required(*EDITOR_ROLES)
def add_addendum(protocol_id: int):
    protocol = _editable(protocol_id)
    form = AddendumForm()
    if not form.validate_on_submit():
        return _home(protocol, status=422, forms={"addendum": form})
    try:
        records.add_addendum(protocol, form.text.data, by=current_user)
    except records.ProtocolRefused as refused:
        return _refused(protocol_id, refused, addendum=form)
    return _done(protocol, _("Addendum added."), "addenda")

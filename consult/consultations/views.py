"""Consultation requests: the list, starting a request, and the request's page with
its pre-information form (save draft, submit, withdraw)."""
from __future__ import annotations

from functools import cache

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import joinedload, selectinload

from consult import autosave
from consult.access import deny, roles_required
from consult.accounts.models import User, UserRole
from consult.audit import services as audit
from consult.audit.labels import purpose_labels
from consult.catalogue.models import Service
from consult.clients.models import Client
from consult.consultations import services
from consult.consultations.models import (PREFORM_SECTIONS, ConsultationRequest, PreForm,
                                          PreFormVersion, RequestEvent, RequestGuest)
from consult.consultations.policy import (READ_ROLES, REQUEST_ROLES, is_team_coordinator,
                                          load_request)
from consult.consultations.states import STATES
from consult.extensions import db
from consult.forms import choices
from consult.forms.admin import ConfirmForm
from consult.forms.protocols import path_labels
from consult.forms.consultations import (DecisionForm, GuestForm, HandoverForm, MessageForm,
                                         PreFormForm, RequestForm, attendance_labels,
                                         field_labels, field_name, mode_labels,
                                         preform_form_from_draft, preform_values,
                                         section_labels)
from consult.i18n import current_language
from consult.notifications import services as notifications
from consult.scheduling.booking_views import bp as booking_bp
from consult.scheduling.booking_views import context as booking_context
from consult.organisations.models import Organisation, Team, TeamMembership
from consult.query import id_arg, page_arg, whole_number

bp = Blueprint("consultations", __name__, url_prefix="/requests")
referrer_only = roles_required("referrer")


@bp.context_processor
def labels():
    return {"mode_labels": mode_labels(), "attendance_labels": attendance_labels(),
            "section_labels": section_labels(), "field_labels": field_labels(),
            "act_labels": purpose_labels(), "state_labels": state_labels(),
            "PREFORM_SECTIONS": PREFORM_SECTIONS, "field_name": field_name,
            "path_labels": path_labels(), "lang": current_language()}


# The booking actions render this blueprint's request page too.
booking_bp.context_processor(labels)


def state_labels():
    from flask_babel import lazy_gettext as _l

    return {"draft": _l("Draft"), "submitted": _l("Submitted"),
            "returned": _l("Returned for completion"), "accepted": _l("Accepted"),
            "scheduled": _l("Scheduled"), "discussed": _l("Discussed"), "closed": _l("Closed"),
            "resolved_at_consultation": _l("Resolved at consultation"),
            "declined": _l("Declined"), "withdrawn": _l("Withdrawn")}


def _visible_requests():
    user = current_user
    conditions = []
    if user.has_role("referrer"):
        conditions.append(ConsultationRequest.organisation_id == user.organisation_id)
    my_teams = select(TeamMembership.team_id).where(TeamMembership.user_id == user.id,
                                                    TeamMembership.role == "coordinator")
    if user.has_role("coordinator"):
        conditions.append((ConsultationRequest.target_team_id.in_(my_teams))
                          & (ConsultationRequest.state != "draft"))
    if user.has_role("physician"):
        conditions.append((ConsultationRequest.target_physician_id == user.id)
                          & (ConsultationRequest.state != "draft"))
    return (select(ConsultationRequest).where(or_(*conditions))
            .options(joinedload(ConsultationRequest.client).lazyload(Client.consents),
                     joinedload(ConsultationRequest.target_team),
                     joinedload(ConsultationRequest.target_physician))
            .order_by(ConsultationRequest.created_at.desc(), ConsultationRequest.id.desc()))


def _audit_listed(requests) -> None:
    """A list page writes one event per client shown (SPEC §3)."""
    audit.record_listed("consultation_request", requests, client_id_of=lambda r: r.client_id,
                        purpose="consultation_request")


@bp.route("")
@roles_required(*REQUEST_ROLES)
def requests_list():
    state = request.args.get("state", "")
    mine = request.args.get("mine") == "1"
    query = _visible_requests()
    if state in STATES:
        query = query.where(ConsultationRequest.state == state)
    if mine:  # the cases I manage, of those my organisation's referrers see
        query = query.where(ConsultationRequest.referrer_id == current_user.id)
    page = db.paginate(query, page=page_arg(),
                       per_page=50, error_out=False)
    _audit_listed(page.items)
    db.session.commit()
    return render_template("consultations/list.html", page=page, state=state, states=STATES,
                           mine=mine)


def _request_form() -> RequestForm:
    form = RequestForm()
    clients = db.session.scalars(select(Client).where(
        Client.organisation_id == current_user.organisation_id)
        .order_by(Client.last_name, Client.first_names)).all()
    form.client_id.choices = choices((c.id, c.sort_name) for c in clients)
    teams = db.session.scalars(select(Team).order_by(Team.name)).all()
    physicians = db.session.scalars(select(User).where(
        User.is_active_account, User.role_rows.any(UserRole.role == "physician"))
        .order_by(User.name)).all()
    form.target.choices = choices(
        [(f"team-{t.id}", _("Team: %(name)s", name=t.name)) for t in teams]
        + [(f"physician-{p.id}", _("Occupational physician: %(name)s (%(org)s)",
                                   name=p.name, org=p.organisation.name)) for p in physicians])
    if request.method == "GET" and id_arg("client_id"):
        form.client_id.data = id_arg("client_id")
    return form


@bp.route("/new", methods=["GET", "POST"])
@referrer_only
def new():
    form = _request_form()
    if not form.client_id.choices:
        flash(_("Register the client first."), "info")
        return redirect(url_for("clients.new"))
    if form.validate_on_submit():
        client = db.session.get(Client, form.client_id.data)
        kind, _sep, target_id = form.target.data.partition("-")
        team = db.session.get(Team, int(target_id)) if kind == "team" else None
        physician = db.session.get(User, int(target_id)) if kind == "physician" else None
        try:
            created = services.create_request(
                client=client, referrer=current_user, team=team, physician=physician,
                mode=form.mode.data, urgency=form.urgency.data,
                urgency_reason=form.urgency_reason.data or "",
                preferred_dates=form.preferred_dates.data or "",
                client_attends=form.client_attends.data)
        except services.TransitionRefused as refused:
            form.target.errors.append(str(refused.message))
        else:
            db.session.commit()
            flash(_("Draft request created. Fill in the pre-information form."), "success")
            return redirect(url_for("consultations.show", request_id=created.id))
    return render_template("consultations/new.html", form=form), (422 if form.errors else 200)


def _can_edit(req) -> bool:
    return req.referrer_id == current_user.id and req.state in ("draft", "returned")


def _can_decide(req) -> bool:
    return req.state in ("submitted", "accepted") and (
        is_team_coordinator(current_user, req.target_team)
        or req.target_physician_id == current_user.id)


@cache
def _page_statement():
    """The request a page shows, with what the page reads loaded in few statements
    (the message thread loads with its authors when a page shows it); built once, as
    building it and its cache key cost more than running it."""
    return (
        select(ConsultationRequest).where(ConsultationRequest.id == bindparam("id"))
        .options(joinedload(ConsultationRequest.client).lazyload(Client.consents),
                 joinedload(ConsultationRequest.referrer),
                 joinedload(ConsultationRequest.target_team),
                 joinedload(ConsultationRequest.preform).joinedload(PreForm.versions),
                 selectinload(ConsultationRequest.events).joinedload(RequestEvent.actor),
                 selectinload(ConsultationRequest.guests)
                 .joinedload(RequestGuest.organisation)))


def _load(request_id: int):
    """The request a page shows, or the refusal of a missing id or one out of scope."""
    loaded = db.session.scalars(_page_statement(), {"id": request_id}).unique().first()
    # `loaded` keeps the object in the identity map, where load_request finds it to
    # check access without another statement.
    return load_request(loaded.id if loaded else request_id)


def _decision_form(req, form=None) -> DecisionForm:
    """Guidance may point to catalogue services when a team resolves a case."""
    form = form or DecisionForm()
    if req.target_team_id is None:
        form.services.choices = []
        return form
    lang = current_language()
    active = db.session.scalars(select(Service).where(Service.is_active)
                                .order_by(Service.category, Service.name_fi)).all()
    form.services.choices = choices((svc.id, svc.name_in(lang)) for svc in active)
    return form


def _handover_form(req, form=None) -> HandoverForm:
    form = form or HandoverForm()
    referrers = db.session.scalars(select(User).where(
        User.organisation_id == req.organisation_id, User.id != req.referrer_id,
        User.is_active_account, User.role_rows.any(UserRole.role == "referrer"))
        .order_by(User.name)).all()
    form.referrer_id.choices = choices((u.id, u.name) for u in referrers)
    return form


def _guest_form(req, form=None) -> GuestForm:
    """A guest's organisation must be one the client's consent names: the choice
    offers those of the consents that cover the request's target today."""
    form = form or GuestForm()
    organisations = {o.id: o for consent in services.covering_consents(req)
                     for o in consent.organisations}
    form.organisation_id.choices = choices(
        (o.id, o.name) for o in sorted(organisations.values(), key=lambda o: o.name))
    return form


def _render(req, *, form=None, conflict=None, decision_form=None, refusal=None,
            message_form=None, guest_form=None, guest_refusal=None, booking=None,
            status=200):
    if form is None:
        form = preform_form_from_draft(req.preform.draft, req.preform.draft_revision)
    editable = _can_edit(req)
    can_decide = _can_decide(req)
    can_hand_over = services.can_hand_over(req, current_user)
    can_add_guests = (req.referrer_id == current_user.id
                      and req.state in services.GUEST_STATES)
    return render_template(
        "consultations/show.html", req=req, form=form, editable=editable, conflict=conflict,
        can_decide=can_decide, refusal=refusal,
        decision_form=_decision_form(req, decision_form) if can_decide else None,
        confirm_form=ConfirmForm(),
        consent=services.covering_consent(req) if (editable or can_add_guests) else None,
        can_converse=services.can_converse(req, current_user),
        message_form=message_form or MessageForm(),
        can_add_guests=can_add_guests,
        guest_form=_guest_form(req, guest_form) if can_add_guests else None,
        guest_refusal=guest_refusal, can_hand_over=can_hand_over,
        record=_case_record(req), **(booking or booking_context(req))), status


def _case_record(req):
    """Once the case has been discussed, its final record for the summary on the page
    (only for those who may read it: the case's organisation, the team, the physician)."""
    from consult.protocols import policy
    from consult.protocols import services as records

    if req.state not in ("discussed", "closed") or not policy.can_read_case_record(
            current_user, req):
        return None
    return records.final_record(req)


def _record_view(req) -> None:
    """Every read of a request's page (and so of its pre-form) is audited."""
    audit.record("view", object_type="consultation_request", object_id=req.id,
                 client_id=req.client_id, purpose="consultation_request")
    notifications.mark_read_for_request(current_user, req.id)


@bp.route("/<int:request_id>")
@roles_required(*READ_ROLES)
def show(request_id: int):
    req = _load(request_id)
    _record_view(req)
    db.session.commit()
    return _render(req)


@bp.route("/<int:request_id>/versions/<int:number>")
@roles_required(*READ_ROLES)
def version(request_id: int, number: int):
    """A frozen version of the pre-form, read-only."""
    req = load_request(request_id)
    frozen = db.session.scalar(select(PreFormVersion).where(
        PreFormVersion.preform_id == req.preform.id, PreFormVersion.number == number))
    if frozen is None:
        deny(404, object_type="pre_form_version", client_id=req.client_id)
    _record_view(req)
    db.session.commit()
    return render_template("consultations/version.html", req=req, version=frozen)


def _revision(form) -> int:
    """The draft revision the page was built on; garbage counts as stale."""
    number = whole_number((form.revision.data or "").strip())
    return -1 if number is None else number


def _save(req, form):
    """Save the draft; on a conflict keep both texts on the page (409)."""
    try:
        services.save_draft(req.preform, preform_values(form),
                            expected_revision=_revision(form), by=current_user)
    except services.DraftConflict as conflict:
        db.session.rollback()
        return conflict
    audit.record("update", object_type="consultation_request", object_id=req.id,
                 client_id=req.client_id, purpose="consultation_request")
    return None


@bp.route("/<int:request_id>/preform", methods=["POST"])
@referrer_only
def save_preform(request_id: int):
    req = load_request(request_id)
    form = PreFormForm()
    if not _can_edit(req):
        flash(_("The pre-information form can no longer be changed."), "error")
        return redirect(url_for("consultations.show", request_id=req.id))
    if not form.validate_on_submit():
        return _render(req, form=form, status=422)
    conflict = _save(req, form)
    if conflict:
        return _render(req, form=form, conflict=conflict, status=409)
    db.session.commit()
    if request.form.get("action") != "submit":
        flash(_("Draft saved."), "success")
        return redirect(url_for("consultations.show", request_id=req.id))
    act = "resubmit" if req.state == "returned" else "submit"
    try:
        services.perform(req, act, current_user)
    except services.IncompleteForm as incomplete:
        for key in incomplete.missing:
            form[field_name(key)].errors.append(_("Required before submitting."))
        form.revision.data = req.preform.draft_revision
        return _render(req, form=form, status=422)
    except services.TransitionRefused as refused:
        flash(str(refused.message), "error")
        return redirect(url_for("consultations.show", request_id=req.id))
    db.session.commit()
    flash(_("Request submitted."), "success")
    return redirect(url_for("consultations.show", request_id=req.id))


@bp.route("/<int:request_id>/preform/autosave", methods=["POST"])
@referrer_only
def autosave_preform(request_id: int):
    """htmx saves the draft while the referrer types; the answer is a status line (and
    the new revision). After a conflict the page stops autosaving until the referrer
    has seen both texts and saves with the button."""
    req = load_request(request_id)
    form = PreFormForm()
    answer = autosave.preform().answer
    if not _can_edit(req):
        return answer("closed", 409)
    if request.form.get("autosave_off"):
        return answer("off", 409)  # not saved: the user has a conflict to settle first
    if not form.validate_on_submit():
        return answer("invalid", 422, form=form)
    conflict = _save(req, form)
    if conflict:
        return answer("conflict", 409, conflict=conflict)
    db.session.commit()
    return answer("saved", revision=req.preform.draft_revision,
                  saved_at=req.preform.draft_saved_at)


@bp.route("/<int:request_id>/withdraw", methods=["POST"])
@referrer_only
def withdraw(request_id: int):
    req = load_request(request_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.perform(req, "withdraw", current_user)
        except services.TransitionRefused as refused:
            flash(str(refused.message), "error")
        else:
            db.session.commit()
            flash(_("Request withdrawn."), "success")
    return redirect(url_for("consultations.show", request_id=req.id))


DECISIONS = ("accept", "return_for_completion", "resolve_at_consultation", "decline")


@bp.route("/<int:request_id>/decide", methods=["POST"])
@roles_required("coordinator", "physician")
def decide(request_id: int):
    """The coordinator's or physician's decision: accept, return for completion with a
    message, resolve at the consultation stage with written guidance (optionally
    pointing to catalogue services), or decline."""
    req = load_request(request_id)
    form = _decision_form(req)
    act = request.form.get("action", "")
    refusal = None
    if form.validate_on_submit() and act in DECISIONS:
        linked = db.session.scalars(select(Service).where(
            Service.id.in_(form.services.data or []))).all()
        try:
            services.perform(req, act, current_user, message=form.message.data or "",
                             linked_services=linked)
        except services.TransitionRefused as refused:
            refusal = str(refused.message)
            if not (form.message.data or "").strip():
                form.message.errors.append(refusal)
        else:
            db.session.commit()
            flash(_("Decision recorded: %(act)s.", act=purpose_labels()[act]), "success")
            return redirect(url_for("consultations.show", request_id=req.id))
    return _render(req, decision_form=form, refusal=refusal, status=422)


@bp.route("/<int:request_id>/messages", methods=["POST"])
@roles_required(*REQUEST_ROLES)
def post_message(request_id: int):
    """A message in the request's thread. htmx swaps the thread; without JavaScript
    the page reloads at the thread."""
    req = load_request(request_id)
    form = MessageForm()
    htmx = request.headers.get("HX-Request") == "true"
    if not services.can_converse(req, current_user):
        flash(_("You cannot write in this request's thread."), "error")
        return redirect(url_for("consultations.show", request_id=req.id))
    if form.validate_on_submit():
        try:
            services.post_message(req, current_user, form.body.data)
        except services.TransitionRefused as refused:
            form.body.errors.append(str(refused.message))
        else:
            db.session.commit()
            if htmx:
                return render_template("consultations/_messages.html", req=req,
                                       can_converse=True,
                                       message_form=MessageForm(formdata=None))
            flash(_("Message sent."), "success")
            return redirect(url_for("consultations.show", request_id=req.id,
                                    _anchor="messages"))
    if htmx:
        return render_template("consultations/_messages.html", req=req, can_converse=True,
                               message_form=form), 422
    return _render(req, message_form=form, status=422)


@bp.route("/<int:request_id>/guests", methods=["POST"])
@referrer_only
def add_guest(request_id: int):
    req = load_request(request_id)
    form = _guest_form(req)
    refusal = None
    if form.validate_on_submit():
        organisation = db.session.get(Organisation, form.organisation_id.data)
        try:
            services.propose_guest(req, name=form.name.data, organisation=organisation,
                                   email=form.email.data, by=current_user)
        except services.GuestNotCovered as refused:
            form.organisation_id.errors.append(str(refused.message))
        except services.TransitionRefused as refused:
            refusal = str(refused.message)
        else:
            db.session.commit()
            flash(_("Guest proposed."), "success")
            return redirect(url_for("consultations.show", request_id=req.id, _anchor="guests"))
    return _render(req, guest_form=form, guest_refusal=refusal, status=422)


@bp.route("/<int:request_id>/guests/<int:guest_id>/remove", methods=["POST"])
@referrer_only
def remove_guest(request_id: int, guest_id: int):
    req = load_request(request_id)
    guest = db.session.get(RequestGuest, guest_id)
    if guest is None or guest.request_id != req.id:
        deny(404, object_type="request_guest", object_id=guest_id, client_id=req.client_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.remove_guest(guest, by=current_user)
        except services.TransitionRefused as refused:
            flash(str(refused.message), "error")
        else:
            db.session.commit()
            flash(_("Guest removed."), "success")
    return redirect(url_for("consultations.show", request_id=req.id, _anchor="guests"))


@bp.route("/<int:request_id>/handover", methods=["GET", "POST"])
@roles_required("referrer", "coordinator")
def handover(request_id: int):
    """Hand the case to another referrer of the same organisation."""
    req = load_request(request_id)
    if not services.can_hand_over(req, current_user):
        flash(_("You cannot hand this case over."), "error")
        return redirect(url_for("consultations.show", request_id=req.id))
    form = _handover_form(req)
    if form.validate_on_submit():
        try:
            services.hand_over(req, db.session.get(User, form.referrer_id.data),
                               by=current_user)
        except services.TransitionRefused as refused:
            form.referrer_id.errors.append(str(refused.message))
        else:
            db.session.commit()
            flash(_("The case was handed over to %(name)s.", name=req.referrer.name), "success")
            return redirect(url_for("consultations.show", request_id=req.id))
    return render_template("consultations/handover.html", req=req, form=form), \
        (422 if form.errors else 200)

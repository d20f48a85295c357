"""Consultation requests: the list, starting a request, and the request's page with
its pre-information form (save draft, submit, withdraw)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from consult.access import load_or_404, roles_required
from consult.accounts.models import User, UserRole
from consult.audit import services as audit
from consult.audit.labels import purpose_labels
from consult.clients.models import Client
from consult.consultations import services
from consult.consultations.models import PREFORM_SECTIONS, ConsultationRequest
from consult.consultations.policy import REQUEST_ROLES, is_team_coordinator, load_request
from consult.extensions import db
from consult.forms import choices
from consult.forms.admin import ConfirmForm, organisation_kind_labels
from consult.forms.consultations import (DecisionForm, PreFormForm, RequestForm, attendance_labels,
                                         field_labels, field_name, mode_labels,
                                         preform_form_from_draft, preform_values,
                                         section_labels)
from consult.organisations.models import ORGANISATION_KINDS, Organisation, Team, TeamMembership

bp = Blueprint("consultations", __name__, url_prefix="/requests")
referrer_only = roles_required("referrer")


@bp.context_processor
def labels():
    return {"mode_labels": mode_labels(), "attendance_labels": attendance_labels(),
            "section_labels": section_labels(), "field_labels": field_labels(),
            "act_labels": purpose_labels(), "state_labels": state_labels(),
            "PREFORM_SECTIONS": PREFORM_SECTIONS, "field_name": field_name}


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
    return select(ConsultationRequest).where(or_(*conditions)).order_by(
        ConsultationRequest.created_at.desc(), ConsultationRequest.id.desc())


def _audit_listed(requests) -> None:
    """A list page writes one event per client shown (SPEC §3)."""
    for item in requests:
        audit.record("list", object_type="consultation_request", object_id=item.id,
                     client_id=item.client_id, purpose="consultation_request")


@bp.route("")
@roles_required(*REQUEST_ROLES)
def requests_list():
    page = db.paginate(_visible_requests(), page=request.args.get("page", 1, type=int),
                       per_page=50, error_out=False)
    _audit_listed(page.items)
    db.session.commit()
    return render_template("consultations/list.html", page=page)


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
    if request.method == "GET" and request.args.get("client_id", type=int):
        form.client_id.data = request.args.get("client_id", type=int)
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


def _render(req, *, form=None, conflict=None, decision_form=None, refusal=None, status=200):
    if form is None:
        form = preform_form_from_draft(req.preform.draft, req.preform.draft_revision)
    return render_template("consultations/show.html", req=req, form=form,
                           editable=_can_edit(req), conflict=conflict,
                           can_decide=_can_decide(req), refusal=refusal,
                           decision_form=decision_form or DecisionForm(),
                           confirm_form=ConfirmForm(), consent=services.covering_consent(req)), \
        status


@bp.route("/<int:request_id>")
@roles_required(*REQUEST_ROLES)
def show(request_id: int):
    req = load_request(request_id)
    audit.record("view", object_type="consultation_request", object_id=req.id,
                 client_id=req.client_id, purpose="consultation_request")
    db.session.commit()
    return _render(req)


def _revision(form) -> int:
    """The draft revision the page was built on; garbage counts as stale."""
    value = (form.revision.data or "").strip()
    return int(value) if value.isdigit() else -1


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
    message, resolve at the consultation stage with written guidance, or decline."""
    req = load_request(request_id)
    form = DecisionForm()
    act = request.form.get("action", "")
    refusal = None
    if form.validate_on_submit() and act in DECISIONS:
        try:
            services.perform(req, act, current_user, message=form.message.data or "")
        except services.TransitionRefused as refused:
            refusal = str(refused.message)
            if not (form.message.data or "").strip():
                form.message.errors.append(refusal)
        else:
            db.session.commit()
            flash(_("Decision recorded: %(act)s.", act=purpose_labels()[act]), "success")
            return redirect(url_for("consultations.show", request_id=req.id))
    return _render(req, decision_form=form, refusal=refusal, status=422)


INBOX_STATES = ("submitted", "accepted", "returned", "scheduled")


# The team inbox lives under /teams/, outside the requests' prefix.
teams_bp = Blueprint("teams", __name__, url_prefix="/teams")


@teams_bp.route("/<int:team_id>/inbox")
@roles_required("coordinator")
def inbox(team_id: int):
    """New requests to the team, urgent first, then oldest first; filter by state and
    by the kind of the referring organisation."""
    team = load_or_404(Team, team_id, is_team_coordinator)
    state = request.args.get("state", "submitted")
    state = state if state in INBOX_STATES else "submitted"
    kind = request.args.get("kind", "")
    query = (select(ConsultationRequest)
             .where(ConsultationRequest.target_team_id == team.id,
                    ConsultationRequest.state == state)
             .order_by((ConsultationRequest.urgency == "urgent").desc(),
                       ConsultationRequest.first_submitted_at, ConsultationRequest.id))
    if kind in ORGANISATION_KINDS:
        query = query.join(Organisation, Organisation.id == ConsultationRequest.organisation_id) \
            .where(Organisation.kind == kind)
    items = db.session.scalars(query.limit(200)).all()
    _audit_listed(items)
    db.session.commit()
    return render_template("consultations/inbox.html", team=team, items=items, state=state,
                           kind=kind, states=INBOX_STATES, state_labels=state_labels(),
                           kind_labels=organisation_kind_labels())

"""The follow-up of a discussed case (`/requests/<id>/follow-up`): the case manager
records what happened after the consultation, which closes the case."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from consult.access import deny, roles_required
from consult.audit import services as audit
from consult.consultations.policy import load_request
from consult.extensions import db
from consult.followups import services
from consult.followups.models import FollowUp
from consult.forms.followups import FollowUpForm, plan_change_labels, yes_no_labels
from consult.forms.protocols import path_labels
from consult.protocols import services as records

bp = Blueprint("followups", __name__)


def _case(request_id: int):
    """The referrer's own case (the case manager records its follow-up)."""
    req = load_request(request_id)
    if req.referrer_id != current_user.id:
        deny(404, object_type="consultation_request", object_id=request_id,
             client_id=req.client_id)
    return req


def _render(req, form, *, status: int = 200, refusal=None):
    follow_up = db.session.scalar(select(FollowUp).where(FollowUp.request_id == req.id))
    return render_template(
        "followups/record.html", req=req, form=form, follow_up=follow_up,
        record=records.final_record(req), refusal=refusal, path_labels=path_labels(),
        plan_change_labels=plan_change_labels(), yes_no_labels=yes_no_labels()), status


@bp.route("/requests/<int:request_id>/follow-up", methods=["GET", "POST"])
@roles_required("referrer")
def record(request_id: int):
    req = _case(request_id)
    form = FollowUpForm()
    if not form.validate_on_submit():
        if form.is_submitted():
            return _render(req, form, status=422)
        audit.record("view", object_type="consultation_request", object_id=req.id,
                     client_id=req.client_id, purpose="record_follow_up")
        db.session.commit()
        return _render(req, form)
    try:
        services.record_follow_up(
            req, path_taken=form.path_taken.data, situation=form.situation.data,
            kykyviisari_score=form.kykyviisari_score.data,
            meeting_needed=form.meeting_needed.data == "yes",
            plan_changed=form.plan_changed.data, by=current_user)
    except services.consultations.TransitionRefused as refused:
        db.session.rollback()
        return _render(_case(request_id), form, status=422, refusal=str(refused.message))
    db.session.commit()
    flash(_("Follow-up recorded: the case is closed."), "success")
    return redirect(url_for("consultations.show", request_id=req.id), 303)

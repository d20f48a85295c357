"""The physician's availability page (`/physician/availability`): the week's slots,
the weekly rules and the absences, each change a plain form POST."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from consult.access import load_or_404, roles_required
from consult.extensions import db
from consult.forms.admin import weekday_labels
from consult.forms.scheduling import AbsenceForm, RuleForm, slot_mode_labels, slot_state_labels
from consult.i18n import current_language
from consult.query import date_arg
from consult.scheduling import availability
from consult.scheduling.models import AvailabilityException, AvailabilityRule, Slot
from consult.timeutil import to_helsinki, today

bp = Blueprint("availability", __name__, url_prefix="/physician")
physician_only = roles_required("physician")

# Finnish conventions for a time of day (`klo 9.00–9.30`), as consult.i18n does for dates.
TIME_PREFIX = {"fi": "klo ", "sv": "kl. ", "en": ""}


def _clock(value) -> str:
    local = to_helsinki(value).replace(tzinfo=None)
    return format_datetime(local, "H.mm", rebase=False)


def time_range(starts_at, ends_at) -> str:
    prefix = TIME_PREFIX.get(current_language(), TIME_PREFIX["fi"])
    return f"{prefix}{_clock(starts_at)}–{_clock(ends_at)}"


def wall_range(start, end) -> str:
    """A rule's hours: wall times, no time zone to convert."""
    prefix = TIME_PREFIX.get(current_language(), TIME_PREFIX["fi"])
    return f"{prefix}{start.hour}.{start.minute:02d}–{end.hour}.{end.minute:02d}"


@bp.context_processor
def helpers():
    return {"time_range": time_range, "wall_range": wall_range,
            "weekday_labels": weekday_labels(), "mode_labels": slot_mode_labels(),
            "state_labels": slot_state_labels()}


def _chosen_monday() -> date:
    return availability.monday_of(date_arg("week") or today())


def _page_url(monday: date | None = None) -> str:
    if monday is None or monday == availability.monday_of(today()):
        return url_for("availability.page")
    return url_for("availability.page", week=monday.isoformat())


def _render(rule_form: RuleForm | None = None, absence_form: AbsenceForm | None = None,
            status: int = 200):
    monday = _chosen_monday()
    week = availability.week_view(current_user, monday, language=current_language())
    return render_template(
        "scheduling/availability.html", week=week, today=today(),
        this_monday=availability.monday_of(today()),
        previous_url=_page_url(monday - timedelta(days=7)),
        next_url=_page_url(monday + timedelta(days=7)),
        weeks_ahead=availability.SLOT_WEEKS_AHEAD,
        rule_form=rule_form or RuleForm(formdata=None),
        absence_form=absence_form or AbsenceForm(formdata=None),
    ), status


@bp.route("/availability", endpoint="page")
@physician_only
def page():
    return _render()


@bp.route("/availability/rules", methods=["POST"])
@physician_only
def add_rule():
    form = RuleForm()
    if form.validate_on_submit():
        try:
            created = availability.add_rule(
                current_user, weekday=form.weekday.data, start_time=form.start_time.data,
                end_time=form.end_time.data, slot_minutes=form.slot_minutes.data,
                mode=form.mode.data, location=form.location.data or "")
        except availability.RuleOverlap as refused:
            db.session.rollback()
            form.start_time.errors.append(str(refused.message))
        except availability.AvailabilityError as refused:
            db.session.rollback()
            form.location.errors.append(str(refused.message))
        else:
            db.session.commit()
            flash(_("Weekly rule added: %(weekday)s %(hours)s.",
                    weekday=weekday_labels()[created.weekday],
                    hours=wall_range(created.start_time, created.end_time)), "success")
            return redirect(url_for("availability.page"), 303)
    return _render(rule_form=form, status=422)


@bp.route("/availability/rules/<int:rule_id>/delete", methods=["POST"])
@physician_only
def delete_rule(rule_id: int):
    rule = load_or_404(AvailabilityRule, rule_id, availability.is_own)
    availability.delete_rule(rule)
    db.session.commit()
    flash(_("Weekly rule deleted. Its free slots were removed; booked slots stay."), "success")
    return redirect(url_for("availability.page"), 303)


@bp.route("/availability/absences", methods=["POST"])
@physician_only
def add_absence():
    form = AbsenceForm()
    if form.validate_on_submit():
        absence = availability.add_absence(current_user, form.starts_on.data, form.ends_on.data,
                                           form.reason.data or "")
        booked = availability.booked_slots_between(current_user, absence.starts_on,
                                                   absence.ends_on)
        db.session.commit()
        flash(_("Absence added. Free slots on those days were removed."), "success")
        if booked:
            flash(ngettext("%(num)s booked slot falls in the absence. Cancel or move it on its "
                           "request's page.",
                           "%(num)s booked slots fall in the absence. Cancel or move them on "
                           "their requests' pages.", booked), "warning")
        return redirect(_page_url(availability.monday_of(absence.starts_on)), 303)
    return _render(absence_form=form, status=422)


@bp.route("/availability/absences/<int:absence_id>/delete", methods=["POST"])
@physician_only
def delete_absence(absence_id: int):
    absence = load_or_404(AvailabilityException, absence_id, availability.is_own)
    availability.delete_absence(absence)
    db.session.commit()
    flash(_("Absence deleted. Your weekly rules apply on those days again."), "success")
    return redirect(url_for("availability.page"), 303)


def _change_slot(slot_id: int, change, done: str):
    slot = load_or_404(Slot, slot_id, availability.is_own)
    try:
        change(slot)
    except availability.AvailabilityError as refused:
        db.session.rollback()
        flash(str(refused.message), "error")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(_page_url(availability.monday_of(to_helsinki(slot.starts_at).date())), 303)


@bp.route("/slots/<int:slot_id>/block", methods=["POST"])
@physician_only
def block_slot(slot_id: int):
    return _change_slot(slot_id, availability.block_slot, _("Slot blocked."))


@bp.route("/slots/<int:slot_id>/unblock", methods=["POST"])
@physician_only
def unblock_slot(slot_id: int):
    return _change_slot(slot_id, availability.unblock_slot, _("Slot opened for booking again."))

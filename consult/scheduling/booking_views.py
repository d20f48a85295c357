"""Booking a physician's slot for a request (`/requests/<id>/booking…`): the physician
books a free slot or proposes two or three, the referrer picks one, the physician
cancels (with a reason) or moves the booking. Every action is a plain POST; htmx
swaps the booking section. A slot taken in between answers 409 with the free slots
around it, and what was chosen stays chosen."""
from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consult.access import roles_required
from consult.consultations import services as consultations
from consult.consultations.policy import load_request
from consult.extensions import db
from consult.forms import choices
from consult.forms.booking import CancelBookingForm, MoveBookingForm, PickSlotForm, SlotChoiceForm
from consult.scheduling import booking as bookings
from consult.scheduling.models import Slot

bp = Blueprint("booking", __name__, url_prefix="/requests")


def slot_label(slot: Slot) -> str:
    from consult.i18n import fmt_datetime, fmt_time

    return f"{fmt_datetime(slot.starts_at)}–{fmt_time(slot.ends_at)}"


def _is_physician(req) -> bool:
    return req.target_physician_id == current_user.id


def context(req, *, choice_form=None, pick_form=None, move_form=None, cancel_form=None,
            taken=None, around=()) -> dict:
    """What the booking section of a physician request shows to this user."""
    if not bookings.is_appointment(req):
        return {"booking_shown": False}
    physician = _is_physician(req)
    referrer = req.referrer_id == current_user.id
    ctx = {"booking_shown": True, "booking_is_physician": physician,
           "booking_is_referrer": referrer, "taken": taken, "around": around,
           "slot_label": slot_label}
    if req.state == "scheduled":
        ctx["booking"] = bookings.active_booking(req)
        if physician:
            ctx["move_form"] = move_form or MoveBookingForm(formdata=None)
            ctx["move_form"].slot_id.choices = choices(
                (s.id, slot_label(s)) for s in bookings.free_slots(req))
            ctx["cancel_form"] = cancel_form or CancelBookingForm(formdata=None)
    elif req.state == "submitted":
        proposals = bookings.proposals_of(req)
        ctx["proposals"] = proposals
        if physician:
            form = choice_form or SlotChoiceForm(formdata=None)
            free = bookings.free_slots(req)
            form.slots.choices = choices((s.id, slot_label(s)) for s in free)
            ctx["choice_form"] = form
        elif referrer and proposals:
            form = pick_form or PickSlotForm(formdata=None)
            form.slot_id.choices = choices((p.slot.id, slot_label(p.slot)) for p in proposals)
            ctx["pick_form"] = form
    return ctx


def _answer(req, status: int, **form_kwargs):
    """The booking section again (htmx) or the whole request page, with `status`."""
    ctx = context(req, **form_kwargs)
    if request.headers.get("HX-Request") == "true":
        return render_template("consultations/_booking.html", req=req, **ctx), status
    from consult.consultations.views import _render

    return _render(req, status=status, booking=ctx)


def _done(req, message: str):
    flash(message, "success")
    target = url_for("consultations.show", request_id=req.id)
    if request.headers.get("HX-Request") == "true":
        response = make_response("", 204)
        response.headers["HX-Redirect"] = target  # the whole page changes state
        return response
    return redirect(target, 303)


def _slot(slot_id) -> Slot | None:
    return db.session.get(Slot, slot_id) if slot_id else None


def _taken(req, refused: bookings.SlotTaken, **form_kwargs):
    db.session.rollback()
    around = bookings.free_slots_around(refused.slot, req.mode)
    return _answer(req, 409, taken=refused.slot, around=around, **form_kwargs)


def _attempt(req, action, *, form, field, form_name: str, done: str):
    """Run a booking action: commit and go back on success; on a taken slot answer 409
    with the free slots around it; on another refusal put the reason at the field.
    Returns None when the form is to be shown again (422)."""
    try:
        action()
    except bookings.SlotTaken as refused:
        return _taken(req, refused, **{form_name: form})
    except consultations.TransitionRefused as refused:
        db.session.rollback()
        field.errors = [str(refused.message)]
        return None
    db.session.commit()
    return _done(req, done)


@bp.route("/<int:request_id>/booking", methods=["POST"])
@roles_required("physician")
def book_or_propose(request_id: int):
    req = load_request(request_id)
    form = SlotChoiceForm()
    chosen = [_slot(i) for i in (form.slots.data or [])]
    proposing = request.form.get("action", "book") == "propose"

    def act():
        if proposing:
            bookings.propose(req, chosen, current_user)
        elif len(chosen) != 1:
            raise consultations.TransitionRefused(_("Choose exactly one time to book."))
        else:
            bookings.book(req, chosen[0], current_user)

    if form.validate_on_submit():
        answer = _attempt(req, act, form=form, field=form.slots, form_name="choice_form",
                          done=_("Times proposed to the referrer.") if proposing
                          else _("Time booked."))
        if answer is not None:
            return answer
    return _answer(req, 422, choice_form=form)


@bp.route("/<int:request_id>/booking/pick", methods=["POST"])
@roles_required("referrer")
def pick(request_id: int):
    req = load_request(request_id)
    form = PickSlotForm()
    form.slot_id.choices = choices((p.slot_id, "") for p in bookings.proposals_of(req))
    if form.validate_on_submit():
        answer = _attempt(req, lambda: bookings.pick(req, _slot(form.slot_id.data), current_user),
                          form=form, field=form.slot_id, form_name="pick_form",
                          done=_("Time booked."))
        if answer is not None:
            return answer
    return _answer(req, 422, pick_form=form)


@bp.route("/<int:request_id>/booking/move", methods=["POST"])
@roles_required("physician")
def move(request_id: int):
    req = load_request(request_id)
    form = MoveBookingForm()
    if form.validate_on_submit():
        answer = _attempt(req, lambda: bookings.move(req, _slot(form.slot_id.data), current_user),
                          form=form, field=form.slot_id, form_name="move_form",
                          done=_("Booking moved."))
        if answer is not None:
            return answer
    return _answer(req, 422, move_form=form)


@bp.route("/<int:request_id>/booking/cancel", methods=["POST"])
@roles_required("physician")
def cancel(request_id: int):
    req = load_request(request_id)
    form = CancelBookingForm()
    if form.validate_on_submit():
        answer = _attempt(req, lambda: bookings.cancel(req, current_user, form.reason.data),
                          form=form, field=form.reason, form_name="cancel_form",
                          done=_("Booking cancelled; the time is free again."))
        if answer is not None:
            return answer
    return _answer(req, 422, cancel_form=form)

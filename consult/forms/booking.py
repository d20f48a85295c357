"""Booking a physician's slot: the physician books or proposes, the referrer picks,
the physician cancels or moves."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, Length

from consult.forms import BaseForm
from consult.forms.admin import CheckboxesField
from consult.query import row_id


class SlotChoiceForm(BaseForm):
    """The physician's choice: one time to book, or two or three to propose."""

    # Any slot id passes here; the service checks that it is a free slot of this physician.
    slots = CheckboxesField(_l("Free times"), coerce=row_id, validate_choice=False,
                            description=_l("Choose one time and book it, or two or three "
                                           "times for the referrer to pick from."))


class PickSlotForm(BaseForm):
    slot_id = RadioField(_l("Proposed times"), coerce=row_id, validators=[
        DataRequired(message=_l("Choose one of the proposed times."))])


class MoveBookingForm(BaseForm):
    slot_id = RadioField(_l("Move to"), coerce=row_id, validate_choice=False, validators=[
        DataRequired(message=_l("Choose a free time."))])


class CancelBookingForm(BaseForm):
    reason = TextAreaField(_l("Reason for cancelling"), validators=[
        DataRequired(message=_l("Write a message that says why.")), Length(max=1000)],
        description=_l("The referrer sees it. The request goes back to waiting for a time."))

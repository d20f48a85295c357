"""A meeting's agenda: add a case, move it, reorder, set its time box, guests,
attendance. Each change carries the agenda version it was built on."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from consult.forms import BaseForm
from consult.forms.admin import CheckboxesField
from consult.query import row_id, whole_number


class VersionedForm(BaseForm):
    version = HiddenField()

    def expected_version(self) -> int:
        number = whole_number((self.version.data or "").strip())
        return -1 if number is None else number


class AddItemForm(VersionedForm):
    request_id = SelectField(_l("Accepted request"), coerce=row_id, validators=[
        DataRequired(message=_l("Choose a request."))])


class MoveItemForm(VersionedForm):
    pass


class OrderForm(VersionedForm):
    item_ids = CheckboxesField(_l("Order"), coerce=row_id, validate_choice=False)


class MinutesForm(VersionedForm):
    minutes = IntegerField(_l("Minutes"), validators=[
        InputRequired(message=_l("Give the minutes.")),
        NumberRange(5, 240, message=_l("A case's time is from 5 to 240 minutes."))])


class AttendanceForm(BaseForm):
    present = CheckboxesField(_l("Present"), validate_choice=False)

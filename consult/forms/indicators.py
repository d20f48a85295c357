"""The indicators page's filters (a GET form: bookmarkable, no CSRF needed)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.validators import Optional, StopValidation, ValidationError

from consult.forms import BaseForm
from consult.indicators.periods import MAX_RANGE_DAYS


def period_labels() -> dict:
    return {"month": _l("Month"), "quarter": _l("Quarter"), "year": _l("Year"),
            "range": _l("Date range")}


class NeededForRange:
    """A day of a date range: required when the period is a range, otherwise optional
    (an empty field stops its checks, as Optional() does)."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if field.raw_data and field.raw_data[0].strip():
            return
        field.errors[:] = []
        raise StopValidation(self.message if form.period.data == "range" else None)


class IndicatorFilterForm(BaseForm):
    class Meta:
        csrf = False

    team = SelectField(_l("Team"), default="")
    period = SelectField(_l("Period"), default="month")
    day = DateField(_l("A day in the period"), validators=[Optional()],
                    description=_l("The month, quarter or year that holds this day."))
    start = DateField(_l("From"), validators=[
        NeededForRange(_l("Give the first day of the range."))],
        description=_l("For a date range: its first day."))
    end = DateField(_l("To"), validators=[NeededForRange(_l("Give the last day of the range."))],
                    description=_l("For a date range: its last day."))
    kind = SelectField(_l("Referring organisation kind"), default="")

    def validate_end(self, field):
        if self.period.data != "range" or field.data is None:
            return  # not a range, or not a date (its own error says so)
        if self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The range ends before it starts."))
        if self.start.data and (field.data - self.start.data).days > MAX_RANGE_DAYS:
            raise ValidationError(_l("Choose a range of at most three years."))

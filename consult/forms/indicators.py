"""The indicators page's filters (a GET form: bookmarkable, no CSRF needed)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.validators import Optional, ValidationError

from consult.forms import BaseForm
from consult.indicators.periods import MAX_RANGE_DAYS


def period_labels() -> dict:
    return {"month": _l("Month"), "quarter": _l("Quarter"), "year": _l("Year"),
            "range": _l("Date range")}


class IndicatorFilterForm(BaseForm):
    class Meta:
        csrf = False

    team = SelectField(_l("Team"), default="")
    period = SelectField(_l("Period"), default="month")
    day = DateField(_l("A day in the period"), validators=[Optional()],
                    description=_l("The month, quarter or year that holds this day."))
    start = DateField(_l("From"), validators=[Optional()],
                      description=_l("For a date range: its first day."))
    end = DateField(_l("To"), validators=[Optional()],
                    description=_l("For a date range: its last day."))
    kind = SelectField(_l("Referring organisation kind"), default="")

    def validate_start(self, field):
        if self.period.data == "range" and field.data is None:
            raise ValidationError(_l("Give the first day of the range."))

    def validate_end(self, field):
        if self.period.data != "range":
            return
        if field.data is None:
            raise ValidationError(_l("Give the last day of the range."))
        if self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The range ends before it starts."))
        if self.start.data and (field.data - self.start.data).days > MAX_RANGE_DAYS:
            raise ValidationError(_l("Choose a range of at most three years."))

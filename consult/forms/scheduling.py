"""The physician's availability: weekly rules and absences."""
from __future__ import annotations

from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from consult.forms import BaseForm, choices
from consult.forms.admin import weekday_labels
from consult.scheduling.availability import SLOT_MINUTES_MAX, SLOT_MINUTES_MIN
from consult.timeutil import today


def slot_mode_labels():
    return {"phone": _l("Phone"), "video": _l("Video"), "in_person": _l("In person")}


def slot_state_labels():
    return {"free": _l("Free"), "booked": _l("Booked"), "blocked": _l("Blocked")}


class RuleForm(BaseForm):
    weekday = SelectField(_l("Weekday"), coerce=int, default=1,
                          choices=choices(list(weekday_labels().items())))
    start_time = TimeField(_l("Start"), default=time(9, 0),
                           validators=[InputRequired(_l("Give the start time."))])
    end_time = TimeField(_l("End"), default=time(12, 0),
                         validators=[InputRequired(_l("Give the end time."))])
    slot_minutes = IntegerField(
        _l("Slot length (minutes)"), default=30,
        validators=[InputRequired(_l("Give the slot length in minutes.")),
                    NumberRange(SLOT_MINUTES_MIN, SLOT_MINUTES_MAX,
                                message=_l("A slot lasts from %(min)s to %(max)s minutes.",
                                           min=SLOT_MINUTES_MIN, max=SLOT_MINUTES_MAX))])
    mode = SelectField(_l("Way of consulting"), default="video",
                       choices=choices(list(slot_mode_labels().items())))
    location = StringField(
        _l("Place or video link"), validators=[Length(max=500)],
        description=_l("In person: the address and room. Video: the meeting link "
                       "(https://…). By phone: optional."))

    def validate_end_time(self, field):
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(_l("The end must be after the start."))

    def validate_slot_minutes(self, field):
        start, end = self.start_time.data, self.end_time.data
        if not (start and end and field.data) or end <= start:
            return
        span = datetime.combine(date.min, end) - datetime.combine(date.min, start)
        if span.total_seconds() < field.data * 60:
            raise ValidationError(_l("Not even one slot of this length fits between the start "
                                     "and the end."))

    def validate_location(self, field):
        value = field.data or ""
        if self.mode.data == "video":
            if not value:
                raise ValidationError(_l("Give the video link (https://…)."))
            if not value.lower().startswith("https://") or len(value) <= len("https://") \
                    or any(c.isspace() for c in value):
                raise ValidationError(_l("Enter a full web address (https://…)."))
        elif self.mode.data == "in_person" and not value:
            raise ValidationError(_l("Give the place."))


class AbsenceForm(BaseForm):
    starts_on = DateField(_l("From"), validators=[DataRequired(_l("Give the first day."))])
    ends_on = DateField(_l("To"), validators=[DataRequired(_l("Give the last day."))],
                        description=_l("The last day of the absence."))
    reason = StringField(_l("Reason"), validators=[Length(max=200)],
                         description=_l("Optional, for example holiday or training."))

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The last day must be on or after the first day."))
        if field.data and field.data < today():
            raise ValidationError(_l("This absence has already ended."))

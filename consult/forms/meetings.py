"""Team meetings: a new meeting or series, changing one, cancelling one."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, RadioField, SelectField, StringField, TimeField
from wtforms.validators import (InputRequired, Length, NumberRange, StopValidation,
                                ValidationError)

from consult.forms import BaseForm, choices
from consult.meetings.series import SeriesError, occurrence_dates
from consult.meetings.services import MINUTES_MAX, MINUTES_MIN
from consult.timeutil import today


def meeting_state_labels():
    return {"draft": _l("Draft"), "agenda_sent": _l("Agenda sent"), "held": _l("Held"),
            "protocol_finalised": _l("Protocol finalised"), "cancelled": _l("Cancelled")}


def repeat_labels():
    return {"none": _l("Does not repeat"), "weekly": _l("Every week"),
            "biweekly": _l("Every other week"),
            "monthly": _l("Monthly, on the chosen weekday of the month")}


def nth_labels():
    return {1: _l("First"), 2: _l("Second"), 3: _l("Third"), 4: _l("Fourth"), -1: _l("Last")}


def scope_labels():
    return {"one": _l("This meeting only"),
            "rest": _l("This and the following meetings of the series")}


class MeetingForm(BaseForm):
    day = DateField(_l("Date"), validators=[InputRequired(_l("Give the date."))])
    start_time = TimeField(_l("Start time"), validators=[InputRequired(_l("Give the start time."))])
    minutes = IntegerField(
        _l("Length in minutes"),
        validators=[InputRequired(_l("Give the length in minutes.")),
                    NumberRange(MINUTES_MIN, MINUTES_MAX,
                                message=_l("A meeting lasts from %(min)s to %(max)s minutes.",
                                           min=MINUTES_MIN, max=MINUTES_MAX))])
    location = StringField(_l("Place"), validators=[Length(max=200)],
                           description=_l("The address and room. Give the place, the video "
                                          "link or both."))
    video_link = StringField(_l("Video link"), validators=[Length(max=500)],
                             render_kw={"type": "url"},
                             description=_l("The meeting link (https://…)."))

    def validate_location(self, field):
        if not field.data and not self.video_link.data:
            raise ValidationError(_l("Give the place or the video link, or both."))

    def validate_video_link(self, field):
        value = field.data or ""
        if value and (not value.lower().startswith("https://") or len(value) <= len("https://")
                      or any(c.isspace() for c in value)):
            raise ValidationError(_l("Enter a full web address (https://…)."))


class OnlyWhenRepeating:
    """The last date counts only for a series: required then, ignored otherwise."""

    def __call__(self, form, field):
        if not form.is_series:
            field.errors[:] = []
            raise StopValidation()
        if not (field.raw_data and field.raw_data[0].strip()):
            field.errors[:] = []
            raise StopValidation(_l("Give the last date of the series."))


class NewMeetingForm(MeetingForm):
    day = DateField(_l("Date"), validators=[InputRequired(_l("Give the date."))],
                    description=_l("For a series, the first meeting's date; the series meets "
                                   "on this weekday."))
    repeat = RadioField(_l("Repeat"), default="none",
                        choices=choices(list(repeat_labels().items())))
    nth = SelectField(_l("Weekday of the month"), coerce=int, default=1,
                      choices=choices(list(nth_labels().items())),
                      description=_l("Monthly only: for example the second or the last "
                                     "Tuesday of each month."))
    until = DateField(_l("Repeat until"), validators=[OnlyWhenRepeating()],
                      description=_l("When repeating: the last possible date of the series. "
                                     "At most 60 meetings."))

    @property
    def is_series(self) -> bool:
        return self.repeat.data in ("weekly", "biweekly", "monthly")

    def validate_day(self, field):
        if field.data and field.data < today():
            raise ValidationError(_l("This date has passed."))

    def validate_until(self, field):
        if not self.is_series:
            return
        if field.data is None or self.day.data is None or self.day.errors:
            return
        try:
            occurrence_dates(self.repeat.data, weekday=self.day.data.isoweekday(),
                             nth=self.nth.data, first_date=self.day.data, until_date=field.data)
        except SeriesError as refused:
            raise ValidationError(str(refused.message)) from None


class EditMeetingForm(MeetingForm):
    scope = RadioField(_l("Which meetings to change"), default="one",
                       choices=choices(list(scope_labels().items())))

    def __init__(self, *args, original_day=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.original_day = original_day

    def validate_day(self, field):
        if field.data is None or field.data == self.original_day:
            return
        if "scope" in self and self.scope.data == "rest":
            raise ValidationError(_l("Only a single meeting can move to another date. Choose "
                                     "“This meeting only” to move it."))
        if field.data < today():
            raise ValidationError(_l("This date has passed."))


class CancelMeetingForm(BaseForm):
    # Its own id: the page shows it below the change form, whose field is also "scope".
    scope = RadioField(_l("Which meetings to cancel"), default="one", id="cancel-scope",
                       choices=choices(list(scope_labels().items())))

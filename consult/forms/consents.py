from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from consult.forms import BaseForm
from consult.forms.admin import CheckboxesField
from consult.query import row_id
from consult.timeutil import today

DATE_MESSAGE = _l("Enter a date as day.month.year or with the date picker.")


class ConsentForm(BaseForm):
    organisations = CheckboxesField(_l("Organisations covered"), coerce=row_id)
    team_id = SelectField(_l("Add all participating organisations of a team"), coerce=row_id,
                          validate_choice=False)
    purpose_consultation = BooleanField(_l("Multi-professional consultation"), default=True)
    purpose_data_exchange = BooleanField(_l("Data exchange between the organisations"),
                                         default=True)
    given_on = DateField(_l("Given on"), validators=[InputRequired(message=DATE_MESSAGE)],
                         default=today)
    valid_until = DateField(_l("Valid until"), validators=[InputRequired(message=DATE_MESSAGE)])
    form_reference = StringField(_l("Consent form"), default="Y100",
                                 validators=[DataRequired(), Length(max=60)],
                                 description=_l("Kela's form Y100 or another written consent."))

    def validate_organisations(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one organisation."))

    def validate_given_on(self, field):
        if field.data and field.data > today():
            raise ValidationError(_l("The consent cannot be given in the future."))

    def validate_valid_until(self, field):
        if field.data and self.given_on.data and field.data < self.given_on.data:
            raise ValidationError(_l("The consent cannot end before it was given."))

    def validate_purpose_data_exchange(self, field):
        if not (field.data or self.purpose_consultation.data):
            raise ValidationError(_l("Choose at least one purpose."))


class WithdrawConsentForm(BaseForm):
    withdrawn_on = DateField(_l("Withdrawn on"), validators=[InputRequired(message=DATE_MESSAGE)],
                             default=today)
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)],
                           description=_l("For example: the client withdrew the consent by phone."))

    def __init__(self, *args, consent=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.consent = consent

    def validate_withdrawn_on(self, field):
        if field.data and field.data > today():
            raise ValidationError(_l("The withdrawal date cannot be in the future."))
        if field.data and self.consent is not None and field.data < self.consent.given_on:
            raise ValidationError(_l("The withdrawal date cannot be before the consent was given."))

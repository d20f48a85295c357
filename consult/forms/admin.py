from __future__ import annotations

from datetime import time

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TimeField,
    URLField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    URL,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from consult.forms import BaseForm, StrongPassword, choices
from consult.query import row_id


LANGUAGES = [("fi", "Suomi"), ("sv", "Svenska"), ("en", "English")]


def organisation_kind_labels():
    return {
        "employment_area": _l("Municipal employment area"),
        "social_services": _l("Wellbeing services county: social services"),
        "health_services": _l("Wellbeing services county: health services"),
        "disability_services": _l("Disability services"),
        "kela": _l("Kela"),
        "occupational_health": _l("Occupational health provider"),
        "ohjaamo": _l("Ohjaamo"),
        "education": _l("Education provider"),
        "ngo": _l("NGO"),
        "other": _l("Other"),
    }


def role_labels():
    return {
        "referrer": _l("Referrer"),
        "coordinator": _l("Coordinator"),
        "member": _l("Team member"),
        "physician": _l("Occupational physician"),
        "manager": _l("Manager"),
        "admin": _l("Administrator"),
    }


def weekday_labels():
    return {
        1: _l("Monday"), 2: _l("Tuesday"), 3: _l("Wednesday"), 4: _l("Thursday"),
        5: _l("Friday"), 6: _l("Saturday"), 7: _l("Sunday"),
    }


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _unique(model, column: str, message):
    """A validator: no other row of `model` has this value (the edited one may)."""

    def check(form, field):
        from sqlalchemy import select

        from consult.extensions import db

        query = select(model.id).where(getattr(model, column) == field.data)
        if form.editing is not None:
            query = query.where(model.id != form.editing.id)
        if db.session.scalar(query) is not None:
            raise ValidationError(message)

    return check


class EditingForm(BaseForm):
    """A form that knows which row it edits, for uniqueness checks."""

    def __init__(self, *args, editing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing


def _organisation_model():
    from consult.organisations.models import Organisation

    return Organisation


class OrganisationForm(EditingForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])

    def validate_name(self, field):
        _unique(_organisation_model(), "name",
                _l("An organisation with this name already exists."))(self, field)
    kind = SelectField(_l("Kind"), choices=choices(list(organisation_kind_labels().items())),
                       validators=[DataRequired()])
    region = StringField(_l("Region"), validators=[DataRequired(), Length(max=100)],
                         description=_l("For example the wellbeing services county."))
    requires_second_factor = BooleanField(
        _l("Its users must log in with a second factor"))


class TeamForm(EditingForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])

    def validate_name(self, field):
        from consult.organisations.models import Team

        _unique(Team, "name", _l("A team with this name already exists."))(self, field)
    host_organisation_id = SelectField(_l("Host organisation"), coerce=row_id,
                                       validators=[DataRequired()])
    region = StringField(_l("Region"), validators=[DataRequired(), Length(max=100)])
    physician_id = SelectField(_l("Team physician"), coerce=row_id,
                               description=_l("Optional."))
    meeting_weekday = SelectField(_l("Meeting weekday"), coerce=int, default=2,
                                  choices=choices(list(weekday_labels().items())))
    meeting_time = TimeField(_l("Meeting start time"), validators=[DataRequired()],
                             default=time(9, 0))
    meeting_minutes = IntegerField(_l("Meeting length in minutes"), default=120,
                                   validators=[DataRequired(), NumberRange(15, 600)])
    minutes_per_case = IntegerField(_l("Minutes per case"), default=30,
                                    validators=[DataRequired(), NumberRange(5, 240)])
    meeting_location = StringField(_l("Meeting location"), validators=[Length(max=200)])
    meeting_video_link = URLField(
        _l("Video link"),
        validators=[Optional(), URL(message=_l("Enter a full web address (https://…)."))],
    )

    def validate_meeting_video_link(self, field):
        if field.data and not field.data.lower().startswith("https://"):
            raise ValidationError(_l("Enter a full web address (https://…)."))


class TeamMemberForm(BaseForm):
    user_id = SelectField(_l("Person"), coerce=row_id, validators=[DataRequired()])
    role = SelectField(_l("Team role"), choices=choices([("coordinator", _l("Coordinator")),
                                                 ("member", _l("Team member"))]))


class UserForm(EditingForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[
        DataRequired(), Email(message=_l("Enter a valid e-mail address.")), Length(max=254)])
    organisation_id = SelectField(_l("Organisation"), coerce=row_id, validators=[DataRequired()])
    roles = CheckboxesField(_l("Roles"), choices=choices(list(role_labels().items())))
    language = SelectField(_l("Language"),
                           choices=choices(LANGUAGES))

    def validate_email(self, field):
        from consult.accounts.models import User

        field.data = (field.data or "").lower()
        _unique(User, "email", _l("A user with this e-mail address already exists."))(self, field)

    def validate_roles(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one role."))


class UserCreateForm(UserForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(), StrongPassword()],
                             description=_l("At least 12 characters; not a common password."),
                             render_kw={"autocomplete": "new-password"})


class PasswordResetForm(BaseForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), StrongPassword()],
                             description=_l("At least 12 characters; not a common password. "
                                            "Every session of the user ends."),
                             render_kw={"autocomplete": "new-password"})

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user


class ConfirmForm(BaseForm):
    """A button-only POST (deactivate, remove): CSRF is all it carries."""


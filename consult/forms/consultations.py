from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (DateField, EmailField, HiddenField, IntegerField, RadioField, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import (DataRequired, Email, Length, NumberRange, Optional,
                                ValidationError)

from consult.consultations.models import PREFORM_SECTIONS
from consult.forms import BaseForm, choices
from consult.forms.admin import CheckboxesField
from consult.query import row_id, whole_number


def mode_labels():
    return {"team_meeting": _l("Team meeting"), "phone": _l("Physician appointment by phone"),
            "video": _l("Physician appointment by video"),
            "in_person": _l("Physician appointment in person"),
            "written_statement": _l("Written statement")}


def attendance_labels():
    return {"yes": _l("Yes"), "no": _l("No"), "remote": _l("Remotely")}


def section_labels():
    return {
        "background": _l("1. Background"),
        "education_work": _l("2. Education and work history; skills"),
        "health": _l("3. Health and functional capacity"),
        "life": _l("4. Life situation"),
        "wishes_goals": _l("5. The client's wishes and goals"),
        "self_assessment": _l("6. Self-assessment (Kykyviisari)"),
        "question": _l("7. The question to the team or the physician"),
    }


def field_labels():
    return {
        "background.reason": _l("Reason for referral"),
        "background.services_and_plans": _l("Current services and plans"),
        "background.benefits": _l("Benefits"),
        "background.contacts": _l("Current contacts"),
        "education_work.education": _l("Education"),
        "education_work.work_history": _l("Work history"),
        "education_work.skills": _l("Skills"),
        "health.client_view": _l("Functional capacity as the client sees it"),
        "health.referrer_view": _l("Functional capacity as the referrer sees it"),
        "health.diagnoses": _l("Known diagnoses, only as needed"),
        "life.housing": _l("Housing"),
        "life.finances": _l("Finances"),
        "life.social_network": _l("Social network"),
        "life.substance_use": _l("Substance use"),
        "life.daily_routines": _l("Daily routines"),
        "wishes_goals.wishes_goals": _l("Client's wishes and goals"),
        "self_assessment.kykyviisari_score": _l("Work ability score (0–10)"),
        "self_assessment.kykyviisari_date": _l("Date of the self-assessment"),
        "question.question": _l("Question to the team or the physician"),
    }


def field_name(key: str) -> str:
    return key.replace(".", "__")


class RequestForm(BaseForm):
    client_id = SelectField(_l("Client"), coerce=row_id, validators=[DataRequired()])
    target = SelectField(_l("Team or physician"), validators=[DataRequired()],
                         description=_l("A team meets the case at a meeting; a physician "
                                        "consults by phone, video, in person or in writing."))
    mode = SelectField(_l("Way of consulting"), choices=choices(mode_labels().items()))
    urgency = RadioField(_l("Urgency"), default="normal",
                         choices=choices([("normal", _l("Normal")), ("urgent", _l("Urgent"))]))
    urgency_reason = StringField(_l("Why urgent"), validators=[Length(max=500)])
    preferred_dates = StringField(_l("Preferred dates"), validators=[Length(max=500)],
                                  description=_l("For example: Tuesdays, not in week 12."))
    client_attends = SelectField(_l("Client attends"), default="yes",
                                 choices=choices(attendance_labels().items()))

    def validate_urgency_reason(self, field):
        if self.urgency.data == "urgent" and not (field.data or "").strip():
            raise ValidationError(_l("Say why the request is urgent."))

    def validate_mode(self, field):
        from consult.consultations.states import mode_fits_target

        if self.target.data and not mode_fits_target(
                field.data, team=self.target.data.startswith("team-")):
            raise ValidationError(_l("This way of consulting does not fit the chosen target."))


def _preform_class():
    labels = field_labels()
    attrs = {"revision": HiddenField()}
    for section, names in PREFORM_SECTIONS.items():
        for name in names:
            key = f"{section}.{name}"
            if name == "kykyviisari_score":
                attrs[field_name(key)] = IntegerField(
                    labels[key], validators=[Optional(), NumberRange(0, 10)])
            elif name == "kykyviisari_date":
                attrs[field_name(key)] = DateField(labels[key], validators=[Optional()])
            else:
                attrs[field_name(key)] = TextAreaField(labels[key],
                                                       validators=[Length(max=5000)])
    return type("PreFormForm", (BaseForm,), attrs)


PreFormForm = _preform_class()


def preform_form_from_draft(draft: dict, revision: int):
    """The form filled from a saved draft (stored as text), typed values parsed back."""
    from datetime import date

    data = {"revision": revision}
    for key, value in (draft or {}).items():
        if value == "":
            continue
        if key.endswith("kykyviisari_date"):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                continue
        elif key.endswith("kykyviisari_score"):
            value = value if isinstance(value, int) else whole_number(str(value))
        data[field_name(key)] = value
    return PreFormForm(data=data)


def preform_values(form) -> dict:
    """The form's answers keyed as the pre-form stores them ("section.field")."""
    values = {}
    for section, names in PREFORM_SECTIONS.items():
        for name in names:
            data = form[field_name(f"{section}.{name}")].data
            values[f"{section}.{name}"] = "" if data is None else str(data)
    return values


class DecisionForm(BaseForm):
    message = TextAreaField(
        _l("Message to the referrer"), validators=[Length(max=4000)],
        description=_l("Required when you return, resolve or decline: what is missing, "
                       "your written guidance, or why."))
    services = CheckboxesField(
        _l("Services the guidance points to"), coerce=row_id, validators=[Optional()],
        description=_l("Optional, when you resolve at the consultation stage."))


class MessageForm(BaseForm):
    body = TextAreaField(_l("Message"), validators=[
        DataRequired(message=_l("Write a message.")), Length(max=4000)],
        description=_l("Plain text. Write only what the other side needs for the case."))


class GuestForm(BaseForm):
    name = StringField(_l("Guest's name"), validators=[DataRequired(), Length(max=200)])
    organisation_id = SelectField(_l("Guest's organisation"), coerce=row_id,
                                  validators=[DataRequired()])
    email = EmailField(_l("Guest's e-mail"), validators=[
        DataRequired(), Email(message=_l("Enter a valid e-mail address.")), Length(max=254)])


class HandoverForm(BaseForm):
    referrer_id = SelectField(_l("New referrer"), coerce=row_id, validators=[DataRequired()],
                              description=_l("An active referrer of the same organisation "
                                             "becomes the case manager."))


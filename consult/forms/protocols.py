"""Recording a consultation: notes by pre-form section, the outcome (attendees, path,
follow-up date), recommendations, action items and addenda."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from consult.forms import BaseForm, choices
from consult.forms.consultations import section_labels
from consult.protocols.models import PATHS
from consult.protocols.services import NOTE_KEYS
from consult.query import optional_row_id, whole_number


def path_labels():
    return {"work": _l("Work"), "studies": _l("Studies"), "rehabilitation": _l("Rehabilitation"),
            "assessment": _l("Further work ability assessment"),
            "social_rehabilitation": _l("Social rehabilitation"), "other": _l("Other")}


def note_headings(kind: str = "protocol"):
    """What each part of the notes is about, in the pre-form's section order; on a
    physician's record the question's part is the answer to it."""
    headings = dict(section_labels())
    if kind != "protocol":
        headings["question"] = _l("Answer to the question")
    headings["general"] = _l("Other notes")
    return headings


def note_labels(kind: str = "protocol"):
    """The notes fields' labels: "Notes: <section>" for the pre-form's sections."""
    labels = {key: _l("Notes: %(section)s", section=label)
              for key, label in section_labels().items()}
    if kind != "protocol":
        labels["question"] = _l("Answer to the question")
    labels["general"] = _l("Other notes")
    return labels


def _notes_class():
    attrs = {"revision": HiddenField()}
    for key in NOTE_KEYS:
        attrs[key] = TextAreaField(key, validators=[Length(max=10000)],
                                   render_kw={"rows": 3})
    return type("NotesForm", (BaseForm,), attrs)


_NotesForm = _notes_class()


def notes_form(kind: str, protocol=None):
    """The notes form labelled for the record's kind: filled from the protocol, or
    (without one) from what the user posted."""
    form = _NotesForm() if protocol is None else _NotesForm(
        formdata=None, data=dict(protocol.notes or {}, revision=str(protocol.revision)))
    for key, label in note_labels(kind).items():
        form[key].label.text = label
    return form


def notes_values(form) -> dict:
    return {key: form[key].data or "" for key in NOTE_KEYS}


def expected_revision(form) -> int:
    number = whole_number((form.revision.data or "").strip())
    return -1 if number is None else number


def _not_past(field, message) -> None:
    from consult.timeutil import today

    if field.data is not None and field.data < today():
        raise ValidationError(message)


class OutcomeForm(BaseForm):
    attendees = TextAreaField(_l("Attendees"), validators=[Length(max=2000)],
                              description=_l("Who took part in discussing this case."))
    path = SelectField(_l("Client's path"), validators=[Optional()])
    follow_up_on = DateField(_l("Follow-up date"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.path.choices = choices([("", _l("Not chosen yet")), *path_labels().items()])

    def validate_path(self, field):
        if field.data and field.data not in PATHS:
            raise ValidationError(_l("Choose the client's path."))

    def validate_follow_up_on(self, field):
        _not_past(field, _l("The follow-up date cannot be in the past."))


class RecommendationForm(BaseForm):
    text = TextAreaField(_l("Recommendation"), validators=[
        DataRequired(message=_l("Write the recommendation.")), Length(max=2000)])
    service_id = SelectField(_l("Service from the catalogue"), coerce=optional_row_id,
                             validators=[Optional()], validate_choice=False,
                             description=_l("Optional: the service this recommendation points to."))


class ActionItemForm(BaseForm):
    what = TextAreaField(_l("What is to be done"), validators=[
        DataRequired(message=_l("Write what is to be done.")), Length(max=2000)])
    responsible = SelectField(_l("Responsible"), validators=[
        DataRequired(message=_l("Choose who is responsible."))],
        description=_l("A named person, or an organisation (then the case's referrer "
                       "completes it)."))
    due_on = DateField(_l("Due date"), validators=[Optional()])

    def validate_due_on(self, field):
        _not_past(field, _l("The due date cannot be in the past."))


class AddendumForm(BaseForm):
    text = TextAreaField(_l("Addendum"), validators=[
        DataRequired(message=_l("Write the addendum.")), Length(max=5000)])


class FinaliseForm(BaseForm):
    """Finalising or signing cannot be undone: the user confirms it."""

    confirmed = BooleanField(_l("I have checked the record: it cannot be changed after this."),
                             validators=[DataRequired(message=_l("Tick the box to confirm."))])


class CompleteActionForm(BaseForm):
    note = StringField(_l("Note on completing"), validators=[Length(max=500)],
                         description=_l("Optional: what was done, e.g. \"applied on 3 December\"."))

"""The referrer's follow-up of a discussed case."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from consult.forms import BaseForm, choices
from consult.forms.protocols import path_labels


def plan_change_labels():
    return {"yes": _l("Yes"), "partly": _l("Partly"), "no": _l("No")}


def yes_no_labels():
    return {"yes": _l("Yes"), "no": _l("No")}


class FollowUpForm(BaseForm):
    path_taken = SelectField(_l("Path actually taken"), validators=[
        DataRequired(message=_l("Choose the path the client actually took."))])
    situation = TextAreaField(_l("Situation at the follow-up"), validators=[
        DataRequired(message=_l("Describe the client's situation now.")), Length(max=5000)],
        description=_l("How the recommendations and action items were carried out, and "
                       "where the client is now."))
    kykyviisari_score = IntegerField(_l("Work ability score now (0–10)"), validators=[
        Optional(), NumberRange(0, 10, message=_l("The work ability score is from 0 to 10."))],
        description=_l("The client's repeated Kykyviisari self-assessment, if made."))
    meeting_needed = RadioField(_l("Was a meeting needed?"), validators=[
        InputRequired(message=_l("Answer whether a meeting was needed."))])
    plan_changed = RadioField(_l("Did the consultation change the client's plan?"), validators=[
        InputRequired(message=_l("Answer whether the plan changed."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.path_taken.choices = choices([("", _l("Choose")), *path_labels().items()])
        self.meeting_needed.choices = choices(yes_no_labels().items())
        self.plan_changed.choices = choices(plan_change_labels().items())

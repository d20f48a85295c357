"""Feedback on accessibility, from the accessibility statement page (Act 306/2019)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from consult.forms import BaseForm

FEEDBACK_MAX_CHARS = 4000


class AccessibilityFeedbackForm(BaseForm):
    """Anyone may send it, logged in or not; name and address only if they want an
    answer. The text is the sender's own words and goes to the feedback address only."""

    name = StringField(_l("Your name"), validators=[
        Optional(), Length(max=200, message=_l("Write at most %(max)d characters."))],
        description=_l("Optional."), render_kw={"autocomplete": "name"})
    email = EmailField(_l("Your e-mail address"), validators=[
        Optional(), Email(message=_l("Enter a valid e-mail address.")),
        Length(max=254, message=_l("Write at most %(max)d characters."))],
        description=_l("Optional. Give it if you would like an answer."),
        render_kw={"autocomplete": "email"})
    message = TextAreaField(_l("Your feedback"), validators=[
        DataRequired(message=_l("Write your feedback.")),
        Length(max=FEEDBACK_MAX_CHARS, message=_l("Write at most %(max)d characters."))],
        description=_l("Tell us which page and what was difficult to use. At most 4,000 "
                       "characters. Do not write anyone's personal data, such as a "
                       "client's name or identity code."),
        render_kw={"rows": 8})

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField
from wtforms.validators import DataRequired, EqualTo, Length

from consult.forms import BaseForm, StrongPassword, choices
from consult.forms.admin import LANGUAGES, CheckboxesField
from consult.query import row_id


class LoginForm(BaseForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired()],
                             render_kw={"autocomplete": "current-password"})


class LanguageForm(BaseForm):
    language = SelectField(_l("Language"), choices=choices(LANGUAGES))


class PasswordChangeForm(BaseForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), StrongPassword()],
        description=_l("At least 12 characters; not a common password."),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user


class EndSessionsForm(BaseForm):
    """On the profile page, with the prefix "sessions": the user's other sessions to end,
    behind the password."""

    chosen = CheckboxesField(_l("Sessions to end"), coerce=row_id, validate_choice=False,
                             validators=[DataRequired(message=_l("Choose at least one session."))])
    password = PasswordField(_l("Your password"), validators=[DataRequired()],
                             render_kw={"autocomplete": "current-password"})

"""Forms of the second factor: validation only."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from consult.forms import BaseForm

# Digits only (recovery codes too), so the numeric keypad suits every code.
CODE_ATTRIBUTES = {"inputmode": "numeric", "autocomplete": "one-time-code",
                   "autocapitalize": "off", "spellcheck": "false"}


def _code_field(label, description):
    return StringField(label, validators=[DataRequired(), Length(max=40)],
                       description=description, render_kw=dict(CODE_ATTRIBUTES))


class LoginCodeForm(BaseForm):
    code = _code_field(
        _l("Code from your authenticator app, or a recovery code"),
        _l("The six digits the app shows now. A recovery code has 12 digits."))


class EnrolForm(BaseForm):
    code = _code_field(_l("Code from your authenticator app"),
                       _l("The six digits the app shows now."))


class RecoveryCodesForm(BaseForm):
    """On the profile page, with the prefix "recovery" (ids stay unique there)."""

    code = _code_field(
        _l("Code from your authenticator app, or a recovery code"),
        _l("The old recovery codes stop working."))


class TurnOffForm(BaseForm):
    """On the profile page, with the prefix "off"."""

    password = PasswordField(_l("Your password"), validators=[DataRequired()],
                             render_kw={"autocomplete": "current-password"})
    code = _code_field(
        _l("Code from your authenticator app, or a recovery code"),
        _l("The six digits the app shows now. A recovery code has 12 digits."))

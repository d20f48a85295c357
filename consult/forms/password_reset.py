"""Asking for a password reset link, and setting a new password with one."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from consult.forms import BaseForm, StrongPassword


class ForgotPasswordForm(BaseForm):
    email = EmailField(_l("E-mail"), validators=[
        DataRequired(), Email(message=_l("Enter a valid e-mail address.")), Length(max=254)],
        render_kw={"autocomplete": "username"})


class ResetPasswordForm(BaseForm):
    """The labels, help text and checks of the profile's password change, without the
    current password: the link in the e-mail stands in for it."""

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
        self.user = user  # StrongPassword refuses the user's own name and e-mail

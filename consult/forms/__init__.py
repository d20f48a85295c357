"""Forms: validation only, never database writes. One module per domain."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms.validators import ValidationError

from consult.accounts.passwords import password_problem


class BaseForm(FlaskForm):
    """Every form: CSRF from Flask-WTF; text is stripped of surrounding spaces and of
    NUL characters (PostgreSQL refuses them in text)."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = unbound_field.kwargs.get("filters", [])
            if unbound_field.field_class.__name__ in ("StringField", "EmailField", "TextAreaField"):
                unbound_field.kwargs["filters"] = [_strip, *filters]
            return unbound_field.bind(form=form, **options)


def _strip(value):
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


def choices(pairs) -> list:
    """(value, label) pairs as WTForms' SelectChoice objects."""
    from wtforms import SelectChoice

    return [SelectChoice(value, label) for value, label in pairs]


class StrongPassword:
    """The password policy of SPEC §9. The person's own name and e-mail come from the
    form's `user` (an existing account) or from its name and email fields (a new one)."""

    def __call__(self, form, field):
        user = getattr(form, "user", None)
        email = user.email if user is not None else (form.email.data or "")
        name = user.name if user is not None else (form.name.data or "")
        problem = password_problem(field.data or "", email=email, name=name)
        if problem:
            raise ValidationError(str(problem))

"""Forms: validation only, never database writes. One module per domain."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import ValidationError

from consult.accounts.passwords import password_problem
from consult.query import FIRST_YEAR, LAST_YEAR, sensible


class BaseForm(FlaskForm):
    """Every form: CSRF from Flask-WTF; text is stripped of surrounding spaces and of
    NUL characters (PostgreSQL refuses them in text); a date must fall in the years
    the app can count with (a day after 31.12.9999 does not exist in Python)."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            # The unbound field belongs to the class: its own kwargs stay as they are,
            # the additions go to this instance's field only.
            kwargs, options = unbound_field.kwargs, dict(options)
            if unbound_field.field_class.__name__ in ("StringField", "EmailField", "TextAreaField"):
                options["filters"] = [_strip, *kwargs.get("filters", [])]
            if issubclass(unbound_field.field_class, DateField) and len(unbound_field.args) < 2:
                options["validators"] = [*kwargs.get("validators", []), SensibleYear()]
            return unbound_field.bind(form=form, **options)


class SensibleYear:
    """A date within the years the app counts with (consult/query.py)."""

    def __call__(self, form, field):
        if field.data is not None and not sensible(field.data):
            raise ValidationError(_("Give a date between the years %(first)s and %(last)s.",
                                    first=FIRST_YEAR, last=LAST_YEAR))


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

"""Forms: validation only, never database writes. One module per domain."""
from __future__ import annotations

from flask_wtf import FlaskForm


class BaseForm(FlaskForm):
    """Every form: CSRF from Flask-WTF; text is stripped of surrounding spaces."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = unbound_field.kwargs.get("filters", [])
            if unbound_field.field_class.__name__ in ("StringField", "EmailField", "TextAreaField"):
                unbound_field.kwargs["filters"] = [_strip, *filters]
            return unbound_field.bind(form=form, **options)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def choices(pairs) -> list:
    """(value, label) pairs as WTForms' SelectChoice objects."""
    from wtforms import SelectChoice

    return [SelectChoice(value, label) for value, label in pairs]

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from consult.clients.identity import InvalidIdentityCode, parse
from consult.forms import BaseForm, choices


def client_language_labels():
    return {"fi": _l("Finnish"), "sv": _l("Swedish"), "en": _l("English"),
            "other": _l("Other language")}


class ClientContactForm(BaseForm):
    last_name = StringField(_l("Last name"), validators=[DataRequired(), Length(max=100)],
                            render_kw={"autocomplete": "off"})
    first_names = StringField(_l("First names"), validators=[DataRequired(), Length(max=150)],
                              render_kw={"autocomplete": "off"})
    municipality = StringField(_l("Municipality of residence"), validators=[Length(max=100)])
    phone = StringField(_l("Phone"), validators=[Length(max=40)], render_kw={"autocomplete": "off"})
    email = EmailField(_l("E-mail"), validators=[
        Optional(), Email(message=_l("Enter a valid e-mail address.")), Length(max=254)],
        render_kw={"autocomplete": "off"})
    address = StringField(_l("Address"), validators=[Length(max=300)],
                          render_kw={"autocomplete": "off"})
    preferred_language = SelectField(_l("Preferred language"),
                                     choices=choices(client_language_labels().items()))
    interpreter_needed = BooleanField(_l("Interpreter needed"))
    interpreter_language = StringField(_l("Interpreter's language"), validators=[Length(max=60)],
                                       description=_l("For example Arabic or Finnish sign language."))

    def validate_interpreter_language(self, field):
        if self.interpreter_needed.data and not (field.data or "").strip():
            raise ValidationError(_l("Say which language the interpreter is needed for."))


class ClientForm(ClientContactForm):
    identity_code = StringField(
        _l("Personal identity code"), validators=[DataRequired()],
        description=_l("For example 131052-308T. Temporary codes (individual number 900–999) "
                       "are accepted."),
        render_kw={"autocomplete": "off", "spellcheck": "false"})

    def validate_identity_code(self, field):
        try:
            parsed = parse(field.data or "")
        except InvalidIdentityCode as error:
            raise ValidationError(error.message)
        field.data = parsed.code


class ClientSearchForm(BaseForm):
    q = StringField(_l("Name or personal identity code"), validators=[Length(max=100)],
                    render_kw={"autocomplete": "off", "type": "search"})

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from consult.forms import choices
from consult.forms.admin import EditingForm, _unique, organisation_kind_labels


def category_labels():
    """In the catalogue's order (SERVICE_CATEGORIES)."""
    return {
        "employment": _l("Employment services"),
        "kela": _l("Kela"),
        "social_health": _l("Social and health services"),
        "education": _l("Education providers"),
        "ngo": _l("NGOs"),
    }


OTHER_LANGUAGE_HELP = _l("If left empty, the Finnish text is shown.")


class ServiceForm(EditingForm):
    category = SelectField(_l("Category"), choices=choices(list(category_labels().items())),
                           validators=[DataRequired()])
    organisation_kind = SelectField(
        _l("Provided by"), choices=choices(list(organisation_kind_labels().items())),
        validators=[DataRequired()], description=_l("The kind of organisation that provides it."))
    name_fi = StringField(_l("Name in Finnish"), validators=[DataRequired(), Length(max=200)])
    name_sv = StringField(_l("Name in Swedish"), validators=[Length(max=200)],
                          description=OTHER_LANGUAGE_HELP)
    name_en = StringField(_l("Name in English"), validators=[Length(max=200)],
                          description=OTHER_LANGUAGE_HELP)
    description_fi = TextAreaField(_l("Description in Finnish"), validators=[Length(max=1000)],
                                   description=_l("One or two sentences: what the service "
                                                  "is and for whom."))
    description_sv = TextAreaField(_l("Description in Swedish"), validators=[Length(max=1000)],
                                   description=OTHER_LANGUAGE_HELP)
    description_en = TextAreaField(_l("Description in English"), validators=[Length(max=1000)],
                                   description=OTHER_LANGUAGE_HELP)
    is_active = BooleanField(_l("In use"), default=True)

    def validate_name_fi(self, field):
        from consult.catalogue.models import Service

        _unique(Service, "name_fi", _l("A service with this Finnish name already exists."))(
            self, field)

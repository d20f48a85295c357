"""Administration of the services catalogue. Services are deployment-wide, like
organisations: an administrator edits them all."""
from __future__ import annotations

from itertools import groupby

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from consult.access import deployment_wide, load_or_404, roles_required
from consult.catalogue import services as catalogue
from consult.catalogue.models import Service
from consult.extensions import db
from consult.forms.admin import organisation_kind_labels
from consult.forms.catalogue import ServiceForm, category_labels
from consult.i18n import current_language

bp = Blueprint("catalogue", __name__, url_prefix="/admin/services")
admin_only = roles_required("admin")


@bp.context_processor
def labels():
    return {"category_labels": category_labels(), "kind_labels": organisation_kind_labels()}


def _values(form: ServiceForm) -> dict:
    return {name: getattr(form, name).data for name in catalogue.SERVICE_FIELDS}


@bp.route("")
@admin_only
def services_list():
    lang = current_language()
    groups = [
        (category, sorted(rows, key=lambda s: s.name_in(lang).casefold()))
        for category, rows in groupby(catalogue.all_services(), key=lambda s: s.category)
    ]
    return render_template("catalogue/services.html", groups=groups, lang=lang)


@bp.route("/new", methods=["GET", "POST"])
@admin_only
def service_new():
    form = ServiceForm()
    if form.validate_on_submit():
        service = catalogue.create_service(**_values(form))
        db.session.commit()
        flash(_("Service %(name)s added to the catalogue.",
                name=service.name_in(current_language())), "success")
        return redirect(url_for("catalogue.services_list"))
    return render_template("catalogue/service_form.html", form=form, service=None), \
        (422 if form.errors else 200)


@bp.route("/<int:service_id>", methods=["GET", "POST"])
@admin_only
def service_edit(service_id: int):
    service = load_or_404(Service, service_id, deployment_wide)
    form = ServiceForm(obj=service, editing=service)
    if form.validate_on_submit():
        catalogue.update_service(service, **_values(form))
        db.session.commit()
        flash(_("Changes saved."), "success")
        return redirect(url_for("catalogue.services_list"))
    return render_template("catalogue/service_form.html", form=form, service=service), \
        (422 if form.errors else 200)

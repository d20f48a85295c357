"""The referrer's client register: list and search, register, edit, the client page."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consult.access import roles_required
from consult.clients import services
from consult.clients.policy import CLIENT_ROLES, load_client
from consult.consents.services import coverage_on
from consult.extensions import db
from consult.forms.admin import ConfirmForm
from consult.forms.clients import ClientContactForm, ClientForm, ClientSearchForm
from consult.query import page_arg
from consult.timeutil import today

bp = Blueprint("clients", __name__, url_prefix="/clients")
referrer_only = roles_required(*CLIENT_ROLES)
PER_PAGE = 50


@bp.context_processor
def labels():
    from consult.consents import labels as consent_labels
    from consult.forms.clients import client_language_labels

    return {"language_labels": client_language_labels(),
            "consent_states": consent_labels.state_labels(),
            "purpose_labels": consent_labels.purpose_labels()}


@bp.route("", methods=["GET", "POST"])
@referrer_only
def register():
    """GET lists the register; POST searches it, so that no name or identity code
    ever stands in a URL."""
    form = ClientSearchForm()
    search = form.q.data if form.validate_on_submit() else ""
    page = db.paginate(services.register_query(current_user.organisation_id, search),
                       page=page_arg(), per_page=PER_PAGE,
                       error_out=False)
    services.record_listed(page.items)
    db.session.commit()
    template = "clients/_register_table.html" if request.headers.get("HX-Request") else \
        "clients/register.html"
    return render_template(template, form=form, page=page, search=search)


@bp.route("/new", methods=["GET", "POST"])
@referrer_only
def new():
    form = ClientForm()
    existing = None
    if form.validate_on_submit():
        values = {name: form[name].data for name in services.CONTACT_FIELDS}
        try:
            client = services.register_client(
                organisation=current_user.organisation, by=current_user,
                identity_code=form.identity_code.data, **values)
        except services.DuplicateClient as duplicate:
            existing = duplicate.existing
            form.identity_code.errors.append(
                _("A client with this personal identity code is already in your "
                  "organisation's register."))
        else:
            db.session.commit()
            flash(_("Client registered. Record the client's consent next."), "success")
            return redirect(url_for("clients.show", client_id=client.id))
    return render_template("clients/new.html", form=form, existing=existing), \
        (422 if form.errors else 200)


@bp.route("/<int:client_id>")
@referrer_only
def show(client_id: int):
    client = load_client(client_id)
    services.record_view(client)
    on = today()
    coverage = coverage_on(client.consents, on)
    db.session.commit()
    return render_template("clients/show.html", client=client, coverage=coverage, today=on,
                           confirm_form=ConfirmForm())


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
@referrer_only
def edit(client_id: int):
    client = load_client(client_id)
    form = ClientContactForm(obj=client)
    if form.validate_on_submit():
        services.update_client(client, **{name: form[name].data for name in services.CONTACT_FIELDS})
        db.session.commit()
        flash(_("Changes saved."), "success")
        return redirect(url_for("clients.show", client_id=client.id))
    if request.method == "GET":
        services.record_view(client)
        db.session.commit()
    return render_template("clients/edit.html", form=form, client=client), \
        (422 if form.errors else 200)

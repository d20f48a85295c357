"""Recording and withdrawing a client's consent."""
from __future__ import annotations

from dateutil.relativedelta import relativedelta
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from consult.access import load_or_404, roles_required
from consult.clients import services as client_services
from consult.clients.policy import CLIENT_ROLES, load_client
from consult.consents import services
from consult.consents.models import Consent
from consult.consultations import services as pauses
from consult.extensions import db
from consult.forms import choices
from consult.forms.consents import ConsentForm, WithdrawConsentForm
from consult.organisations.models import Organisation, Team
from consult.timeutil import today

bp = Blueprint("consents", __name__, url_prefix="/clients/<int:client_id>/consents")
referrer_only = roles_required(*CLIENT_ROLES)


def _consent_form() -> ConsentForm:
    form = ConsentForm()
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    form.organisations.choices = choices((o.id, o.name) for o in organisations)
    teams = db.session.scalars(select(Team).order_by(Team.name)).all()
    form.team_id.choices = choices((t.id, t.name) for t in teams)
    if request.method == "GET":
        form.valid_until.data = today() + relativedelta(years=1)
    return form


@bp.route("/new", methods=["GET", "POST"])
@referrer_only
def new(client_id: int):
    client = load_client(client_id)
    form = _consent_form()
    status = 200
    if request.method == "POST" and request.form.get("action") == "add_team":
        # "All organisations of team X" is one choice: it ticks them; nothing is saved
        # and the rest of what was typed stays.
        team = db.session.get(Team, form.team_id.data or 0)
        if team is not None:
            chosen = set(form.organisations.data or [])
            chosen.update(o.id for o in team.participating_organisations())
            form.organisations.data = sorted(chosen)
    elif form.validate_on_submit():
        organisations = db.session.scalars(
            select(Organisation).where(Organisation.id.in_(form.organisations.data))).all()
        services.record_consent(
            client, organisations=organisations, given_on=form.given_on.data,
            valid_until=form.valid_until.data,
            purpose_consultation=form.purpose_consultation.data,
            purpose_data_exchange=form.purpose_data_exchange.data,
            form_reference=form.form_reference.data, by=current_user)
        resumed = pauses.refresh_pauses_for_client(client, by=current_user)
        db.session.commit()
        flash(_("Consent recorded."), "success")
        if resumed:
            flash(_("Paused cases of the client that this consent covers were resumed."), "info")
        return redirect(url_for("clients.show", client_id=client.id))
    elif request.method == "POST":
        status = 422
    else:
        client_services.record_view(client, purpose="consent")
        db.session.commit()
    return render_template("consents/new.html", form=form, client=client), status


@bp.route("/<int:consent_id>/withdraw", methods=["GET", "POST"])
@referrer_only
def withdraw(client_id: int, consent_id: int):
    client = load_client(client_id)
    consent = load_or_404(Consent, consent_id, lambda _u, c: c.client_id == client.id,
                          client_id_of=lambda c: c.client_id)
    if consent.withdrawn_on is not None:
        flash(_("This consent has already been withdrawn."), "error")
        return redirect(url_for("clients.show", client_id=client.id))
    form = WithdrawConsentForm(consent=consent)
    if form.validate_on_submit():
        services.withdraw_consent(consent, on=form.withdrawn_on.data, reason=form.reason.data,
                                  by=current_user)
        paused = pauses.refresh_pauses_for_client(client, by=current_user)
        db.session.commit()
        flash(_("Consent withdrawn."), "success")
        if paused:
            flash(_("The client's open cases that the consent no longer covers are paused; "
                    "the team or physician has been told."), "info")
        return redirect(url_for("clients.show", client_id=client.id))
    if request.method == "GET":
        client_services.record_view(client, purpose="consent")
        db.session.commit()
    return render_template("consents/withdraw.html", form=form, client=client, consent=consent), \
        (422 if form.errors else 200)

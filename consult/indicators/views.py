"""Indicators for management and evaluation (`/indicators`, `/indicators.csv`, SPEC §7):
a coordinator's own teams, a manager's every team of their region. Numbers only, never
case content; small counts hidden."""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from consult.access import deny, roles_required
from consult.forms import choices
from consult.forms.admin import organisation_kind_labels
from consult.forms.consultations import mode_labels
from consult.forms.followups import plan_change_labels, yes_no_labels
from consult.forms.indicators import IndicatorFilterForm, period_labels
from consult.forms.protocols import path_labels
from consult.i18n import current_language
from consult.indicators import charts, export, services
from consult.indicators.periods import period_of
from consult.query import database_id
from consult.timeutil import today

bp = Blueprint("indicators", __name__)


def _selection():
    """The user's teams, the filter form, and the teams and period it selects (None
    when the form has errors). A team outside the user's teams answers 404."""
    teams = services.visible_teams(current_user)
    wanted = request.args.get("team", "")
    if wanted and wanted not in {str(team.id) for team in teams}:
        deny(404, object_type="team", object_id=database_id(wanted))
    form = IndicatorFilterForm(request.args)
    form.team.choices = choices([("", _("All teams"))] + [(str(t.id), t.name) for t in teams])
    form.period.choices = choices(period_labels().items())
    form.kind.choices = choices([("", _("Every kind"))]
                                + list(organisation_kind_labels().items()))
    if not form.validate():
        return teams, form, None, None
    chosen = [t for t in teams if str(t.id) == form.team.data] if form.team.data else teams
    period = period_of(form.period.data, form.day.data or today(), form.start.data,
                       form.end.data)
    return teams, form, chosen, period


@bp.route("/indicators", endpoint="page")
@roles_required(*services.INDICATOR_ROLES)
def indicators_page():
    teams, form, chosen, period = _selection()
    if period is None:
        return render_template("indicators/page.html", form=form, teams=teams,
                               indicators=None), 422
    indicators = services.compute(chosen, period, form.kind.data or None,
                                  every_breakdown=False)
    focus = indicators.figures.get(services.ALL)
    language = current_language()
    kind_names = organisation_kind_labels()
    return render_template(
        "indicators/page.html", form=form, teams=teams, indicators=indicators, focus=focus,
        service_names=services.service_names(indicators, language),
        trend_chart=charts.columns([(m.start.strftime("%m/%y"), v) for m, v in focus.trend])
        if focus else None,
        kind_chart=charts.rows([(str(kind_names[k]), v) for k, v in focus.by_kind])
        if focus else None,
        kind_labels=kind_names, mode_labels=mode_labels(), path_labels=path_labels(),
        plan_change_labels=plan_change_labels(), yes_no_labels=yes_no_labels(),
        shown=charts.shown, csv_args=request.args.to_dict())


@bp.route("/indicators.csv", endpoint="csv")
@roles_required(*services.INDICATOR_ROLES)
def indicators_csv():
    """The same selection as the page; `excel=1` for Excel (a BOM, decimal commas)."""
    _teams, form, chosen, period = _selection()
    if period is None:
        return Response("\n".join(str(e) for errors in form.errors.values() for e in errors),
                        status=422, mimetype="text/plain")
    indicators = services.compute(chosen, period, form.kind.data or None)
    excel = request.args.get("excel") == "1"
    text = export.csv_text(indicators, services.service_names(indicators, "fi"), excel=excel)
    name = f"indicators-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    response = Response(text, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

"""The indicators as CSV (SPEC §7): columns `team;period_start;period_end;measure;
breakdown;value`, UTF-8, one row per value; the Excel variant has a byte order mark and
decimal commas. A value the small-cell rule hides reads `<5`; a value with no cases
behind it (a median of nothing, a share of nothing) is empty. The measure names and
breakdown codes are documented in the README."""
from __future__ import annotations

import csv
import io

from consult.indicators.measures import Value
from consult.indicators.services import ALL, NO_SERVICE, Figures, Indicators
from consult.spreadsheet import text_cell

COLUMNS = ("team", "period_start", "period_end", "measure", "breakdown", "value")
ALL_TEAMS = "all"


def figure_rows(figures: Figures, service_names: dict):
    """(measure, breakdown, value) of one unit, in the order the README lists them."""
    yield "received", "", figures.received
    for kind, value in figures.by_kind:
        yield "received_by_organisation_kind", kind, value
    for month, value in figures.trend:
        yield "received_by_month", month.start.strftime("%Y-%m"), value
    yield "resolved_at_consultation_share", "", figures.resolved_share
    yield "returned_for_completion_share", "", figures.returned_share
    yield "lead_time_to_decision_median_days", "", figures.decision_median
    yield "lead_time_to_decision_p90_days", "", figures.decision_p90
    yield "lead_time_to_consultation_median_days", "", figures.consultation_median
    yield "lead_time_to_consultation_p90_days", "", figures.consultation_p90
    yield "discussed", "", figures.discussed
    for mode, value in figures.by_mode:
        yield "consultations_by_mode", mode, value
    for service, value in figures.by_service:
        yield ("recommendations_by_service",
               NO_SERVICE if service == NO_SERVICE else service_names.get(service, str(service)),
               value)
    for path, value in figures.paths:
        yield "paths_at_follow_up", path, value
    for answer, value in figures.plan_changed:
        yield "close_out_plan_changed", answer, value
    for answer, value in figures.meeting_needed:
        yield "close_out_meeting_needed", answer, value
    yield "action_items_open", "", figures.actions_open
    yield "action_items_overdue", "", figures.actions_overdue


def cell(value: Value, *, decimal_comma: bool = False) -> str:
    if value.suppressed:
        return "<5"
    if value.number is None:
        return ""
    text = f"{value.number:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if decimal_comma else text


def csv_text(indicators: Indicators, service_names: dict, *, excel: bool = False) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    start, end = indicators.period.start.isoformat(), indicators.period.end.isoformat()
    units = [(team.name, team.id) for team in indicators.teams] + [(ALL_TEAMS, ALL)]
    for name, key in units:
        figures = indicators.figures.get(key)
        if figures is None:
            continue
        for measure, breakdown, value in figure_rows(figures, service_names):
            writer.writerow((text_cell(name), start, end, measure, text_cell(breakdown),
                             cell(value, decimal_comma=excel)))
    return ("\ufeff" if excel else "") + out.getvalue()

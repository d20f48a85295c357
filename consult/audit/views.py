"""The client's access report: every event about the client — who, when, what, why —
as a page and as CSV (the client's right under the client data act 703/2023)."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, render_template

from consult.access import roles_required
from consult.audit import labels
from consult.audit import services as audit
from consult.clients.policy import CLIENT_ROLES, load_client
from consult.extensions import db
from consult.spreadsheet import text_cell
from consult.timeutil import to_helsinki

bp = Blueprint("audit", __name__, url_prefix="/clients/<int:client_id>")
referrer_only = roles_required(*CLIENT_ROLES)


def _produce_report(client_id: int, action: str):
    """Load the client, record that the report is produced (so it lists itself), and
    read every event about the client."""
    client = load_client(client_id)
    audit.record(action, object_type="access_report", object_id=client.id,
                 client_id=client.id, purpose="access_report")
    db.session.flush()
    events = audit.events_about_client(client.id)
    db.session.commit()
    return client, events


@bp.route("/access-report")
@referrer_only
def access_report(client_id: int):
    client, events = _produce_report(client_id, "view")
    return render_template("audit/access_report.html", client=client, events=events,
                           actions=labels.action_labels(), objects=labels.object_labels(),
                           purposes=labels.purpose_labels(), outcomes=labels.outcome_labels())


@bp.route("/access-report.csv")
@referrer_only
def access_report_csv(client_id: int):
    client, events = _produce_report(client_id, "export")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["time", "user", "organisation", "action", "object", "object_id",
                     "purpose", "outcome", "recipient"])
    for event, user_name, org_name in events:
        writer.writerow([
            to_helsinki(event.at).isoformat(timespec="seconds"), text_cell(user_name),
            text_cell(org_name), event.action, event.object_type, event.object_id or "",
            event.purpose, event.outcome, text_cell(event.recipient),
        ])
    # The file name names no one: only the register's own id.
    return Response(
        "\ufeff" + out.getvalue(), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="access-report-{client.id}.csv"'})

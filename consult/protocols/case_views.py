"""The case's record for its referrer (`/requests/<id>/protocol`, SPEC §4 flow 6): the
finalised recommendations, the action plan (who does what by when), the path and the
follow-up date; the referrer's own action items can be completed here. Registered on
the protocols blueprint."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user

from consult.access import roles_required
from consult.audit import services as audit
from consult.extensions import db
from consult.forms.protocols import CompleteActionForm, note_headings, path_labels
from consult.i18n import current_language
from consult.protocols import policy
from consult.protocols import services as records
from consult.protocols.views import bp, kind_labels

READER_ROLES = ("referrer", "coordinator", "member", "physician")


def completable(items, user) -> set[int]:
    """The open action items the user completes (responsible, or the case's referrer
    for an organisation's item)."""
    return {i.id for i in items if i.state == "open" and records.can_complete(i, user)}


@bp.route("/requests/<int:request_id>/protocol")
@roles_required(*READER_ROLES)
def case_record(request_id: int):
    req = policy.load_case(request_id)
    record = records.final_record(req)
    audit.record("view", object_type="protocol", object_id=record.id if record else None,
                 client_id=req.client_id, purpose="protocol")
    db.session.commit()
    kind = record.kind if record else records.kind_for(req)
    return render_template(
        "protocols/case_record.html", req=req, protocol=record, kind=kind,
        kind_labels=kind_labels(), note_headings=note_headings(kind), path_labels=path_labels(),
        lang=current_language(), editing=False,
        completable=completable(record.action_items, current_user) if record else set(),
        complete_form=CompleteActionForm(formdata=None))

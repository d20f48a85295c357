"""Recording a discussed case's follow-up closes it (SPEC §3). Flushes, never commits."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from consult.audit import services as audit
from consult.consultations import services as consultations
from consult.extensions import db
from consult.followups.models import PLAN_CHANGES, FollowUp
from consult.protocols.models import PATHS


class FollowUpRefused(consultations.TransitionRefused):
    pass


def record_follow_up(request, *, path_taken: str, situation: str, kykyviisari_score: int | None,
                     meeting_needed: bool, plan_changed: str, by) -> FollowUp:
    """The referrer's follow-up of a discussed case: the case is closed by it. The
    state machine refuses it before `discussed` and from anyone but the case manager."""
    if path_taken not in PATHS or plan_changed not in PLAN_CHANGES:
        raise FollowUpRefused(_l("Answer every question of the follow-up."))
    if kykyviisari_score is not None and not 0 <= kykyviisari_score <= 10:
        raise FollowUpRefused(_l("The work ability score is from 0 to 10."))
    consultations.perform(request, "record_follow_up", by)
    follow_up = FollowUp(request=request, path_taken=path_taken, situation=situation.strip(),
                         kykyviisari_score=kykyviisari_score, meeting_needed=meeting_needed,
                         plan_changed=plan_changed, recorded_by_id=by.id)
    db.session.add(follow_up)
    db.session.flush()
    audit.record("create", object_type="follow_up", object_id=follow_up.id,
                 client_id=request.client_id, purpose="record_follow_up", user=by)
    return follow_up

"""The consultation request's state machine (SPEC §3): every allowed transition and
every refused one, who may perform each, what they record and whom they notify."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consult.audit.models import AuditEvent
from consult.consultations import services
from consult.consultations.models import Notification, RequestEvent
from consult.consultations.states import ACTS, STATES
from consult.extensions import db
from tests import factories


@pytest.fixture
def people(app):
    coordinator = factories.create_user("coordinator")
    member = factories.create_user("member")
    physician = factories.create_user("physician")
    team = factories.create_team(coordinators=[coordinator], members=[member])
    return {"coordinator": coordinator, "physician": physician, "team": team,
            "other_coordinator": factories.create_user("coordinator")}


def team_request(people, **kwargs):
    return factories.create_request(team=people["team"], **kwargs)


def physician_request(people, mode="video", **kwargs):
    return factories.create_request(physician=people["physician"], mode=mode, **kwargs)


def actor_for(request, act_name, people):
    by = ACTS[act_name].by
    if "referrer" in by:
        return request.referrer
    if "coordinator" in by and request.target_team is not None:
        return people["coordinator"]
    return people["physician"]


def bring_to(request, state, people):
    """Walk the request to `state` along allowed transitions."""
    paths = {
        "draft": [], "submitted": ["submit"], "returned": ["submit", "return_for_completion"],
        "accepted": ["submit", "accept"],
        "scheduled": ["submit", "accept", "schedule_on_agenda"] if request.mode == "team_meeting"
        else ["submit", "book_slot"],
        "discussed": ["submit", "accept", "schedule_on_agenda", "finalise_protocol"]
        if request.mode == "team_meeting" else
        (["submit", "accept", "sign_statement"] if request.mode == "written_statement"
         else ["submit", "book_slot", "sign_note"]),
    }
    for act in paths[state]:
        services.perform(request, act, actor_for(request, act, people), message="syy")
    assert request.state == state


# SPEC §3 written out by hand, independent of states.py: (state, act) -> new state.
COMMON = {
    ("draft", "submit"): "submitted",
    ("submitted", "return_for_completion"): "returned",
    ("returned", "resubmit"): "submitted",
    ("discussed", "record_follow_up"): "closed",
    ("submitted", "decline"): "declined",
    ("draft", "withdraw"): "withdrawn",
    ("submitted", "withdraw"): "withdrawn",
    ("returned", "withdraw"): "withdrawn",
}
SPEC_TABLE = {
    "team_meeting": {
        **COMMON,
        ("submitted", "accept"): "accepted",
        ("accepted", "schedule_on_agenda"): "scheduled",
        ("scheduled", "take_off_agenda"): "accepted",
        ("scheduled", "finalise_protocol"): "discussed",
        ("submitted", "resolve_at_consultation"): "resolved_at_consultation",
        ("accepted", "resolve_at_consultation"): "resolved_at_consultation",
        ("accepted", "decline"): "declined",
        ("accepted", "withdraw"): "withdrawn",
        ("scheduled", "withdraw"): "withdrawn",
    },
    "appointment": {
        **COMMON,
        ("submitted", "book_slot"): "scheduled",
        ("submitted", "propose_slots"): "submitted",
        ("submitted", "pick_slot"): "scheduled",
        ("scheduled", "move_booking"): "scheduled",
        ("scheduled", "cancel_booking"): "submitted",
        ("scheduled", "sign_note"): "discussed",
        ("scheduled", "withdraw"): "withdrawn",
    },
    "written_statement": {
        **COMMON,
        ("submitted", "accept"): "accepted",
        ("accepted", "sign_statement"): "discussed",
        ("accepted", "decline"): "declined",
        ("accepted", "withdraw"): "withdrawn",
    },
}
MODE_GROUP = {"team_meeting": "team_meeting", "phone": "appointment", "video": "appointment",
              "in_person": "appointment", "written_statement": "written_statement"}

ALLOWED = [(mode, state, act, target)
           for mode, group in MODE_GROUP.items()
           for (state, act), target in SPEC_TABLE[group].items()]


@pytest.mark.parametrize("mode,state,act,target", ALLOWED)
def test_allowed_transition_records_who_when_why_and_notifies(people, mode, state, act, target):
    request = team_request(people) if mode == "team_meeting" else physician_request(people, mode)
    bring_to(request, state, people)
    actor = actor_for(request, act, people)
    before_notes = db.session.scalar(select(func.count(Notification.id)))
    event = services.perform(request, act, actor, message="Perustelu")
    assert request.state == target
    assert (event.actor_id, event.act, event.from_state, event.to_state, event.message) == (
        actor.id, act, state, target, "Perustelu")
    assert event.at is not None
    notified = db.session.scalars(select(Notification).order_by(Notification.id.desc())
                                  .limit(db.session.scalar(select(func.count(Notification.id)))
                                         - before_notes)).all()
    assert notified and all(n.kind == act and n.user_id != actor.id for n in notified)
    audited = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "transition").order_by(AuditEvent.id.desc())).first()
    assert (audited.client_id, audited.purpose, audited.user_id) == (
        request.client_id, act, actor.id)


def reachable_states(mode):
    if mode == "team_meeting":
        return ["draft", "submitted", "returned", "accepted", "scheduled", "discussed"]
    if mode == "written_statement":
        return ["draft", "submitted", "returned", "accepted", "discussed"]
    return ["draft", "submitted", "returned", "scheduled", "discussed"]


REFUSED = [
    (mode, state, act)
    for mode in ("team_meeting", "video", "written_statement")
    for state in reachable_states(mode)
    for act in ACTS
    if (state, act) not in SPEC_TABLE[MODE_GROUP[mode]]
]


@pytest.mark.parametrize("mode,state,act", REFUSED)
def test_every_other_transition_is_refused_with_a_message_and_changes_nothing(
        people, mode, state, act):
    request = team_request(people) if mode == "team_meeting" else physician_request(people, mode)
    bring_to(request, state, people)
    events = len(request.events)
    with pytest.raises(services.TransitionRefused) as refused:
        services.perform(request, act, actor_for(request, act, people), message="syy")
    assert str(refused.value)
    assert request.state == state and len(request.events) == events


def test_states_listed_are_the_specs():
    assert set(STATES) == {"draft", "submitted", "returned", "accepted", "scheduled",
                           "discussed", "closed", "resolved_at_consultation", "declined",
                           "withdrawn"}
    assert set(ACTS) == {act for table in SPEC_TABLE.values() for _, act in table}


@pytest.mark.parametrize("act,who", [
    ("accept", "referrer"), ("accept", "other_coordinator"), ("accept", "physician"),
    ("submit", "coordinator"), ("withdraw", "coordinator"),
])
def test_only_the_right_person_may_move_a_team_request(people, act, who):
    request = team_request(people)
    if act == "accept":
        bring_to(request, "submitted", people)
    actor = request.referrer if who == "referrer" else people[who]
    with pytest.raises(services.TransitionRefused, match="cannot do this"):
        services.perform(request, act, actor, message="x")


def test_another_referrer_of_the_organisation_is_not_the_case_manager(people):
    request = team_request(people)
    colleague = factories.create_user("referrer", organisation=request.referrer.organisation)
    with pytest.raises(services.TransitionRefused):
        services.perform(request, "submit", colleague)


def test_cancelling_a_booking_needs_a_reason(people):
    request = physician_request(people)
    bring_to(request, "scheduled", people)
    with pytest.raises(services.TransitionRefused, match="says why"):
        services.perform(request, "cancel_booking", people["physician"], message=" ")
    assert request.state == "scheduled"


@pytest.mark.parametrize("act", ["return_for_completion", "decline", "resolve_at_consultation"])
def test_returning_declining_and_resolving_need_a_message(people, act):
    request = team_request(people)
    bring_to(request, "submitted", people)
    with pytest.raises(services.TransitionRefused, match="says why"):
        services.perform(request, act, people["coordinator"], message="  ")
    assert request.state == "submitted"


def test_submit_needs_a_consent_covering_the_team(people):
    request = team_request(people, consent=False)
    with pytest.raises(services.TransitionRefused, match="no valid consent"):
        services.perform(request, "submit", request.referrer)
    assert request.state == "draft" and request.preform.versions == []


def test_submit_refused_when_the_consent_misses_a_participating_organisation(people):
    request = team_request(people, consent=False)
    factories.create_consent(request.client, [people["coordinator"].organisation])
    with pytest.raises(services.TransitionRefused):
        services.perform(request, "submit", request.referrer)


def test_submit_needs_wishes_and_goals_and_the_question(people):
    request = team_request(people, draft={"background.reason": "Pitkä sairausloma"})
    with pytest.raises(services.IncompleteForm) as incomplete:
        services.perform(request, "submit", request.referrer)
    assert incomplete.value.missing == ["wishes_goals.wishes_goals", "question.question"]
    assert request.state == "draft"


def test_target_and_mode_go_together(people):
    client = factories.create_client()
    referrer = factories.create_user("referrer", organisation=client.organisation)
    for team, physician, mode in [(people["team"], None, "video"),
                                  (None, people["physician"], "team_meeting"),
                                  (people["team"], people["physician"], "team_meeting"),
                                  (None, None, "video")]:
        with pytest.raises(services.TransitionRefused):
            services.create_request(client=client, referrer=referrer, team=team,
                                    physician=physician, mode=mode)


def test_urgent_request_needs_a_reason(people):
    client = factories.create_client()
    referrer = factories.create_user("referrer", organisation=client.organisation)
    with pytest.raises(services.TransitionRefused, match="urgent"):
        services.create_request(client=client, referrer=referrer, team=people["team"],
                                mode="team_meeting", urgency="urgent")


def test_draft_autosave_round_trip_and_conflict_keeps_both_texts(people):
    request = team_request(people)
    preform = request.preform
    revision = preform.draft_revision
    mine = services.save_draft(preform, {"background.reason": "Minun tekstini"},
                               expected_revision=revision, by=request.referrer)
    assert mine == revision + 1 and preform.draft["background.reason"] == "Minun tekstini"
    with pytest.raises(services.DraftConflict) as conflict:
        services.save_draft(preform, {"background.reason": "Toisen välilehden teksti"},
                            expected_revision=revision, by=request.referrer)
    assert conflict.value.saved["background.reason"] == "Minun tekstini"
    assert conflict.value.revision == mine
    assert preform.draft["background.reason"] == "Minun tekstini"


def test_returned_for_completion_cycle_freezes_versions_one_two(people):
    request = team_request(people)
    services.perform(request, "submit", request.referrer)
    services.perform(request, "return_for_completion", people["coordinator"],
                     message="Täydennä terveydentila.")
    services.save_draft(request.preform, {**request.preform.draft,
                                          "health.client_view": "Selkäkipu"},
                        expected_revision=request.preform.draft_revision, by=request.referrer)
    services.perform(request, "resubmit", request.referrer)
    versions = request.preform.versions
    assert [v.number for v in versions] == [1, 2]
    assert "health.client_view" not in versions[0].content
    assert versions[1].content["health.client_view"] == "Selkäkipu"


def test_frozen_versions_cannot_change_through_the_draft(people):
    request = team_request(people)
    services.perform(request, "submit", request.referrer)
    frozen = dict(request.preform.versions[0].content)
    with pytest.raises(services.TransitionRefused):
        services.save_draft(request.preform, {"question.question": "Muutettu"},
                            expected_revision=request.preform.draft_revision,
                            by=request.referrer)
    assert request.preform.versions[0].content == frozen


def test_first_submission_time_is_kept_for_lead_times(people):
    request = team_request(people)
    services.perform(request, "submit", request.referrer)
    first = request.first_submitted_at
    services.perform(request, "return_for_completion", people["coordinator"], message="x")
    services.perform(request, "resubmit", request.referrer)
    assert request.first_submitted_at == first
    assert [e.act for e in db.session.scalars(select(RequestEvent))] == [
        "submit", "return_for_completion", "resubmit"]

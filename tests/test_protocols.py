"""Recording a consultation (SPEC §3): notes by pre-form section with a version check,
recommendations, action items, path and follow-up; finalising or signing makes the
record immutable and moves the request to discussed; addenda; carry-over; the meeting
becomes protocol_finalised when every counted item is."""
from __future__ import annotations

from datetime import timedelta

import pytest

from consult.consultations import services as consultations
from consult.extensions import db
from consult.meetings import agenda
from consult.protocols import services
from consult.timeutil import today, utcnow
from tests import factories


def held_meeting(cases=1):
    coordinator = factories.create_user("coordinator")
    member = factories.create_user("member")
    team = factories.create_team(coordinators=[coordinator], members=[member])
    meeting = factories.create_meeting(team, starts_at=utcnow() - timedelta(minutes=10))
    items = []
    for _ in range(cases):
        request = factories.create_submitted_request(team=team)
        consultations.perform(request, "accept", coordinator)
        items.append(agenda.add_item(meeting, request, by=coordinator))
    agenda.send_agenda(meeting, by=coordinator)
    agenda.open_run(meeting, by=coordinator)
    return meeting, coordinator, member, items


def test_notes_save_with_a_version_check_and_keep_both_texts_on_a_conflict(app):
    meeting, coordinator, _, (item,) = held_meeting()
    protocol = services.protocol_of(item.request, item)
    start = protocol.revision
    services.save_notes(protocol, {"background": "Keskusteltu"}, expected_revision=start,
                        by=coordinator)
    with pytest.raises(services.NotesConflict) as conflict:
        services.save_notes(protocol, {"background": "Toinen"}, expected_revision=start,
                            by=coordinator)
    assert conflict.value.saved == {"background": "Keskusteltu"}
    assert protocol.notes == {"background": "Keskusteltu"}


def test_finalising_makes_the_protocol_immutable_and_the_request_discussed(app):
    meeting, coordinator, member, (item,) = held_meeting()
    protocol = services.protocol_of(item.request, item)
    from consult.catalogue.models import Service

    service = Service(category="kela", organisation_kind="kela", name_fi="Selvitys",
                      name_sv="Utredning", name_en="Assessment")
    db.session.add(service)
    recommendation = services.add_recommendation(
        protocol, "Ammatillisen kuntoutuksen selvitys", service=service, by=coordinator)
    assert recommendation.service is service and recommendation.position == 1
    services.add_action_item(protocol, "Varaa aika Kelaan", responsible_user=member,
                             due_on=today() + timedelta(days=14), by=coordinator)
    services.set_outcome(protocol, path="rehabilitation", follow_up_on=today() +
                         timedelta(days=90), by=coordinator)
    services.finalise(protocol, by=coordinator)
    assert item.request.state == "discussed" and protocol.is_final
    assert meeting.state == "protocol_finalised"
    with pytest.raises(services.ProtocolRefused):
        services.save_notes(protocol, {"general": "muutos"}, expected_revision=protocol.revision,
                            by=coordinator)
    with pytest.raises(services.ProtocolRefused):
        services.add_recommendation(protocol, "Lisäys", by=coordinator)
    addendum = services.add_addendum(protocol, "Korjaus: aika on kolmen kuukauden päästä.",
                                     by=coordinator)
    assert (addendum.author_id, protocol.addenda) == (coordinator.id, [addendum])


def test_only_the_teams_coordinator_finalises(app):
    _, _, member, (item,) = held_meeting()
    protocol = services.protocol_of(item.request, item)
    with pytest.raises(consultations.TransitionRefused):
        services.finalise(protocol, by=member)
    assert not protocol.is_final and item.request.state == "scheduled"


def test_action_items_are_completed_by_the_responsible_person_or_the_referrer(app):
    meeting, coordinator, member, (item,) = held_meeting()
    protocol = services.protocol_of(item.request, item)
    personal = services.add_action_item(protocol, "Soita asiakkaalle", responsible_user=member,
                                        by=coordinator)
    organisational = services.add_action_item(
        protocol, "Kelan hakemus", responsible_organisation=item.request.referrer.organisation,
        by=coordinator)
    with pytest.raises(services.ProtocolRefused):
        services.add_action_item(protocol, "Ei ketään", by=coordinator)
    services.finalise(protocol, by=coordinator)
    with pytest.raises(services.ProtocolRefused):
        services.complete_action_item(personal, by=coordinator)
    services.complete_action_item(personal, by=member)
    services.complete_action_item(organisational, by=item.request.referrer)
    assert (personal.state, organisational.state) == ("done", "done")


def test_a_case_carried_over_keeps_its_notes_and_stops_counting_here(app):
    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    from consult.meetings import services as meetings

    series = meetings.create_series(
        team, pattern="weekly", weekday=today().isoweekday(), nth=None,
        start_time=(utcnow() + timedelta(hours=3)).time().replace(second=0, microsecond=0),
        minutes=60, first_date=today(), until_date=today() + timedelta(days=14),
        location="Kokoushuone", video_link="", by=coordinator)
    first, second = series.meetings[0], series.meetings[1]
    first.starts_at = utcnow() - timedelta(minutes=5)
    cases = []
    for _ in range(2):
        request = factories.create_submitted_request(team=team)
        consultations.perform(request, "accept", coordinator)
        cases.append(agenda.add_item(first, request, by=coordinator))
    agenda.send_agenda(first, by=coordinator)
    agenda.open_run(first, by=coordinator)
    unfinished, done = cases
    notes = services.protocol_of(unfinished.request, unfinished)
    services.save_notes(notes, {"general": "Kesken"}, expected_revision=0, by=coordinator)
    moved = agenda.carry_over(unfinished, by=coordinator)
    assert moved.meeting_id == second.id and unfinished.state == "carried_over"
    assert services.protocol_of(moved.request, moved).notes == {"general": "Kesken"}
    services.finalise(services.protocol_of(done.request, done), by=coordinator)
    assert first.state == "protocol_finalised"  # the carried-over case does not count


def test_the_physician_signs_a_note_and_a_statement(app):
    physician = factories.create_user("physician")
    appointment = factories.create_submitted_request(physician=physician, mode="phone")
    consultations.perform(appointment, "book_slot", physician)
    note = services.protocol_of(appointment)
    assert note.kind == "note"
    services.save_notes(note, {"question": "Vastaus kysymykseen"},
                        expected_revision=0, by=physician)
    services.finalise(note, by=physician)
    assert appointment.state == "discussed"
    statement_request = factories.create_submitted_request(physician=physician,
                                                           mode="written_statement")
    consultations.perform(statement_request, "accept", physician)
    statement = services.protocol_of(statement_request)
    assert statement.kind == "statement"
    with pytest.raises(consultations.TransitionRefused):
        services.finalise(statement, by=statement_request.referrer)
    services.finalise(statement, by=physician)
    assert statement_request.state == "discussed"


def test_saving_the_same_notes_again_changes_nothing(app):
    """Two saves of one text (the autosave and a button, say) leave one revision, so
    the writer's page does not go stale against their own text."""
    meeting, coordinator, _, (item,) = held_meeting()
    protocol = services.protocol_of(item.request, item)
    first = services.save_notes(protocol, {"life": "Asuu yksin"}, expected_revision=0,
                                by=coordinator)
    assert services.save_notes(protocol, {"life": "Asuu yksin"}, expected_revision=0,
                               by=coordinator) == first == 1
    assert services.save_notes(protocol, {"life": "Asuu yksin"}, expected_revision=1,
                               by=coordinator) == 1


def test_a_case_is_carried_over_only_while_its_meeting_is_held(app):
    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator])
    meeting = factories.create_meeting(team)
    request = factories.create_submitted_request(team=team)
    consultations.perform(request, "accept", coordinator)
    item = agenda.add_item(meeting, request, by=coordinator)
    with pytest.raises(agenda.AgendaRefused):
        agenda.carry_over(item, by=coordinator)
    assert item.state == "on_agenda"

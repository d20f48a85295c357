"""Meeting day through the pages (SPEC §4 flow 5): the coordinator starts the meeting
in the run view, goes through the cases, writes notes (autosave with a version check),
recommendations, action items, path and follow-up, finalises; members add notes only;
carry-over; the whole meeting's protocol; nothing final changes by any route."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from consult.audit.models import AuditEvent
from consult.consultations import services as consultations
from consult.extensions import db
from consult.meetings import agenda
from consult.consultations.models import Notification
from consult.protocols import services as records
from consult.protocols.models import Protocol
from consult.timeutil import today, utcnow
from tests import factories


@pytest.fixture
def day(app):
    """A meeting today with its agenda sent and two cases on it, and the next meeting
    of its series (for carrying over)."""
    coordinator = factories.create_user("coordinator")
    member = factories.create_user("member")
    outsider = factories.create_user("coordinator")
    factories.create_team(coordinators=[outsider])
    team, meeting, following, items, service = factories.create_meeting_day(
        coordinator, member, preforms=[("Haluaa palata kaupan alalle", "Mikä kuntoutus?")] * 2)
    db.session.commit()
    return SimpleNamespace(coordinator=coordinator, member=member, outsider=outsider, team=team,
                           meeting=meeting, following=following, items=items, service=service)


def run_url(day, item=None) -> str:
    return f"/meetings/{day.meeting.id}/run" + (f"?item={item.id}" if item else "")


def start(client, auth, day, *, login=True):
    if login:
        auth.login(day.coordinator)
    return client.post(f"/meetings/{day.meeting.id}/run/start",
                       data={"csrf_token": auth.csrf(run_url(day))})


def protocol_for(item) -> Protocol:
    db.session.expire_all()
    return db.session.scalar(select(Protocol).where(Protocol.agenda_item_id == item.id))


def test_the_coordinator_starts_the_meeting_and_each_case_gets_its_protocol(client, auth, day):
    auth.login(day.coordinator)
    page = client.get(run_url(day))
    assert f'action="/meetings/{day.meeting.id}/run/start"' in page.text
    assert start(client, auth, day, login=False).status_code == 303
    db.session.refresh(day.meeting)
    assert day.meeting.state == "held"
    assert all(protocol_for(item) is not None for item in day.items)
    page = client.get(run_url(day, day.items[0]) + "&lang=en")
    assert page.status_code == 200
    # The frame: the client's wishes and the question are on the page, and the notes
    # follow the pre-form's sections.
    assert "Haluaa palata kaupan alalle" in page.text and "Mikä kuntoutus?" in page.text
    assert "Notes: 3. Health and functional capacity" in page.text
    assert "Selkä kipeytyy" in page.text
    assert "Case 1 of 2" in page.text and 'rel="next"' in page.text


def test_a_member_cannot_start_the_meeting_and_a_referrer_has_no_run_view(client, auth, day):
    auth.login(day.member)
    response = client.post(f"/meetings/{day.meeting.id}/run/start",
                           data={"csrf_token": auth.csrf(run_url(day))})
    assert response.status_code == 403
    db.session.refresh(day.meeting)
    assert day.meeting.state == "agenda_sent"
    auth.logout()
    auth.login(day.items[0].request.referrer)
    assert client.get(run_url(day)).status_code == 403
    auth.logout()
    auth.login(day.outsider)
    assert client.get(run_url(day)).status_code == 404
    denied = db.session.scalars(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
    assert len(denied) == 3


def test_a_meeting_in_the_future_cannot_be_started(client, auth, day):
    day.meeting.starts_at = utcnow() + timedelta(days=2)
    db.session.commit()
    start(client, auth, day)
    db.session.refresh(day.meeting)
    assert day.meeting.state == "agenda_sent"
    assert "The meeting is held on its day." in client.get(run_url(day) + "?lang=en").text


def notes_data(protocol, auth, day, **notes) -> dict:
    """The notes form as posted; `revision` is the one the writer's page was built on."""
    data = {"revision": str(protocol.revision)}
    data.update(notes, csrf_token=auth.csrf(run_url(day)))
    return data


def test_notes_autosave_and_a_conflict_shows_both_texts(client, auth, day):
    start(client, auth, day)
    protocol = protocol_for(day.items[0])
    url = f"/protocols/{protocol.id}/notes/autosave"
    first = client.post(url, data=notes_data(protocol, auth, day, health="Kipu rajoittaa"),
                        headers={"HX-Request": "true"})
    assert first.status_code == 200 and 'id="notes-revision" value="1"' in first.text
    # A member of the team writes from another device on the same revision.
    stale = notes_data(protocol, auth, day, health="Jäsenen oma teksti", revision="0")
    conflict = client.post(url, data=stale, headers={"HX-Request": "true"})
    assert conflict.status_code == 409
    assert "Kipu rajoittaa" in conflict.text and 'name="autosave_off"' in conflict.text
    assert protocol_for(day.items[0]).notes == {"health": "Kipu rajoittaa"}
    # Saving with the button on the revision the conflict showed overwrites.
    stale["revision"] = "1"
    saved = client.post(f"/protocols/{protocol.id}/notes", data=stale)
    assert saved.status_code == 303
    assert protocol_for(day.items[0]).notes == {"health": "Jäsenen oma teksti"}


def test_a_plain_save_that_conflicts_keeps_the_typed_text(client, auth, day):
    start(client, auth, day)
    protocol = protocol_for(day.items[0])
    records.save_notes(protocol, {"life": "Joku muu"}, expected_revision=0, by=day.member)
    db.session.commit()
    page = client.post(f"/protocols/{protocol.id}/notes",
                       data=notes_data(protocol_for(day.items[0]), auth, day, life="Oma teksti",
                                       revision="0"))
    assert page.status_code == 409
    assert "Oma teksti" in page.text and "Joku muu" in page.text
    assert protocol_for(day.items[0]).notes == {"life": "Joku muu"}


def test_members_write_notes_but_not_the_rest(client, auth, day):
    start(client, auth, day)
    auth.logout()
    protocol = protocol_for(day.items[0])
    auth.login(day.member)
    page = client.get(run_url(day, day.items[0]))
    assert 'action="/protocols/%d/notes"' % protocol.id in page.text
    assert "/recommendations" not in page.text and "/finalise" not in page.text
    saved = client.post(f"/protocols/{protocol.id}/notes",
                        data=notes_data(protocol, auth, day, general="Jäsenen huomio"))
    assert saved.status_code == 303
    assert client.post(f"/protocols/{protocol.id}/recommendations",
                       data={"csrf_token": auth.csrf(run_url(day)), "text": "x"}
                       ).status_code == 403
    assert client.post(f"/protocols/{protocol.id}/finalise",
                       data={"confirmed": "y", "csrf_token": auth.csrf(run_url(day))}).status_code == 403
    assert protocol_for(day.items[0]).recommendations == []


def record(client, auth, day, protocol):
    token = auth.csrf(run_url(day))
    base = f"/protocols/{protocol.id}"
    assert client.post(f"{base}/recommendations", data={
        "csrf_token": token, "text": "Ammatillisen kuntoutuksen selvitys",
        "service_id": str(day.service.id)}).status_code == 303
    assert client.post(f"{base}/action-items", data={
        "csrf_token": token, "what": "Hakemus Kelaan", "responsible": f"u-{day.member.id}",
        "due_on": (today() + timedelta(days=14)).isoformat()}).status_code == 303
    organisation = protocol.request.referrer.organisation
    assert client.post(f"{base}/action-items", data={
        "csrf_token": token, "what": "Työkokeilupaikka", "responsible": f"o-{organisation.id}",
        "due_on": ""}).status_code == 303
    assert client.post(f"{base}/outcome", data={
        "csrf_token": token, "attendees": "Koordinaattori, psykologi", "path": "rehabilitation",
        "follow_up_on": (today() + timedelta(days=90)).isoformat()}).status_code == 303


def test_recording_and_finalising_a_case(client, auth, day):
    start(client, auth, day)
    protocol = protocol_for(day.items[0])
    record(client, auth, day, protocol)
    protocol = protocol_for(day.items[0])
    assert [r.service_id for r in protocol.recommendations] == [day.service.id]
    assert [(a.responsible_user_id, a.responsible_organisation_id is not None)
            for a in protocol.action_items] == [(day.member.id, False), (None, True)]
    assert (protocol.path, protocol.attendees) == ("rehabilitation", "Koordinaattori, psykologi")
    page = client.get(run_url(day, day.items[0]) + "&lang=en")
    assert "Vocational rehabilitation" in page.text and "Hakemus Kelaan" in page.text
    response = client.post(f"/protocols/{protocol.id}/finalise",
                           data={"confirmed": "y", "csrf_token": auth.csrf(run_url(day))})
    assert response.status_code == 303
    protocol = protocol_for(day.items[0])
    request = protocol.request
    assert protocol.is_final and request.state == "discussed"
    assert db.session.scalar(select(Notification).where(
        Notification.user_id == request.referrer_id, Notification.request_id == request.id,
        Notification.kind == "finalise_protocol")) is not None
    db.session.refresh(day.meeting)
    assert day.meeting.state == "held"  # the second case is still open
    second = protocol_for(day.items[1])
    client.post(f"/protocols/{second.id}/finalise", data={"confirmed": "y", "csrf_token": auth.csrf(run_url(day))})
    db.session.refresh(day.meeting)
    assert day.meeting.state == "protocol_finalised"


def test_bad_input_is_refused_next_to_the_field_and_kept(client, auth, day):
    start(client, auth, day)
    protocol = protocol_for(day.items[0])
    token = auth.csrf(run_url(day))
    page = client.post(f"/protocols/{protocol.id}/action-items?lang=en", data={
        "csrf_token": token, "what": "Soita asiakkaalle", "responsible": "", "due_on": "huomenna"})
    assert page.status_code == 422
    assert "Choose who is responsible." in page.text and "Soita asiakkaalle" in page.text
    assert 'aria-invalid="true"' in page.text
    page = client.post(f"/protocols/{protocol.id}/recommendations?lang=en",
                       data={"csrf_token": token, "text": "  "})
    assert page.status_code == 422 and "Write the recommendation." in page.text
    assert protocol_for(day.items[0]).action_items == []


def test_nothing_final_changes_by_any_route(client, auth, day):
    start(client, auth, day)
    protocol = protocol_for(day.items[0])
    record(client, auth, day, protocol)
    client.post(f"/protocols/{protocol.id}/finalise", data={"confirmed": "y", "csrf_token": auth.csrf(run_url(day))})
    final = protocol_for(day.items[0])
    before = (dict(final.notes), final.revision, final.path, final.follow_up_on, final.attendees,
              [r.text for r in final.recommendations], [a.what for a in final.action_items],
              final.finalised_at)
    token = auth.csrf(run_url(day))
    base = f"/protocols/{final.id}"
    attempts = {
        f"{base}/notes": {"revision": str(final.revision), "general": "muutos"},
        f"{base}/notes/autosave": {"revision": str(final.revision), "general": "muutos"},
        f"{base}/outcome": {"attendees": "muutos", "path": "work", "follow_up_on": ""},
        f"{base}/recommendations": {"text": "lisäys"},
        f"{base}/recommendations/{final.recommendations[0].id}/remove": {},
        f"{base}/action-items": {"what": "lisäys", "responsible": f"u-{day.member.id}"},
        f"{base}/finalise": {"confirmed": "y"},
    }
    for url, data in attempts.items():
        response = client.post(url, data=dict(data, csrf_token=token))
        assert response.status_code in (409, 422), url
    final = protocol_for(day.items[0])
    assert (dict(final.notes), final.revision, final.path, final.follow_up_on, final.attendees,
            [r.text for r in final.recommendations], [a.what for a in final.action_items],
            final.finalised_at) == before
    # The correction is an addendum with its author and time.
    assert client.post(f"{base}/addenda", data={"csrf_token": token, "text": "Korjaus"}
                       ).status_code == 303
    final = protocol_for(day.items[0])
    assert [(a.text, a.author_id) for a in final.addenda] == [("Korjaus", day.coordinator.id)]
    assert "Korjaus" in client.get(run_url(day, day.items[0])).text


def test_carry_over_moves_the_case_and_its_notes_to_the_next_meeting(client, auth, day):
    start(client, auth, day)
    item = day.items[1]
    protocol = protocol_for(item)
    records.save_notes(protocol, {"general": "Kesken jäi"}, expected_revision=0,
                       by=day.coordinator)
    db.session.commit()
    response = client.post(f"/meetings/{day.meeting.id}/items/{item.id}/carry-over",
                           data={"csrf_token": auth.csrf(run_url(day))})
    assert response.status_code == 303
    db.session.expire_all()
    moved = agenda.on_agenda(day.following)
    assert [m.request_id for m in moved] == [item.request_id]
    assert db.session.get(Protocol, protocol.id).agenda_item_id == moved[0].id
    assert "This case was carried over" in client.get(run_url(day, item) + "&lang=en").text
    first = protocol_for(day.items[0])
    client.post(f"/protocols/{first.id}/finalise", data={"confirmed": "y", "csrf_token": auth.csrf(run_url(day))})
    db.session.refresh(day.meeting)
    assert day.meeting.state == "protocol_finalised"


def test_the_whole_meetings_protocol_for_the_team(client, auth, day):
    start(client, auth, day)
    protocol = protocol_for(day.items[0])
    record(client, auth, day, protocol)
    client.post(f"/protocols/{protocol.id}/finalise", data={"confirmed": "y", "csrf_token": auth.csrf(run_url(day))})
    auth.logout()
    auth.login(day.member)
    page = client.get(f"/meetings/{day.meeting.id}/protocol?lang=en")
    assert page.status_code == 200
    assert "Hakemus Kelaan" in page.text and "Rehabilitation" in page.text
    assert "not finalised" in page.text  # the second case
    auth.logout()
    auth.login(day.items[0].request.referrer)
    assert client.get(f"/meetings/{day.meeting.id}/protocol").status_code == 403


def test_a_paused_case_can_still_have_its_discussion_recorded(client, auth, day):
    """Consent withdrawn after the case was put on the agenda: what was discussed is
    still recorded and finalised (SPEC §3); sharing it further is what stops."""
    from consult.consents.services import withdraw_consent

    start(client, auth, day)
    request = day.items[0].request
    for consent in request.client.consents:
        withdraw_consent(consent, on=today(), reason="Asiakas perui", by=request.referrer)
    consultations.refresh_pauses_for_client(request.client, by=request.referrer)
    db.session.commit()
    db.session.refresh(request)
    assert request.is_paused
    protocol = protocol_for(day.items[0])
    page = client.get(run_url(day, day.items[0]) + "&lang=en")
    assert "paused: consent no longer covers the case" in page.text
    client.post(f"/protocols/{protocol.id}/notes",
                data=notes_data(protocol, auth, day, general="Keskusteltu ennen perumista"))
    client.post(f"/protocols/{protocol.id}/finalise", data={"confirmed": "y", "csrf_token": auth.csrf(run_url(day))})
    final = protocol_for(day.items[0])
    assert final.is_final and final.notes == {"general": "Keskusteltu ennen perumista"}


def test_dates_in_the_past_are_refused_next_to_their_field(client, auth, day):
    start(client, auth, day)
    protocol = protocol_for(day.items[0])
    yesterday = (today() - timedelta(days=1)).isoformat()
    page = client.post(f"/protocols/{protocol.id}/outcome?lang=en", data={
        "csrf_token": auth.csrf(run_url(day)), "attendees": "Tiimi", "path": "work",
        "follow_up_on": yesterday})
    assert page.status_code == 422
    assert "The follow-up date cannot be in the past." in page.text
    assert f'value="{yesterday}"' in page.text
    assert protocol_for(day.items[0]).path is None


def test_attendance_keeps_the_people_of_cases_already_finalised(client, auth, day):
    start(client, auth, day)
    referrer = day.items[0].request.referrer
    client.post(f"/meetings/{day.meeting.id}/attendance", data={
        "csrf_token": auth.csrf(run_url(day)), "present": [f"u-{referrer.id}"],
        "return_item": str(day.items[0].id)})
    protocol = protocol_for(day.items[0])
    client.post(f"/protocols/{protocol.id}/finalise", data={"confirmed": "y", "csrf_token": auth.csrf(run_url(day))})
    page = client.get(run_url(day, day.items[1]))
    assert f'value="u-{referrer.id}" checked' in page.text
    client.post(f"/meetings/{day.meeting.id}/attendance", data={
        "csrf_token": auth.csrf(run_url(day)),
        "present": [f"u-{referrer.id}", f"u-{day.coordinator.id}"]})
    db.session.refresh(day.meeting)
    present = {a.user_id for a in day.meeting.attendances if a.attended}
    assert present == {referrer.id, day.coordinator.id}


def test_finalising_needs_the_box_ticked(client, auth, day):
    start(client, auth, day)
    protocol = protocol_for(day.items[0])
    page = client.post(f"/protocols/{protocol.id}/finalise?lang=en",
                       data={"csrf_token": auth.csrf(run_url(day))})
    assert page.status_code == 422 and "Tick the box to confirm." in page.text
    assert not protocol_for(day.items[0]).is_final
    assert protocol_for(day.items[0]).request.state == "scheduled"

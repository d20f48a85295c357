"""The end of flow 4 (SPEC §4) through the pages: after a booked consultation the
physician writes and signs a consultation note; for a written-statement request, the
statement. Signing moves the request to discussed, notifies the referrer and makes the
record immutable; corrections are addenda."""
from __future__ import annotations

from sqlalchemy import select

from consult.consultations import services as consultations
from consult.consultations.models import Notification
from consult.extensions import db
from consult.protocols.models import Protocol
from consult.scheduling import booking
from tests import factories


def booked(physician, mode="phone"):
    request = factories.create_submitted_request(physician=physician, mode=mode)
    booking.book(request, factories.create_slot(physician, mode=mode), physician)
    db.session.commit()
    return request


def record_of(request) -> Protocol | None:
    db.session.expire_all()
    return db.session.scalar(select(Protocol).where(Protocol.request_id == request.id))


def test_the_physician_writes_and_signs_a_consultation_note(client, auth):
    physician = factories.create_user("physician")
    request = booked(physician)
    auth.login(physician)
    assert f"/requests/{request.id}/record" in client.get(f"/requests/{request.id}?lang=en").text
    page = client.get(f"/requests/{request.id}/record?lang=en")
    assert page.status_code == 200
    assert "Answer to the question" in page.text and "Sign the consultation note" in page.text
    note = record_of(request)
    assert note.kind == "note"
    token = auth.csrf(f"/requests/{request.id}/record")
    base = f"/protocols/{note.id}"
    assert client.post(f"{base}/notes", data={"csrf_token": token, "revision": "0",
                                              "question": "Työkyky riittää osa-aikatyöhön."}
                       ).status_code == 303
    assert client.post(f"{base}/action-items", data={
        "csrf_token": token, "what": "Työterveysneuvottelu", "responsible":
        f"u-{request.referrer_id}"}).status_code == 303
    assert client.post(f"{base}/finalise", data={"confirmed": "y", "csrf_token": token}).status_code == 303
    note = record_of(request)
    assert note.is_final and note.request.state == "discussed"
    assert note.notes == {"question": "Työkyky riittää osa-aikatyöhön."}
    assert db.session.scalar(select(Notification).where(
        Notification.user_id == request.referrer_id, Notification.kind == "sign_note"))
    page = client.get(f"/requests/{request.id}/record?lang=en")
    assert "Työkyky riittää osa-aikatyöhön." in page.text and 'id="add-addendum"' in page.text
    assert 'id="save-notes"' not in page.text
    # Signed means signed: no route changes it; an addendum is the correction.
    assert client.post(f"{base}/notes", data={"csrf_token": token, "revision": "1",
                                              "question": "muutos"}).status_code == 422
    assert client.post(f"{base}/addenda", data={"csrf_token": token, "text": "Lisäys"}
                       ).status_code == 303
    assert record_of(request).notes == {"question": "Työkyky riittää osa-aikatyöhön."}
    assert [a.text for a in record_of(request).addenda] == ["Lisäys"]


def test_the_physician_signs_a_written_statement(client, auth):
    physician = factories.create_user("physician")
    request = factories.create_submitted_request(physician=physician, mode="written_statement")
    consultations.perform(request, "accept", physician)
    db.session.commit()
    auth.login(physician)
    page = client.get(f"/requests/{request.id}/record?lang=en")
    assert "Sign the written statement" in page.text
    statement = record_of(request)
    assert statement.kind == "statement"
    client.post(f"/protocols/{statement.id}/finalise",
                data={"confirmed": "y", "csrf_token": auth.csrf(f"/requests/{request.id}/record")})
    assert record_of(request).is_final and record_of(request).request.state == "discussed"


def test_no_note_before_the_consultation_is_booked(client, auth):
    physician = factories.create_user("physician")
    request = factories.create_submitted_request(physician=physician, mode="video")
    db.session.commit()
    auth.login(physician)
    page = client.get(f"/requests/{request.id}/record?lang=en")
    assert page.status_code == 200
    assert "written once the consultation is booked" in page.text
    assert record_of(request) is None


def test_only_the_requests_own_physician_writes_it(client, auth):
    physician = factories.create_user("physician")
    request = booked(physician)
    auth.login(physician)
    client.get(f"/requests/{request.id}/record")
    note = record_of(request)
    auth.logout()
    other = factories.create_user("physician")
    db.session.commit()
    auth.login(other)
    assert client.get(f"/requests/{request.id}/record").status_code == 404
    response = client.post(f"/protocols/{note.id}/finalise",
                           data={"confirmed": "y", "csrf_token": auth.csrf("/")})
    assert response.status_code == 404
    assert record_of(request).finalised_at is None
    auth.logout()
    auth.login(request.referrer)
    assert client.get(f"/requests/{request.id}/record").status_code == 403

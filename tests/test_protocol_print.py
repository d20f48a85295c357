"""A case's final record on paper (SPEC §4 flow 6): the protocol or consultation note
as a PDF for the professionals, and a plain-language summary for the client in the
client's language. The PDFs are read back with pypdf."""
from __future__ import annotations

import io
from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask_babel import force_locale, gettext
from pypdf import PdfReader
from sqlalchemy import select

from consult.audit.models import AuditEvent
from consult.catalogue.models import Service
from consult.consultations import services as consultations
from consult.extensions import db
from consult.i18n import fmt_date
from consult.meetings import agenda
from consult.protocols import services as records
from consult.scheduling import booking
from consult.timeutil import today, utcnow
from tests import factories

NOTE = "Selkäkipu rajoittaa nostamista."


def pdf_text(response) -> str:
    """The PDF's text with its line breaks and spacing evened out."""
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) >= 1
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def shown(app, value, lang: str) -> str:
    """A date as the app writes it in that language."""
    with app.test_request_context(), force_locale(lang):
        return fmt_date(value)


def in_language(app, lang: str, message: str) -> str:
    with app.test_request_context(), force_locale(lang):
        return gettext(message)


def service() -> Service:
    found = Service(category="kela", organisation_kind="kela", name_fi="Ammatillinen kuntoutus",
                    name_sv="Yrkesinriktad rehabilitering", name_en="Vocational rehabilitation",
                    description_fi="Kelan tukea työhön paluuseen.",
                    description_sv="FPA:s stöd för att återgå till arbetet.",
                    description_en="Kela's support for returning to work.")
    db.session.add(found)
    db.session.flush()
    return found


def fill(protocol, by, *, service, referrer, organisation, due, follow_up):
    records.save_notes(protocol, {"health": NOTE}, expected_revision=protocol.revision, by=by)
    records.add_recommendation(protocol, "Työkokeilu kaupan alalla", service=service, by=by)
    records.add_recommendation(protocol, "Kuntoutustutkimus keväällä", by=by)
    records.add_action_item(protocol, "Hakemus Kelaan", responsible_user=referrer,
                            due_on=due[0], by=by)
    records.add_action_item(protocol, "Työkokeilupaikan haku",
                            responsible_organisation=organisation, due_on=due[1], by=by)
    records.set_outcome(protocol, path="rehabilitation", follow_up_on=follow_up,
                        attendees="Koordinaattori, jäsen, lähettäjä", by=by)


@pytest.fixture
def case(app):
    """A team case with a finalised protocol, and a physician's signed consultation
    note, both of the same referrer (who reads Finnish) and client."""
    referrer = factories.create_user("referrer", language="fi")
    client = factories.create_client(by=referrer, first_names="Aino", last_name="Virtanen")
    coordinator = factories.create_user("coordinator")
    team = factories.create_team(coordinators=[coordinator],
                                 members=[factories.create_user("member")])
    linked = service()
    due = (today() + timedelta(days=14), today() + timedelta(days=30))
    follow_up = today() + timedelta(days=90)

    request = factories.create_submitted_request(team=team, referrer=referrer, client=client)
    consultations.perform(request, "accept", coordinator)
    meeting = factories.create_meeting(team, starts_at=utcnow() - timedelta(minutes=5))
    agenda.add_item(meeting, request, by=coordinator)
    agenda.send_agenda(meeting, by=coordinator)
    records.start_meeting(meeting, by=coordinator)
    protocol = records.protocol_of(request, meeting.items[0])
    fill(protocol, coordinator, service=linked, referrer=referrer,
         organisation=team.host_organisation, due=due, follow_up=follow_up)
    records.finalise(protocol, by=coordinator)

    physician = factories.create_user("physician")
    note_request = factories.create_submitted_request(physician=physician, mode="phone",
                                                      referrer=referrer, client=client)
    booking.book(note_request, factories.create_slot(physician, mode="phone"), physician)
    note = records.protocol_of(note_request)
    fill(note, physician, service=linked, referrer=referrer,
         organisation=referrer.organisation, due=due, follow_up=follow_up)
    records.finalise(note, by=physician)
    db.session.commit()
    return SimpleNamespace(referrer=referrer, client=client, coordinator=coordinator, team=team,
                           request=request, protocol=protocol, physician=physician,
                           note_request=note_request, note=note, service=linked, due=due,
                           follow_up=follow_up)


def fetch(client, auth, user, url):
    auth.login(user)
    return client.get(url)


def test_referrer_prints_the_team_protocol_with_recommendations_and_due_dates(
        app, client, auth, case):
    response = fetch(client, auth, case.referrer, f"/requests/{case.request.id}/protocol.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'inline; filename="protocol-request-{case.request.id}.pdf"'
    assert "Virtanen" not in disposition and case.client.identity_code not in disposition
    text = pdf_text(response)
    for expected in ("Työkokeilu kaupan alalla", "Kuntoutustutkimus keväällä",
                     "Ammatillinen kuntoutus", "Hakemus Kelaan", "Työkokeilupaikan haku",
                     shown(app, case.due[0], "fi"), shown(app, case.due[1], "fi"),
                     shown(app, case.follow_up, "fi"), NOTE, "Aino Virtanen",
                     case.team.name, case.team.host_organisation.name, case.referrer.name):
        assert expected in text, expected


def test_printing_is_an_audited_export(client, auth, case):
    fetch(client, auth, case.referrer, f"/requests/{case.request.id}/protocol.pdf")
    client.get(f"/requests/{case.request.id}/summary.pdf")
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")
                                .order_by(AuditEvent.id)).all()
    assert [(e.object_type, e.object_id, e.client_id, e.purpose, e.user_id) for e in events] == [
        ("protocol", case.protocol.id, case.client.id, "protocol_print", case.referrer.id),
        ("protocol", case.protocol.id, case.client.id, "client_summary_print", case.referrer.id)]


def test_the_physicians_signed_note_prints_for_its_referrer(app, client, auth, case):
    response = fetch(client, auth, case.referrer,
                     f"/requests/{case.note_request.id}/protocol.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response)
    for expected in ("Työkokeilu kaupan alalla", "Hakemus Kelaan", case.physician.name,
                     shown(app, case.due[0], "fi"), shown(app, case.due[1], "fi")):
        assert expected in text, expected


def test_the_team_that_wrote_it_may_print_it_too(client, auth, case):
    response = fetch(client, auth, case.coordinator, f"/requests/{case.request.id}/protocol.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"


@pytest.mark.parametrize("lang, service_name", [
    ("fi", "Ammatillinen kuntoutus"), ("sv", "Yrkesinriktad rehabilitering"),
    ("en", "Vocational rehabilitation")])
def test_client_summary_speaks_the_clients_language(app, client, auth, case, lang, service_name):
    case.client.preferred_language = lang
    db.session.commit()
    response = fetch(client, auth, case.referrer, f"/requests/{case.request.id}/summary.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'inline; filename="summary-request-{case.request.id}.pdf"'
    text = pdf_text(response)
    for expected in (in_language(app, lang, "What we agreed with you"),
                     in_language(app, lang, "Who does what and by when"),
                     service_name, case.service.description_in(lang),
                     "Työkokeilu kaupan alalla", "Hakemus Kelaan",
                     shown(app, case.due[0], lang), shown(app, case.due[1], lang),
                     shown(app, case.follow_up, lang), case.referrer.name,
                     case.referrer.organisation.name):
        assert expected in text, expected
    reader = PdfReader(io.BytesIO(response.data))
    assert reader.trailer["/Root"].get("/Lang") == lang


def test_client_summary_leaves_out_the_professionals_notes_and_the_identity_code(
        client, auth, case):
    response = fetch(client, auth, case.referrer, f"/requests/{case.request.id}/summary.pdf")
    text = pdf_text(response)
    assert NOTE not in text and "Koordinaattori, jäsen" not in text
    assert case.client.identity_code not in text
    assert "Aino Virtanen" in text  # addressed to the client


def test_client_summary_is_in_finnish_when_the_client_speaks_another_language(
        app, client, auth, case):
    case.client.preferred_language = "other"
    db.session.commit()
    response = fetch(client, auth, case.referrer, f"/requests/{case.request.id}/summary.pdf")
    assert shown(app, case.due[0], "fi") in pdf_text(response)


@pytest.mark.parametrize("document", ["protocol.pdf", "summary.pdf"])
def test_another_organisations_referrer_gets_404_and_a_denied_audit_row(
        client, auth, case, document):
    outsider = factories.create_user("referrer")
    db.session.commit()
    response = fetch(client, auth, outsider, f"/requests/{case.request.id}/{document}")
    assert response.status_code == 404
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.outcome, event.user_id, event.client_id) == ("denied", outsider.id,
                                                               case.client.id)
    assert not db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export"))


@pytest.mark.parametrize("document", ["protocol.pdf", "summary.pdf"])
def test_a_case_without_a_final_record_answers_404(client, auth, document):
    referrer = factories.create_user("referrer")
    team = factories.create_team(coordinators=[factories.create_user("coordinator")])
    request = factories.create_submitted_request(team=team, referrer=referrer)
    db.session.commit()
    response = fetch(client, auth, referrer, f"/requests/{request.id}/{document}")
    assert response.status_code == 404
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.outcome, event.object_id) == ("denied", request.id)


@pytest.mark.parametrize("document", ["protocol.pdf", "summary.pdf"])
def test_managers_and_admins_get_403(client, auth, case, document):
    manager = factories.create_user("manager", "admin", organisation=case.referrer.organisation)
    db.session.commit()
    response = fetch(client, auth, manager, f"/requests/{case.request.id}/{document}")
    assert response.status_code == 403


def test_a_printed_record_fetches_nothing_whatever_its_text_points_to(app):
    """Text that became markup by some mistake could point the renderer at any URL:
    a local HTTP server counts the requests the PDF renderer makes (none)."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from consult.protocols.print_views import _render_pdf

    requests = []

    class Counting(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            requests.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    html = (f'<html><head><link rel="stylesheet" href="{base}/style.css">'
            f'<style>@import url("{base}/import.css"); body {{ background: url("{base}/bg.png") }}'
            f'</style></head><body><p>Teksti</p><img src="{base}/image.png">'
            f'<img src="file:///etc/hostname"></body></html>')
    try:
        with app.test_request_context():
            pdf = _render_pdf(html)
    finally:
        server.shutdown()
        server.server_close()
    assert pdf.startswith(b"%PDF")
    assert requests == []

"""The end of flow 4 of SPEC §4 in a real browser: after a booked phone appointment
the physician opens the request, follows the link to the consultation note, writes the
answer to the question, a recommendation and an action item, and signs; the signed
note is read-only and takes addenda. The same, shorter, for a written statement.
axe-core finds nothing on the record page before or after signing."""
from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from consult.extensions import db
from tests import factories
from tests.browser.conftest import assert_no_axe_violations, sign_in

pytestmark = pytest.mark.browser

QUESTION = "Kestääkö selkä kaupan kassatyötä?"


PREFORM = {"wishes_goals.wishes_goals": "Haluaa palata kassatyöhön osa-aikaisesti.",
           "question.question": QUESTION}


@pytest.fixture
def physician_world(app):
    """A physician with a booked phone appointment and an accepted written-statement
    request, and a catalogue service; committed for the live server. Only ids and
    e-mails leave the fixture."""
    from consult.catalogue.models import Service
    from consult.consultations import services as consultations
    from consult.scheduling import booking

    physician = factories.create_user("physician", name="Liisa Lääkäri")
    appointment = factories.create_submitted_request(physician=physician, mode="phone",
                                                     draft=dict(PREFORM))
    booking.book(appointment, factories.create_slot(physician, mode="phone",
                                                    location="+358 40 123 4567"), physician)
    statement = factories.create_submitted_request(physician=physician, mode="written_statement")
    consultations.perform(statement, "accept", physician)
    service = Service(category="kela", organisation_kind="kela", name_fi="Ammatillinen kuntoutus",
                      name_sv="Yrkesinriktad rehabilitering", name_en="Vocational rehabilitation")
    db.session.add(service)
    db.session.flush()
    world = SimpleNamespace(email=physician.email, physician_id=physician.id,
                            appointment_id=appointment.id, statement_id=statement.id,
                            referrer_id=appointment.referrer_id, service_id=service.id)
    db.session.commit()
    return world


def record_of(request_id: int):
    """The request's record and state as the server committed them, as plain values."""
    from consult.consultations.models import ConsultationRequest
    from consult.protocols.models import Protocol

    db.session.rollback()
    db.session.expire_all()  # nothing from the identity map: what the server committed
    try:
        request = db.session.get(ConsultationRequest, request_id)
        p = db.session.scalar(select(Protocol).where(Protocol.request_id == request_id))
        return SimpleNamespace(
            request_state=request.state, kind=p.kind if p else None,
            is_final=bool(p and p.is_final), notes=dict(p.notes or {}) if p else {},
            recommendations=[(r.text, r.service_id) for r in p.recommendations] if p else [],
            action_items=[(a.what, a.responsible_user_id, a.due_on) for a in p.action_items]
            if p else [],
            addenda=[a.text for a in p.addenda] if p else [])
    finally:
        db.session.rollback()


def settled_record(page, request_id: int, tries: int = 20):
    """The record once the request's state has caught up with it: on a loaded machine
    the test's reads (each its own SQLite statement) may straddle the server's work."""
    for _ in range(tries):
        record = record_of(request_id)
        if record.request_state == "discussed":
            return record
        page.wait_for_timeout(250)
    return record_of(request_id)


def autosave_response(page):
    return page.expect_response(lambda r: r.url.endswith("/notes/autosave")
                                and r.request.method == "POST")


def add_addendum(page, text: str) -> None:
    page.get_by_role("textbox", name="Addendum", exact=True).fill(text)
    with page.expect_navigation():
        page.locator("#add-addendum").click()
    expect(page.get_by_text("Addendum added.")).to_be_visible()
    expect(page.locator("#addenda .addenda")).to_contain_text(text)
    expect(page.locator("#addenda .addenda")).to_contain_text("Liisa Lääkäri")


def test_flow_4_physician_writes_and_signs_the_consultation_note(physician_world, live_server,
                                                                 page):
    from consult.timeutil import today

    world = physician_world
    sign_in(page, live_server, world.email, f"/requests/{world.appointment_id}?lang=en")
    with page.expect_navigation():
        page.get_by_role("link", name="Write and sign the consultation note").click()
    assert page.url.split("?")[0].endswith(f"/requests/{world.appointment_id}/record")
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        f"Consultation note: request {world.appointment_id}")
    expect(page.locator(".run-focus")).to_contain_text(QUESTION)
    assert_no_axe_violations(page)

    answer = page.get_by_label("Answer to the question", exact=True)
    with autosave_response(page) as saved:
        answer.fill("Kassatyö onnistuu, kun tauot ovat säännöllisiä.")
    assert saved.value.status == 200
    expect(page.locator("#notes-status")).to_contain_text("Notes saved automatically")

    page.get_by_role("textbox", name="Recommendation", exact=True).fill(
        "Työkokeilu kaupan kassalla")
    page.get_by_label("Service from the catalogue").select_option(label="Vocational rehabilitation")
    with page.expect_navigation():
        page.locator("#add-recommendation").click()
    expect(page.get_by_text("Recommendation added.")).to_be_visible()
    expect(page.locator("#recommendations")).to_contain_text("Työkokeilu kaupan kassalla")

    due = today() + timedelta(days=30)
    page.get_by_role("textbox", name="What is to be done", exact=True).fill(
        "Työterveysneuvottelu työnantajan kanssa")
    page.get_by_role("combobox", name="Responsible", exact=True).select_option(
        value=f"u-{world.referrer_id}")
    page.get_by_label("Due date").fill(due.isoformat())
    with page.expect_navigation():
        page.locator("#add-action-item").click()
    expect(page.get_by_text("Action item added.")).to_be_visible()
    expect(page.locator("#action-items")).to_contain_text("Työterveysneuvottelu työnantajan kanssa")
    expect(answer).to_have_value("Kassatyö onnistuu, kun tauot ovat säännöllisiä.")

    sign = page.get_by_role("button", name="Sign the consultation note")
    expect(sign).to_have_id("finalise-button")
    page.locator("#confirmed").check()  # finalising cannot be undone
    with page.expect_navigation():
        sign.click()
    expect(page.get_by_text("Signed.", exact=True)).to_be_visible()

    note = record_of(world.appointment_id)
    assert note.kind == "note" and note.is_final and note.request_state == "discussed"
    assert note.notes == {"question": "Kassatyö onnistuu, kun tauot ovat säännöllisiä."}
    assert note.recommendations == [("Työkokeilu kaupan kassalla", world.service_id)]
    assert note.action_items == [("Työterveysneuvottelu työnantajan kanssa", world.referrer_id,
                                  due)]

    # Read-only: what was written is text now; only the addendum form remains.
    record = page.locator("#record")
    expect(record.get_by_role("heading", level=2)).to_contain_text("signed")
    for control in ("#save-notes", "#add-recommendation", "#add-action-item",
                    "#finalise-button"):
        expect(page.locator(control)).to_have_count(0)
    expect(record.locator("textarea[name=question]")).to_have_count(0)
    for text in ("Answer to the question", "Kassatyö onnistuu, kun tauot ovat säännöllisiä.",
                 "Työkokeilu kaupan kassalla", "Vocational rehabilitation"):
        expect(record).to_contain_text(text)
    expect(page.locator("#add-addendum")).to_be_visible()
    assert_no_axe_violations(page)

    add_addendum(page, "Lisäys: puhelu kesti 20 minuuttia.")
    assert_no_axe_violations(page)
    assert record_of(world.appointment_id).addenda == ["Lisäys: puhelu kesti 20 minuuttia."]

    # The request page now leads to the signed note.
    page.goto(f"{live_server}/requests/{world.appointment_id}?lang=en")
    expect(page.get_by_role("link", name="Read the signed consultation note")).to_be_visible()


def test_flow_4_physician_writes_and_signs_a_written_statement(physician_world, live_server,
                                                               page):
    world = physician_world
    sign_in(page, live_server, world.email, f"/requests/{world.statement_id}?lang=en")
    with page.expect_navigation():
        page.get_by_role("link", name="Write and sign the statement").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        f"Written statement: request {world.statement_id}")
    assert_no_axe_violations(page)

    answer = page.get_by_label("Answer to the question", exact=True)
    answer.fill("Kuntoutus on perusteltu; työkyky palautuu asteittain.")
    with page.expect_navigation():
        page.locator("#save-notes").click()
    expect(page.get_by_text("Notes saved.")).to_be_visible()
    page.locator("#confirmed").check()  # finalising cannot be undone
    with page.expect_navigation():
        page.get_by_role("button", name="Sign the written statement").click()
    expect(page.get_by_text("Signed.", exact=True)).to_be_visible()

    statement = settled_record(page, world.statement_id)
    assert statement.kind == "statement" and statement.is_final
    assert statement.request_state == "discussed"
    assert statement.notes == {"question": "Kuntoutus on perusteltu; työkyky palautuu asteittain."}
    expect(page.locator("#record")).to_contain_text(
        "Kuntoutus on perusteltu; työkyky palautuu asteittain.")
    expect(page.locator("#finalise-button")).to_have_count(0)
    assert_no_axe_violations(page)
    add_addendum(page, "Lisäys: lausunto lähetetty Kelaan.")
    assert record_of(world.statement_id).addenda == ["Lisäys: lausunto lähetetty Kelaan."]

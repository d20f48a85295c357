"""Flow 5 of SPEC §4 in a real browser: the coordinator opens the run view on the
meeting's day, starts the meeting, writes the protocol (notes autosave, recommendation
linked to a catalogue service, action item, path and follow-up), finalises, carries a
case over and adds an addendum. Autosave loses nothing on a network error or an ended
session; a conflict with a team member shows both texts; everything works by keyboard;
axe-core finds nothing in English or Finnish."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, select

from consult.extensions import db
from tests import factories
from tests.browser.conftest import assert_no_axe_violations, sign_in, tab_to, translated

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp")


# --- the world: a meeting today, its agenda sent, two cases on it ------------------------

@pytest.fixture
def meeting_day(app):
    """A meeting of the team that started five minutes ago with its agenda sent and two
    cases on it, the next meeting of its series (for carrying over) and a catalogue
    service; committed, so that the live server sees it. Only ids leave the fixture:
    the test's own session holds no transaction while the browser works."""
    coordinator = factories.create_user("coordinator", name="Kaisa Koordinaattori")
    member = factories.create_user("member", name="Pekka Psykologi")
    team, meeting, following, items, service = factories.create_meeting_day(
        coordinator, member, preforms=[(f"Haluaa palata kaupan alalle ({n})",
                                        f"Mikä kuntoutus sopisi ({n})?") for n in (1, 2)])
    world = SimpleNamespace(
        coordinator_email=coordinator.email, member_email=member.email,
        coordinator_id=coordinator.id, member_id=member.id, meeting_id=meeting.id,
        following_id=following.id, item_ids=[i.id for i in items],
        request_ids=[i.request_id for i in items], service_id=service.id)
    db.session.commit()
    return world


def run_url(live_server, world, item_index: int | None = None, lang: str = "en") -> str:
    url = f"{live_server}/meetings/{world.meeting_id}/run?lang={lang}"
    if item_index is not None:
        url += f"&item={world.item_ids[item_index]}"
    return url


# --- reading what the server committed -----------------------------------------------------

def protocol_of_item(item_id: int):
    """The protocol now on the agenda item, as plain values (None if there is none)."""
    from consult.protocols.models import Protocol

    db.session.rollback()  # a fresh read of what the server committed
    db.session.expire_all()
    try:
        p = db.session.scalar(select(Protocol).where(Protocol.agenda_item_id == item_id))
        if p is None:
            return None
        return SimpleNamespace(
            id=p.id, notes=dict(p.notes or {}), revision=p.revision, is_final=p.is_final,
            path=p.path, follow_up_on=p.follow_up_on, attendees=p.attendees,
            recommendations=[(r.text, r.service_id) for r in p.recommendations],
            action_items=[(a.what, a.responsible_user_id, a.due_on) for a in p.action_items],
            addenda=[a.text for a in p.addenda], request_state=p.request.state)
    finally:
        db.session.rollback()


def meeting_facts(meeting_id: int):
    from consult.meetings.models import AgendaItem, Meeting

    db.session.rollback()
    db.session.expire_all()  # nothing from the identity map: what the server committed
    try:
        meeting = db.session.get(Meeting, meeting_id)
        items = db.session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)
                                   .order_by(AgendaItem.position)).all()
        return SimpleNamespace(state=meeting.state,
                               items=[(i.request_id, i.state) for i in items])
    finally:
        db.session.rollback()


def end_sessions_of(email: str) -> None:
    """The server forgets the user's login sessions (as on an idle timeout or logout
    elsewhere): the browser's cookie is worth nothing from now on."""
    from consult.accounts.models import LoginSession, User

    db.session.rollback()
    user_id = db.session.scalar(select(User.id).where(User.email == email))
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
    db.session.commit()


# --- browser helpers ---------------------------------------------------------------------

def start_meeting(page, live_server, world, lang: str = "en") -> None:
    page.goto(run_url(live_server, world, lang=lang))
    with page.expect_navigation():
        page.locator("#start-meeting").click()
    expect(page.locator(".flash.hds-notification--success")).to_be_visible()
    expect(page.locator("#save-notes")).to_be_visible()


def autosave_response(page):
    return page.expect_response(lambda r: r.url.endswith("/notes/autosave")
                                and r.request.method == "POST")


SECTIONS = {"background": "1. Background", "health": "3. Health and functional capacity",
            "life": "4. Life situation"}


def note_field(page, t, section: str):
    """A notes field found by its visible label, e.g. "Notes: 3. Health and functional
    capacity"."""
    return page.get_by_label(t("Notes: %(section)s", section=t(SECTIONS[section])), exact=True)


def wait_for_notes(page, item_id: int, expected: dict, tries: int = 40) -> None:
    """Autosaves run one after another; the last one may still be on its way."""
    for _ in range(tries):
        if protocol_of_item(item_id).notes == expected:
            return
        page.wait_for_timeout(250)
    assert protocol_of_item(item_id).notes == expected


def date_today():
    from consult.timeutil import today

    return today()


def texts(app, lang):
    return lambda msgid, **values: translated(app, lang, msgid, **values)


# --- 1. flow 5 end to end ----------------------------------------------------------------

def test_flow_5_coordinator_runs_the_meeting_and_finalises_the_protocol(app, meeting_day,
                                                                       live_server, page):
    world, t = meeting_day, texts(app, "en")
    first_item = world.item_ids[0]
    sign_in(page, live_server, world.coordinator_email, f"/meetings/{world.meeting_id}?lang=en")
    with page.expect_navigation():
        page.get_by_role("link", name="Open the run view").click()
    assert page.url.split("?")[0].endswith(f"/meetings/{world.meeting_id}/run")
    with page.expect_navigation():
        page.get_by_role("button", name="Start the meeting").click()
    expect(page.locator(".flash.hds-notification--success")).to_contain_text(
        "The meeting has started.")
    assert meeting_facts(world.meeting_id).state == "held"

    # The frame: cases of the meeting, which case this is, the wishes and the question.
    cases = page.get_by_role("navigation", name="Cases of the meeting")
    for request_id in world.request_ids:
        expect(cases.get_by_role("link", name=f"Request {request_id}", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", level=2, name=f"Case 1 of 2: request {world.request_ids[0]}")
           ).to_be_visible()
    focus = page.locator(".run-focus")
    expect(focus).to_contain_text("Haluaa palata kaupan alalle (1)")
    expect(focus).to_contain_text("Mikä kuntoutus sopisi (1)?")
    expect(page.locator(".timer")).to_be_visible()

    # Notes in two sections, saved automatically while typing.
    health = note_field(page, t, "health")
    with autosave_response(page) as answer:
        health.fill("Selkäkipu rajoittaa seisomatyötä.")
        page.get_by_label("Other notes", exact=True).fill("Asiakas osallistui puhelimitse.")
    assert answer.value.status == 200
    expect(page.locator("#notes-status")).to_contain_text("Notes saved automatically")
    expected_notes = {"health": "Selkäkipu rajoittaa seisomatyötä.",
                      "general": "Asiakas osallistui puhelimitse."}
    wait_for_notes(page, first_item, expected_notes)

    # A recommendation pointing to a catalogue service.
    page.get_by_role("textbox", name="Recommendation", exact=True).fill(
        "Ammatillisen kuntoutuksen selvitys")
    page.get_by_label("Service from the catalogue").select_option(label="Vocational rehabilitation")
    with page.expect_navigation():
        page.locator("#add-recommendation").click()
    expect(page.get_by_text("Recommendation added.")).to_be_visible()
    expect(page.locator("#recommendations")).to_contain_text("Ammatillisen kuntoutuksen selvitys")
    expect(page.locator("#recommendations")).to_contain_text("Vocational rehabilitation")

    # An action item for a team member, with a due date.
    due = (date_today() + timedelta(days=14))
    page.get_by_role("textbox", name="What is to be done", exact=True).fill("Hakemus Kelaan")
    page.get_by_role("combobox", name="Responsible", exact=True).select_option(
        value=f"u-{world.member_id}")
    page.get_by_label("Due date").fill(due.isoformat())
    with page.expect_navigation():
        page.locator("#add-action-item").click()
    expect(page.get_by_text("Action item added.")).to_be_visible()
    expect(page.locator("#action-items")).to_contain_text("Hakemus Kelaan")
    expect(page.locator("#action-items")).to_contain_text("Pekka Psykologi")

    # Attendees, path and follow-up date.
    follow_up = date_today() + timedelta(days=90)
    page.get_by_label("Attendees", exact=True).fill("Kaisa Koordinaattori, Pekka Psykologi")
    page.get_by_label("Client's path").select_option(label="Rehabilitation")
    page.get_by_label("Follow-up date").fill(follow_up.isoformat())
    with page.expect_navigation():
        page.locator("#save-outcome").click()
    expect(page.get_by_text("Attendees, path and follow-up date saved.")).to_be_visible()
    # What was typed is still in the notes after these page loads.
    expect(note_field(page, t, "health")).to_have_value("Selkäkipu rajoittaa seisomatyötä.")

    page.locator("#confirmed").check()  # finalising cannot be undone
    with page.expect_navigation():
        page.locator("#finalise-button").click()
    expect(page.get_by_text("Protocol finalised.")).to_be_visible()

    final = protocol_of_item(first_item)
    assert final.is_final and final.request_state == "discussed"
    assert final.notes == expected_notes
    assert final.recommendations == [("Ammatillisen kuntoutuksen selvitys", world.service_id)]
    assert final.action_items == [("Hakemus Kelaan", world.member_id, due)]
    assert (final.path, final.follow_up_on, final.attendees) == (
        "rehabilitation", follow_up, "Kaisa Koordinaattori, Pekka Psykologi")

    # Read-only now: no form fields for the record, what was written shown as text.
    record = page.locator("#record")
    expect(record.get_by_role("heading", level=2)).to_contain_text("finalised")
    for control in ("#save-notes", "#save-outcome", "#add-recommendation", "#add-action-item",
                    "#finalise-button"):
        expect(page.locator(control)).to_have_count(0)
    expect(record.locator("textarea[name=health]")).to_have_count(0)
    for text in ("Selkäkipu rajoittaa seisomatyötä.", "Asiakas osallistui puhelimitse.",
                 "Hakemus Kelaan", "Rehabilitation", "Kaisa Koordinaattori, Pekka Psykologi"):
        expect(record).to_contain_text(text)
    expect(page.get_by_role("heading", name="Addenda")).to_be_visible()
    expect(page.locator("#timer, .timer")).to_have_count(0)

    # The next case: carried over to the next meeting of the series.
    with page.expect_navigation():
        page.get_by_role("link", name="Next case").click()
    expect(page.get_by_role("heading", level=2, name=f"Case 2 of 2: request {world.request_ids[1]}")
           ).to_be_visible()
    expect(page.locator(".run-focus")).to_contain_text("Mikä kuntoutus sopisi (2)?")
    with page.expect_navigation():
        page.locator("#carry-over").click()
    expect(page.locator(".flash.hds-notification--success")).to_contain_text(
        "The case was carried over to the meeting of")
    expect(page.get_by_text("This case was carried over to the next meeting")).to_be_visible()
    facts = meeting_facts(world.meeting_id)
    assert facts.state == "protocol_finalised"
    assert facts.items == [(world.request_ids[0], "finalised"),
                           (world.request_ids[1], "carried_over")]
    assert meeting_facts(world.following_id).items == [(world.request_ids[1], "on_agenda")]

    # An addendum to the finalised case.
    with page.expect_navigation():
        page.get_by_role("link", name="Previous case").click()
    page.get_by_role("textbox", name="Addendum", exact=True).fill("Korjaus: seuranta puhelimitse.")
    with page.expect_navigation():
        page.locator("#add-addendum").click()
    expect(page.get_by_text("Addendum added.")).to_be_visible()
    expect(page.locator("#addenda .addenda")).to_contain_text("Korjaus: seuranta puhelimitse.")
    expect(page.locator("#addenda .addenda")).to_contain_text("Kaisa Koordinaattori")
    assert protocol_of_item(first_item).addenda == ["Korjaus: seuranta puhelimitse."]
    assert protocol_of_item(first_item).notes == expected_notes


# --- 2. and 3. nothing is lost when autosave fails ---------------------------------------

def test_notes_survive_a_network_error_and_save_once_it_is_back(app, meeting_day, live_server,
                                                                 page):
    world, t = meeting_day, texts(app, "en")
    sign_in(page, live_server, world.coordinator_email)
    start_meeting(page, live_server, world)
    status = page.locator("#notes-status")
    field = note_field(page, t, "life")

    page.route("**/notes/autosave", lambda route: route.abort())
    field.fill("Asuu yksin vuokra-asunnossa.")
    expect(status).to_have_text(t("Not saved: the connection failed. Your text is still here; "
                                  "save again when the connection is back."))
    expect(field).to_have_value("Asuu yksin vuokra-asunnossa.")
    assert protocol_of_item(world.item_ids[0]).notes == {}

    page.unroute("**/notes/autosave")
    field.press("Control+End")
    with autosave_response(page) as answer:
        field.press_sequentially(" Tukiverkko pieni.")
    assert answer.value.status == 200
    expect(status).to_contain_text("Notes saved automatically")
    expect(field).to_have_value("Asuu yksin vuokra-asunnossa. Tukiverkko pieni.")
    wait_for_notes(page, world.item_ids[0],
                   {"life": "Asuu yksin vuokra-asunnossa. Tukiverkko pieni."})


def test_notes_typed_just_before_another_button_or_leaving_are_saved(app, meeting_day,
                                                                      live_server, page):
    """Within the autosave's pause after typing: adding a recommendation saves the notes
    first (and the page after it shows them), and so does leaving for the next case."""
    world, t = meeting_day, texts(app, "en")
    first, second = world.item_ids
    sign_in(page, live_server, world.coordinator_email)
    start_meeting(page, live_server, world)
    page.goto(run_url(live_server, world, 0))
    note_field(page, t, "life").fill("Asuu yksin.")
    page.get_by_role("textbox", name=t("Recommendation"), exact=True).fill("Työkokeilu")
    with page.expect_navigation():
        page.locator("#add-recommendation").click()  # at once: no autosave has run yet
    expect(page.get_by_text(t("Recommendation added."))).to_be_visible()
    expect(note_field(page, t, "life")).to_have_value("Asuu yksin.")
    assert protocol_of_item(first).notes == {"life": "Asuu yksin."}

    note_field(page, t, "life").fill("Asuu yksin; tapaa poikaansa viikoittain.")
    with page.expect_navigation():
        page.get_by_role("link", name=t("Next case")).click()
    wait_for_notes(page, first, {"life": "Asuu yksin; tapaa poikaansa viikoittain."})
    assert protocol_of_item(second).notes == {}


def test_notes_survive_an_ended_session(app, meeting_day, live_server, page):
    world, t = meeting_day, texts(app, "en")
    sign_in(page, live_server, world.coordinator_email)
    start_meeting(page, live_server, world)
    status = page.locator("#notes-status")
    field = note_field(page, t, "background")

    with autosave_response(page):
        field.fill("Sairauslomaa takana puoli vuotta.")
    expect(status).to_contain_text("Notes saved automatically")
    assert protocol_of_item(world.item_ids[0]).notes == {
        "background": "Sairauslomaa takana puoli vuotta."}

    end_sessions_of(world.coordinator_email)
    field.press("Control+End")
    with autosave_response(page) as answer:
        field.press_sequentially(" Paluu työhön keväällä.")
    assert answer.value.status in (400, 401)
    expect(status).to_have_text(t("Not saved: your session has ended. Your text is still here: "
                                  "log in again in another tab, then press Save notes."))
    expect(field).to_have_value("Sairauslomaa takana puoli vuotta. Paluu työhön keväällä.")
    assert protocol_of_item(world.item_ids[0]).notes == {
        "background": "Sairauslomaa takana puoli vuotta."}


# --- 4. a conflict between two writers ---------------------------------------------------

@pytest.mark.several_browsers
def test_a_conflict_shows_the_other_text_and_keeps_ones_own(app, meeting_day, live_server,
                                                             browser):
    world, t = meeting_day, texts(app, "en")
    coordinator_context, member_context = browser.new_context(), browser.new_context()
    try:
        coordinator = coordinator_context.new_page()
        member = member_context.new_page()
        sign_in(coordinator, live_server, world.coordinator_email)
        sign_in(member, live_server, world.member_email)
        start_meeting(coordinator, live_server, world)
        member.goto(run_url(live_server, world, 0))
        # A member writes notes only.
        expect(member.locator("#save-notes")).to_be_visible()
        expect(member.locator("#finalise-button")).to_have_count(0)
        expect(member.locator("#add-recommendation")).to_have_count(0)

        # Both pages were built on the same revision; the member saves first.
        note_field(member, t, "health").fill("Jäsenen havainto: jaksaa neljä tuntia.")
        with member.expect_navigation():
            member.locator("#save-notes").click()
        expect(member.get_by_text("Notes saved.")).to_be_visible()
        assert protocol_of_item(world.item_ids[0]).notes == {
            "health": "Jäsenen havainto: jaksaa neljä tuntia."}

        own = note_field(coordinator, t, "health")
        with autosave_response(coordinator) as answer:
            own.fill("Koordinaattorin teksti: kuntoutus ensin.")
        assert answer.value.status == 409
        panel = coordinator.get_by_role("alert")
        expect(panel).to_contain_text("Someone else saved these notes while you were writing.")
        expect(panel).to_contain_text("Jäsenen havainto: jaksaa neljä tuntia.")
        expect(coordinator.locator("#notes-status")).to_contain_text(
            "Not saved: someone else saved the notes in between.")
        expect(own).to_have_value("Koordinaattorin teksti: kuntoutus ensin.")
        assert protocol_of_item(world.item_ids[0]).notes == {
            "health": "Jäsenen havainto: jaksaa neljä tuntia."}

        # Saving with the button, having seen both texts, saves one's own.
        with coordinator.expect_navigation():
            coordinator.locator("#save-notes").click()
        expect(coordinator.get_by_text("Notes saved.")).to_be_visible()
        expect(coordinator.get_by_role("alert")).to_have_count(0)
        expect(note_field(coordinator, t, "health")).to_have_value(
            "Koordinaattorin teksti: kuntoutus ensin.")
        assert protocol_of_item(world.item_ids[0]).notes == {
            "health": "Koordinaattorin teksti: kuntoutus ensin."}
    finally:
        coordinator_context.close()
        member_context.close()


# --- 5. keyboard only --------------------------------------------------------------------

def test_the_run_view_works_with_the_keyboard_only(app, meeting_day, live_server, page):
    world, t = meeting_day, texts(app, "en")
    sign_in(page, live_server, world.coordinator_email)
    page.goto(run_url(live_server, world))

    start = page.get_by_role("button", name="Start the meeting")
    tab_to(page, start)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text("The meeting has started.")).to_be_visible()

    # The timer's button, with Space.
    timer = page.locator(".timer__toggle")
    tab_to(page, timer)
    expect(timer).to_have_text("Start the timer")
    page.keyboard.press("Space")
    expect(timer).to_have_text("Pause the timer")
    expect(page.locator(".timer__clock")).not_to_have_text("0:00", timeout=3000)

    # Notes: type into a section's field, then Save notes with Enter.
    health = note_field(page, t, "health")
    tab_to(page, health)
    page.keyboard.type("Näppäimistöllä kirjoitettu muistiinpano.")
    expect(health).to_have_value("Näppäimistöllä kirjoitettu muistiinpano.")
    save = page.locator("#save-notes")
    tab_to(page, save)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text("Notes saved.")).to_be_visible()

    # A recommendation, its service chosen with the arrow keys.
    text = page.get_by_role("textbox", name="Recommendation", exact=True)
    tab_to(page, text)
    page.keyboard.type("Työkokeilu omalla alalla")
    service = page.get_by_label("Service from the catalogue")
    page.keyboard.press("Tab")
    expect(service).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(service).to_have_value(str(world.service_id))
    tab_to(page, page.locator("#add-recommendation"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text("Recommendation added.")).to_be_visible()
    expect(page.locator("#recommendations")).to_contain_text("Työkokeilu omalla alalla")

    # Back up the page with Shift+Tab to the next case's link, and follow it.
    following = page.get_by_role("link", name="Next case")
    tab_to(page, following, backwards=True)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2, name=f"Case 2 of 2: request {world.request_ids[1]}")
           ).to_be_visible()

    saved = protocol_of_item(world.item_ids[0])
    assert saved.notes == {"health": "Näppäimistöllä kirjoitettu muistiinpano."}
    assert saved.recommendations == [("Työkokeilu omalla alalla", world.service_id)]


# --- 6. accessibility and the look at 1280 and 390 px -------------------------------------

@pytest.mark.parametrize("lang", ["en", "fi"])
def test_run_view_and_protocol_have_no_axe_violations(app, meeting_day, live_server, page, lang):
    world, t = meeting_day, texts(app, lang)
    sign_in(page, live_server, world.coordinator_email)

    page.goto(run_url(live_server, world, lang=lang))
    expect(page.locator("#start-meeting")).to_be_visible()
    assert_no_axe_violations(page)

    with page.expect_navigation():
        page.locator("#start-meeting").click()
    expect(page.locator("#save-notes")).to_be_visible()
    with autosave_response(page):
        note_field(page, t, "health").fill("Selkäkipu rajoittaa seisomatyötä.")
    expect(page.locator("#notes-status")).not_to_be_empty()
    assert_no_axe_violations(page)

    if lang == "en":
        page.screenshot(path=str(SHOTS / "run-view-editor-1280.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        expect(page.locator("#save-notes")).to_be_visible()
        page.screenshot(path=str(SHOTS / "run-view-editor-390.png"), full_page=True)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"the run view is {width} px wide on a 390 px screen"
        page.set_viewport_size({"width": 1280, "height": 720})

    page.locator("#confirmed").check()  # finalising cannot be undone
    with page.expect_navigation():
        page.locator("#finalise-button").click()
    expect(page.locator("#add-addendum")).to_be_visible()
    page.get_by_role("textbox", name=t("Addendum"), exact=True).fill(
        "Korjaus: seuranta puhelimitse.")
    with page.expect_navigation():
        page.locator("#add-addendum").click()
    expect(page.locator("#addenda .addenda")).to_contain_text("Korjaus: seuranta puhelimitse.")
    assert_no_axe_violations(page)
    if lang == "en":
        page.screenshot(path=str(SHOTS / "run-view-final-1280.png"), full_page=True)

    page.goto(f"{live_server}/meetings/{world.meeting_id}/protocol?lang={lang}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(t("The meeting's protocol"))
    expect(page.locator("main")).to_contain_text("Korjaus: seuranta puhelimitse.")
    assert_no_axe_violations(page)


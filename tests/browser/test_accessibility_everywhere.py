"""Issue 11, SPEC §6: every page a user reaches in flows 1–8 of SPEC §4, on the demo
world, as each role sees it: axe-core finds no WCAG 2.0/2.1 A or AA violation (in
English, and in Finnish for a representative subset), and the page reflows at 320 CSS
pixels without scrolling sideways — what a 1280 px window at 400 % zoom (WCAG 1.4.10)
amounts to, and narrower than both the 375 px phone and 200 % zoom of a 1280 px window
(640 px). A few key pages are also photographed at 200 % zoom (a 640 px wide viewport,
device scale factor 2) into /tmp/consult-a11y-shots for a person to look at.

The page list is built from the demo data (ids through the app's models), one test per
role so that each role logs in once. Every failure of every page is gathered first and
reported together."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.browser.conftest import axe_violations, inject_axe, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.long]

REFLOW_WIDTH = 320  # CSS px: 1280 px at 400 %, WCAG 2.1 SC 1.4.10
WIDE = {"width": 1280, "height": 900}
SHOTS = Path("/tmp/consult-a11y-shots")
TIMEOUT_MS = 60_000  # a shared two-core machine: generous, never asserted on

ROLE_LOGINS = {
    "anonymous": None,
    "referrer": "referrer@example.fi",
    "referrer.social": "referrer.social@example.fi",
    "referrer.ohjaamo": "referrer.ohjaamo@example.fi",
    "coordinator": "coordinator@example.fi",
    "member": "psychologist@example.fi",
    "physician": "physician@example.fi",
    "manager": "manager@example.fi",
    "admin": "admin@example.fi",
}


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    finnish: bool = False  # also checked in Finnish (a representative subset)
    # An action to take (through the page) before it is visited: "start" starts the
    # meeting of the run view, so that the run view shows its editor.
    before: str = ""


def _ids():
    """The demo world's objects the pages are about, read through the models."""
    from consult.accounts.models import User
    from consult.catalogue.models import Service
    from consult.clients.models import Client
    from consult.consents.models import Consent
    from consult.consultations.models import ConsultationRequest as R
    from consult.extensions import db
    from consult.meetings.models import AgendaItem, Meeting
    from consult.organisations.models import Organisation, Team

    db.session.rollback()
    db.session.expire_all()

    def request(last: str, *, state: str | None = None, mode: str | None = None) -> int:
        query = select(R.id).join(R.client).where(Client.last_name == last).order_by(R.id)
        if state:
            query = query.where(R.state == state)
        if mode:
            query = query.where(R.mode == mode)
        found = db.session.scalars(query).first()
        assert found, (last, state, mode)
        return found

    def client(last: str) -> int:
        return db.session.scalar(select(Client.id).where(Client.last_name == last))

    def meeting(state: str, series: bool) -> int:
        return db.session.scalars(select(Meeting.id).where(
            Meeting.state == state,
            Meeting.series_id.is_not(None) if series else Meeting.series_id.is_(None))
            .order_by(Meeting.starts_at)).first()

    ids = {
        "virtanen": client("Virtanen"),
        "korhonen": client("Korhonen"),  # an expired consent
        "nieminen": client("Nieminen"),  # a withdrawn consent
        "makinen": client("Mäkinen"),  # no consent
        "hamalainen": client("Hämäläinen"),
        "draft": request("Virtanen", state="draft"),
        "submitted": request("Virtanen", state="submitted"),
        "declined": request("Virtanen", state="declined"),
        "team_scheduled": request("Virtanen", state="scheduled", mode="team_meeting"),
        "booked": request("Virtanen", state="scheduled", mode="video"),
        "returned": request("Hämäläinen", state="returned"),
        "resolved": request("Hämäläinen", state="resolved_at_consultation"),
        "proposed": request("Hämäläinen", state="submitted", mode="phone"),
        "statement_open": request("Hämäläinen", state="accepted", mode="written_statement"),
        "accepted_with_guest": request("Laine", state="accepted"),
        "withdrawn": request("Laine", state="withdrawn"),
        "waiting_video": request("Laine", state="submitted", mode="video"),
        "discussed": request("Lehtonen"),
        "follow_up_due": request("Koskinen"),
        "closed": request("Saarinen"),
        "today_case": request("Heikkinen"),
        "note_signed": request("Mattila"),
        "statement_signed": request("Rantanen"),
        "sent_meeting": meeting("agenda_sent", series=True),
        "draft_meeting": meeting("draft", series=True),
        "held_meeting": meeting("protocol_finalised", series=False),
        "today_meeting": meeting("agenda_sent", series=False),
        "team": db.session.scalar(select(Team.id)),
        "organisation": db.session.scalar(select(Organisation.id).order_by(Organisation.id)),
        "user": db.session.scalar(select(User.id).where(User.email == "referrer@example.fi")),
        "service": db.session.scalar(select(Service.id).order_by(Service.id)),
    }
    ids["consent"] = db.session.scalar(select(Consent.id).where(
        Consent.client_id == ids["virtanen"], Consent.withdrawn_on.is_(None)))
    ids["draft_item"] = db.session.scalar(select(AgendaItem.id).where(
        AgendaItem.meeting_id == ids["draft_meeting"]))
    ids["today_item"] = db.session.scalar(select(AgendaItem.id).where(
        AgendaItem.meeting_id == ids["today_meeting"]).order_by(AgendaItem.position))
    ids["held_item"] = db.session.scalar(select(AgendaItem.id).where(
        AgendaItem.meeting_id == ids["held_meeting"]).order_by(AgendaItem.position))
    month = db.session.scalar(select(Meeting.starts_at).where(Meeting.id == ids["held_meeting"]))
    ids["month"] = f"{month:%Y-%m}"
    db.session.commit()  # the test holds no transaction while the server works
    return ids


def inventory() -> dict[str, list[Page]]:
    """Every GET page of flows 1–8, by the login that reaches it."""
    i = _ids()
    return {
        "anonymous": [
            Page("login", "/login", finnish=True),
            Page("forgot password", "/password/forgot"),
            Page("accessibility statement", "/accessibility", finnish=True),
        ],
        # Flow 1, 6 and 7 as the referrer of the employment area.
        "referrer": [
            Page("my work", "/", finnish=True),
            Page("clients register", "/clients"),
            Page("new client", "/clients/new", finnish=True),
            Page("client", f"/clients/{i['virtanen']}", finnish=True),
            Page("client with an expired consent", f"/clients/{i['korhonen']}"),
            Page("client with a withdrawn consent", f"/clients/{i['nieminen']}"),
            Page("client without consent", f"/clients/{i['makinen']}"),
            Page("edit client", f"/clients/{i['virtanen']}/edit"),
            Page("new consent", f"/clients/{i['virtanen']}/consents/new", finnish=True),
            Page("withdraw consent",
                 f"/clients/{i['virtanen']}/consents/{i['consent']}/withdraw"),
            Page("access report", f"/clients/{i['virtanen']}/access-report"),
            Page("requests", "/requests"),
            Page("requests, mine, submitted", "/requests?state=submitted&mine=1"),
            Page("new request", "/requests/new"),
            Page("new request for a client", f"/requests/new?client_id={i['virtanen']}",
                 finnish=True),
            Page("draft request with its pre-form", f"/requests/{i['draft']}", finnish=True),
            Page("submitted request", f"/requests/{i['submitted']}"),
            Page("pre-form version", f"/requests/{i['submitted']}/versions/1"),
            Page("declined request", f"/requests/{i['declined']}"),
            Page("request on an agenda", f"/requests/{i['team_scheduled']}"),
            Page("request with a booked time", f"/requests/{i['booked']}"),
            Page("discussed request", f"/requests/{i['discussed']}"),
            Page("request protocol", f"/requests/{i['discussed']}/protocol", finnish=True),
            Page("follow-up (not yet due)", f"/requests/{i['discussed']}/follow-up"),
            Page("physician's signed note, referrer's view", f"/requests/{i['note_signed']}"),
            Page("physician's note as a protocol", f"/requests/{i['note_signed']}/protocol"),
            Page("meeting agenda, referrer's view", f"/meetings/{i['sent_meeting']}"),
            Page("actions", "/actions", finnish=True),
            Page("actions done", "/actions?show=done"),
            Page("notifications", "/notifications"),
            Page("profile", "/profile"),
            Page("accessibility statement, logged in", "/accessibility"),
        ],
        "referrer.social": [
            Page("my work", "/"),
            Page("returned request with its pre-form", f"/requests/{i['returned']}"),
            Page("resolved request", f"/requests/{i['resolved']}"),
            Page("request with proposed times", f"/requests/{i['proposed']}", finnish=True),
            Page("written statement requested", f"/requests/{i['statement_open']}"),
            Page("follow-up due", f"/requests/{i['follow_up_due']}/follow-up", finnish=True),
            Page("statement signed", f"/requests/{i['statement_signed']}/protocol"),
        ],
        "referrer.ohjaamo": [
            Page("accepted request with a guest", f"/requests/{i['accepted_with_guest']}"),
            Page("withdrawn request", f"/requests/{i['withdrawn']}"),
            Page("closed request", f"/requests/{i['closed']}"),
            Page("closed request's protocol", f"/requests/{i['closed']}/protocol"),
        ],
        # Flows 2, 3, 5 and 7 as the coordinator.
        "coordinator": [
            Page("my work", "/", finnish=True),
            Page("team inbox", f"/teams/{i['team']}/inbox", finnish=True),
            Page("team inbox, accepted", f"/teams/{i['team']}/inbox?state=accepted"),
            Page("team inbox, all", f"/teams/{i['team']}/inbox?state=all"),
            Page("submitted request to decide", f"/requests/{i['submitted']}", finnish=True),
            Page("accepted request", f"/requests/{i['accepted_with_guest']}"),
            Page("request on an agenda", f"/requests/{i['team_scheduled']}"),
            Page("hand the case over", f"/requests/{i['submitted']}/handover"),
            Page("requests", "/requests"),
            Page("meetings", "/meetings", finnish=True),
            Page("meetings, the held meeting's month", f"/meetings?month={i['month']}"),
            Page("new meeting", f"/meetings/new?team_id={i['team']}", finnish=True),
            Page("meeting with its agenda sent", f"/meetings/{i['sent_meeting']}"),
            Page("draft meeting", f"/meetings/{i['draft_meeting']}", finnish=True),
            Page("edit meeting", f"/meetings/{i['draft_meeting']}/edit"),
            Page("guests of an agenda item",
                 f"/meetings/{i['draft_meeting']}/items/{i['draft_item']}/guests"),
            Page("today's meeting", f"/meetings/{i['today_meeting']}"),
            Page("run view before the start", f"/meetings/{i['today_meeting']}/run"),
            Page("run view, first case", f"/meetings/{i['today_meeting']}/run",
                 finnish=True, before="start"),
            Page("run view, second case",
                 f"/meetings/{i['today_meeting']}/run?item={i['today_item'] + 1}"),
            Page("held meeting", f"/meetings/{i['held_meeting']}"),
            Page("held meeting's run view", f"/meetings/{i['held_meeting']}/run"),
            Page("meeting protocol", f"/meetings/{i['held_meeting']}/protocol", finnish=True),
            Page("actions", "/actions"),
            Page("notifications", "/notifications"),
            Page("indicators", "/indicators"),
            Page("profile", "/profile"),
        ],
        "member": [
            Page("my work", "/"),
            Page("meetings", "/meetings"),
            Page("meeting", f"/meetings/{i['today_meeting']}"),
            Page("run view (before the start)", f"/meetings/{i['today_meeting']}/run"),
            Page("meeting protocol", f"/meetings/{i['held_meeting']}/protocol"),
            Page("actions", "/actions"),
            Page("actions done", "/actions?show=done"),
        ],
        # Flow 4 as the physician.
        "physician": [
            Page("my work", "/", finnish=True),
            Page("availability", "/physician/availability", finnish=True),
            Page("physician inbox", "/physician/inbox", finnish=True),
            Page("request to book", f"/requests/{i['waiting_video']}", finnish=True),
            Page("booked request", f"/requests/{i['booked']}"),
            Page("proposed times", f"/requests/{i['proposed']}"),
            Page("booked consultation's record", f"/requests/{i['booked']}/record"),
            Page("statement to write", f"/requests/{i['statement_open']}/record",
                 finnish=True),
            Page("signed note", f"/requests/{i['note_signed']}/record"),
            Page("signed statement", f"/requests/{i['statement_signed']}/record"),
            Page("meetings", "/meetings"),
            Page("actions", "/actions"),
        ],
        # Flow 8.
        "manager": [
            Page("my work", "/"),
            Page("indicators", "/indicators", finnish=True),
            Page("indicators by quarter", "/indicators?period=quarter"),
            Page("indicators by year", "/indicators?period=year"),
        ],
        "admin": [
            Page("my work", "/"),
            Page("administration", "/admin/", finnish=True),
            Page("organisations", "/admin/organisations"),
            Page("new organisation", "/admin/organisations/new"),
            Page("organisation", f"/admin/organisations/{i['organisation']}"),
            Page("teams", "/admin/teams"),
            Page("new team", "/admin/teams/new"),
            Page("team", f"/admin/teams/{i['team']}", finnish=True),
            Page("users", "/admin/users", finnish=True),
            Page("new user", "/admin/users/new"),
            Page("user", f"/admin/users/{i['user']}"),
            Page("user's cases", f"/admin/users/{i['user']}/cases"),
            Page("services", "/admin/services"),
            Page("new service", "/admin/services/new"),
            Page("service", f"/admin/services/{i['service']}"),
            Page("outbox", "/admin/outbox", finnish=True),
        ],
    }


def with_language(path: str, lang: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={lang}"


def visit(page, live_server: str, path: str, lang: str) -> int:
    response = page.goto(live_server + with_language(path, lang), timeout=TIMEOUT_MS)
    return response.status if response else 0


def start_meeting(page) -> None:
    """The run view's start button, pressed as the coordinator would."""
    with page.expect_navigation(timeout=TIMEOUT_MS):
        page.locator("#start-meeting").click()


def sideways_overflow(page) -> str:
    """'' when the page fits its viewport; else how wide it is, and what sticks out."""
    return page.evaluate("""() => {
        const width = document.documentElement.scrollWidth, view = window.innerWidth;
        if (width <= view) return '';
        const out = [];
        for (const el of document.querySelectorAll('body *')) {
            const box = el.getBoundingClientRect();
            if (box.right > view + 0.5 && box.width > 0) {
                // Inside a scrolling box (e.g. .table-wrap) is fine, unless positioned
                // out of it (an absolute element whose containing block is outside).
                let inside = false;
                const escapes = ['absolute', 'fixed'].includes(getComputedStyle(el).position);
                for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
                    const style = getComputedStyle(p);
                    if (escapes && style.position !== 'static') { inside = true; break; }
                    const o = style.overflowX;
                    if (!escapes && (o === 'auto' || o === 'scroll' || o === 'hidden')) {
                        inside = true; break;
                    }
                }
                if (!inside) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                    + (el.className && typeof el.className === 'string'
                       ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
                    + ' (' + Math.round(box.right) + ')');
            }
            if (out.length >= 6) break;
        }
        if (!out.length) {  // text running out of its box: a word too long to wrap
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            const range = document.createRange();
            for (let node = walker.nextNode(); node && out.length < 6; node = walker.nextNode()) {
                range.selectNodeContents(node);
                const box = range.getBoundingClientRect();
                if (box.right > view + 0.5 && box.width > 0) out.push(
                    node.parentElement.tagName.toLowerCase() + ' "' + node.textContent.trim()
                    .slice(0, 30) + '" (' + Math.round(box.right) + ')');
            }
        }
        return width + ' px wide; sticking out: ' + out.join(', ');
    }""")


# The rules whose outcome depends on the layout: a table that fits a wide screen
# scrolls inside its box on a narrow one, and a scrolling box must be reachable by
# keyboard; and text over other content must keep its contrast.
NARROW_RULES = ["scrollable-region-focusable", "color-contrast"]


def narrow_violations(page) -> list[dict]:
    inject_axe(page)  # already there after the wide pass; the page was not reloaded
    return page.evaluate(
        """async (rules) => {
            const results = await window.axe.run(document, {
                runOnly: {type: 'rule', values: rules}, resultTypes: ['violations']});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary})),
            }));
        }""",
        NARROW_RULES,
    )


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"      {target}: {(node['summary'] or '').splitlines()[-1:]}")
    return "\n    ".join(lines)


def check_pages(page, live_server: str, pages: list[Page]) -> list[str]:
    problems = []
    for item in pages:
        if item.before == "start":
            visit(page, live_server, item.path, "en")
            start_meeting(page)
        for lang in ("en", "fi") if item.finnish else ("en",):
            page.set_viewport_size(WIDE)
            status = visit(page, live_server, item.path, lang)
            where = f"{item.name} ({item.path}, {lang})"
            if status != 200:
                problems.append(f"{where}: answered {status}")
                continue
            violations = axe_violations(page)
            if violations:
                problems.append(f"{where}: axe-core\n    {describe(violations)}")
            if lang != "en":
                continue
            page.set_viewport_size({"width": REFLOW_WIDTH, "height": 800})
            overflow = sideways_overflow(page)
            if overflow:
                problems.append(f"{where}: scrolls sideways at {REFLOW_WIDTH} px: {overflow}")
            narrow = narrow_violations(page)
            if narrow:
                problems.append(f"{where}: axe-core at {REFLOW_WIDTH} px\n    {describe(narrow)}")
    return problems


def logged_in_page(new_context, live_server: str, email: str | None):
    context = new_context(viewport=WIDE)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    if email:
        sign_in(page, live_server, email)
        assert "/login" not in page.url, f"{email} could not log in ({page.url})"
    return page


@pytest.mark.parametrize("role", list(ROLE_LOGINS))
def test_every_page_has_no_axe_violations_and_reflows_at_320_px(app, demo_world, live_server,
                                                               new_context, role):
    pages = inventory()[role]
    page = logged_in_page(new_context, live_server, ROLE_LOGINS[role])
    problems = check_pages(page, live_server, pages)
    assert not problems, (f"{len(problems)} problem(s) on the {role}'s {len(pages)} pages:\n"
                          + "\n".join(problems))


# 200 % zoom: a 1280 px window zoomed to 200 % is a 640 CSS px viewport at twice the
# pixel density. The screenshots are for a person to look at (see the report of issue 11).
ZOOMED = [
    ("referrer", "client", "/clients/{virtanen}"),
    ("referrer", "preform", "/requests/{draft}"),
    ("referrer", "protocol", "/requests/{discussed}/protocol"),
    ("coordinator", "inbox", "/teams/{team}/inbox"),
    ("coordinator", "agenda", "/meetings/{draft_meeting}"),
    ("coordinator", "meetings", "/meetings"),
    ("coordinator", "run-view", "/meetings/{held_meeting}/run"),
    ("physician", "availability", "/physician/availability"),
    ("manager", "indicators", "/indicators"),
    ("anonymous", "accessibility", "/accessibility"),
]


@pytest.mark.parametrize("role", sorted({role for role, _, _ in ZOOMED}))
def test_key_pages_at_200_percent_zoom_fit_and_are_photographed(app, demo_world, live_server,
                                                                new_context, role):
    ids = _ids()
    context = new_context(viewport={"width": 640, "height": 450}, device_scale_factor=2)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    if ROLE_LOGINS[role]:
        sign_in(page, live_server, ROLE_LOGINS[role])
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for _, name, path in [z for z in ZOOMED if z[0] == role]:
        assert visit(page, live_server, path.format(**ids), "en") == 200, path
        page.screenshot(path=str(SHOTS / f"zoom200-{name}.png"), full_page=True)
        page.screenshot(path=str(SHOTS / f"zoom200-{name}-first-screen.png"))
        overflow = sideways_overflow(page)
        if overflow:
            problems.append(f"{name}: {overflow}")
    assert not problems, "\n".join(problems)

"""Issue 11, SPEC §6: error messages tied to their fields. Invalid data is sent on the
forms of flows 1–6 and on the public forms; afterwards every control marked
`aria-invalid="true"` names, in `aria-describedby`, elements that exist and one of which
holds its error text; and no error message on the page is left untied (each one is
named by the `aria-describedby` of a control or of the fieldset of a group). With
JavaScript (htmx swaps a 422 answer in place; axe-core also checks the page with its
errors) and without it."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, demo_request_id, sign_in
from tests.browser.test_accessibility_everywhere import _ids

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000

CHECK = """() => {
    const problems = [];
    const describedTexts = el => (el.getAttribute('aria-describedby') || '').split(/\\s+/)
        .filter(Boolean).map(id => [id, document.getElementById(id)]);
    const invalid = [...document.querySelectorAll('[aria-invalid="true"]')];
    for (const el of invalid) {
        const name = el.name || el.id || el.tagName;
        const refs = describedTexts(el);
        if (!refs.length) { problems.push(name + ': aria-invalid without aria-describedby'); continue; }
        for (const [id, target] of refs) {
            if (!target) problems.push(name + ': aria-describedby names a missing #' + id);
        }
        const errors = refs.filter(([, t]) => t && t.matches(
            '.hds-text-input__error-text, .field-error') && t.textContent.trim());
        if (!errors.length) problems.push(name + ': no error text among ' +
                                          refs.map(([id]) => '#' + id).join(' '));
    }
    const shown = [...document.querySelectorAll('.hds-text-input__error-text, .field-error')]
        .filter(e => e.textContent.trim());
    for (const e of shown) {
        if (!e.id || !document.querySelector('[aria-describedby~="' + e.id + '"]'))
            problems.push('error "' + e.textContent.trim() + '" is tied to no field');
    }
    return {invalid: invalid.length, shown: shown.length, problems};
}"""


@dataclass
class Form:
    name: str
    path: str
    button: str
    fill: Callable = lambda page: None
    at_least: int = 1  # how many errors the invalid data must produce
    expected: list[str] = field(default_factory=list)  # error texts that must show


def labelled(page, label: str):
    """A control by its label, with or without the required-field asterisk."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


def _fill(**by_label):
    def fill(page):
        for label, value in by_label.items():
            labelled(page, label).fill(value)
    return fill


def _pre_form_without_its_required_answers(page):
    page.get_by_label("Client's wishes and goals").fill("")
    page.get_by_label("Question to the team or the physician").fill("")


def _consent_without_organisations_or_purposes(page):
    for box in page.locator("input[name=organisations]:checked").all():
        box.uncheck()
    page.get_by_label("Multi-professional consultation").uncheck()
    page.get_by_label("Data exchange between the organisations").uncheck()
    page.get_by_label("Valid until").fill("")


def _urgent_without_a_reason(page):
    page.get_by_label("Urgent", exact=True).check()


def _meeting_without_a_date(page):
    labelled(page, "Date").fill("")
    labelled(page, "Length in minutes").fill("0")


def _rule_ending_before_it_starts(page):
    page.locator("#start_time").fill("12:00")
    page.locator("#end_time").fill("09:00")
    page.get_by_label("Slot length (minutes)").fill("0")


def forms_of(role: str, ids: dict) -> list[Form]:
    return {
        "referrer": [
            Form("new client", "/clients/new", "Register the client",
                 _fill(**{"Personal identity code": "131052-308U", "E-mail": "matti@"}),
                 at_least=3, expected=["The check character does not match."]),
            Form("edit client", f"/clients/{ids['virtanen']}/edit", "Save",
                 _fill(**{"Last name": "", "E-mail": "ei-osoite"}), at_least=2),
            Form("new consent", f"/clients/{ids['virtanen']}/consents/new", "Record consent",
                 _consent_without_organisations_or_purposes, at_least=1,
                 expected=["Choose at least one organisation.", "Choose at least one purpose."]),
            Form("withdraw consent",
                 f"/clients/{ids['virtanen']}/consents/{ids['consent']}/withdraw",
                 "Withdraw consent", at_least=1),
            Form("new request", f"/requests/new?client_id={ids['makinen']}", "Create draft",
                 _urgent_without_a_reason, at_least=1),
            Form("pre-form submitted without its required answers",
                 f"/requests/{ids['draft']}", "Submit the request",
                 _pre_form_without_its_required_answers, at_least=2),
            Form("password change", "/profile", "Change password",
                 _fill(**{"Current password": "wrong-password-1"}), at_least=1),
        ],
        "referrer.social": [
            Form("follow-up", f"/requests/{ids['follow_up_due']}/follow-up",
                 "Record the follow-up and close the case", at_least=2),
        ],
        "coordinator": [
            Form("return for completion without a message", f"/requests/{ids['submitted']}",
                 "Return for completion", at_least=1),
            Form("new meeting", f"/meetings/new?team_id={ids['team']}", "Create",
                 _meeting_without_a_date, at_least=2),
            Form("guest of an agenda item",
                 f"/meetings/{ids['draft_meeting']}/items/{ids['draft_item']}/guests",
                 "Add the guest", _fill(**{"Guest's e-mail": "sari@"}), at_least=2),
        ],
        "physician": [
            Form("availability rule", "/physician/availability", "Add rule",
                 _rule_ending_before_it_starts, at_least=1),
            Form("absence", "/physician/availability", "Add absence", at_least=2),
        ],
        "anonymous": [
            Form("accessibility feedback", "/accessibility", "Send the feedback",
                 _fill(**{"Your e-mail address": "maija@"}), at_least=2,
                 expected=["Write your feedback.", "Enter a valid e-mail address."]),
            Form("forgot password", "/password/forgot", "Send the link",
                 _fill(**{"E-mail": "kerttu.example.fi"}), at_least=1),
        ],
    }[role]


LOGINS = {"referrer": "referrer@example.fi", "referrer.social": "referrer.social@example.fi",
          "coordinator": "coordinator@example.fi", "physician": "physician@example.fi",
          "anonymous": None}


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
@pytest.mark.parametrize("role", list(LOGINS))
def test_every_error_is_tied_to_its_field(app, demo_world, live_server, new_context, role,
                                          javascript):
    ids = _ids()
    ids["follow_up_due"] = demo_request_id("Koskinen")
    context = new_context(java_script_enabled=javascript)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    if LOGINS[role]:
        sign_in(page, live_server, LOGINS[role])
    problems = []
    for form in forms_of(role, ids):
        page.goto(f"{live_server}{form.path}{'&' if '?' in form.path else '?'}lang=en")
        form.fill(page)
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.get_by_role("button", name=form.button, exact=True).click()
        assert answer.value.status == 422, f"{form.name}: answered {answer.value.status}"
        expect(page.locator(".hds-text-input__error-text, .field-error").first).to_be_visible()
        found = page.evaluate(CHECK)
        if found["shown"] < form.at_least:
            problems.append(f"{form.name}: {found['shown']} error(s), expected at least "
                            f"{form.at_least}")
        if not found["invalid"]:
            problems.append(f"{form.name}: no control is marked aria-invalid")
        problems += [f"{form.name}: {p}" for p in found["problems"]]
        if javascript:  # axe-core runs in the page: only where JavaScript runs
            problems += [f"{form.name}: axe-core: {v['id']}: {v['help']}"
                         for v in axe_violations(page)]
        for text in form.expected:
            if not page.locator(".hds-text-input__error-text, .field-error").filter(
                    has_text=text).count():
                problems.append(f"{form.name}: no error {text!r} at a field")
    assert not problems, "\n".join(problems)

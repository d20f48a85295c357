"""The end of flow 1 in a real browser: from the client's page to a submitted
consultation request, the pre-form saved and found again after a reload."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from consult.demo import TEAM
from tests.browser.conftest import assert_no_axe_violations, login, translated

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["en", "fi"])
def test_referrer_sends_a_request_to_the_team(app, demo_world, live_server, page, lang):
    t = lambda msgid, **values: translated(app, lang, msgid, **values)  # noqa: E731
    login(page, live_server, "referrer@example.fi")
    page.goto(f"{live_server}/clients?lang={lang}")
    page.get_by_role("link", name="Virtanen, Matti Olavi").click()
    page.get_by_role("link", name=t("New consultation request")).click()
    assert_no_axe_violations(page)
    page.get_by_label(t("Team or physician")).select_option(label=t("Team: %(name)s", name=TEAM))
    page.get_by_label(t("Way of consulting")).select_option(label=t("Team meeting"))
    page.get_by_role("button", name=t("Create draft")).click()
    expect(page.get_by_text(t("Draft request created. Fill in the pre-information form."))).to_be_visible()
    assert_no_axe_violations(page)

    page.get_by_label(t("Reason for referral")).fill("Pitkä sairausloma, paluu työhön mietityttää.")
    page.get_by_role("button", name=t("Save draft")).click()
    expect(page.get_by_text(t("Draft saved."))).to_be_visible()
    page.reload()
    expect(page.get_by_label(t("Reason for referral"))).to_have_value(
        "Pitkä sairausloma, paluu työhön mietityttää.")

    page.get_by_role("button", name=t("Submit the request")).click()  # required fields missing
    expect(page.locator("#question__question-error")).to_be_visible()
    expect(page.get_by_label(t("Reason for referral"))).to_have_value(
        "Pitkä sairausloma, paluu työhön mietityttää.")
    page.get_by_label(t("Client's wishes and goals")).fill("Osa-aikatyö kaupan alalla.")
    page.get_by_label(t("Question to the team or the physician")).fill("Mikä tuki sopisi?")
    page.get_by_role("button", name=t("Submit the request")).click()
    expect(page.get_by_text(t("Request submitted."))).to_be_visible()
    expect(page.get_by_text("Osa-aikatyö kaupan alalla.")).to_be_visible()
    assert_no_axe_violations(page)


def test_coordinator_finds_the_request_in_the_inbox_and_returns_it(app, demo_world, live_server,
                                                                    page):
    from sqlalchemy import select

    from consult.accounts.models import User
    from consult.clients.models import Client
    from consult.consultations import services
    from consult.extensions import db
    from consult.organisations.models import Team
    from tests import factories

    referrer = db.session.scalar(select(User).where(User.email == "referrer@example.fi"))
    client = db.session.scalar(select(Client).where(Client.last_name == "Virtanen"))
    team = db.session.scalar(select(Team).where(Team.name == TEAM))
    request = factories.create_request(team=team, referrer=referrer, client=client,
                                       consent=False)
    services.perform(request, "submit", referrer)
    db.session.commit()

    login(page, live_server, "coordinator@example.fi")
    page.get_by_role("link", name="Inbox").click()
    assert_no_axe_violations(page)
    page.get_by_role("link", name=f"Request {request.id}").click()
    expect(page.get_by_text("Haluaa palata työelämään osa-aikaisesti.")).to_be_visible()
    page.get_by_role("button", name="Return for completion").click()  # no message yet
    expect(page.locator("#message-error")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_label("Message to the referrer").fill("Kuvaa vielä terveydentilaa.")
    page.get_by_role("button", name="Return for completion").click()
    expect(page.get_by_text("Decision recorded: Returning the request for completion.")).to_be_visible()
    expect(page.get_by_text("Kuvaa vielä terveydentilaa.")).to_be_visible()

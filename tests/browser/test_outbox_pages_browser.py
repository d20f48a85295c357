"""The outbox's pages in a real browser (SPEC §5, §6): an admin finds a message that
failed for good and sends it again, in English and in Finnish; the development page
shows a message instead of sending it. WCAG 2.1 AA with axe-core."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from consult.extensions import db
from consult.outbox.models import OutboxMessage
from consult.timeutil import utcnow
from tests import factories
from tests.browser.conftest import assert_no_axe_violations, sign_in, translated

pytestmark = pytest.mark.browser


def outbox_message(n: int, state: str, **values) -> OutboxMessage:
    message = OutboxMessage(message_id=f"<browser-{n}@example.fi>", kind="invite",
                            recipient=f"person{n}@example.fi", subject=f"Team meeting {n}",
                            body=f"Agenda {n}\n", state=state, **values)
    db.session.add(message)
    return message


def test_an_admin_sends_a_failed_message_again_in_english_and_finnish(app, live_server, page):
    admin = factories.create_user("admin")
    failed = outbox_message(1, "dead", attempts=8, last_error="SMTP 550 mailbox unavailable")
    outbox_message(2, "pending", due_at=utcnow() - timedelta(hours=1))  # overdue
    outbox_message(3, "sent", sent_at=utcnow())
    db.session.commit()
    sign_in(page, live_server, admin.email, "/admin/outbox?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Outbox")
    dead = page.get_by_role("region", name="Failed for good", exact=True)
    expect(dead.get_by_role("row")).to_have_count(2)  # the header and the failed message
    expect(dead).to_contain_text("SMTP 550 mailbox unavailable")
    overdue = page.get_by_role("region", name="Overdue messages", exact=True)
    expect(overdue).to_contain_text("Team meeting 2")
    assert_no_axe_violations(page)
    page.set_viewport_size({"width": 320, "height": 800})  # the tables scroll in their boxes
    assert_no_axe_violations(page)
    page.set_viewport_size({"width": 1280, "height": 720})

    page.goto(f"{live_server}/admin/outbox?lang=fi")
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(page.get_by_role("heading", level=1)).to_have_text(translated(app, "fi", "Outbox"))
    assert_no_axe_violations(page)
    with page.expect_navigation():
        page.get_by_role("button", name=translated(app, "fi", "Send again")).click()
    expect(page.get_by_role("status").filter(has_text=failed.recipient)).to_have_text(
        translated(app, "fi", "The message to %(recipient)s is back in the queue and will be "
                              "sent shortly.", recipient=failed.recipient))
    nothing_failed = translated(app, "fi", "No message has failed for good.")
    expect(page.get_by_text(nothing_failed)).to_be_visible()
    assert_no_axe_violations(page)

    db.session.rollback()  # read what the server committed
    db.session.refresh(failed)
    assert (failed.state, failed.attempts, failed.last_error) == ("pending", 0, "")


def test_a_developer_reads_an_invite_on_the_development_outbox(app, live_server, page):
    app.config["OUTBOX_PAGE"] = True
    outbox_message(4, "pending", ics_method="REQUEST",
                   ics="BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nUID:meeting-4@consult\r\n"
                       "END:VCALENDAR\r\n")
    db.session.commit()

    page.goto(f"{live_server}/dev/outbox?lang=en")
    expect(page.get_by_text("Development only: e-mail is shown here, not sent")).to_be_visible()
    calendar = page.get_by_text("UID:meeting-4@consult")
    expect(calendar).to_be_hidden()
    page.get_by_text("Team meeting 4").click()  # the <summary> opens the message
    expect(calendar).to_be_visible()
    expect(page.get_by_text("Calendar event, METHOD:REQUEST")).to_be_visible()
    assert_no_axe_violations(page)

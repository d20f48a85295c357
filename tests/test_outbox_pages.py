"""The outbox's pages (SPEC §5): the admins' view of what waits and what failed for
good, sending a failed message again, and the development page that shows e-mail
instead of sending it."""
from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from consult.audit.models import AuditEvent
from consult.extensions import db
from consult.outbox.models import OutboxMessage
from consult.timeutil import utcnow
from tests import factories


def outbox_message(state: str = "pending", **values) -> OutboxMessage:
    n = uuid.uuid4().hex[:8]
    fields = {"kind": "notification", "recipient": f"person-{n}@example.fi",
              "subject": f"Subject {n}", "body": f"Body {n}\n", "state": state}
    fields.update(values)
    message = OutboxMessage(message_id=f"<{n}@example.fi>", **fields)
    db.session.add(message)
    db.session.flush()
    return message


def login_admin(auth):
    admin = factories.create_user("admin")
    db.session.commit()
    auth.login(admin)
    return admin


def retry(client, auth, message_id: int):
    return client.post(f"/admin/outbox/{message_id}/retry",
                       data={"csrf_token": auth.csrf("/admin/outbox")})


def test_admin_sees_counts_per_state_and_the_messages_that_failed_for_good(client, auth):
    login_admin(auth)
    for state, count in (("pending", 2), ("sending", 1), ("sent", 4), ("dead", 3),
                         ("superseded", 1)):
        for _ in range(count):
            outbox_message(state)
    failed = outbox_message("dead", subject="Agenda for Tuesday", attempts=8,
                            last_error="SMTP 550 mailbox unavailable", kind="invite")
    db.session.commit()
    page = client.get("/admin/outbox?lang=en").text
    counts = page.split("Messages by state", 1)[1].split("Oldest waiting message", 1)[0]
    for label, count in (("Waiting", 2), ("Being sent", 1), ("Sent", 4),
                         ("Failed for good", 4), ("Replaced by a later version", 1)):
        assert f"<dt>{label}</dt><dd>{count}</dd>" in counts
    assert "Agenda for Tuesday" in page
    assert "SMTP 550 mailbox unavailable" in page
    assert failed.recipient in page
    assert "Calendar invite" in page
    assert f"/admin/outbox/{failed.id}/retry" in page


def test_the_oldest_waiting_messages_age_is_shown(client, auth):
    login_admin(auth)
    outbox_message("pending", created_at=utcnow() - timedelta(hours=3))
    outbox_message("pending")
    db.session.commit()
    page = client.get("/admin/outbox?lang=en").text
    assert "3 hours old" in page


def test_an_empty_outbox_says_nothing_is_waiting_or_failed(client, auth):
    login_admin(auth)
    page = client.get("/admin/outbox?lang=en").text
    assert "No message is waiting." in page
    assert "No message has failed for good." in page
    assert "Overdue messages" not in page


def test_the_admin_page_shows_no_message_text(client, auth):
    login_admin(auth)
    outbox_message("dead", body="Reset link https://consult.example/reset/SECRET\n")
    outbox_message("pending", due_at=utcnow() - timedelta(hours=1),
                   body="Another body OVERDUE-BODY\n")
    db.session.commit()
    page = client.get("/admin/outbox?lang=en").text
    assert "SECRET" not in page and "OVERDUE-BODY" not in page


def test_failed_messages_are_listed_newest_first_fifty_to_a_page(client, auth):
    login_admin(auth)
    start = utcnow() - timedelta(days=1)
    for i in range(55):
        outbox_message("dead", subject=f"Failed number {i:02d}",
                       created_at=start + timedelta(minutes=i))
    db.session.commit()
    first = client.get("/admin/outbox?lang=en").text
    second = client.get("/admin/outbox?lang=en&page=2").text
    assert first.index("Failed number 54") < first.index("Failed number 53")
    assert "Failed number 05" in first and "Failed number 04" not in first
    assert all(f"Failed number {i:02d}" in second for i in range(5))
    assert "Failed number 05" not in second


def test_pending_messages_long_past_due_are_shown_as_overdue(client, auth):
    login_admin(auth)
    outbox_message("pending", subject="Stuck since an hour", due_at=utcnow() - timedelta(hours=1))
    outbox_message("pending", subject="Due a minute ago", due_at=utcnow() - timedelta(minutes=1))
    outbox_message("pending", subject="Due later", due_at=utcnow() + timedelta(minutes=1))
    db.session.commit()
    page = client.get("/admin/outbox?lang=en").text
    overdue = page.split("Overdue messages", 1)[1].split("Failed for good</h2>", 1)[0]
    assert "1 message should have been sent more than 5 minutes ago" in overdue
    assert "Stuck since an hour" in overdue
    assert "Due a minute ago" not in page and "Due later" not in page


def test_a_user_who_is_not_an_admin_gets_403_and_an_audit_event(client, auth):
    user = factories.create_user("coordinator", "manager")
    db.session.commit()
    auth.login(user)
    response = client.get("/admin/outbox")
    assert response.status_code == 403
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.outcome, event.user_id, event.detail) == ("denied", user.id, "GET /admin/outbox")


def test_a_user_who_is_not_an_admin_cannot_send_a_message_again(client, auth):
    failed = outbox_message("dead", attempts=8)
    user = factories.create_user("coordinator", "manager")
    db.session.commit()
    auth.login(user)
    response = client.post(f"/admin/outbox/{failed.id}/retry", data={"csrf_token": auth.csrf()})
    assert response.status_code == 403
    db.session.refresh(failed)
    assert (failed.state, failed.attempts) == ("dead", 8)


def test_admin_sends_a_failed_message_again(client, auth):
    admin = login_admin(auth)
    failed = outbox_message("dead", attempts=8, last_error="Connection refused",
                            due_at=utcnow() - timedelta(days=2),
                            claimed_at=utcnow() - timedelta(days=2))
    message_id = failed.message_id
    db.session.commit()
    before = utcnow()
    response = retry(client, auth, failed.id)
    assert response.status_code == 303
    assert response.location.endswith("/admin/outbox")
    db.session.refresh(failed)
    assert (failed.state, failed.attempts, failed.last_error) == ("pending", 0, "")
    assert failed.claimed_at is None
    assert before - timedelta(seconds=1) <= failed.due_at <= utcnow()
    assert failed.message_id == message_id  # a receiver can tell a resent message
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.object_type, event.object_id, event.purpose, event.user_id,
            event.outcome) == ("update", "outbox_message", failed.id, "outbox_retry", admin.id,
                               "allowed")
    page = client.get("/admin/outbox?lang=en").text
    assert f"The message to {failed.recipient} is back in the queue" in page
    assert f"/admin/outbox/{failed.id}/retry" not in page


def test_a_sent_message_cannot_be_sent_again(client, auth):
    login_admin(auth)
    sent_at = utcnow() - timedelta(hours=1)
    sent = outbox_message("sent", attempts=1, sent_at=sent_at, due_at=sent_at)
    db.session.commit()
    events = db.session.scalar(select(db.func.count(AuditEvent.id)))
    response = retry(client, auth, sent.id)
    assert response.status_code == 303
    db.session.refresh(sent)
    assert (sent.state, sent.attempts, sent.due_at, sent.sent_at) == ("sent", 1, sent_at, sent_at)
    assert db.session.scalar(select(db.func.count(AuditEvent.id))) == events
    page = client.get("/admin/outbox?lang=en").text
    assert "Only a message that failed for good can be sent again." in page


def test_a_waiting_message_is_not_queued_twice(client, auth):
    login_admin(auth)
    failed = outbox_message("dead", attempts=8)
    db.session.commit()
    retry(client, auth, failed.id)
    retry(client, auth, failed.id)  # the second click of a double click
    assert db.session.scalar(select(db.func.count(AuditEvent.id)).where(
        AuditEvent.purpose == "outbox_retry")) == 1
    db.session.refresh(failed)
    assert failed.state == "pending"


def test_sending_again_an_unknown_message_answers_404(client, auth):
    login_admin(auth)
    assert retry(client, auth, 999999).status_code == 404


def test_sending_again_needs_the_csrf_token(client, auth):
    login_admin(auth)
    failed = outbox_message("dead", attempts=8)
    db.session.commit()
    assert client.post(f"/admin/outbox/{failed.id}/retry").status_code == 400
    db.session.refresh(failed)
    assert failed.state == "dead"


def _admin_page_statements(client, count_queries) -> int:
    client.get("/admin/outbox")  # a first visit may touch the session row
    with count_queries() as counter:
        assert client.get("/admin/outbox").status_code == 200
    return counter.count


def _fill_outbox(copies: int) -> None:
    long_ago = utcnow() - timedelta(hours=2)
    for _ in range(copies):
        for state in ("pending", "sending", "sent", "dead", "superseded"):
            outbox_message(state, attempts=3, last_error="timed out")
        outbox_message("pending", due_at=long_ago)  # overdue
    db.session.commit()


def test_the_admin_page_runs_the_same_few_statements_however_full_the_outbox(
        client, auth, count_queries):
    login_admin(auth)
    _fill_outbox(1)
    few = _admin_page_statements(client, count_queries)
    _fill_outbox(120)
    many = _admin_page_statements(client, count_queries)
    assert many == few
    assert many <= 12


# The development page ----------------------------------------------------------------

def test_the_development_outbox_does_not_exist_in_testing(client):
    outbox_message("pending")
    db.session.commit()
    assert client.get("/dev/outbox").status_code == 404


def test_the_development_outbox_shows_messages_without_login(app, client):
    app.config["OUTBOX_PAGE"] = True
    outbox_message("sent", recipient="reset@example.fi", subject="Reset your password",
                   body="Open https://consult.example/reset/abc?x=1&y=2 within 30 minutes.\n",
                   kind="reset")
    db.session.commit()
    response = client.get("/dev/outbox?lang=en")
    assert response.status_code == 200
    page = response.text
    assert "Development only: e-mail is shown here, not sent" in page
    assert "reset@example.fi" in page and "Reset your password" in page
    assert "<details>" in page
    assert "https://consult.example/reset/abc?x=1&amp;y=2" in page
    assert '<a href="https://consult.example' not in page  # a link in a body is text


def test_the_development_outbox_escapes_what_a_message_says(app, client):
    app.config["OUTBOX_PAGE"] = True
    outbox_message(subject="<script>alert('subject')</script>",
                   body="<script>alert('body')</script>\n")
    db.session.commit()
    page = client.get("/dev/outbox?lang=en").text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;subject&#39;)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(&#39;body&#39;)&lt;/script&gt;" in page


def test_the_development_outbox_shows_an_invites_method_and_calendar_text(app, client):
    app.config["OUTBOX_PAGE"] = True
    outbox_message(kind="invite", ics_method="CANCEL",
                   ics="BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nUID:meeting-7@consult\r\n"
                       "END:VCALENDAR\r\n")
    db.session.commit()
    page = client.get("/dev/outbox?lang=en").text
    assert "Calendar event, METHOD:CANCEL" in page
    assert "UID:meeting-7@consult" in page.split("<pre", 2)[2]


def test_the_development_outbox_lists_the_newest_hundred(app, client):
    app.config["OUTBOX_PAGE"] = True
    start = utcnow() - timedelta(days=1)
    for i in range(101):
        outbox_message(subject=f"Message number {i:03d}", created_at=start + timedelta(minutes=i))
    db.session.commit()
    page = client.get("/dev/outbox?lang=en").text
    assert page.index("Message number 100") < page.index("Message number 099")
    assert "Message number 001" in page and "Message number 000" not in page


def test_the_development_outbox_filters_by_recipient(app, client):
    app.config["OUTBOX_PAGE"] = True
    outbox_message(recipient="maija_m@example.fi", subject="For Maija")
    outbox_message(recipient="maija.m@example.fi", subject="For the other Maija")
    outbox_message(recipient="matti@example.fi", subject="For Matti")
    db.session.commit()
    page = client.get("/dev/outbox?lang=en&to=MAIJA_").text
    assert "For Maija" in page
    assert "For Matti" not in page
    assert "For the other Maija" not in page  # "_" is a character, not a wildcard
    assert 'value="MAIJA_"' in page

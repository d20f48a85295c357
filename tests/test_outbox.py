"""E-mail through the outbox (SPEC §5, issue 9): the rows are written with the change
that causes them, invites carry the right METHOD and SEQUENCE, a real SMTP server
(aiosmtpd) receives each message exactly once whatever happened before, and nothing
a reader can decode names a client."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import icalendar
import pytest
import time_machine
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from consult.consultations import services as consultations
from consult.extensions import db
from consult.meetings import agenda
from consult.meetings import services as meetings
from consult.meetings.models import Meeting
from consult.outbox import reminders, worker
from consult.outbox.models import OutboxMessage, ReminderRun
from consult.scheduling import booking as bookings
from consult.timeutil import HELSINKI, utcnow
from tests import factories
from tests.smtp import SmtpServer, calendar_part, readable_text, unfold

CLIENT_MARKERS = ("Merkkinen", "Salainen", "SALAINEN-ESITIETO", "SALAINEN-VIESTI")


@pytest.fixture
def smtp(app):
    """A real SMTP server on a free port, not started: a test starts it when it wants."""
    server = SmtpServer()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port)
    yield server
    server.stop()


def rows(**where) -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return list(db.session.scalars(query))


def make_due() -> None:
    """The debounce minute has passed (and any backoff)."""
    db.session.execute(update(OutboxMessage).where(OutboxMessage.state == "pending")
                       .values(due_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def event_of(row: OutboxMessage):
    calendar = icalendar.Calendar.from_ical(row.ics)
    return calendar, next(iter(calendar.walk("VEVENT")))


def marked_client(referrer):
    return factories.create_client(by=referrer, last_name="Merkkinen", first_names="Salainen",
                                   code=factories.identity_code("010190-"))


def team_case(*, coordinator_language="en", referrer_language="en"):
    coordinator = factories.create_user("coordinator", language=coordinator_language)
    member = factories.create_user("member", language="fi")
    team = factories.create_team(coordinators=[coordinator], members=[member])
    referrer = factories.create_user("referrer", language=referrer_language)
    request = factories.create_request(team=team, referrer=referrer,
                                       client=marked_client(referrer), draft={
                                           "wishes_goals.wishes_goals": "SALAINEN-ESITIETO",
                                           "question.question": "SALAINEN-ESITIETO?"})
    consultations.perform(request, "submit", referrer)
    consultations.perform(request, "accept", coordinator)
    meeting = factories.create_meeting(team)
    item = agenda.add_item(meeting, request, by=coordinator)
    db.session.commit()
    return coordinator, member, referrer, meeting, item


# Notifications by e-mail ------------------------------------------------------------

def test_a_notification_is_an_email_in_the_recipients_language_naming_only_the_request(app):
    fi_coordinator = factories.create_user("coordinator", language="fi")
    en_coordinator = factories.create_user("coordinator", language="en")
    team = factories.create_team(coordinators=[fi_coordinator, en_coordinator])
    referrer = factories.create_user("referrer")
    request = factories.create_request(team=team, referrer=referrer, client=marked_client(referrer))
    assert rows() == []
    consultations.perform(request, "submit", referrer)
    db.session.commit()

    sent = {row.recipient: row for row in rows(kind="notification")}
    assert set(sent) == {fi_coordinator.email, en_coordinator.email}
    english, finnish = sent[en_coordinator.email], sent[fi_coordinator.email]
    assert english.language == "en" and finnish.language == "fi"
    assert f"request {request.id}" in english.subject and "Submitted" in english.subject
    assert finnish.subject == f"Konsultaatio: pyyntö {request.id}: Lähetetty"
    assert "Avaa se Konsultaatiossa" in finnish.body
    assert f"http://localhost/requests/{request.id}" in english.body
    assert english.user_id == en_coordinator.id and english.ics is None
    for row in sent.values():
        assert not any(marker in row.subject + row.body for marker in CLIENT_MARKERS)


def test_a_thread_message_is_announced_without_its_text(app):
    coordinator, _, referrer, _, item = team_case()
    consultations.post_message(item.request, referrer, "SALAINEN-VIESTI kuntoutuksesta")
    db.session.commit()
    [row] = [r for r in rows(kind="notification") if "New message" in r.subject]
    assert row.recipient == coordinator.email
    assert "SALAINEN-VIESTI" not in row.body + row.subject


def test_action_items_are_announced_to_their_responsible_people_once_final(app):
    from consult.protocols import services as protocols

    coordinator = factories.create_user("coordinator")
    member = factories.create_user("member")
    _, meeting, _, items, _ = factories.create_meeting_day(
        coordinator, member, preforms=[("Toive", "Kysymys")])
    protocols.start_meeting(meeting, by=coordinator)
    protocol = protocols.protocol_of(items[0].request, items[0])
    protocols.add_action_item(protocol, "Varaa aika", responsible_user=member, by=coordinator)
    db.session.commit()
    assert rows(kind="notification", recipient=member.email) == []
    protocols.finalise(protocol, by=coordinator)
    db.session.commit()
    [row] = rows(kind="notification", recipient=member.email)
    assert "action item" in row.subject.lower()


# Invites ---------------------------------------------------------------------------

def test_a_draft_agenda_sends_nothing_and_sending_invites_everyone(app):
    coordinator, member, referrer, meeting, item = team_case()
    assert rows(kind="invite") == []
    agenda.send_agenda(meeting, by=coordinator)
    db.session.commit()
    invites = {row.recipient: row for row in rows(kind="invite")}
    assert set(invites) == {coordinator.email, member.email, referrer.email}
    for person in (coordinator, member):
        calendar, event = event_of(invites[person.email])
        assert calendar["METHOD"] == "REQUEST" and str(event["UID"]) == meeting.uid
        assert event["SEQUENCE"] == 0 and event["STATUS"] == "CONFIRMED"
    _, event = event_of(invites[referrer.email])
    assert str(event["UID"]) == item.uid  # the referrer joins for their case only
    assert invites[member.email].language == "fi"
    # Not due before the debounce minute has passed.
    assert all(row.due_at > utcnow() for row in invites.values())


def test_several_changes_within_a_minute_send_one_update(app):
    coordinator, member, _, meeting, item = team_case()
    agenda.send_agenda(meeting, by=coordinator)
    agenda.set_minutes(item, 25)
    agenda.send_agenda(meeting, by=coordinator)
    agenda.set_minutes(item, 30)
    agenda.send_agenda(meeting, by=coordinator)
    db.session.commit()
    waiting = rows(kind="invite", recipient=member.email, state="pending")
    assert len(waiting) == 1
    _, event = event_of(waiting[0])
    assert event["SEQUENCE"] == 2
    assert len(rows(kind="invite", recipient=member.email, state="superseded")) == 2


def test_a_change_after_the_invite_went_out_sends_an_update_with_the_same_uid(app, smtp):
    coordinator, member, referrer, meeting, item = team_case()
    agenda.send_agenda(meeting, by=coordinator)
    db.session.commit()
    smtp.start()
    make_due()
    assert worker.send_due().sent == len(rows())
    meetings.edit_meeting(meeting, day=meetings.local_day(meeting),
                          start_time=meetings.local_start(meeting), minutes=90,
                          location="Neuvotteluhuone 2", by=coordinator)
    agenda.send_agenda(meeting, by=coordinator)
    db.session.commit()
    update_row = rows(kind="invite", recipient=member.email, state="pending")[0]
    calendar, event = event_of(update_row)
    assert calendar["METHOD"] == "REQUEST" and str(event["UID"]) == meeting.uid
    assert event["SEQUENCE"] == 1 and str(event["LOCATION"]) == "Neuvotteluhuone 2"
    assert update_row.subject.startswith("Muuttunut: Tiimin kokous")  # the member reads Finnish


def test_a_case_taken_off_a_sent_agenda_is_cancelled_for_its_referrer(app, smtp):
    coordinator, member, referrer, meeting, item = team_case()
    agenda.send_agenda(meeting, by=coordinator)
    db.session.commit()
    smtp.start()
    make_due()
    worker.send_due()
    agenda.remove_item(item, by=coordinator)
    agenda.send_agenda(meeting, by=coordinator)
    db.session.commit()
    [cancel] = rows(recipient=referrer.email, kind="invite", state="pending")
    calendar, event = event_of(cancel)
    assert calendar["METHOD"] == "CANCEL" and cancel.ics_method == "CANCEL"
    assert str(event["UID"]) == item.uid and event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 1
    _, team_event = event_of(rows(recipient=member.email, state="pending")[0])
    assert team_event["STATUS"] == "CONFIRMED"


def test_a_cancellation_of_an_invite_that_never_left_sends_nothing(app):
    coordinator, _, referrer, meeting, item = team_case()
    agenda.send_agenda(meeting, by=coordinator)
    agenda.remove_item(item, by=coordinator)
    agenda.send_agenda(meeting, by=coordinator)
    db.session.commit()
    assert rows(recipient=referrer.email, kind="invite", state="pending") == []


def test_cancelling_a_sent_meeting_sends_cancel_with_the_same_uid(app, smtp):
    coordinator, member, referrer, meeting, item = team_case()
    agenda.send_agenda(meeting, by=coordinator)
    db.session.commit()
    smtp.start()
    make_due()
    worker.send_due()
    meetings.cancel_meeting(meeting, by=coordinator)
    db.session.commit()
    cancels = {row.recipient: row for row in rows(kind="invite", state="pending")}
    assert set(cancels) == {coordinator.email, member.email, referrer.email}
    calendar, event = event_of(cancels[member.email])
    assert calendar["METHOD"] == "CANCEL" and str(event["UID"]) == meeting.uid
    assert event["STATUS"] == "CANCELLED" and event["SEQUENCE"] == 1
    _, event = event_of(cancels[referrer.email])
    assert str(event["UID"]) == item.uid and event["STATUS"] == "CANCELLED"


def test_a_booking_is_invited_moved_and_cancelled_under_one_uid(app, smtp):
    physician = factories.create_user("physician", language="fi")
    referrer = factories.create_user("referrer")
    request = factories.create_submitted_request(physician=physician, referrer=referrer,
                                                 client=marked_client(referrer))
    first, second = (factories.create_slot(physician), factories.create_slot(
        physician, starts_at=factories.next_weekday_at(11)))
    booking = bookings.book(request, first, physician)
    db.session.commit()
    assert len(rows(kind="invite")) == 2  # the physician and the referrer
    smtp.start()
    make_due()
    worker.send_due()
    bookings.move(request, second, physician)
    db.session.commit()
    make_due()
    worker.send_due()
    bookings.cancel(request, physician, "Sairastuin")
    db.session.commit()
    make_due()
    worker.send_due()
    received = [m for m in smtp.inbox.messages if m["To"] == referrer.email]
    events = [icalendar.Calendar.from_ical(calendar_part(m).get_content()) for m in received]
    assert [str(c["METHOD"]) for c in events] == ["REQUEST", "REQUEST", "CANCEL"]
    vevents = [next(iter(c.walk("VEVENT"))) for c in events]
    assert {str(e["UID"]) for e in vevents} == {booking.uid}
    assert [e["SEQUENCE"] for e in vevents] == [0, 1, 2]
    assert vevents[-1]["STATUS"] == "CANCELLED"
    assert "Sairastuin" not in "".join(readable_text(m) for m in received)


# Sending over SMTP ---------------------------------------------------------------

def test_with_the_smtp_server_down_changes_commit_and_every_message_arrives_once_later(app, smtp):
    coordinator, member, referrer, meeting, _ = team_case()
    agenda.send_agenda(meeting, by=coordinator)
    db.session.commit()
    make_due()
    result = worker.send_due()  # nobody listens on the port yet
    assert result.failed == len(rows()) and result.sent == 0
    assert db.session.get(Meeting, meeting.id).state == "agenda_sent"
    assert all(r.state == "pending" and r.attempts == 1 and r.due_at > utcnow() for r in rows())
    assert all(r.last_error for r in rows())

    smtp.start()
    assert worker.send_due().sent == 0  # still backing off
    make_due()
    sent = worker.send_due()
    assert sent.sent == len(rows())
    make_due()
    assert worker.send_due().sent == 0
    ids = smtp.inbox.message_ids()
    assert len(ids) == len(set(ids)) == len(rows())
    assert set(ids) == {r.message_id for r in rows()}
    assert all(r.state == "sent" and r.sent_at is not None for r in rows())


def test_a_message_is_dead_after_the_last_attempt(app, smtp):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    db.session.add(OutboxMessage(message_id="<m1@example.fi>", kind="notification",
                                 recipient="a@example.fi", subject="S", body="B"))
    db.session.commit()
    assert worker.send_due().dead == 0
    make_due()
    assert worker.send_due().dead == 1
    [row] = rows()
    assert row.state == "dead" and row.attempts == 2 and "ConnectionRefused" in row.last_error


def test_invite_mime_part_method_matches_the_calendar_and_nothing_names_the_client(app, smtp):
    coordinator, member, referrer, meeting, item = team_case()
    agenda.add_guest(item, name="Vieras Henkilö", organisation=referrer.organisation,
                     email="guest@example.fi", by=coordinator)
    consultations.post_message(item.request, referrer, "SALAINEN-VIESTI")
    agenda.send_agenda(meeting, by=coordinator)
    db.session.commit()
    smtp.start()
    make_due()
    worker.send_due()
    messages = smtp.inbox.messages
    recipients = {m["To"] for m in messages}
    assert {"guest@example.fi", referrer.email, member.email} <= recipients
    for message in messages:
        text = readable_text(message)
        assert not any(marker in text for marker in CLIENT_MARKERS), text
        assert factories.identity_code("010190-")[:7] not in text
        part = calendar_part(message)
        if part is None:
            continue
        body = part.get_content()
        assert part.get_param("method") == str(icalendar.Calendar.from_ical(body)["METHOD"])
        assert message["Message-ID"] in smtp.inbox.message_ids()
    guest_mail = next(m for m in messages if m["To"] == "guest@example.fi")
    guest_text = readable_text(guest_mail)
    assert "/requests/" not in guest_text  # no account, so no link behind a login
    assert "Vieras Henkilö" in unfold(calendar_part(guest_mail).get_content())


def test_two_workers_never_send_the_same_message(app, smtp):
    for n in range(40):
        db.session.add(OutboxMessage(message_id=f"<bulk-{n}@example.fi>", kind="notification",
                                     recipient=f"r{n}@example.fi", subject=f"S{n}", body="B"))
    db.session.commit()
    smtp.start()
    errors = []

    def work():
        with app.app_context():
            try:
                for _ in range(40):
                    if worker.send_due(limit=3).sent == 0 and not rows(state="pending"):
                        break
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    ids = smtp.inbox.message_ids()
    assert len(ids) == 40 and len(set(ids)) == 40
    assert {r.state for r in rows()} == {"sent"}


def test_a_failing_outbox_insert_rolls_the_change_back(app, monkeypatch):
    coordinator, _, _, meeting, _ = team_case()
    db.session.add(OutboxMessage(message_id="<taken@example.fi>", kind="notification",
                                 recipient="x@example.fi", subject="S", body="B"))
    db.session.commit()
    before = len(rows())
    monkeypatch.setattr("consult.outbox.services.new_message_id", lambda: "<taken@example.fi>")
    with pytest.raises(IntegrityError):
        agenda.send_agenda(meeting, by=coordinator)
    db.session.rollback()
    assert db.session.get(Meeting, meeting.id).state == "draft"
    assert len(rows()) == before


def test_a_failing_outbox_insert_leaves_the_sent_page_unchanged(app, client, auth, monkeypatch):
    coordinator, _, _, meeting, _ = team_case()
    db.session.add(OutboxMessage(message_id="<taken@example.fi>", kind="notification",
                                 recipient="x@example.fi", subject="S", body="B"))
    db.session.commit()
    before = len(rows())
    auth.login(coordinator)
    token = auth.csrf(f"/meetings/{meeting.id}")
    monkeypatch.setattr("consult.outbox.services.new_message_id", lambda: "<taken@example.fi>")
    response = client.post(f"/meetings/{meeting.id}/send", data={"csrf_token": token})
    assert response.status_code == 500
    assert db.session.get(Meeting, meeting.id).state == "draft"
    assert len(rows()) == before


def test_a_password_reset_link_is_not_kept_after_sending(app, smtp):
    db.session.add(OutboxMessage(message_id="<reset@example.fi>", kind="reset",
                                 recipient="a@example.fi", subject="Reset",
                                 body="http://localhost/password/reset/SECRET"))
    db.session.commit()
    smtp.start()
    worker.send_due()
    [row] = rows()
    assert row.state == "sent" and "SECRET" not in row.body
    assert "SECRET" in readable_text(smtp.inbox.messages[0])


def test_a_claim_of_a_worker_that_died_is_taken_again(app, smtp):
    db.session.add(OutboxMessage(message_id="<stuck@example.fi>", kind="notification",
                                 recipient="a@example.fi", subject="S", body="B",
                                 state="sending", claimed_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    smtp.start()
    assert worker.send_due().sent == 1


def test_send_due_without_an_smtp_server_configured_says_so(app, runner):
    result = runner.invoke(args=["outbox", "send-due"])
    assert result.exit_code != 0 and "SMTP_HOST" in result.output


def test_send_due_command_sends(app, runner, smtp):
    db.session.add(OutboxMessage(message_id="<cli@example.fi>", kind="notification",
                                 recipient="a@example.fi", subject="S", body="B"))
    db.session.commit()
    smtp.start()
    result = runner.invoke(args=["outbox", "send-due"])
    assert result.exit_code == 0, result.output
    assert "Sent: 1." in result.output and len(smtp.inbox.messages) == 1


# Daily reminders -----------------------------------------------------------------

def overdue_world(days_overdue: int):
    from consult.protocols import services as protocols

    coordinator = factories.create_user("coordinator")
    member = factories.create_user("member", language="fi")
    _, meeting, _, items, _ = factories.create_meeting_day(
        coordinator, member, preforms=[("Toive", "Kysymys")])
    protocols.start_meeting(meeting, by=coordinator)
    protocol = protocols.protocol_of(items[0].request, items[0])
    due_on = datetime.now(HELSINKI).date() - timedelta(days=days_overdue)
    protocols.add_action_item(protocol, "SALAINEN-ESITIETO: varaa aika",
                              responsible_user=member, by=coordinator)
    protocol.action_items[0].due_on = due_on  # set past the form's "not in the past" rule
    protocols.finalise(protocol, by=coordinator)
    db.session.commit()
    return member


def at_helsinki(hour: int):
    local = datetime.now(HELSINKI).replace(hour=hour, minute=5)
    return local.astimezone(timezone.utc)


@pytest.mark.parametrize("days_overdue, reminded", [(0, True), (7, True), (3, False)])
def test_reminders_on_the_due_day_and_weekly_after(app, days_overdue, reminded):
    member = overdue_world(days_overdue)
    with time_machine.travel(at_helsinki(8), tick=False):
        queued = reminders.run_daily()
    mails = rows(kind="reminder", recipient=member.email)
    assert queued == len(mails) == (1 if reminded else 0)
    if reminded:
        assert "/actions" in mails[0].body and "SALAINEN" not in mails[0].body
        assert str(mails[0].body).count("- ") >= 1


def test_the_reminder_pass_runs_once_a_day_and_not_before_its_hour(app):
    member = overdue_world(0)
    with time_machine.travel(at_helsinki(5), tick=False):
        assert reminders.run_daily() == 0
        assert db.session.scalars(select(ReminderRun)).all() == []
    with time_machine.travel(at_helsinki(8), tick=False):
        assert reminders.run_daily() == 1
        assert reminders.run_daily() == 0
    assert len(rows(kind="reminder", recipient=member.email)) == 1


def test_every_message_about_a_case_is_in_the_clients_access_trail(app):
    from consult.audit.models import AuditEvent

    coordinator, member, referrer, meeting, item = team_case()
    agenda.add_guest(item, name="Vieras Henkilö", organisation=referrer.organisation,
                     email="guest@example.fi", by=coordinator)
    agenda.send_agenda(meeting, by=coordinator)
    db.session.commit()
    trail = db.session.execute(select(AuditEvent.purpose, AuditEvent.recipient).where(
        AuditEvent.client_id == item.request.client_id,
        AuditEvent.action == "disclose")).all()
    assert ("email_invite", "guest@example.fi") in trail
    assert ("email_invite", referrer.email) in trail
    assert ("email_notification", coordinator.email) in trail  # the submitted request
    # The team's invite for the whole meeting names no one case's client.
    assert ("email_invite", member.email) not in trail


# TLS to the relay --------------------------------------------------------------------

@pytest.fixture
def tls_smtp(smtp, tmp_path):
    """The test server with STARTTLS required and a self-signed certificate for
    127.0.0.1 (made by openssl); yields (server, the certificate's path)."""
    import ssl
    import subprocess

    cert, key = tmp_path / "relay.pem", tmp_path / "relay.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    smtp.start(tls_context=context, require_starttls=True)
    return smtp, cert


def test_starttls_checks_the_relays_certificate(app, tls_smtp):
    smtp, _cert = tls_smtp
    app.config.update(SMTP_STARTTLS=True)
    db.session.add(OutboxMessage(message_id="<tls-1@example.fi>", kind="notification",
                                 recipient="r@example.fi", subject="S", body="B"))
    db.session.commit()

    result = worker.send_due()

    assert (result.sent, result.failed) == (0, 1)
    (row,) = rows()
    assert row.state == "pending" and "SSLCertVerificationError" in row.last_error
    assert smtp.inbox.messages == []


def test_starttls_sends_to_a_relay_whose_certificate_the_configured_ca_vouches_for(app,
                                                                                  tls_smtp):
    smtp, cert = tls_smtp
    app.config.update(SMTP_STARTTLS=True, SMTP_CA_FILE=str(cert))
    db.session.add(OutboxMessage(message_id="<tls-2@example.fi>", kind="notification",
                                 recipient="r@example.fi", subject="S", body="B"))
    db.session.commit()

    assert worker.send_due().sent == 1
    assert smtp.inbox.message_ids() == ["<tls-2@example.fi>"]


def test_the_worker_never_logs_in_without_tls(app, smtp):
    smtp.start()
    app.config.update(SMTP_USER="relay-user", SMTP_PASSWORD="relay-password")
    db.session.add(OutboxMessage(message_id="<clear@example.fi>", kind="notification",
                                 recipient="r@example.fi", subject="S", body="B"))
    db.session.commit()

    with pytest.raises(worker.SmtpNotConfigured, match="SMTP_STARTTLS"):
        worker.send_due()
    (row,) = rows()
    assert (row.state, row.attempts) == ("pending", 0)
    assert smtp.inbox.messages == []

"""The outbox worker (`flask --app app outbox run`, or one pass with `outbox send-due`):
send the due messages over SMTP, try failed ones again later, and give up on a message
after `OUTBOX_MAX_ATTEMPTS` (it is then *dead*, shown to admins at /admin/outbox).

Claiming: a worker takes due rows with `SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL;
SQLite has one writer at a time anyway) and moves each from pending to sending with a
conditional UPDATE in the same transaction, so that of several workers exactly one
gets a row. It commits the claim before talking to the SMTP server; a claim older than
`OUTBOX_CLAIM_TIMEOUT` belongs to a worker that died mid-send, and the row is due
again. A message the server accepted just before such a crash can arrive twice: it
keeps its Message-ID, so receivers can tell."""
from __future__ import annotations

import logging
import smtplib
import ssl
import time
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from consult.extensions import db
from consult.outbox.mail import compose
from consult.outbox.models import OutboxMessage
from consult.timeutil import utcnow

log = logging.getLogger(__name__)
BATCH = 50
MAX_BACKOFF = timedelta(hours=1)


class SmtpNotConfigured(RuntimeError):
    pass


@dataclass
class PassResult:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    ids: list[int] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, … minutes after the attempts so far, at most an hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def release_stale_claims() -> int:
    limit = utcnow() - current_app.config["OUTBOX_CLAIM_TIMEOUT"]
    count = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.state == "sending", OutboxMessage.claimed_at < limit)
        .values(state="pending")).rowcount
    db.session.commit()
    return count


def claim(limit: int = BATCH) -> list[OutboxMessage]:
    """Due pending rows, now ours (state sending), committed."""
    now = utcnow()
    ids = list(db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.state == "pending", OutboxMessage.due_at <= now)
        .order_by(OutboxMessage.due_at, OutboxMessage.id).limit(limit)
        .with_for_update(skip_locked=True)))
    claimed = []
    for message_id in ids:
        won = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.state == "pending")
            .values(state="sending", claimed_at=now, attempts=OutboxMessage.attempts + 1)
        ).rowcount
        if won:
            claimed.append(message_id)
    db.session.commit()
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(claimed)).order_by(OutboxMessage.id)))


def _connect() -> smtplib.SMTP:
    config = current_app.config
    check_smtp_config(config)
    connection = smtplib.SMTP(config["SMTP_HOST"], int(config["SMTP_PORT"]),
                              timeout=config["SMTP_TIMEOUT"])
    if config.get("SMTP_STARTTLS"):
        # The server's certificate and name are checked: a failure is an OSError, and
        # the message waits for the next attempt.
        connection.starttls(context=ssl.create_default_context(
            cafile=config.get("SMTP_CA_FILE") or None))
    if config.get("SMTP_USER"):
        connection.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
    return connection


def _sent(row: OutboxMessage) -> None:
    row.state, row.sent_at, row.last_error = "sent", utcnow(), ""
    if row.kind == "reset":
        # The link is a secret that worked for a while: the database keeps no copy.
        row.body = "—"


def _failed(row: OutboxMessage, error: Exception) -> bool:
    """Try again later, or give up. True when the message is now dead."""
    row.last_error = f"{type(error).__name__}: {error}"[:500]
    if row.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        row.state = "dead"
        return True
    row.state, row.due_at = "pending", utcnow() + backoff(row.attempts)
    return False


def check_smtp_config(config) -> None:
    if not config.get("SMTP_HOST"):
        raise SmtpNotConfigured(
            "SMTP_HOST is not set: nothing can be sent. In development the messages are "
            "shown at /dev/outbox instead.")
    if config.get("SMTP_USER") and not config.get("SMTP_STARTTLS"):
        raise SmtpNotConfigured(
            "SMTP_USER is set but SMTP_STARTTLS is not: the password would cross the "
            "network in clear. Turn SMTP_STARTTLS on (the relay's port 587, usually).")


def send_due(limit: int = BATCH) -> PassResult:
    """One pass: claim what is due and send it, over one SMTP connection."""
    check_smtp_config(current_app.config)
    result = PassResult()
    release_stale_claims()
    rows = claim(limit)
    if not rows:
        return result
    sender = current_app.config["MAIL_FROM"]
    connection = None
    try:
        for row in rows:
            try:
                if connection is None:
                    connection = _connect()
                connection.send_message(compose(row, sender=sender), from_addr=sender,
                                        to_addrs=[row.recipient])
            except (smtplib.SMTPException, OSError) as error:
                if isinstance(error, (smtplib.SMTPServerDisconnected, OSError)):
                    connection = None
                result.failed += 1
                result.dead += _failed(row, error)
                log.warning("outbox message %s not sent (attempt %s): %s", row.id,
                            row.attempts, type(error).__name__)
            else:
                _sent(row)
                result.sent += 1
                result.ids.append(row.id)
            db.session.commit()
    finally:
        if connection is not None:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                pass
    return result


def run(*, once: bool = False, poll_seconds: float | None = None, remind=None) -> None:
    """The worker loop: the daily reminders when their time has come, then the due
    messages, then a pause. Stops on Ctrl-C or SIGTERM between passes."""
    import signal

    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    pause = poll_seconds if poll_seconds is not None else current_app.config["OUTBOX_POLL_SECONDS"]
    while not stopping:
        try:
            if remind is not None:
                remind()
            result = send_due()
            if result.sent or result.failed:
                log.info("outbox: %s sent, %s failed, %s dead", result.sent, result.failed,
                         result.dead)
        except SmtpNotConfigured:
            raise
        except Exception:  # a database hiccup: log it, keep the worker alive
            db.session.rollback()
            log.exception("outbox pass failed")
        finally:
            db.session.remove()
        if once:
            return
        time.sleep(pause)

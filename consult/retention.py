"""Retention (SPEC §3, §9): `flask --app app purge-expired [--dry-run]` deletes the cases
closed longer than CASE_RETENTION_DAYS with everything that is theirs, the clients
left with no case and no consent within that period, and the audit events older than
AUDIT_RETENTION_DAYS — in one transaction, printing counts only.

The audit trail is append-only: here in the app (no AuditEvent is updated or deleted
through the ORM, except the purge's own delete of expired rows), and in the database
(migration 0013: triggers that refuse any update and any delete of a row younger than
AUDIT_RETENTION_FLOOR_DAYS)."""
from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import Delete, Update, delete, event, exists, func, or_, select, text
from sqlalchemy.orm import Session

from consult.accounts.models import LoginAttempt, LoginSession, PasswordReset
from consult.audit import services as audit
from consult.audit.models import AuditEvent
from consult.clients.models import Client
from consult.consents.models import Consent, consent_organisation
from consult.consultations.models import (
    ConsultationRequest, Notification, PreForm, PreFormVersion, RequestEvent, RequestGuest,
    RequestMessage, request_event_service)
from consult.consultations.states import OPEN_STATES, STATES
from consult.extensions import db
from consult.followups.models import FollowUp
from consult.indicators import ledger
from consult.invites.models import CalendarFeed
from consult.meetings.models import AgendaGuest, AgendaItem, Attendance, Delivery
from consult.outbox.models import OutboxMessage
from consult.protocols.models import ActionItem, Addendum, Protocol, Recommendation
from consult.scheduling.models import Booking, SlotProposal
from consult.timeutil import to_helsinki, utcnow

# closed · resolved_at_consultation · declined · withdrawn: no act leaves these.
FINAL_STATES = tuple(state for state in STATES if state not in OPEN_STATES)
# The legal minimum for the log data of social and health care client records: 12
# years. Migration 0013's triggers hold the same floor in the database (as "12 years"),
# so the configuration may keep audit events longer, never shorter.
AUDIT_RETENTION_FLOOR_DAYS = 4383
# Cases are deleted this many at a time (a list of ids stays under every engine's
# limit on bound parameters), all in the one transaction.
CHUNK = 500


class AuditTrailIsAppendOnly(RuntimeError):
    """An audit event was about to be changed, or deleted other than by the purge."""


class RetentionMisconfigured(RuntimeError):
    pass


# The configuration ----------------------------------------------------------------

def check_config(config) -> None:
    """The periods are whole days; audit events are kept at least the legal minimum
    (the database would refuse the purge of younger ones anyway, all of it)."""
    for key in ("CASE_RETENTION_DAYS", "AUDIT_RETENTION_DAYS", "HOUSEKEEPING_DAYS"):
        value = config.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise RetentionMisconfigured(f"{key} must be a whole number of days, at least 1, "
                                         f"not {value!r}.")
    if config["AUDIT_RETENTION_DAYS"] < AUDIT_RETENTION_FLOOR_DAYS:
        raise RetentionMisconfigured(
            f"AUDIT_RETENTION_DAYS is {config['AUDIT_RETENTION_DAYS']}, but audit events "
            f"(the log data of client records) must be kept at least 12 years "
            f"({AUDIT_RETENTION_FLOOR_DAYS} days). It may be longer, never shorter.")


# The application-side guard of the audit trail ------------------------------------

_PURGING = "consult.audit_purge"


def _is_audit_table(statement) -> bool:
    table = getattr(statement, "table", None)
    return getattr(table, "name", None) == AuditEvent.__tablename__


def _refuse_changed_audit_events(session, _flush_context, _instances) -> None:
    for obj in session.deleted:
        if isinstance(obj, AuditEvent) and not session.info.get(_PURGING):
            raise AuditTrailIsAppendOnly("Audit events cannot be deleted.")
    for obj in session.dirty:
        if isinstance(obj, AuditEvent) and session.is_modified(obj):
            raise AuditTrailIsAppendOnly("Audit events cannot be changed.")


def _refuse_audit_statements(state) -> None:
    """ORM bulk statements too (`update(AuditEvent)`, `delete(AuditEvent)`): only the
    purge deletes, nothing updates. Core statements on the table and raw SQL are the
    database's to refuse (migration 0013)."""
    if not (state.is_update or state.is_delete) or not state.is_orm_statement:
        return
    if not _is_audit_table(state.statement):
        return
    if isinstance(state.statement, Update):
        raise AuditTrailIsAppendOnly("Audit events cannot be changed.")
    if isinstance(state.statement, Delete) and not state.session.info.get(_PURGING):
        raise AuditTrailIsAppendOnly(
            "Audit events are deleted only by purge-expired, after their retention period.")


def install_audit_guard() -> None:
    """On every ORM session of the process (idempotent)."""
    for name, listener in (("before_flush", _refuse_changed_audit_events),
                           ("do_orm_execute", _refuse_audit_statements)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


@contextmanager
def _purging(session):
    session.info[_PURGING] = True
    try:
        yield
    finally:
        session.info.pop(_PURGING, None)


@contextmanager
def audit_trail_unlocked():
    """FOR THE TEST SUITE ONLY, which empties every table between tests: inside the
    block, audit events may be deleted whatever their age. The app's guard lets the
    session delete them, and the database's triggers (migration 0013) are off in the
    session's transaction and back on in the same transaction on the way out, so the
    caller commits after the block; an error inside rolls the whole transaction back.
    Harmless without the triggers."""
    session = db.session
    conn = session.connection()
    dialect = conn.dialect.name
    triggers: list[tuple[str, str]] = []
    if dialect == "postgresql":
        conn.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER USER")
    elif dialect == "sqlite":
        if not conn.connection.driver_connection.in_transaction:
            # pysqlite runs DDL outside a transaction unless one is open: open one, so
            # that the dropped triggers come back whatever happens in between.
            conn.exec_driver_sql("BEGIN")
        triggers = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'trigger' AND tbl_name = 'audit_event'").all()
        for name, _sql in triggers:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    try:
        with _purging(session):
            yield
    except BaseException:
        session.rollback()  # the triggers come back with everything else
        raise
    if dialect == "postgresql":
        conn.exec_driver_sql("ALTER TABLE audit_event ENABLE TRIGGER USER")
    for _name, sql in triggers:
        conn.exec_driver_sql(sql)


# The purge ------------------------------------------------------------------------

@dataclass
class PurgeResult:
    case_cutoff: datetime
    audit_cutoff: datetime
    cases: int = 0
    clients: int = 0
    audit_events: int = 0
    # Rows per table, the cases' own and the clients' (consents).
    rows: Counter = field(default_factory=Counter)


def closed_at_query():
    """(request id, closed at) of every case in a final state. Closed at is the time of
    the event that reached that state (a later handover or pause does not count); a case
    with no such event, which the app never makes, counts from its last change."""
    reached = (
        select(RequestEvent.request_id, func.max(RequestEvent.at).label("at"))
        .join(ConsultationRequest, ConsultationRequest.id == RequestEvent.request_id)
        .where(ConsultationRequest.state.in_(FINAL_STATES),
               RequestEvent.to_state == ConsultationRequest.state,
               RequestEvent.from_state != RequestEvent.to_state)
        .group_by(RequestEvent.request_id)
        .subquery())
    closed_at = func.coalesce(reached.c.at, ConsultationRequest.updated_at)
    return (select(ConsultationRequest.id, closed_at.label("closed_at"))
            .outerjoin(reached, reached.c.request_id == ConsultationRequest.id)
            .where(ConsultationRequest.state.in_(FINAL_STATES)))


def expired_case_ids(cutoff: datetime) -> list[int]:
    query = closed_at_query().subquery()
    return list(db.session.scalars(select(query.c.id).where(query.c.closed_at < cutoff)
                                   .order_by(query.c.id)))


def _delete_cases(ids: list[int], rows: Counter) -> None:
    """Children first, so that no foreign key ever points at a deleted row."""
    events = select(RequestEvent.id).where(RequestEvent.request_id.in_(ids))
    preforms = select(PreForm.id).where(PreForm.request_id.in_(ids))
    items = select(AgendaItem.id).where(AgendaItem.request_id.in_(ids))
    guests = select(AgendaGuest.id).where(AgendaGuest.item_id.in_(items))
    # A protocol's agenda item is always its own case's; were another case's protocol
    # to point at one of these items, its foreign key fails the whole purge rather
    # than another case losing its record.
    protocols = select(Protocol.id).where(Protocol.request_id.in_(ids))
    statements = (
        delete(request_event_service).where(request_event_service.c.request_event_id.in_(events)),
        delete(RequestEvent).where(RequestEvent.request_id.in_(ids)),
        delete(PreFormVersion).where(PreFormVersion.preform_id.in_(preforms)),
        delete(PreForm).where(PreForm.request_id.in_(ids)),
        delete(RequestMessage).where(RequestMessage.request_id.in_(ids)),
        delete(RequestGuest).where(RequestGuest.request_id.in_(ids)),
        delete(Notification).where(Notification.request_id.in_(ids)),
        delete(FollowUp).where(FollowUp.request_id.in_(ids)),
        delete(Recommendation).where(Recommendation.protocol_id.in_(protocols)),
        delete(ActionItem).where(ActionItem.protocol_id.in_(protocols)),
        delete(Addendum).where(Addendum.protocol_id.in_(protocols)),
        delete(Protocol).where(Protocol.id.in_(protocols)),
        delete(Attendance).where(Attendance.guest_id.in_(guests)),
        delete(Delivery).where(or_(Delivery.item_id.in_(items), Delivery.guest_id.in_(guests))),
        delete(AgendaGuest).where(AgendaGuest.item_id.in_(items)),
        delete(AgendaItem).where(AgendaItem.request_id.in_(ids)),
        # The slots stay: they are the physician's.
        delete(Booking).where(Booking.request_id.in_(ids)),
        delete(SlotProposal).where(SlotProposal.request_id.in_(ids)),
        delete(OutboxMessage).where(OutboxMessage.request_id.in_(ids)),
        delete(ConsultationRequest).where(ConsultationRequest.id.in_(ids)),
    )
    for statement in statements:
        result = db.session.execute(statement, execution_options={"synchronize_session": False})
        rows[statement.table.name] += result.rowcount
    ledger.touch(ids)  # the indicators forget the cases when the purge commits


def expired_client_ids(cutoff: datetime, cutoff_day: date) -> list[int]:
    """Clients registered before the cutoff who have no case left and no consent that
    was in force on or after the cutoff day: everything the app kept about them has
    passed its retention period. A client with a case, or a consent in force within the
    period, stays in the register."""
    current_consent = exists().where(
        Consent.client_id == Client.id,
        Consent.valid_until >= cutoff_day,
        or_(Consent.withdrawn_on.is_(None), Consent.withdrawn_on >= cutoff_day))
    has_case = exists().where(ConsultationRequest.client_id == Client.id)
    return list(db.session.scalars(
        select(Client.id).where(Client.created_at < cutoff, ~has_case, ~current_consent)
        .order_by(Client.id)))


def _delete_clients(ids: list[int], rows: Counter) -> None:
    consents = select(Consent.id).where(Consent.client_id.in_(ids))
    for statement in (
        delete(consent_organisation).where(consent_organisation.c.consent_id.in_(consents)),
        delete(Consent).where(Consent.client_id.in_(ids)),
        delete(Client).where(Client.id.in_(ids)),
    ):
        result = db.session.execute(statement, execution_options={"synchronize_session": False})
        rows[statement.table.name] += result.rowcount


def database_audit_floor() -> datetime:
    """The database's own "now − 12 years", which its triggers compare with: the purge
    never asks it to delete a row it would refuse (its clock may differ from ours)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return db.session.scalar(text("SELECT (now() AT TIME ZONE 'utc') - interval '12 years'"))
    value = db.session.scalar(text("SELECT datetime('now', '-12 years')"))
    return datetime.fromisoformat(value)


def _delete_account_housekeeping(now: datetime, rows: Counter) -> None:
    """Rows kept only for the login machinery: sessions past their timeouts (dead
    already), and after HOUSEKEEPING_DAYS failed logins (addresses people typed),
    spent or expired reset links and revoked calendar feeds."""
    config = current_app.config
    kept_until = now - timedelta(days=config["HOUSEKEEPING_DAYS"])
    for model, condition in (
        (LoginSession, or_(LoginSession.created_at < now - config["SESSION_ABSOLUTE_TIMEOUT"],
                           LoginSession.last_seen_at < now - config["SESSION_IDLE_TIMEOUT"])),
        (LoginAttempt, LoginAttempt.attempted_at < kept_until),
        (PasswordReset, PasswordReset.expires_at < kept_until),
        (CalendarFeed, CalendarFeed.revoked_at < kept_until),
    ):
        deleted = db.session.execute(delete(model).where(condition),
                                     execution_options={"synchronize_session": False})
        if deleted.rowcount:
            rows[model.__tablename__] += deleted.rowcount


def purge_expired(config) -> PurgeResult:
    """Deletes, flushes, never commits: the caller commits or (a dry run) rolls back."""
    check_config(config)
    now = utcnow()
    case_cutoff = now - timedelta(days=config["CASE_RETENTION_DAYS"])
    audit_cutoff = min(now - timedelta(days=config["AUDIT_RETENTION_DAYS"]),
                       database_audit_floor())
    result = PurgeResult(case_cutoff=case_cutoff, audit_cutoff=audit_cutoff)
    db.session.flush()
    case_ids = expired_case_ids(case_cutoff)
    for start in range(0, len(case_ids), CHUNK):
        _delete_cases(case_ids[start:start + CHUNK], result.rows)
    result.cases = len(case_ids)
    # The cutoff as a Finnish calendar day: consents count whole days.
    cutoff_day = to_helsinki(case_cutoff).date()
    client_ids = expired_client_ids(case_cutoff, cutoff_day)
    for start in range(0, len(client_ids), CHUNK):
        _delete_clients(client_ids[start:start + CHUNK], result.rows)
    result.clients = len(client_ids)
    _delete_account_housekeeping(now, result.rows)
    with _purging(db.session):
        deleted = db.session.execute(
            delete(AuditEvent).where(AuditEvent.at < audit_cutoff),
            execution_options={"synchronize_session": False})
    result.audit_events = deleted.rowcount
    audit.record("delete", purpose="retention_purge", detail=(
        f"cases={result.cases} clients={result.clients} audit_events={result.audit_events}"))
    return result


# The command ----------------------------------------------------------------------

@click.command("purge-expired")
@click.option("--dry-run", is_flag=True,
              help="Count what would be deleted, delete nothing.")
@with_appcontext
def purge_expired_command(dry_run: bool) -> None:
    """Delete what has passed its retention period (run daily or monthly, e.g. from
    cron): cases closed longer than CASE_RETENTION_DAYS ago with everything that is
    theirs, clients left with no case and no consent within that period, and audit
    events older than AUDIT_RETENTION_DAYS. One transaction; prints counts only."""
    try:
        result = purge_expired(current_app.config)
    except RetentionMisconfigured as problem:
        db.session.rollback()
        raise click.ClickException(str(problem)) from None
    except Exception:
        db.session.rollback()
        raise
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    config = current_app.config
    click.echo(f"Cases closed before {result.case_cutoff:%Y-%m-%d %H:%M} UTC "
               f"(CASE_RETENTION_DAYS {config['CASE_RETENTION_DAYS']}); audit events from "
               f"before {result.audit_cutoff:%Y-%m-%d %H:%M} UTC "
               f"(AUDIT_RETENTION_DAYS {config['AUDIT_RETENTION_DAYS']}).")
    done = "to delete" if dry_run else "deleted"
    click.echo(f"Cases {done}: {result.cases}. Clients {done} (no case left, no consent in "
               f"force since the cutoff): {result.clients}. Audit events {done}: "
               f"{result.audit_events}.")
    if result.rows:
        click.echo("Rows by table:")
        for table, count in sorted(result.rows.items()):
            click.echo(f"  {table:<24} {count:>9}")
    if dry_run:
        click.echo("Dry run: nothing was deleted.")


def init_app(app: Flask) -> None:
    """Refuse to start with a retention shorter than the law allows; guard the audit
    trail in every session; add the command."""
    try:
        check_config(app.config)
    except RetentionMisconfigured as problem:
        raise RuntimeError(f"Refusing to start: {problem}") from None
    install_audit_guard()
    app.cli.add_command(purge_expired_command)

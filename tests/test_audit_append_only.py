"""Audit rows cannot be changed or deleted, except by purge-expired after their retention
period (SPEC §3): the app refuses it through the ORM, and the database itself (migration
0013's triggers) refuses any update and the delete of a row younger than 12 years."""
from __future__ import annotations

from contextlib import nullcontext
from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError

from consult.audit import services as audit
from consult.audit.models import AuditEvent
from consult.extensions import db
from consult.retention import AuditTrailIsAppendOnly, audit_trail_unlocked
from tests.conftest import (database_now, fresh_postgres_database, make_app,
                            postgres_admin_url, upgrade_schema)

YEAR = timedelta(days=365.25)


# In the app ------------------------------------------------------------------------

@pytest.fixture
def event_id(app):
    event = audit.record("view", object_type="client", object_id=1, client_id=1,
                         purpose="client_register")
    db.session.commit()
    return event.id


def test_the_app_refuses_to_change_an_audit_event(event_id):
    event = db.session.get(AuditEvent, event_id)
    event.purpose = "something else"
    with pytest.raises(AuditTrailIsAppendOnly, match="cannot be changed"):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AuditTrailIsAppendOnly, match="cannot be changed"):
        db.session.execute(update(AuditEvent).values(outcome="denied"))
    db.session.rollback()
    assert db.session.get(AuditEvent, event_id).purpose == "client_register"


def test_the_app_refuses_to_delete_an_audit_event(event_id):
    db.session.delete(db.session.get(AuditEvent, event_id))
    with pytest.raises(AuditTrailIsAppendOnly, match="cannot be deleted"):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AuditTrailIsAppendOnly, match="only by purge-expired"):
        db.session.execute(delete(AuditEvent).where(AuditEvent.id == event_id))
    db.session.rollback()
    assert db.session.get(AuditEvent, event_id) is not None


def test_new_audit_events_are_still_written(event_id):
    audit.record("list", object_type="client", object_id=2, client_id=2, purpose="client_register")
    db.session.commit()
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 2


# In the database -------------------------------------------------------------------

@pytest.fixture(scope="module")
def locked_url(tmp_path_factory):
    """A database of its own, built by the migrations with their triggers (the test
    run's shared one is emptied between tests); PostgreSQL when the run uses it."""
    server = postgres_admin_url()
    database = fresh_postgres_database(server) if server else nullcontext(
        "sqlite:///" + str(tmp_path_factory.mktemp("locked") / "locked.sqlite"))
    with database as url:
        upgrade_schema(url)
        yield url


@pytest.fixture
def locked(locked_url):
    app = make_app(locked_url)
    with app.app_context():
        yield app
        db.session.rollback()
        with audit_trail_unlocked():
            db.session.execute(AuditEvent.__table__.delete())
        db.session.commit()
        db.engine.dispose()


def row(age: timedelta) -> int:
    """An audit event `age` old by the database's clock, the one its triggers read."""
    event = AuditEvent(action="view", object_type="client", client_id=1,
                       at=database_now() - age)
    db.session.add(event)
    db.session.commit()
    return event.id


def ids() -> set[int]:
    """The events of the test, without the purge's own record of itself."""
    return set(db.session.scalars(select(AuditEvent.id).where(
        AuditEvent.purpose != "retention_purge")))


def refused(sql: str, message: str, **params) -> None:
    with pytest.raises(IntegrityError, match=message):
        db.session.execute(text(sql), params)
    db.session.rollback()


def test_the_database_refuses_any_update_of_an_audit_row(locked):
    old = row(13 * YEAR)
    refused("UPDATE audit_event SET purpose = 'x' WHERE id = :id", "append-only", id=old)
    refused("UPDATE audit_event SET at = at", "append-only")


def test_the_database_refuses_to_delete_a_row_younger_than_12_years(locked):
    young, almost = row(timedelta(days=1)), row(12 * YEAR - timedelta(days=2))
    old = row(12 * YEAR + timedelta(days=2))
    refused("DELETE FROM audit_event WHERE id = :id", "kept 12 years", id=young)
    refused("DELETE FROM audit_event WHERE id = :id", "kept 12 years", id=almost)
    refused("DELETE FROM audit_event", "kept 12 years")  # all or nothing
    assert ids() == {young, almost, old}

    db.session.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": old})
    db.session.commit()
    assert ids() == {young, almost}


@pytest.mark.engine("postgresql")  # SQLite has no TRUNCATE
def test_postgresql_refuses_to_truncate_the_audit_trail(locked):
    row(timedelta(days=1))
    refused("TRUNCATE audit_event", "append-only")


def test_purge_expired_deletes_only_what_the_triggers_allow(locked):
    old, young = row(12 * YEAR + timedelta(days=3)), row(12 * YEAR - timedelta(days=3))
    locked.config["AUDIT_RETENTION_DAYS"] = 4383
    result = locked.test_cli_runner().invoke(args=["purge-expired"])
    assert result.exit_code == 0, result.output
    assert "Audit events deleted: 1." in result.output
    db.session.expire_all()
    assert ids() == {young}


def test_the_test_suites_unlock_empties_the_trail_and_locks_it_again(locked):
    row(timedelta(days=1))
    with audit_trail_unlocked():
        db.session.execute(AuditEvent.__table__.delete())
    db.session.commit()
    assert ids() == set()
    young = row(timedelta(days=1))
    refused("DELETE FROM audit_event", "kept 12 years")
    assert ids() == {young}


def test_the_unlock_is_undone_when_the_emptying_fails(locked):
    young = row(timedelta(days=1))
    with pytest.raises(RuntimeError):
        with audit_trail_unlocked():
            db.session.execute(AuditEvent.__table__.delete())
            raise RuntimeError("the emptying fails half-way")
    assert ids() == {young}
    refused("DELETE FROM audit_event", "kept 12 years")


def test_downgrade_drops_the_triggers(locked):
    young = row(timedelta(days=1))
    db.session.remove()
    downgrade(revision="0011_second_factor_retention")
    try:
        db.session.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": young})
        db.session.commit()
        assert ids() == set()
    finally:
        db.session.remove()
        upgrade()
    row(timedelta(days=1))
    refused("DELETE FROM audit_event", "kept 12 years")

"""`backup PATH` and `restore PATH` (SPEC §9) on the engine of the test run: what is
restored is every row as it was at the backup, nothing lost; a bad path or a file that
is not our backup is refused with a clear message and changes nothing."""
from __future__ import annotations

import os
import sqlite3

import pytest
from sqlalchemy import select, text

from consult.accounts.models import User
from consult.audit import services as audit
from consult.clients.models import Client
from consult.consultations import services
from consult.consultations.models import RequestMessage
from consult.extensions import db
from tests import factories


def snapshot() -> dict:
    """Every row of every table (and the schema revision), in a stable order."""
    tables = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            rows = conn.execute(select(table)).all()
            tables[table.name] = sorted((tuple(row) for row in rows), key=repr)
        tables["alembic_version"] = conn.execute(
            text("SELECT version_num FROM alembic_version")).all()
    return tables


def engine() -> str:
    return db.engine.dialect.name


@pytest.fixture
def world(app):
    """A case with its thread, a client with a consent, and the audit events they made."""
    referrer = factories.create_user("referrer")
    team = factories.create_team(coordinators=[factories.create_user("coordinator")])
    request = factories.create_submitted_request(team=team, referrer=referrer)
    services.post_message(request, referrer, "Lisätietoa tulossa.")
    audit.record("view", object_type="client", object_id=request.client_id,
                 client_id=request.client_id, purpose="client_register", user=referrer)
    db.session.commit()
    return request


def invoke(runner, *args):
    db.session.close()  # the command replaces tables: hold nothing open on them
    result = runner.invoke(args=list(args))
    db.session.expire_all()
    return result


def test_a_restored_backup_has_every_row_as_it_was(world, runner, tmp_path):
    before = snapshot()
    assert before["audit_event"] and before["client"] and before["request_message"]
    path = tmp_path / "consult.backup"

    result = invoke(runner, "backup", str(path))

    assert result.exit_code == 0, result.output
    assert f"Backup written to {path}" in result.output
    assert path.stat().st_size > 0
    assert sorted(os.listdir(tmp_path)) == ["consult.backup"]  # one file, no leftovers

    person = db.session.get(Client, world.client_id)
    person.last_name = "Muutettu"
    db.session.delete(db.session.scalars(select(RequestMessage)).first())
    referrer = db.session.get(User, world.referrer_id)
    factories.create_client(by=referrer)
    audit.record("view", object_type="client", object_id=person.id, client_id=person.id,
                 purpose="client_register", user=referrer)
    db.session.commit()
    assert snapshot() != before

    result = invoke(runner, "restore", str(path))

    assert result.exit_code == 0, result.output
    assert "Database restored from" in result.output
    assert snapshot() == before


@pytest.mark.engine("sqlite")
def test_a_second_backup_replaces_the_first(world, runner, tmp_path):
    path = tmp_path / "consult.backup"
    assert invoke(runner, "backup", str(path)).exit_code == 0
    factories.create_client()
    db.session.commit()
    expected = snapshot()
    assert invoke(runner, "backup", str(path)).exit_code == 0
    factories.create_client()
    db.session.commit()

    assert invoke(runner, "restore", str(path)).exit_code == 0
    assert snapshot() == expected


@pytest.mark.parametrize("where, message", [
    ("missing-directory/consult.backup", "No such directory"),
    ("", "is a directory"),
])
def test_backup_refuses_a_bad_path(app, runner, tmp_path, where, message):
    result = invoke(runner, "backup", str(tmp_path / where))
    assert result.exit_code != 0
    assert message in result.output


def test_restore_refuses_a_missing_file_and_a_file_that_is_not_a_backup(world, runner, tmp_path):
    before = snapshot()
    result = invoke(runner, "restore", str(tmp_path / "nowhere.backup"))
    assert result.exit_code == 1
    assert "No such backup file" in result.output

    notes = tmp_path / "notes.txt"
    notes.write_text("not a backup\n")
    result = invoke(runner, "restore", str(notes))
    assert result.exit_code == 1
    kind = "a SQLite database" if engine() == "sqlite" else "a PostgreSQL custom-format dump"
    assert f"is not {kind}" in result.output
    assert snapshot() == before


@pytest.mark.engine("sqlite")
def test_sqlite_restore_refuses_a_database_that_is_not_ours(world, runner, tmp_path):
    before = snapshot()
    foreign = tmp_path / "other.sqlite"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")

    result = invoke(runner, "restore", str(foreign))

    assert result.exit_code == 1
    assert "is not a backup of this application" in result.output
    assert snapshot() == before


@pytest.mark.engine("sqlite")
def test_sqlite_restore_refuses_an_unknown_schema_revision(world, runner, tmp_path):
    path = tmp_path / "consult.backup"
    assert invoke(runner, "backup", str(path)).exit_code == 0
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    before = snapshot()

    result = invoke(runner, "restore", str(path))

    assert result.exit_code == 1
    assert "9999_from_the_future" in result.output and "does not know" in result.output
    assert snapshot() == before


@pytest.mark.engine("sqlite")
def test_sqlite_restore_refuses_a_damaged_backup(world, runner, tmp_path):
    path = tmp_path / "consult.backup"
    assert invoke(runner, "backup", str(path)).exit_code == 0
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])  # cut short, as by a full disk
    before = snapshot()

    result = invoke(runner, "restore", str(path))

    assert result.exit_code == 1
    assert "damaged" in result.output or "not a readable SQLite database" in result.output
    assert snapshot() == before


@pytest.mark.engine("sqlite")
def test_sqlite_backup_is_one_self_contained_file(world, runner, tmp_path):
    path = tmp_path / "consult.backup"
    assert invoke(runner, "backup", str(path)).exit_code == 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    result = invoke(runner, "backup", db.engine.url.database)
    assert result.exit_code == 1
    assert "cannot be the database itself" in result.output


@pytest.mark.engine("postgresql")
def test_postgresql_commands_say_so_when_the_client_tools_are_missing(
        world, runner, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    result = invoke(runner, "backup", str(tmp_path / "consult.backup"))
    assert result.exit_code == 1
    assert "pg_dump was not found" in result.output
    assert not (tmp_path / "consult.backup").exists()


@pytest.mark.engine("postgresql")
def test_postgresql_restore_refuses_a_dump_of_another_database(world, runner, tmp_path):
    import subprocess

    from tests.conftest import fresh_postgres_database, postgres_admin_url

    foreign = tmp_path / "other.dump"
    with fresh_postgres_database(postgres_admin_url()) as url:
        libpq = url.replace("postgresql+psycopg://", "postgresql://")
        subprocess.run(["pg_dump", "--format=custom", "--file", str(foreign), libpq], check=True)
    before = snapshot()

    result = invoke(runner, "restore", str(foreign))

    assert result.exit_code == 1
    assert "is not a backup of this application" in result.output
    assert snapshot() == before

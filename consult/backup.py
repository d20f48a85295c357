"""`flask --app app backup PATH` and `restore PATH` (SPEC §9).

SQLite: the sqlite3 online backup API, which copies a consistent snapshot while the app
runs; restoring uses the same API in the other direction, over the live database file,
with the app stopped. PostgreSQL: pg_dump's custom format and pg_restore, which must be
installed (the version of the server or newer). A backup is written beside its target
and renamed into place, so a failed one never replaces a good file."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from urllib.parse import quote

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import text
from sqlalchemy.engine import make_url

from consult.extensions import db

SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"
# pg_restore gives up instead of waiting forever for a table that a running app holds.
PG_LOCK_TIMEOUT = "-c lock_timeout=30s"


class BackupError(Exception):
    pass


# Paths ----------------------------------------------------------------------------

def _writable_target(path: str) -> str:
    path = os.path.abspath(path)
    if os.path.isdir(path):
        raise BackupError(f"{path} is a directory: give the backup file's name.")
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        raise BackupError(f"No such directory: {parent}")
    if not os.access(parent, os.W_OK):
        raise BackupError(f"Cannot write in {parent}.")
    return path


def _readable_source(path: str, header: bytes, kind: str) -> str:
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise BackupError(f"No such backup file: {path}")
    try:
        with open(path, "rb") as handle:
            start = handle.read(len(header))
    except OSError as error:
        raise BackupError(f"Cannot read {path}: {error.strerror}.") from None
    if start != header:
        raise BackupError(f"{path} is not {kind}.")
    return path


def _write_atomically(path: str, write) -> None:
    """`write(temporary_path)`, then rename it over `path`."""
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path),
                                         prefix=".consult-backup-", suffix=".partial")
    os.close(handle)
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _release_connections() -> None:
    """Nothing of ours holds the database while it is replaced."""
    db.session.remove()
    db.engine.dispose()


def _engine():
    name = db.engine.dialect.name
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {name}.")
    return name


# SQLite ---------------------------------------------------------------------------

def _sqlite_database() -> str:
    database = db.engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("The SQLite database is not a plain file; nothing to back up.")
    return os.path.abspath(database)


def _sqlite_backup(path: str) -> None:
    source = _sqlite_database()
    if os.path.exists(path) and os.path.exists(source) and os.path.samefile(path, source):
        raise BackupError("The backup cannot be the database itself.")

    def write(temporary: str) -> None:
        with closing(sqlite3.connect(source, timeout=10)) as src, \
                closing(sqlite3.connect(temporary)) as dst:
            src.backup(dst)
            # One self-contained file (no -wal beside it), whatever the live database uses.
            dst.execute("PRAGMA journal_mode=DELETE")

    _write_atomically(path, write)


def _open_read_only(path: str) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True)


def _check_sqlite_backup(path: str) -> str:
    """A sound SQLite database with our schema's revision; returns the revision."""
    try:
        with closing(_open_read_only(path)) as conn:
            check = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"{path} is damaged (integrity check: {check}).")
            has_version = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone() \
                if has_version else None
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a readable SQLite database ({error}).") from None
    if revision is None:
        raise BackupError(f"{path} is not a backup of this application (no schema revision).")
    _check_revision(revision[0], path)
    return revision[0]


def _sqlite_restore(path: str) -> str:
    revision = _check_sqlite_backup(path)
    target = _sqlite_database()
    if os.path.exists(target) and os.path.samefile(path, target):
        raise BackupError("The backup is the database itself.")
    _release_connections()
    with closing(_open_read_only(path)) as src, closing(sqlite3.connect(target, timeout=10)) as dst:
        src.backup(dst)
    return revision


# PostgreSQL -----------------------------------------------------------------------

def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found. Install the PostgreSQL client tools of the server's "
            f"version or newer (Debian: apt-get install postgresql-client) and put them on PATH.")
    return found


def _libpq() -> tuple[str, dict]:
    """The database's address for libpq, and an environment with the password, so that
    it never shows on a command line."""
    url = make_url(db.engine.url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} {PG_LOCK_TIMEOUT}".strip()
    address = url.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False)
    return address, env


def _run(command: list[str], env: dict) -> subprocess.CompletedProcess:
    completed = subprocess.run(command, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        name = os.path.basename(command[0])
        detail = (completed.stderr or completed.stdout).strip()
        raise BackupError(f"{name} failed (exit {completed.returncode}): {detail}")
    return completed


def _postgres_backup(path: str) -> None:
    pg_dump = _tool("pg_dump")
    address, env = _libpq()
    _write_atomically(path, lambda temporary: _run(
        [pg_dump, "--format=custom", "--file", temporary, "--dbname", address], env))


def _dump_revision(pg_restore: str, path: str, env: dict) -> str:
    """The schema revision in the dump's alembic_version table (its COPY data, read
    from the archive without touching any database)."""
    script = _run([pg_restore, "--data-only", "--table=alembic_version", "--file=-", path],
                  env).stdout.splitlines()
    for number, line in enumerate(script):
        if line.startswith("COPY ") and "alembic_version" in line and number + 1 < len(script):
            revision = script[number + 1].strip()
            if revision and revision != "\\.":
                return revision
    raise BackupError(f"{path} is not a backup of this application (no schema revision).")


def _postgres_restore(path: str) -> str:
    path = _readable_source(path, PG_DUMP_HEADER, "a PostgreSQL custom-format dump (pg_dump -Fc)")
    pg_restore = _tool("pg_restore")
    address, env = _libpq()
    _check_revision(_dump_revision(pg_restore, path, env), path)
    _release_connections()
    # One transaction: a restore that fails leaves the database as it was.
    _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction",
          "--dbname", address, path], env)
    return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


# Both -----------------------------------------------------------------------------

def _check_revision(revision: str, path: str) -> None:
    """The backup's schema is one our migrations know (an older one is upgraded by
    init-db after the restore)."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(current_app.extensions["migrate"].directory)
    try:
        known = scripts.get_revision(revision) is not None
    except Exception:
        known = False
    if not known:
        raise BackupError(f"{path} has schema revision {revision}, which this version of the "
                          f"application does not know: restore it with the version that made it.")


def make_backup(path: str) -> str:
    path = _writable_target(path)
    if _engine() == "sqlite":
        _sqlite_backup(path)
    else:
        _postgres_backup(path)
    return path


def restore_backup(path: str) -> str:
    """Returns the restored schema revision."""
    if _engine() == "sqlite":
        return _sqlite_restore(_readable_source(path, SQLITE_HEADER, "a SQLite database"))
    return _postgres_restore(path)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(path: str) -> None:
    """Back the database up into PATH while the app runs: on SQLite a copy made with the
    online backup API, on PostgreSQL a pg_dump custom-format archive. An existing file
    at PATH is replaced only when the new backup is complete."""
    try:
        written = make_backup(path)
    except (BackupError, OSError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backup written to {written} ({os.path.getsize(written)} bytes).")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def restore_command(path: str) -> None:
    """Replace the whole database with the backup in PATH. STOP THE APP FIRST (the web
    workers and the outbox worker): everything written since the backup is lost. On
    SQLite the backup is checked (integrity, our schema) and copied over the database
    file; on PostgreSQL pg_restore --clean replaces every table in one transaction.
    Run init-db afterwards when the backup is from an older version."""
    try:
        revision = restore_backup(path)
    except (BackupError, OSError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Database restored from {os.path.abspath(path)} (schema revision {revision}).")


def register(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)

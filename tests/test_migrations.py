"""Migrations upgrade an empty database on both engines and match the models. Each
engine is connected to explicitly, so both tests run in both CI passes."""
from __future__ import annotations

import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from consult.extensions import db
from tests.conftest import fresh_postgres_database, make_app

POSTGRES_SERVER = os.environ.get("CONSULT_TEST_POSTGRES",
                                 "postgresql://postgres@127.0.0.1:5432/test")


def upgrade_and_compare(database_url: str) -> None:
    app = make_app(database_url)
    with app.app_context():
        try:
            upgrade()
            with db.engine.connect() as conn:
                context = MigrationContext.configure(
                    conn, opts={"compare_type": True, "render_as_batch": True})
                diff = compare_metadata(context, db.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
            tables = set(inspect(db.engine).get_table_names())
            assert {"user", "organisation", "team", "audit_event", "login_session"} <= tables
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
        finally:
            db.engine.dispose()


def test_migrations_build_an_empty_sqlite_database_that_matches_the_models(tmp_path):
    upgrade_and_compare("sqlite:///" + str(tmp_path / "fresh.sqlite"))


def test_migrations_build_an_empty_postgresql_database_that_matches_the_models():
    with fresh_postgres_database(POSTGRES_SERVER) as url:
        upgrade_and_compare(url)

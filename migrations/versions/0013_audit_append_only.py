"""the audit trail is append-only: triggers refuse any update of an audit event, and
the delete of one younger than 12 years (the legal minimum for the log data of client
records; purge-expired deletes only older ones)

Revision ID: 0013_audit_append_only
Revises: 0012_indicator_indexes
Create Date: 2026-11-23 08:30:00.000000

A later migration that rebuilds audit_event on SQLite (batch mode: copy, drop, rename)
drops these triggers with the old table and must create them again.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013_audit_append_only'
down_revision = '0012_indicator_indexes'
branch_labels = None
depends_on = None

# `at` is naive UTC. SQLite stores it as text ('YYYY-MM-DD HH:MM:SS.ffffff'), which
# compares in time order with datetime()'s 'YYYY-MM-DD HH:MM:SS'.
SQLITE = (
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    BEGIN
        SELECT RAISE(ABORT, 'audit rows are append-only');
    END""",
    """CREATE TRIGGER audit_event_no_early_delete BEFORE DELETE ON audit_event
    WHEN OLD.at > datetime('now', '-12 years')
    BEGIN
        SELECT RAISE(ABORT, 'audit rows are kept 12 years: this one is younger');
    END""",
)

POSTGRESQL = (
    """CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            IF OLD.at > (now() AT TIME ZONE 'utc') - interval '12 years' THEN
                RAISE EXCEPTION 'audit rows are kept 12 years: this one is younger'
                    USING ERRCODE = 'restrict_violation';
            END IF;
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit rows are append-only' USING ERRCODE = 'restrict_violation';
    END
    $$""",
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    """CREATE TRIGGER audit_event_no_early_delete BEFORE DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()""",
)


def upgrade():
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(dialect, ()):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_early_delete")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
    elif dialect == "postgresql":
        for name in ("audit_event_no_truncate", "audit_event_no_early_delete",
                     "audit_event_no_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")

"""indexes for the pages that must not slow down as data grows: the team's and the
physician's inbox (a target's requests in one state, oldest first), open action items
by due date, and a person's open action items

Revision ID: 0016_scaling_indexes
Revises: 0015_reset_remote_addr
Create Date: 2026-12-07 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_scaling_indexes'
down_revision = '0015_reset_remote_addr'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('consultation_request', schema=None) as batch_op:
        batch_op.create_index('ix_consultation_request_team_inbox',
                              ['target_team_id', 'state', 'first_submitted_at'], unique=False)
        batch_op.create_index('ix_consultation_request_physician_inbox',
                              ['target_physician_id', 'state', 'first_submitted_at'],
                              unique=False)

    with op.batch_alter_table('action_item', schema=None) as batch_op:
        batch_op.create_index('ix_action_item_open_due_on', ['due_on'], unique=False,
                              sqlite_where=sa.text("state = 'open'"),
                              postgresql_where=sa.text("state = 'open'"))
        batch_op.create_index('ix_action_item_responsible_user_state',
                              ['responsible_user_id', 'state', 'due_on'], unique=False)


def downgrade():
    with op.batch_alter_table('action_item', schema=None) as batch_op:
        batch_op.drop_index('ix_action_item_responsible_user_state')
        batch_op.drop_index('ix_action_item_open_due_on')

    with op.batch_alter_table('consultation_request', schema=None) as batch_op:
        batch_op.drop_index('ix_consultation_request_physician_inbox')
        batch_op.drop_index('ix_consultation_request_team_inbox')

"""indexes for counting by period: first submission, events by time, records finalised, follow-ups recorded

Revision ID: 0012_indicator_indexes
Revises: 0011_second_factor_retention
Create Date: 2026-11-23 08:07:44.475041

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_indicator_indexes'
down_revision = '0011_second_factor_retention'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('consultation_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_request_first_submitted_at'), ['first_submitted_at'], unique=False)

    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_recorded_at'), ['recorded_at'], unique=False)

    with op.batch_alter_table('protocol', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_protocol_finalised_at'), ['finalised_at'], unique=False)

    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_event_at'), ['at'], unique=False)



def downgrade():
    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_event_at'))

    with op.batch_alter_table('protocol', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_protocol_finalised_at'))

    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_up_recorded_at'))

    with op.batch_alter_table('consultation_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_request_first_submitted_at'))


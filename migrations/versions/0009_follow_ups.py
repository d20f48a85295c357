"""follow-ups of discussed cases; a note on completing an action item

Revision ID: 0009_follow_ups
Revises: 0008_protocols
Create Date: 2026-11-23 04:56:44.136693

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_follow_ups'
down_revision = '0008_protocols'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('path_taken', sa.String(length=40), nullable=False),
    sa.Column('situation', sa.Text(), nullable=False),
    sa.Column('kykyviisari_score', sa.Integer(), nullable=True),
    sa.Column('meeting_needed', sa.Boolean(), nullable=False),
    sa.Column('plan_changed', sa.String(length=10), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_follow_up_recorded_by_id_user')),
    sa.ForeignKeyConstraint(['request_id'], ['consultation_request.id'], name=op.f('fk_follow_up_request_id_consultation_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up')),
    sa.UniqueConstraint('request_id', name=op.f('uq_follow_up_request_id'))
    )
    with op.batch_alter_table('action_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('completion_note', sa.Text(), nullable=False,
                                      server_default=''))



def downgrade():
    with op.batch_alter_table('action_item', schema=None) as batch_op:
        batch_op.drop_column('completion_note')

    op.drop_table('follow_up')

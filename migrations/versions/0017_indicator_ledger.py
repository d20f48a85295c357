"""the indicators' kept facts and counts (filled by `flask --app app init-db`, which
runs `indicators rebuild` when they are empty and cases exist)

Revision ID: 0017_indicator_ledger
Revises: 0016_scaling_indexes
Create Date: 2026-12-07 23:03:35.940070

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_indicator_ledger'
down_revision = '0016_scaling_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('indicator_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grain', sa.String(length=10), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('measure', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('physician_id', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_count')),
    sa.UniqueConstraint('grain', 'measure', 'start', 'key', 'team_id', 'physician_id', name='uq_indicator_count')
    )
    op.create_table('indicator_fact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('physician_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_fact'))
    )
    with op.batch_alter_table('indicator_fact', schema=None) as batch_op:
        batch_op.create_index('ix_indicator_fact_measure_day', ['measure', 'day', 'key', 'team_id', 'physician_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_indicator_fact_request_id'), ['request_id'], unique=False)



def downgrade():
    with op.batch_alter_table('indicator_fact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicator_fact_request_id'))
        batch_op.drop_index('ix_indicator_fact_measure_day')

    op.drop_table('indicator_fact')
    op.drop_table('indicator_count')

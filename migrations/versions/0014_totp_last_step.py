"""the time-step of the last TOTP code accepted, so that a code is used once in every
worker (a conditional update claims it)

Revision ID: 0014_totp_last_step
Revises: 0013_audit_append_only
Create Date: 2026-11-23 11:54:46.284499

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_totp_last_step'
down_revision = '0013_audit_append_only'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')

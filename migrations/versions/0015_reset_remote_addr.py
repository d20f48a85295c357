"""the address a password-reset link was asked from, so that links per address are
limited too

Revision ID: 0015_reset_remote_addr
Revises: 0014_totp_last_step
Create Date: 2026-11-23 12:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_reset_remote_addr'
down_revision = '0014_totp_last_step'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('password_reset', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remote_addr', sa.String(length=64), server_default='',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('password_reset', schema=None) as batch_op:
        batch_op.drop_column('remote_addr')

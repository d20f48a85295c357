"""request messages, proposed guests, services linked to a decision; system events

Revision ID: 0005_request_messages_guests
Revises: 0004_consultation_requests
Create Date: 2026-11-23 01:08:22.129315

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_request_messages_guests'
down_revision = '0004_consultation_requests'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('request_guest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_request_guest_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['user.id'], name=op.f('fk_request_guest_proposed_by_id_user')),
    sa.ForeignKeyConstraint(['request_id'], ['consultation_request.id'], name=op.f('fk_request_guest_request_id_consultation_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_guest'))
    )
    with op.batch_alter_table('request_guest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_guest_request_id'), ['request_id'], unique=False)

    op.create_table('request_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_request_message_author_id_user')),
    sa.ForeignKeyConstraint(['request_id'], ['consultation_request.id'], name=op.f('fk_request_message_request_id_consultation_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_message'))
    )
    with op.batch_alter_table('request_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_message_request_id'), ['request_id'], unique=False)

    op.create_table('request_event_service',
    sa.Column('request_event_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['request_event_id'], ['request_event.id'], name=op.f('fk_request_event_service_request_event_id_request_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_request_event_service_service_id_service')),
    sa.PrimaryKeyConstraint('request_event_id', 'service_id', name=op.f('pk_request_event_service'))
    )
    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.alter_column('actor_id',
               existing_type=sa.INTEGER(),
               nullable=True)



def downgrade():
    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.alter_column('actor_id',
               existing_type=sa.INTEGER(),
               nullable=False)

    op.drop_table('request_event_service')
    with op.batch_alter_table('request_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_message_request_id'))

    op.drop_table('request_message')
    with op.batch_alter_table('request_guest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_guest_request_id'))

    op.drop_table('request_guest')

"""protocols, consultation notes and statements: recommendations, action items, addenda

Revision ID: 0008_protocols
Revises: 0007_meetings_agendas
Create Date: 2026-11-23 02:46:50.530799

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_protocols'
down_revision = '0007_meetings_agendas'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('protocol',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('agenda_item_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('notes', sa.JSON(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('attendees', sa.Text(), nullable=False),
    sa.Column('path', sa.String(length=40), nullable=True),
    sa.Column('follow_up_on', sa.Date(), nullable=True),
    sa.Column('finalised_at', sa.DateTime(), nullable=True),
    sa.Column('finalised_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_item.id'], name=op.f('fk_protocol_agenda_item_id_agenda_item')),
    sa.ForeignKeyConstraint(['finalised_by_id'], ['user.id'], name=op.f('fk_protocol_finalised_by_id_user')),
    sa.ForeignKeyConstraint(['request_id'], ['consultation_request.id'], name=op.f('fk_protocol_request_id_consultation_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protocol')),
    sa.UniqueConstraint('agenda_item_id', name=op.f('uq_protocol_agenda_item_id'))
    )
    with op.batch_alter_table('protocol', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_protocol_request_id'), ['request_id'], unique=False)

    op.create_table('action_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('protocol_id', sa.Integer(), nullable=False),
    sa.Column('what', sa.Text(), nullable=False),
    sa.Column('responsible_user_id', sa.Integer(), nullable=True),
    sa.Column('responsible_organisation_id', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('completed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['completed_by_id'], ['user.id'], name=op.f('fk_action_item_completed_by_id_user')),
    sa.ForeignKeyConstraint(['protocol_id'], ['protocol.id'], name=op.f('fk_action_item_protocol_id_protocol')),
    sa.ForeignKeyConstraint(['responsible_organisation_id'], ['organisation.id'], name=op.f('fk_action_item_responsible_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['responsible_user_id'], ['user.id'], name=op.f('fk_action_item_responsible_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_item'))
    )
    with op.batch_alter_table('action_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_item_protocol_id'), ['protocol_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_item_responsible_user_id'), ['responsible_user_id'], unique=False)

    op.create_table('addendum',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('protocol_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_addendum_author_id_user')),
    sa.ForeignKeyConstraint(['protocol_id'], ['protocol.id'], name=op.f('fk_addendum_protocol_id_protocol')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_addendum'))
    )
    with op.batch_alter_table('addendum', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_addendum_protocol_id'), ['protocol_id'], unique=False)

    op.create_table('recommendation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('protocol_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['protocol_id'], ['protocol.id'], name=op.f('fk_recommendation_protocol_id_protocol')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_recommendation_service_id_service')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendation'))
    )
    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recommendation_protocol_id'), ['protocol_id'], unique=False)



def downgrade():
    with op.batch_alter_table('recommendation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recommendation_protocol_id'))

    op.drop_table('recommendation')
    with op.batch_alter_table('addendum', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_addendum_protocol_id'))

    op.drop_table('addendum')
    with op.batch_alter_table('action_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_item_responsible_user_id'))
        batch_op.drop_index(batch_op.f('ix_action_item_protocol_id'))

    op.drop_table('action_item')
    with op.batch_alter_table('protocol', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_protocol_request_id'))

    op.drop_table('protocol')

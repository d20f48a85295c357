"""physician availability: rules, absences, slots, bookings, proposals

Revision ID: 0006_physician_availability
Revises: 0005_request_messages_guests
Create Date: 2026-11-23 01:31:21.528212

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_physician_availability'
down_revision = '0005_request_messages_guests'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('availability_exception',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('physician_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['physician_id'], ['user.id'], name=op.f('fk_availability_exception_physician_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_availability_exception'))
    )
    with op.batch_alter_table('availability_exception', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_availability_exception_physician_id'), ['physician_id'], unique=False)

    op.create_table('availability_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('physician_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.Column('slot_minutes', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('location', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['physician_id'], ['user.id'], name=op.f('fk_availability_rule_physician_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_availability_rule'))
    )
    with op.batch_alter_table('availability_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_availability_rule_physician_id'), ['physician_id'], unique=False)

    op.create_table('slot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('physician_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('location', sa.String(length=500), nullable=False),
    sa.Column('is_blocked', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['physician_id'], ['user.id'], name=op.f('fk_slot_physician_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slot')),
    sa.UniqueConstraint('physician_id', 'starts_at', name=op.f('uq_slot_physician_id_starts_at'))
    )
    with op.batch_alter_table('slot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slot_physician_id'), ['physician_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_slot_starts_at'), ['starts_at'], unique=False)

    op.create_table('booking',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=80), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('booked_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['booked_by_id'], ['user.id'], name=op.f('fk_booking_booked_by_id_user')),
    sa.ForeignKeyConstraint(['request_id'], ['consultation_request.id'], name=op.f('fk_booking_request_id_consultation_request')),
    sa.ForeignKeyConstraint(['slot_id'], ['slot.id'], name=op.f('fk_booking_slot_id_slot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking')),
    sa.UniqueConstraint('uid', name=op.f('uq_booking_uid'))
    )
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_slot_id'), ['slot_id'], unique=False)
        batch_op.create_index('ux_booking_active_request', ['request_id'], unique=True, sqlite_where=sa.text("state = 'active'"), postgresql_where=sa.text("state = 'active'"))
        batch_op.create_index('ux_booking_active_slot', ['slot_id'], unique=True, sqlite_where=sa.text("state = 'active'"), postgresql_where=sa.text("state = 'active'"))

    op.create_table('slot_proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['consultation_request.id'], name=op.f('fk_slot_proposal_request_id_consultation_request')),
    sa.ForeignKeyConstraint(['slot_id'], ['slot.id'], name=op.f('fk_slot_proposal_slot_id_slot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slot_proposal')),
    sa.UniqueConstraint('request_id', 'slot_id', name=op.f('uq_slot_proposal_request_id_slot_id'))
    )
    with op.batch_alter_table('slot_proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slot_proposal_request_id'), ['request_id'], unique=False)



def downgrade():
    with op.batch_alter_table('slot_proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slot_proposal_request_id'))

    op.drop_table('slot_proposal')
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index('ux_booking_active_slot', sqlite_where=sa.text("state = 'active'"), postgresql_where=sa.text("state = 'active'"))
        batch_op.drop_index('ux_booking_active_request', sqlite_where=sa.text("state = 'active'"), postgresql_where=sa.text("state = 'active'"))
        batch_op.drop_index(batch_op.f('ix_booking_slot_id'))
        batch_op.drop_index(batch_op.f('ix_booking_request_id'))

    op.drop_table('booking')
    with op.batch_alter_table('slot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slot_starts_at'))
        batch_op.drop_index(batch_op.f('ix_slot_physician_id'))

    op.drop_table('slot')
    with op.batch_alter_table('availability_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_availability_rule_physician_id'))

    op.drop_table('availability_rule')
    with op.batch_alter_table('availability_exception', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_availability_exception_physician_id'))

    op.drop_table('availability_exception')

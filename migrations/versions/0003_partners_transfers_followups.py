"""Partners (issue 15): request transfers, outcome of a request, follow-ups and their job lease,
team origin (directory seed or staff-created)

Revision ID: 0003_partners
Revises: 0002
Create Date: 2026-12-03 13:18:23.394561
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003_partners'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('job_leases',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=64), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('followups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('batch', sa.String(length=32), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('telegram_chat_id', sa.String(length=64), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('conversation_id', sa.String(length=128), nullable=True),
    sa.Column('first_name', sa.String(length=60), nullable=True),
    sa.Column('commune', sa.String(length=8), nullable=True),
    sa.Column('benefits', sa.JSON(), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.Column('answer', sa.String(length=16), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_request_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_request_id'], ['appointment_requests.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['appointment_requests.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token')
    )
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.create_index('ix_followups_due', ['sent_at', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_followups_batch'), ['batch'], unique=False)

    op.create_table('request_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('from_team_id', sa.String(length=64), nullable=False),
    sa.Column('to_team_id', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('by_user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resident_notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resident_notify_attempts', sa.Integer(), nullable=False),
    sa.Column('team_notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('team_notify_attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['by_user_id'], ['staff_users.id'], ),
    sa.ForeignKeyConstraint(['from_team_id'], ['teams.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['appointment_requests.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_team_id'], ['teams.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('request_transfers', schema=None) as batch_op:
        batch_op.create_index('ix_request_transfers_from_team', ['from_team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_request_transfers_request_id'), ['request_id'], unique=False)

    with op.batch_alter_table('appointment_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urgent_situations', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('to_check', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('contact_preference', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('best_times', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('commune', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('prescripteur_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('consent_recorded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('followup_consent', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('origin_team_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('parent_request_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('first_contact_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closing_reason', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('outcome_on', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('rights_opened', sa.JSON(), nullable=True))
        batch_op.create_foreign_key('fk_appointment_requests_parent', 'appointment_requests',
                                    ['parent_request_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key('fk_appointment_requests_origin_team', 'teams', ['origin_team_id'], ['id'])

    with op.batch_alter_table('status_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('reverts_id', sa.Integer(), nullable=True))

    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=16), server_default='directory', nullable=False))
        batch_op.add_column(sa.Column('commune', sa.String(length=8), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_column('commune')
        batch_op.drop_column('origin')

    with op.batch_alter_table('status_changes', schema=None) as batch_op:
        batch_op.drop_column('reverts_id')
        batch_op.drop_column('team_id')

    with op.batch_alter_table('appointment_requests', schema=None) as batch_op:
        batch_op.drop_constraint('fk_appointment_requests_origin_team', type_='foreignkey')
        batch_op.drop_constraint('fk_appointment_requests_parent', type_='foreignkey')
        batch_op.drop_column('rights_opened')
        batch_op.drop_column('outcome_on')
        batch_op.drop_column('closing_reason')
        batch_op.drop_column('first_contact_at')
        batch_op.drop_column('parent_request_id')
        batch_op.drop_column('origin_team_id')
        batch_op.drop_column('followup_consent')
        batch_op.drop_column('consent_recorded_at')
        batch_op.drop_column('prescripteur_name')
        batch_op.drop_column('commune')
        batch_op.drop_column('best_times')
        batch_op.drop_column('contact_preference')
        batch_op.drop_column('to_check')
        batch_op.drop_column('urgent_situations')

    with op.batch_alter_table('request_transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_transfers_request_id'))
        batch_op.drop_index('ix_request_transfers_from_team')

    op.drop_table('request_transfers')
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followups_batch'))
        batch_op.drop_index('ix_followups_due')

    op.drop_table('followups')
    op.drop_table('job_leases')

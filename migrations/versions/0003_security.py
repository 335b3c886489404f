"""Security (issue 12): server-side staff sessions, audit log, account state (temporary
password, TOTP), opaque links (summary and calendar) kept server-side.

Revision ID: 0003_security
Revises: 0002
Create Date: 2026-12-03 13:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003_security'
down_revision: str | None = '0003_partners'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('staff_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_staff_sessions_user', ['user_id'], unique=False)
    op.create_table('staff_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('target_user_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('staff_audit', schema=None) as batch_op:
        batch_op.create_index('ix_staff_audit_at', ['at'], unique=False)
        batch_op.create_index('ix_staff_audit_request', ['request_id'], unique=False)
    op.create_table('staff_account_state',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('must_change_password', sa.Boolean(), nullable=False),
    sa.Column('totp_secret', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('opaque_links',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('conversation_id', sa.String(length=128), nullable=True),
    sa.Column('reference', sa.String(length=16), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('opaque_links', schema=None) as batch_op:
        batch_op.create_index('ix_opaque_links_conversation', ['conversation_id'], unique=False)
        batch_op.create_index('ix_opaque_links_expires', ['expires_at'], unique=False)
        batch_op.create_index('ix_opaque_links_reference', ['reference'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('opaque_links', schema=None) as batch_op:
        batch_op.drop_index('ix_opaque_links_reference')
        batch_op.drop_index('ix_opaque_links_expires')
        batch_op.drop_index('ix_opaque_links_conversation')
    op.drop_table('opaque_links')
    op.drop_table('staff_account_state')
    with op.batch_alter_table('staff_audit', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_audit_request')
        batch_op.drop_index('ix_staff_audit_at')
    op.drop_table('staff_audit')
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_sessions_user')
    op.drop_table('staff_sessions')

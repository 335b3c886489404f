"""Partners, round 2 (issue 15): short links for the guide's QR code, the resident's e-mail on a
request, how the resident is told of a transfer (and who ticked "personne prévenue")

Revision ID: 0004_short_links
Revises: 0003_security
Create Date: 2026-12-04 18:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004_short_links'
down_revision: str | None = '0003_security'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('short_links',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=False),
    sa.Column('reference', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('short_links', schema=None) as batch_op:
        batch_op.create_index('ix_short_links_expires', ['expires_at'], unique=False)
        batch_op.create_index('ix_short_links_reference', ['reference'], unique=False)
    with op.batch_alter_table('appointment_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_email', sa.String(length=254), nullable=True))
    with op.batch_alter_table('request_transfers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resident_channel', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('resident_informed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_request_transfers_informed_by', 'staff_users',
                                    ['resident_informed_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('request_transfers', schema=None) as batch_op:
        batch_op.drop_constraint('fk_request_transfers_informed_by', type_='foreignkey')
        batch_op.drop_column('resident_informed_by_id')
        batch_op.drop_column('resident_channel')
    with op.batch_alter_table('appointment_requests', schema=None) as batch_op:
        batch_op.drop_column('contact_email')
    with op.batch_alter_table('short_links', schema=None) as batch_op:
        batch_op.drop_index('ix_short_links_reference')
        batch_op.drop_index('ix_short_links_expires')
    op.drop_table('short_links')

"""Anonymous statistics counters (stats/models.py: StatCount)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('stat_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('territory', sa.String(length=16), nullable=False),
    sa.Column('commune', sa.String(length=8), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('metric', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('week', 'territory', 'commune', 'channel', 'mode', 'metric', 'key',
                        name='uq_stat_counts_cell')
    )
    with op.batch_alter_table('stat_counts', schema=None) as batch_op:
        batch_op.create_index('ix_stat_counts_metric_week', ['metric', 'week'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('stat_counts', schema=None) as batch_op:
        batch_op.drop_index('ix_stat_counts_metric_week')
    op.drop_table('stat_counts')

"""each round's description kept with its proof of submission (what the next round's changes are measured against)

Revision ID: e4b6c8d0f2a3
Revises: d3a5b7c9e1f2
Create Date: 2026-12-01 04:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "e4b6c8d0f2a3"
down_revision = "d3a5b7c9e1f2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("described", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_column("described")

"""the published record's fiche (identification, co-certifiers, codes, access routes…) (issue 14)

Revision ID: b8e2d4f6a1c3
Revises: 9a1d3c5e7f20
Create Date: 2026-12-01 04:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b8e2d4f6a1c3"
down_revision = "9a1d3c5e7f20"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("registry_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fiche", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table("registry_records", schema=None) as batch_op:
        batch_op.drop_column("fiche")

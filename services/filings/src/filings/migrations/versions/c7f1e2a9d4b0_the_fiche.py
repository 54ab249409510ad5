"""the fiche: identification, certifiers, codes, access routes… as one JSON column

Revision ID: c7f1e2a9d4b0
Revises: a7c9e1f36578
Create Date: 2026-12-01 04:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c7f1e2a9d4b0"
down_revision = "a7c9e1f36578"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("filings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fiche", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table("filings", schema=None) as batch_op:
        batch_op.drop_column("fiche")

"""the registry numbers a fiche may name (review.case.registered)

Revision ID: d3a5b7c9e1f2
Revises: c7f1e2a9d4b0
Create Date: 2026-12-01 04:45:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = "d3a5b7c9e1f2"
down_revision = "c7f1e2a9d4b0"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registered_numbers",
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("repertoire", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("filing_id", sa.Uuid(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )


def downgrade() -> None:
    op.drop_table("registered_numbers")

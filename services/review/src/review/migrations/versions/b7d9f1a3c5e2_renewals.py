"""Renewals (issue 14): a case names the registration it renews; a record links the one it
renews and the one that renewed it; the renewal reminders sent (9 and 7 months before the end)

Revision ID: b7d9f1a3c5e2
Revises: b8e2d4f6a1c3
Create Date: 2026-12-01 04:55:00
"""

import sqlalchemy as sa
from alembic import op

revision = "b7d9f1a3c5e2"
down_revision = "b8e2d4f6a1c3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("renews", sa.String(length=16), nullable=True))
        batch.create_index("ix_cases_renews", ["renews"])
    with op.batch_alter_table("registry_records") as batch:
        batch.add_column(sa.Column("renews", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("renewed_by", sa.String(length=16), nullable=True))
    op.create_table(
        "renewal_reminders",
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("months_before", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("number", "months_before"),
    )


def downgrade() -> None:
    op.drop_table("renewal_reminders")
    with op.batch_alter_table("registry_records") as batch:
        batch.drop_column("renewed_by")
        batch.drop_column("renews")
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_renews")
        batch.drop_column("renews")

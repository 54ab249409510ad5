"""Renewals (issue 14): a filing names the registration it renews; a registered filing keeps
its number and period (review.case.registered) and the renewal drafted from it

Revision ID: e3b5d7f90a12
Revises: e4b6c8d0f2a3
Create Date: 2026-12-01 04:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "e3b5d7f90a12"
down_revision = "e4b6c8d0f2a3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("filings") as batch:
        batch.add_column(sa.Column("renews", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("registration_number", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("registration_start", sa.Date(), nullable=True))
        batch.add_column(sa.Column("registration_end", sa.Date(), nullable=True))
        batch.add_column(sa.Column("renewal_id", sa.Uuid(), nullable=True))
        batch.create_index("ix_filings_renews", ["renews"])
        batch.create_index("ix_filings_registration_number", ["registration_number"])


def downgrade() -> None:
    with op.batch_alter_table("filings") as batch:
        batch.drop_index("ix_filings_registration_number")
        batch.drop_index("ix_filings_renews")
        batch.drop_column("renewal_id")
        batch.drop_column("registration_end")
        batch.drop_column("registration_start")
        batch.drop_column("registration_number")
        batch.drop_column("renews")

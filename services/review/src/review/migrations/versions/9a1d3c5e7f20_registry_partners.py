"""A registered certification's partner organisations: the ledger (registry_partners, one
authorisation in force per organisation and certification) and the record's published copy
(issue 14)

Revision ID: 9a1d3c5e7f20
Revises: 0a2c4e6f8b91
Create Date: 2026-12-01 04:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = "9a1d3c5e7f20"
down_revision = "0a2c4e6f8b91"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry_partners",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("declared_by", sa.Uuid(), nullable=False),
        sa.Column("removal_declared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removal_declared_by", sa.Uuid(), nullable=True),
        sa.Column("days_late", sa.Integer(), nullable=False),
        sa.Column("removal_days_late", sa.Integer(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_registry_partners_number", "registry_partners", ["number", "since"])
    op.create_index(
        "uq_registry_partners_in_force",
        "registry_partners",
        ["number", "siret"],
        unique=True,
        sqlite_where=sa.text("until IS NULL"),
        postgresql_where=sa.text("until IS NULL"),
    )
    op.create_index("ix_registry_partners_late", "registry_partners", ["late", "declared_at"])
    with op.batch_alter_table("registry_records") as batch:
        batch.add_column(sa.Column("partners", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table("registry_records") as batch:
        batch.drop_column("partners")
    op.drop_index("ix_registry_partners_late", table_name="registry_partners")
    op.drop_index("uq_registry_partners_in_force", table_name="registry_partners")
    op.drop_index("ix_registry_partners_number", table_name="registry_partners")
    op.drop_table("registry_partners")

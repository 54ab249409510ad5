"""filings: due_explanation, why the deadline review set is that day (issue 12, point 4)

Revision ID: a7c9e1f36578
Revises: f416933d8146
Create Date: 2026-12-01 04:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'a7c9e1f36578'
down_revision = 'f416933d8146'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('filings') as batch:
        batch.add_column(sa.Column('due_explanation', sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('filings') as batch:
        batch.drop_column('due_explanation')

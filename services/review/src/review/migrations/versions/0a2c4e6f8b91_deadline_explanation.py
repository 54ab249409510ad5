"""cases, requests: due_explanation, why a depositor's deadline is that day (issue 12,
point 4: a deadline on a Saturday, a Sunday or a public holiday moves to the next
working day, art. 642 CPC)

Revision ID: 0a2c4e6f8b91
Revises: be47d5b954c4
Create Date: 2026-12-01 04:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0a2c4e6f8b91'
down_revision = 'be47d5b954c4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('cases', 'requests'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('due_explanation', sa.String(length=300), nullable=True))


def downgrade() -> None:
    for table in ('cases', 'requests'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('due_explanation')

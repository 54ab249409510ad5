"""a renewal's recommendations follow-up: how the certifier followed the recommendations made at
the registration it renews (issue 14)

Revision ID: f2a4c6e8b0d1
Revises: 59713d4bed6a
Create Date: 2026-12-01 11:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'f2a4c6e8b0d1'
down_revision = '59713d4bed6a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('filings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recommendations_follow_up', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('filings', schema=None) as batch_op:
        batch_op.drop_column('recommendations_follow_up')

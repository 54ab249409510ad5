"""requests: kind (request | completeness), an incomplete dossier's deadline as a request (issue 12, point 4)

Revision ID: c3e5a7b92134
Revises: b2d4f6a81023
Create Date: 2026-12-01 01:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'c3e5a7b92134'
down_revision = 'b2d4f6a81023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('requests') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='request'))


def downgrade() -> None:
    with op.batch_alter_table('requests') as batch:
        batch.drop_column('kind')

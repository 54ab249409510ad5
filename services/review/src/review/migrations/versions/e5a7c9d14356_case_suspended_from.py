"""cases: suspended_from, the state a suspended case resumes in (issue 12, sanctions of the
arrêté du 4 janvier 2019, art. 5)

Revision ID: e5a7c9d14356
Revises: 01b42f0673dc
Create Date: 2026-12-01 01:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'e5a7c9d14356'
down_revision = '01b42f0673dc'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('suspended_from', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('suspended_from')

"""Journal officiel: decisions and registry records carry the JO date and reference, the
decision its effective date (issue 12, point 5)

Revision ID: d4f6b8c03245
Revises: 018314fbe696
Create Date: 2026-12-01 01:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'd4f6b8c03245'
down_revision = '018314fbe696'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('decisions') as batch:
        batch.add_column(sa.Column('jo_date', sa.Date(), nullable=True))
        batch.add_column(sa.Column('jo_reference', sa.String(length=120), nullable=True))
        batch.add_column(sa.Column('effective_date', sa.Date(), nullable=True))
    with op.batch_alter_table('registry_records') as batch:
        batch.add_column(sa.Column('jo_date', sa.Date(), nullable=True))
        batch.add_column(sa.Column('jo_reference', sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('registry_records') as batch:
        batch.drop_column('jo_reference')
        batch.drop_column('jo_date')
    with op.batch_alter_table('decisions') as batch:
        batch.drop_column('effective_date')
        batch.drop_column('jo_reference')
        batch.drop_column('jo_date')

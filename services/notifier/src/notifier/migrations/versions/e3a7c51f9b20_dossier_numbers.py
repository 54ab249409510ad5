"""dossier numbers the mails and letters give

Revision ID: e3a7c51f9b20
Revises: d5e80666613e
Create Date: 2026-12-01 10:40:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'e3a7c51f9b20'
down_revision = 'd5e80666613e'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Filled from the next filings.filing.submitted of each dossier (the notifier's own
    # read model: the filings database is not read from here).
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('dossiers', schema=None) as batch_op:
        batch_op.drop_column('reference')

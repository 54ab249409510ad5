"""a depositor's list read from an index: (entity_id, updated_at, id) (issue 16)

An entity with 3,000 filings: the list's count and first page p50 0.79 -> 0.35 ms on
SQLite, 3.91 -> 0.95 ms on PostgreSQL (bench/bench_filings_list.py; bench/README.md,
"The filings list's index").

Revision ID: a7c9e1f3b5d2
Revises: f2a4c6e8b0d1
Create Date: 2026-12-01 23:40:00.000000
"""
from alembic import op


revision = 'a7c9e1f3b5d2'
down_revision = 'f2a4c6e8b0d1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('filings', schema=None) as batch_op:
        batch_op.create_index('ix_filings_entity_updated', ['entity_id', 'updated_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('filings', schema=None) as batch_op:
        batch_op.drop_index('ix_filings_entity_updated')

"""back-office list: cases by status and repertoire together (issue 16)

The list filtered by repertoire and status (e.g. RS, registered) had no index on both: at 100k
cases PostgreSQL counted the matches by a scan of the whole table (EXPLAIN ANALYZE: Seq Scan,
87,980 rows removed by the filter, 67 ms; bench/bench_cases.py p50 88 ms, p99 351 ms, load ~10).
With (status, repertoire, overdue, opened_at, filing_id) the count is an index-only scan and
the page an ordered walk of the same index.

Revision ID: a3c5e7f9b1d2
Revises: c7e9a1b3d5f0
Create Date: 2026-12-01 14:30:00.000000
"""
from alembic import op


revision = 'a3c5e7f9b1d2'
down_revision = 'c7e9a1b3d5f0'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_cases_status_repertoire", "cases", ["status", "repertoire", "overdue", "opened_at", "filing_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_cases_status_repertoire", table_name="cases")

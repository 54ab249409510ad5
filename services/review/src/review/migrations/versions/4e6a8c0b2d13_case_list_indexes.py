"""back-office list: cases by path, unassigned, and a status by deadline, in index order (issue 16)

At 100k cases (bench/bench_cases.py, EXPLAIN ANALYZE): the director's by-right queue walked
ix_cases_list filtering the table's rows (page 2.4 ms) and counted by a scan of the table
(7.4 ms); the unassigned cases (``assignee_id IS NULL``, which gives ix_cases_assignee no
order) walked ix_cases_list too (2–8 ms); a status sorted by deadline walked ix_cases_sort_due
through the cases without one (awaiting a complement, descending: 69 ms). Each is now an
index-only page and count. A list of statuses sorted by deadline (« À contrôler », received
and completeness_ok, by « Échéance »: their cases have none, last in ascending order) still
walks ix_cases_sort_due through the 15k cases with one, reading each row for its status
(11-26 ms): the status is now the index's last column, read from the index (0.8 ms).

Revision ID: 4e6a8c0b2d13
Revises: f3a5c7e9b1d4
Create Date: 2026-12-01 17:00:00.000000
"""
import sqlalchemy as sa
from alembic import op


revision = '4e6a8c0b2d13'
down_revision = 'f3a5c7e9b1d4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_cases_registration_type", "cases", ["registration_type", "overdue", "opened_at", "filing_id"]
    )
    op.create_index(
        "ix_cases_unassigned",
        "cases",
        ["overdue", "opened_at", "filing_id"],
        postgresql_where=sa.text("assignee_id IS NULL"),
        sqlite_where=sa.text("assignee_id IS NULL"),
    )
    op.create_index("ix_cases_status_due", "cases", ["status", "due_date", "filing_id"])
    op.drop_index("ix_cases_sort_due", table_name="cases")
    op.create_index("ix_cases_sort_due", "cases", ["due_date", "filing_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_cases_sort_due", table_name="cases")
    op.create_index("ix_cases_sort_due", "cases", ["due_date", "filing_id"])
    op.drop_index("ix_cases_status_due", table_name="cases")
    op.drop_index("ix_cases_unassigned", table_name="cases")
    op.drop_index("ix_cases_registration_type", table_name="cases")

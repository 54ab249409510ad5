"""registry search: the entries' filter columns by number, for a code filter with a condition on them (issue 14)

A code filter (NSF, ROME, SIRET) with a level or state condition checks each record of the code
against its entry: on PostgreSQL this covering index lets it do so from the index alone (a
nested loop of index-only lookups) instead of a bitmap scan of every entry at that level or in
that state joined by hash (bench/bench_registry.py: state+nsf's count 80 ms -> 13-27 ms, level+nsf's
page 52 ms -> 8 ms at 100k, load ~12).

Revision ID: 0417a923b15f
Revises: e5ce2e3e220d
Create Date: 2026-12-01 12:00:00.000000
"""
from alembic import op


revision = '0417a923b15f'
down_revision = 'e5ce2e3e220d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_registry_entries_filters ON registry_entries (number) "
            "INCLUDE (qualification_level, status, registration_start, registration_end)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_registry_entries_filters")

"""registry search: PostgreSQL learns how many entries have each access route (issues 14, 16)

The access-route filter is ``(routes & bit) != 0`` (d2f4a6c8e0b1); without statistics on that
expression PostgreSQL takes it to keep 99.5 % of the rows, where each route keeps about a third.
A text with a repertoire and a route was then thought to match ~3 000 records, of which the
first 1 001 (the capped count) would come early in the list's order: it walked the list and
tested the text on 59 000 entries (14 ms under load) instead of reading the 5 000 the trigram
index gives and sorting the 1 010 that match (9 ms, same load; bench/bench_registry.py).
Statistics on the six bits' expressions give the real shares. Nothing on SQLite, whose planner
has none.

Revision ID: f3a5c7e9b1d4
Revises: d2f4a6c8e0b1
Create Date: 2026-12-01 17:10:00.000000
"""
from alembic import op


revision = 'f3a5c7e9b1d4'
down_revision = 'd2f4a6c8e0b1'
branch_labels = None
depends_on = None

# As review.adapters.registry_feed.ROUTE_BITS (never renumbered).
BITS = (1, 2, 4, 8, 16, 32)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        expressions = ", ".join(f"((routes & {bit}))" for bit in BITS)
        op.execute(f"CREATE STATISTICS IF NOT EXISTS st_registry_entries_routes ON {expressions} FROM registry_entries")
        op.execute("ANALYZE registry_entries")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_registry_entries_routes")

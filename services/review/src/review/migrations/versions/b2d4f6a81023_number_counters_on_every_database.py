"""registration numbers: one counter row per repertoire on every database (issue 12, point 6)

PostgreSQL drew them from sequences, SQLite from counter rows; both now move the counter
row (``review.adapters.numbers``), which honours a configurable start and gives back the
number of a decision rolled back. Each counter starts at the highest number published.

Revision ID: b2d4f6a81023
Revises: 5079be5b34a4
Create Date: 2026-12-01 00:30:00
"""
from alembic import op


revision = 'b2d4f6a81023'
down_revision = '5079be5b34a4'
branch_labels = None
depends_on = None

REPERTOIRES = ("rncp", "rs")


def upgrade() -> None:
    for repertoire in REPERTOIRES:
        highest = f"(SELECT COALESCE(MAX(sequence_value), 0) FROM registry_records WHERE repertoire = '{repertoire}')"
        op.execute(
            f"INSERT INTO number_counters (repertoire, value) SELECT '{repertoire}', {highest} "
            f"WHERE NOT EXISTS (SELECT 1 FROM number_counters WHERE repertoire = '{repertoire}')"
        )
        op.execute(f"UPDATE number_counters SET value = {highest} WHERE repertoire = '{repertoire}' AND value < {highest}")
    if op.get_bind().dialect.name == "postgresql":
        for repertoire in REPERTOIRES:
            op.execute(f"DROP SEQUENCE IF EXISTS registration_number_{repertoire}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for repertoire in REPERTOIRES:
            op.execute(f"CREATE SEQUENCE IF NOT EXISTS registration_number_{repertoire} START WITH 1 INCREMENT BY 1")
            op.execute(
                f"SELECT setval('registration_number_{repertoire}', value) FROM number_counters "
                f"WHERE repertoire = '{repertoire}' AND value > 0"
            )

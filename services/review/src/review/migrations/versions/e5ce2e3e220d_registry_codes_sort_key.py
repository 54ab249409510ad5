"""registry search: each code row carries its record's sort key, indexed in the list's order (issue 14)

A page filtered by a code (NSF, ROME, a certifier's SIRET) is read from the codes' index in the
registry's order (RNCP then RS, newest number first) and stops at the page, instead of joining
every record with that code and sorting them (bench/bench_registry.py). The key is the number's
own (repertoire and sequence value), so it never goes out of date; existing rows are filled in
from their records.

Revision ID: e5ce2e3e220d
Revises: afce27f28e0a
Create Date: 2026-12-01 11:45:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'e5ce2e3e220d'
down_revision = 'afce27f28e0a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('registry_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('repertoire', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True))
        batch_op.add_column(sa.Column('sequence_value', sa.Integer(), nullable=True))
    # A code whose record does not exist is found by no search: it goes.
    op.execute("DELETE FROM registry_codes WHERE number NOT IN (SELECT number FROM registry_records)")
    op.execute(
        "UPDATE registry_codes SET repertoire = r.repertoire, sequence_value = r.sequence_value "
        "FROM registry_records AS r WHERE r.number = registry_codes.number"
    )
    with op.batch_alter_table('registry_codes', schema=None) as batch_op:
        batch_op.alter_column('repertoire', existing_type=sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False)
        batch_op.alter_column('sequence_value', existing_type=sa.Integer(), nullable=False)
    # Made in SQL (a descending key column), on every database.
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_registry_codes_list "
        "ON registry_codes (kind, code, repertoire, sequence_value DESC, number)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_registry_codes_list")
    with op.batch_alter_table('registry_codes', schema=None) as batch_op:
        batch_op.drop_column('sequence_value')
        batch_op.drop_column('repertoire')

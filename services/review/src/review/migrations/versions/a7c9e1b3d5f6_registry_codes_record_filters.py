"""registry search: each code row carries its record's level, state and access routes (issues 14, 16)

A code filter (NSF, ROME, a certifier's SIRET) with a level, a state or a route looked each of
the code's records up in the entries, or PostgreSQL hashed them with every entry in that state:
state+nsf read the 33 622 active entries and their heap for an NSF code's 2 213 records (p50
27 ms, 75 ms cold in EXPLAIN, at 100k records; bench/bench_registry.py). The code rows now
carry the entry's filter columns (review.adapters.registry_feed.record_change keeps them
equal), filled in here from the entries; on PostgreSQL ix_registry_codes_list includes them,
so such a search reads the code's index alone.

Revision ID: a7c9e1b3d5f6
Revises: 4e6a8c0b2d13
Create Date: 2026-12-01 17:10:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'a7c9e1b3d5f6'
down_revision = '4e6a8c0b2d13'
branch_labels = None
depends_on = None

COLUMNS = "qualification_level, status, registration_start, registration_end, routes"


def _list_index(include: bool) -> None:
    op.execute("DROP INDEX IF EXISTS ix_registry_codes_list")
    op.execute(
        "CREATE INDEX ix_registry_codes_list ON registry_codes (kind, code, repertoire, sequence_value DESC, number)"
        + (f" INCLUDE ({COLUMNS})" if include else "")
    )


def upgrade() -> None:
    with op.batch_alter_table('registry_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('qualification_level', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column('registration_start', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('registration_end', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('routes', sa.Integer(), server_default='0', nullable=False))
    op.execute(
        "UPDATE registry_codes SET qualification_level = e.qualification_level, status = e.status, "
        "registration_start = e.registration_start, registration_end = e.registration_end, routes = e.routes "
        "FROM registry_entries AS e WHERE e.number = registry_codes.number"
    )
    if op.get_bind().dialect.name == "postgresql":
        _list_index(include=True)
        op.execute("ANALYZE registry_codes")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_registry_codes_list")
    with op.batch_alter_table('registry_codes', schema=None) as batch_op:
        batch_op.drop_column('routes')
        batch_op.drop_column('registration_end')
        batch_op.drop_column('registration_start')
        batch_op.drop_column('status')
        batch_op.drop_column('qualification_level')
    _list_index(include=False)  # on every database, as e5ce2e3e220d made it

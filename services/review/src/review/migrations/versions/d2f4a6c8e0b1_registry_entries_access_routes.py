"""registry search: a fiche's access routes in its search entry, one bit each (issue 14)

An access route covers about a third of the records: joined through ``registry_codes`` (kind
``route``), a route with a state or a text read ~20k code rows (bench/bench_registry.py: p50
60-80 ms at 100k under load). ``registry_entries.routes`` holds them as a bit mask
(review.adapters.registry_feed.ROUTE_BITS), filtered in the same row as the other conditions;
the route code rows go. Existing entries get theirs from their record's fiche. On PostgreSQL
the covering index of the entries' filters includes it (a code filter with a route checks each
record from the index alone).

Revision ID: d2f4a6c8e0b1
Revises: a3c5e7f9b1d2
Create Date: 2026-12-01 14:40:00.000000
"""
import json

from alembic import op
import sqlalchemy as sa


revision = 'd2f4a6c8e0b1'
down_revision = 'a3c5e7f9b1d2'
branch_labels = None
depends_on = None

# As review.adapters.registry_feed.ROUTE_BITS and exports.ROUTE_CODES on the day of this migration.
ROUTE_BITS = {
    "initial_training": 1,
    "apprenticeship": 2,
    "continuing_training": 4,
    "professionalisation": 8,
    "individual_application": 16,
    "vae": 32,
}
ROUTE_CODES = {"FI": 1, "CA": 2, "FC": 4, "CQ": 8, "CL": 16, "VAE": 32}


def _filters_index(*columns: str) -> None:
    op.execute("DROP INDEX IF EXISTS ix_registry_entries_filters")
    op.execute(f"CREATE INDEX ix_registry_entries_filters ON registry_entries (number) INCLUDE ({', '.join(columns)})")


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table('registry_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('routes', sa.Integer(), server_default='0', nullable=False))
    masks = []
    rows = bind.execute(sa.text("SELECT number, fiche FROM registry_records").execution_options(yield_per=2000))
    for number, fiche in rows:
        fiche = json.loads(fiche) if isinstance(fiche, str) else (fiche or {})
        mask = 0
        for route in fiche.get("access_routes") or []:
            mask |= ROUTE_BITS.get(str(route.get("route")), 0)
        if mask:
            masks.append({"number": number, "routes": mask})
    for start in range(0, len(masks), 5000):
        bind.execute(sa.text("UPDATE registry_entries SET routes = :routes WHERE number = :number"), masks[start : start + 5000])
    op.execute("DELETE FROM registry_codes WHERE kind = 'route'")
    if bind.dialect.name == "postgresql":
        _filters_index("qualification_level", "status", "registration_start", "registration_end", "routes")
        op.execute("ANALYZE registry_codes")
        op.execute("ANALYZE registry_entries")


def downgrade() -> None:
    bind = op.get_bind()
    for code, bit in ROUTE_CODES.items():
        op.execute(
            "INSERT INTO registry_codes (kind, code, number, repertoire, sequence_value) "
            f"SELECT 'route', '{code}', number, repertoire, sequence_value FROM registry_entries WHERE (routes & {bit}) != 0"
        )
    if bind.dialect.name == "postgresql":
        _filters_index("qualification_level", "status", "registration_start", "registration_end")
    with op.batch_alter_table('registry_entries', schema=None) as batch_op:
        batch_op.drop_column('routes')

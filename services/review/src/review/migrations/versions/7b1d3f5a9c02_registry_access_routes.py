"""registry search: each published fiche's access routes as registry codes (issue 14)

The registry's access-route filter reads ``registry_codes`` of kind ``route`` (the v4.1 fiche's
SI_JURY_* suffixes: FI, CA, FC, CQ, CL, VAE), written at publication; the records already
published get theirs from their fiche.

Revision ID: 7b1d3f5a9c02
Revises: 0417a923b15f
Create Date: 2026-12-01 12:20:00.000000
"""
import json

from alembic import op
import sqlalchemy as sa


revision = '7b1d3f5a9c02'
down_revision = '0417a923b15f'
branch_labels = None
depends_on = None

# As review.adapters.exports.ROUTE_CODES on the day of this migration.
ROUTE_CODES = {
    "initial_training": "FI",
    "apprenticeship": "CA",
    "continuing_training": "FC",
    "professionalisation": "CQ",
    "individual_application": "CL",
    "vae": "VAE",
}


def upgrade() -> None:
    bind = op.get_bind()
    codes = sa.table(
        "registry_codes",
        sa.column("kind", sa.String),
        sa.column("code", sa.String),
        sa.column("number", sa.String),
        sa.column("repertoire", sa.String),
        sa.column("sequence_value", sa.Integer),
    )
    rows = []
    for number, repertoire, sequence_value, fiche in bind.execute(
        sa.text("SELECT number, repertoire, sequence_value, fiche FROM registry_records")
    ):
        fiche = json.loads(fiche) if isinstance(fiche, str) else (fiche or {})
        routes = {ROUTE_CODES[r.get("route")] for r in fiche.get("access_routes") or [] if r.get("route") in ROUTE_CODES}
        rows += [
            {"kind": "route", "code": code, "number": number, "repertoire": repertoire, "sequence_value": sequence_value}
            for code in sorted(routes)
        ]
    if rows:
        op.bulk_insert(codes, rows)


def downgrade() -> None:
    op.execute("DELETE FROM registry_codes WHERE kind = 'route'")

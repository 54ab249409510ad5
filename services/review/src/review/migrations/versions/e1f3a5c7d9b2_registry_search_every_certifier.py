"""registry search: every certifier of a fiche, the filer and its co-certifiers (issue 14)

The search entry's certifier_name holds every certifier's name (one a line, lower case) and
registry_codes holds every certifier's SIRET (kind "certifier"); existing records are filled
in as review.adapters.registry_feed fills them.

Revision ID: e1f3a5c7d9b2
Revises: ef0dcf00857a
Create Date: 2026-12-01 10:40:00.000000
"""
import json
from typing import Any

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'e1f3a5c7d9b2'
down_revision = 'ef0dcf00857a'
branch_labels = None
depends_on = None


def _certifiers(siret: str | None, name: str | None, fiche: Any) -> list[tuple[str | None, str]]:
    """As review.adapters.exports.certifiers_of, at the time of this migration."""
    if isinstance(fiche, str):
        fiche = json.loads(fiche or "{}")
    found: list[tuple[str | None, str]] = [(siret, name or "")]
    for c in (fiche or {}).get("certifiers") or []:
        if not c.get("filer") and c.get("siret") != siret:
            found.append((str(c["siret"]), str(c.get("name", ""))))
    return found


def upgrade() -> None:
    with op.batch_alter_table('registry_entries', schema=None) as batch_op:
        batch_op.alter_column(
            'certifier_name',
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=300),
            type_=sa.Text(),
            existing_nullable=False,
            server_default='',
        )
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT number, certifier_siret, certifier_name, fiche FROM registry_records")).all()
    for number, siret, name, fiche in rows:
        certifiers = _certifiers(siret, name, fiche)
        names = "\n".join(" ".join(n.split()).lower() for _, n in certifiers if n.strip())
        bind.execute(sa.text("UPDATE registry_entries SET certifier_name = :names WHERE number = :number"), {"names": names, "number": number})
        for code in sorted({s for s, _ in certifiers if s}):
            bind.execute(
                sa.text("INSERT INTO registry_codes (kind, code, number) VALUES ('certifier', :code, :number)"),
                {"code": code, "number": number},
            )


def downgrade() -> None:
    op.execute("DELETE FROM registry_codes WHERE kind = 'certifier'")
    op.execute("UPDATE registry_entries SET certifier_name = substr(certifier_name, 1, 300)")
    with op.batch_alter_table('registry_entries', schema=None) as batch_op:
        batch_op.alter_column(
            'certifier_name',
            existing_type=sa.Text(),
            type_=sqlmodel.sql.sqltypes.AutoString(length=300),
            existing_nullable=False,
            server_default=None,
        )

"""case search with the certifier's name and SIRET (issue 13, point 4)

Revision ID: a13c0f5e2d41
Revises: 4832d8d7c361
Create Date: 2026-12-01 00:50:00
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "a13c0f5e2d41"
down_revision = "4832d8d7c361"
branch_labels = None
depends_on = None


def _search(*parts: str | None) -> str:
    # review.adapters.tables.search_text as of this revision
    return " ".join(p.lower() for p in parts if p)[:1200]


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT c.filing_id, c.title, c.registration_number, e.denomination, e.siret "
            "FROM cases c JOIN certifiers e ON e.entity_id = c.entity_id"
        )
    ).all()
    for filing_id, title, number, name, siret in rows:
        bind.execute(
            sa.text("UPDATE cases SET search = :search WHERE filing_id = :id"),
            {"search": _search(title, number, str(uuid.UUID(str(filing_id))), name, siret), "id": filing_id},
        )


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT filing_id, title, registration_number FROM cases")).all()
    for filing_id, title, number in rows:
        bind.execute(
            sa.text("UPDATE cases SET search = :search WHERE filing_id = :id"),
            {"search": _search(title, number, str(uuid.UUID(str(filing_id)))), "id": filing_id},
        )

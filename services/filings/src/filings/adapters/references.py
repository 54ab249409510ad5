"""The dossier's number people quote instead of its id (issue 13, point 14): « 2026-000123 »,
the Paris year of the filing's creation and that year's sequence.

One row per year in ``reference_counters``, moved by a single ``INSERT … ON CONFLICT DO UPDATE
… RETURNING`` in the creating transaction, on both databases: on PostgreSQL the row lock makes
concurrent creations queue on it (none gets the same number; a rolled-back creation gives its
number back, so the sequence has no gap), SQLite has one writer at a time anyway."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

WIDTH = 6


def next_reference(session: Session, year: int) -> str:
    value = session.execute(
        sa.text(
            "INSERT INTO reference_counters (year, value) VALUES (:year, 1) "
            "ON CONFLICT (year) DO UPDATE SET value = reference_counters.value + 1 RETURNING value"
        ),
        {"year": year},
    ).scalar_one()
    return f"{year}-{int(value):0{WIDTH}d}"

"""Registration numbers: one sequence per repertoire that never gives a number twice."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col

from certreg_runtime.db import is_postgres
from review.adapters.tables import NumberCounter
from review.domain import rules


def sequence_name(repertoire: str) -> str:
    """The PostgreSQL sequence the first migration creates for the repertoire."""
    return f"registration_number_{repertoire}"


def next_number(session: Session, repertoire: str) -> int:
    """The next registration number of the repertoire: a PostgreSQL sequence, or a
    counter row updated in the caller's transaction elsewhere (SQLite: one writer)."""
    if repertoire not in rules.NUMBER_FORMAT:
        raise ValueError(repertoire)
    if is_postgres(session.get_bind()):
        return int(session.execute(sa.text(f"SELECT nextval('{sequence_name(repertoire)}')")).scalar_one())
    value = col(NumberCounter.value)
    updated = session.execute(
        sa.update(NumberCounter).where(col(NumberCounter.repertoire) == repertoire).values(value=value + 1).returning(value)
    ).scalar()
    if updated is None:
        session.execute(sa.insert(NumberCounter).values(repertoire=repertoire, value=1))
        return 1
    return int(updated)

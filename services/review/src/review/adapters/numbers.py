"""Registration numbers: one sequence per repertoire that never gives a number twice.

One mechanism on both databases: a counter row per repertoire, moved by one
``UPDATE … SET value = max(value + 1, start) … RETURNING value`` in the decision's
transaction. PostgreSQL holds the row locked until that transaction ends, so concurrent
decisions queue on it (each gets the next value, none the same); SQLite has one writer at
a time. A decision rolled back gives its number back: the registry has no gap. ``start``
(``CERTREG_RNCP_NUMBER_START``, ``CERTREG_RS_NUMBER_START``) is where a deployment
continues the real registry; raising it later jumps ahead, lowering it never goes back.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col

from review.adapters.tables import NumberCounter
from review.domain import rules


def next_number(session: Session, repertoire: str, start: int = 1) -> int:
    """The next registration number of the repertoire, at least ``start``."""
    if repertoire not in rules.NUMBER_PREFIX:
        raise ValueError(repertoire)
    if start < 1:
        raise ValueError("a registration number is positive")
    value = col(NumberCounter.value)
    bumped = sa.case((value + 1 < start, start), else_=value + 1)
    updated = session.execute(
        sa.update(NumberCounter).where(col(NumberCounter.repertoire) == repertoire).values(value=bumped).returning(value)
    ).scalar()
    if updated is None:  # the migration seeds both rows; a database made otherwise gets its row here
        session.execute(sa.insert(NumberCounter).values(repertoire=repertoire, value=start))
        return start
    return int(updated)

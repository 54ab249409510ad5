"""Verify every case's audit chain: ``python -m review.audit_check``. Exits 1 on a break.

Reads the review database named by the usual settings (CERTREG_REVIEW_DATABASE_URL,
CERTREG_DATABASE_URL or the embedded SQLite file)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from review.adapters.tables import AuditEntry
from review.domain.audit import ChainBreak, verify_chain


def _entries(conn: sa.Connection) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    table = AuditEntry.__table__  # type: ignore[attr-defined]
    current: str | None = None
    batch: list[dict[str, Any]] = []
    rows = conn.execution_options(yield_per=2000).execute(sa.select(table).order_by(table.c.filing_id, table.c.seq))
    for row in rows.mappings():
        if row["filing_id"] != current:
            if current is not None:
                yield current, batch
            current, batch = row["filing_id"], []
        batch.append(dict(row))
    if current is not None:
        yield current, batch


def check_all(engine: Engine) -> tuple[int, dict[str, ChainBreak]]:
    """(cases checked, the broken ones with their first break)."""
    broken: dict[str, ChainBreak] = {}
    checked = 0
    with engine.connect() as conn:
        for filing_id, entries in _entries(conn):
            checked += 1
            found = verify_chain(entries)
            if found is not None:
                broken[filing_id] = found
    return checked, broken


def main(argv: list[str] | None = None) -> int:
    from certreg_runtime.db import create_db_engine
    from certreg_runtime.settings import load_settings

    url = argv[0] if argv else load_settings().database_url_for("review")
    engine = create_db_engine(url)
    try:
        checked, broken = check_all(engine)
    finally:
        engine.dispose()
    for filing_id, why in sorted(broken.items()):
        print(f"BROKEN case {filing_id}: entry {why.seq}: {why.why}")
    print(f"{checked} case(s) checked, {len(broken)} broken chain(s)")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

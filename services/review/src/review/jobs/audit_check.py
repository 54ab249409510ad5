"""Verify every case's audit chain: ``python -m review.jobs.audit_check [DATABASE_URL]``.
Exits 1 on a break.

Reads the review database named by the usual settings (CERTREG_REVIEW_DATABASE_URL,
CERTREG_DATABASE_URL or the embedded SQLite file) unless a URL is given."""

from __future__ import annotations

import sys

from sqlalchemy.engine import Engine

from review.adapters.audit_log import chains
from review.domain.audit import ChainBreak, verify_chain


def check_all(engine: Engine) -> tuple[int, dict[str, ChainBreak]]:
    """(cases checked, the broken ones with their first break)."""
    broken: dict[str, ChainBreak] = {}
    checked = 0
    with engine.connect() as conn:
        for filing_id, entries in chains(conn):
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

"""A depositor's list of filings, for an entity with many of them, with and without its
index (``ix_filings_entity_updated``), on SQLite and PostgreSQL.

Builds the filings schema with the service's migrations (a temporary SQLite file; a
throwaway database on the server named by $CERTREG_TEST_DATABASE_URL), inserts
``FILINGS`` filings for one entity among 10,000 of others, and times the statements
``filings.app.queries.list_filings`` runs for a depositor (the count and the first page,
``SUMMARY_COLUMNS`` in its order), then drops the index and times them again.

    uv run python bench/bench_filings_list.py [FILINGS] [REPEATS]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col

from certreg_runtime.db import create_db_engine
from certreg_runtime.migrations import upgrade
from certreg_testing.infra import resolve_postgres
from filings.adapters.tables import Filing
from filings.app.queries import SUMMARY_COLUMNS
from filings.service import definition

OTHERS = 10_000


def fill(engine: Engine, entity: uuid.UUID, mine: int) -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "id": uuid.uuid4(),
            "reference": f"2026-{i:06d}",
            "entity_id": entity if i < mine else uuid.uuid4(),
            "created_by": entity,
            "repertoire": "rs",
            "title": f"Certification {i}",
            "created_at": now,
            "updated_at": now - timedelta(seconds=i),
            "row_version": 1,
            **{key: [] for key in ("activities", "competences", "competence_blocks", "assessment_methods", "editable_items")},
            "fiche": {},
        }
        for i in range(mine + OTHERS)
    ]
    with engine.begin() as conn:
        conn.execute(sa.insert(Filing), rows)
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("ANALYZE filings"))


def timed(engine: Engine, entity: uuid.UUID, repeats: int) -> tuple[float, float]:
    """p50 and p99 in ms of the list's two statements, on one connection."""
    mine = col(Filing.entity_id) == entity
    count = sa.select(sa.func.count()).select_from(Filing).where(mine)
    page = sa.select(*SUMMARY_COLUMNS).where(mine).order_by(col(Filing.updated_at).desc(), col(Filing.id).desc()).limit(20)
    times = []
    with engine.connect() as conn:
        for _ in range(repeats):
            t0 = time.perf_counter()
            conn.execute(count).one()
            conn.execute(page).all()
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def measure(label: str, engine: Engine, mine: int, repeats: int) -> None:
    upgrade(definition(), engine)
    entity = uuid.uuid4()
    fill(engine, entity, mine)
    with_index = timed(engine, entity, repeats)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_filings_entity_updated"))
    without = timed(engine, entity, repeats)
    print(f"{label:<12} {mine:>8} {without[0]:>9.2f} {without[1]:>9.2f} {with_index[0]:>9.2f} {with_index[1]:>9.2f}")


def main() -> int:
    mine = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    print(f"a depositor's list (count + first page of 20), {repeats} runs, ms; load average {os.getloadavg()[0]:.1f}")
    print(f"{'database':<12} {'filings':>8} {'p50 -idx':>9} {'p99 -idx':>9} {'p50 +idx':>9} {'p99 +idx':>9}")
    with tempfile.TemporaryDirectory() as folder:
        engine = create_db_engine(f"sqlite:///{Path(folder) / 'filings.db'}")
        measure("SQLite", engine, mine, repeats)
        engine.dispose()
    os.environ.setdefault("CERTREG_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    server = resolve_postgres()
    name = f"bench_filings_{uuid.uuid4().hex[:8]}"
    engine = create_db_engine(server.create_database(name))
    try:
        measure("PostgreSQL", engine, mine, repeats)
    finally:
        engine.dispose()
        server.drop_database(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())

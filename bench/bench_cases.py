"""Back-office case list at 1k, 10k and 100k cases on PostgreSQL.

Creates a throwaway database on the server named by $CERTREG_TEST_DATABASE_URL (an
admin URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres), applies review's
migrations, bulk-inserts cases with a realistic spread (statuses, repertoires,
instructors, deadlines, overdue requests), and times the list queries through
``review.app.queries.list_cases`` — the function the route calls — printing p50/p99 per
query and size. Drops the database at the end.

    CERTREG_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
    uv run python bench/bench_cases.py [REPEATS]
"""

from __future__ import annotations

import os
import random
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from certreg_runtime.db import create_db_engine
from certreg_runtime.migrations import upgrade
from certreg_testing.infra import resolve_postgres
from review.adapters.tables import Case, metadata, search_text
from review.app.queries import CaseFilters, list_cases
from review.service import definition

SIZES = (1_000, 10_000, 100_000)
STATUS_WEIGHTS = {
    "received": 5,
    "incomplete": 3,
    "completeness_ok": 3,
    "inadmissible": 2,
    "admissible": 2,
    "under_instruction": 20,
    "awaiting_complement": 10,
    "ready_for_commission": 5,
    "scheduled": 3,
    "favourable": 1,
    "unfavourable": 1,
    "adjourned": 2,
    "registered": 30,
    "refused": 8,
    "abandoned": 2,
    "admissibility_withdrawn": 0.5,
    "withdrawn": 2.5,
}
TRADES = (
    "développeur",
    "comptable",
    "infirmier",
    "logisticien",
    "soudeur",
    "cuisinier",
    "électricien",
    "mécanicien",
    "agent de sécurité",
    "formateur",
    "gestionnaire de paie",
    "technicien réseaux",
    "conducteur de travaux",
    "assistant de direction",
    "chargé de clientèle",
    "boulanger",
    "paysagiste",
    "data analyst",
    "community manager",
    "auxiliaire de vie",
    "plombier",
    "menuisier",
    "acheteur",
    "commercial",
    "designer graphique",
)
KINDS = ("Titre professionnel", "Certificat", "Diplôme", "Habilitation", "CQP", "Bachelor", "Mastère")
INSTRUCTORS = [uuid.uuid4() for _ in range(40)]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def rows(n: int, rng: random.Random, start: datetime) -> list[dict[str, Any]]:
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    out = []
    for status in rng.choices(statuses, weights, k=n):
        filing_id = uuid.uuid4()
        repertoire = "rncp" if rng.random() < 0.6 else "rs"
        title = f"{rng.choice(KINDS)} {rng.choice(TRADES)} {rng.choice(('', 'option A', 'spécialité B', 'niveau avancé'))}".strip()
        opened = start + timedelta(minutes=rng.randrange(0, 3 * 365 * 24 * 60))
        assigned = status not in ("received", "incomplete", "completeness_ok", "inadmissible", "admissible")
        due: date | None = None
        overdue = False
        if status in ("awaiting_complement", "adjourned", "incomplete"):
            due = (opened + timedelta(days=rng.randrange(10, 60))).date()
            overdue = status == "awaiting_complement" and rng.random() < 0.3
        out.append(
            {
                "filing_id": filing_id,
                "entity_id": uuid.uuid4(),
                "repertoire": repertoire,
                "title": title,
                "search": search_text(title, str(filing_id)),
                "qualification_level": rng.randint(3, 8) if repertoire == "rncp" else None,
                "is_cqp": False,
                "rests_on_standards": False,
                "summary": "",
                "snapshot": {},
                "submission_round": 1,
                "submitted_by": uuid.uuid4(),
                "status": status,
                "overdue": overdue,
                "due_date": due,
                "assignee_id": rng.choice(INSTRUCTORS) if assigned else None,
                "opened_at": opened,
                "updated_at": opened,
            }
        )
    return out


def time_query(engine: sa.Engine, filters: CaseFilters, repeats: int, offset: int = 0) -> tuple[float, float, int]:
    samples = []
    total = 0
    with Session(engine) as session:
        list_cases(session, filters, limit=50, offset=offset)  # warm the plan and the cache
        for _ in range(repeats):
            t0 = time.perf_counter()
            _, total = list_cases(session, filters, limit=50, offset=offset)
            samples.append((time.perf_counter() - t0) * 1000)
    return pct(samples, 50), pct(samples, 99), total


def main() -> int:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    os.environ.setdefault("CERTREG_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    server = resolve_postgres()
    name = f"bench_review_{uuid.uuid4().hex[:8]}"
    url = server.create_database(name)
    engine = create_db_engine(url)
    rng = random.Random(20260101)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    try:
        upgrade(definition(), engine)
        table = metadata.tables[Case.__tablename__]
        inserted = 0
        print(f"review case list on PostgreSQL, {repeats} runs per query, page of 50 (ms)")
        print(f"{'cases':>8}  {'query':<22} {'p50':>8} {'p99':>8} {'matches':>8}")
        for size in SIZES:
            t0 = time.perf_counter()
            while inserted < size:
                batch = rows(min(5000, size - inserted), rng, start)
                with engine.begin() as conn:
                    conn.execute(table.insert(), batch)
                inserted += len(batch)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE cases"))  # what autovacuum does in steady state
            fill = time.perf_counter() - t0
            queries = [
                ("default list", CaseFilters(), 0),
                ("status filter", CaseFilters(status=("under_instruction",)), 0),
                ("assignee filter", CaseFilters(assignee=INSTRUCTORS[7]), 0),
                ("overdue filter", CaseFilters(overdue=True), 0),
                ("repertoire+status", CaseFilters(repertoire="rs", status=("registered",)), 0),
                ("text search", CaseFilters(q="logisticien"), 0),
                ("deep offset page", CaseFilters(), max(0, size // 2)),
            ]
            for label, filters, offset in queries:
                p50, p99, total = time_query(engine, filters, repeats, offset)
                print(f"{size:>8}  {label:<22} {p50:>8.2f} {p99:>8.2f} {total:>8}")
            print(f"{size:>8}  (filled in {fill:.1f} s)")
    finally:
        engine.dispose()
        server.drop_database(name)
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Back-office case list at 1k, 10k and 100k cases on PostgreSQL.

Creates a throwaway database on the server named by $CERTREG_TEST_DATABASE_URL (an
admin URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres), applies review's
migrations, bulk-inserts cases with a realistic spread (statuses, repertoires,
instructors, deadlines, overdue requests), and times the list queries through
``review.app.queries.list_cases`` — the function the route calls — printing p50/p99 per
query and size. Drops the database at the end.

    CERTREG_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
    uv run python bench/bench_cases.py [REPEATS]

Beside p50/p99 (wall time, which a shared machine's load distorts) each line gives ``cpu``,
the CPU time per request of the PostgreSQL backend and of this process together (read from
/proc, so only when the server runs on this machine; "-" otherwise), and ``explain``, the
server's own execution time of each statement ``list_cases`` ran (EXPLAIN ANALYZE, median of
5): the page, then the count when one was needed. ``matches`` ends with "+" when the total
is a lower bound (the capped count).

Environment: ``CERTREG_BENCH_SIZES`` (comma-separated, default 1000,10000,100000);
``CERTREG_BENCH_KEEP=1`` keeps the database and prints its URL (to EXPLAIN by hand; drop it
yourself).
"""

from __future__ import annotations

import os
import random
import statistics
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
from review.app.queries import CaseFilters, Page, list_cases
from review.service import definition

SIZES = tuple(int(n) for n in os.environ.get("CERTREG_BENCH_SIZES", "1000,10000,100000").split(","))
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
        # the State's diplomas and titles, registered by right (about one RNCP filing in ten here)
        by_right = repertoire == "rncp" and rng.random() < 0.1
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
                "registration_type": "by_right" if by_right else "on_request",
                "overdue": overdue,
                "due_date": due,
                "assignee_id": rng.choice(INSTRUCTORS) if assigned else None,
                "opened_at": opened,
                "updated_at": opened,
            }
        )
    return out


def cpu_ticks(pid: int | None) -> int:
    """User + system CPU ticks of a process of this machine (0 when unknown)."""
    if pid is None:
        return 0
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def explain_ms(session: Session, filters: CaseFilters, offset: int) -> list[float]:
    """The server's execution time of each statement ``list_cases`` runs (median of 5)."""
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        statements.append((statement, parameters))

    bind = session.connection()
    sa.event.listen(bind, "before_cursor_execute", record)
    try:
        list_cases(session, filters, limit=50, offset=offset)
    finally:
        sa.event.remove(bind, "before_cursor_execute", record)
    times = []
    for statement, parameters in statements:
        runs = []
        for _ in range(5):
            plan = bind.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters).scalar_one()
            runs.append(float(plan[0]["Execution Time"]))
        times.append(statistics.median(runs))
    return times


def time_query(
    engine: sa.Engine, filters: CaseFilters, repeats: int, offset: int = 0
) -> tuple[float, float, float | None, Page[Any], list[float]]:
    samples = []
    with Session(engine) as session:
        page = list_cases(session, filters, limit=50, offset=offset)  # warm the plan and the cache
        backend: int | None = session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        if not os.path.exists(f"/proc/{backend}/stat"):
            backend = None
        ticks, cpu0 = cpu_ticks(backend), time.process_time()
        for _ in range(repeats):
            t0 = time.perf_counter()
            page = list_cases(session, filters, limit=50, offset=offset)
            samples.append((time.perf_counter() - t0) * 1000)
        cpu = None
        if backend is not None:
            server = (cpu_ticks(backend) - ticks) / os.sysconf("SC_CLK_TCK")
            cpu = (server + time.process_time() - cpu0) * 1000 / repeats
        explained = explain_ms(session, filters, offset)
    return pct(samples, 50), pct(samples, 99), cpu, page, explained


def main() -> int:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    os.environ.setdefault("CERTREG_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    server = resolve_postgres()
    name = f"bench_review_{uuid.uuid4().hex[:8]}"
    url = server.create_database(name)
    engine = create_db_engine(url)
    rng = random.Random(20260101)
    keep = False
    start = datetime(2023, 1, 1, tzinfo=UTC)
    try:
        upgrade(definition(), engine)
        table = metadata.tables[Case.__tablename__]
        inserted = 0
        print(f"review case list on PostgreSQL, {repeats} runs per query, page of 50 (ms); load average {os.getloadavg()[0]:.1f}")
        print(f"{'cases':>8}  {'query':<26} {'p50':>7} {'p99':>7} {'cpu':>6}  {'explain':<14} {'matches':>8}")
        for size in SIZES:
            t0 = time.perf_counter()
            while inserted < size:
                batch = rows(min(5000, size - inserted), rng, start)
                with engine.begin() as conn:
                    conn.execute(table.insert(), batch)
                inserted += len(batch)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE cases"))  # what autovacuum does in steady state
                one = str(conn.execute(sa.text("SELECT filing_id FROM cases ORDER BY opened_at LIMIT 1")).scalar_one())
                selection = tuple(conn.execute(sa.text("SELECT filing_id FROM cases ORDER BY updated_at LIMIT 50")).scalars())
            fill = time.perf_counter() - t0
            queries = [
                ("default list", CaseFilters(), 0),
                ("status filter", CaseFilters(status=("under_instruction",)), 0),
                ("two statuses", CaseFilters(status=("received", "completeness_ok")), 0),
                ("assignee filter", CaseFilters(assignee=INSTRUCTORS[7]), 0),
                ("unassigned", CaseFilters(unassigned=True), 0),
                ("overdue filter", CaseFilters(overdue=True), 0),
                ("repertoire", CaseFilters(repertoire="rs"), 0),
                ("repertoire+status", CaseFilters(repertoire="rs", status=("registered",)), 0),
                ("registration by right", CaseFilters(registration_type="by_right"), 0),
                ("text search", CaseFilters(q="logisticien"), 0),
                ("text search, one match", CaseFilters(q=one[:13]), 0),
                ("text search, none", CaseFilters(q="zzzz"), 0),
                ("text + status", CaseFilters(q="logisticien", status=("registered",)), 0),
                ("selection of 50 (ids)", CaseFilters(ids=selection), 0),
                ("sort by title", CaseFilters(sort="title"), 0),
                ("status, sort -due", CaseFilters(status=("awaiting_complement",), sort="-due"), 0),
                ("status, sort title", CaseFilters(status=("under_instruction",), sort="title"), 0),
                ("two statuses, sort due", CaseFilters(status=("received", "completeness_ok"), sort="due"), 0),
                ("text, sort title", CaseFilters(q="logisticien", sort="title"), 0),
                ("page 21 (offset 1000)", CaseFilters(), 1000),
                ("deep offset page", CaseFilters(), max(0, size // 2)),
            ]
            for label, filters, offset in queries:
                p50, p99, cpu, page, explained = time_query(engine, filters, repeats, offset)
                matches = f"{page.total}{'+' if page.total_is_lower_bound else ''}"
                times = " + ".join(f"{t:.1f}" for t in explained)
                shown = "-" if cpu is None else f"{cpu:.2f}"
                print(f"{size:>8}  {label:<26} {p50:>7.2f} {p99:>7.2f} {shown:>6}  {times:<14} {matches:>8}")
            print(f"{size:>8}  (filled in {fill:.1f} s; load average {os.getloadavg()[0]:.1f})")
        keep = os.environ.get("CERTREG_BENCH_KEEP") == "1"
        if keep:
            print(f"kept: {url}")
    finally:
        engine.dispose()
        if not keep:
            server.drop_database(name)
            server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

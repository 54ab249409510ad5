"""The public registry at 100k records on PostgreSQL: the exports' memory, the search's latency.

Creates a throwaway database on the server named by $CERTREG_TEST_DATABASE_URL (an admin URL,
e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres), applies review's migrations and
bulk-inserts published records with a realistic spread (RNCP and RS, levels, active, expired and
withdrawn registrations, ~3 000 certifiers with their SIRET, one record in five co-certified, real NSF and ROME codes from
certreg_reference, one to three access routes of the fiche's six (the entry's route bits, from
registry_feed.search_entry), frameworks and blocks of a real fiche's size), then:

1. streams ``export.xml`` and ``export.csv`` of every record through the functions the routes
   call (``queries.all_records`` → ``fiches_xml`` / ``registry_csv``) and prints the bytes, the
   time, the Python heap's peak (tracemalloc) and the process's RSS growth — at 10k and 100k,
   so that a memory that grew with the records would show;
2. times the registry search (``queries.list_registry``, page of 50, with its total) for EVERY
   combination of its eight filters (text, repertoire, level, state, certifier, NSF, ROME,
   access route: 256 combinations, the certifier's given both as a SIRET and as part of a name,
   each with values that match), printing p50/p99 per combination, its CPU per search (this
   process and its PostgreSQL backend, when the server runs on this machine) and the worst p99.

    CERTREG_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
    uv run python bench/bench_registry.py [REPEATS]

BENCH_REGISTRY_KEEP=1 keeps the database (its name is printed) instead of dropping it;
BENCH_REGISTRY_DB=<name> reuses a kept database: applies review's migrations to it (so a new
migration's backfill runs on 100k records), then times the search only (no fill, no exports).
BENCH_REGISTRY_EXPORT_AT= (empty) skips the exports when filling. BENCH_REGISTRY_ONLY=level,state
times only the combinations made of those filters (``none`` for the unfiltered list), e.g. to
re-time the slow ones after a change.
"""

from __future__ import annotations

import gc
import itertools
import os
import random
import sys
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import psutil
import sqlalchemy as sa
from sqlmodel import Session, col

from certreg_contracts.calendar import paris_date
from certreg_reference import nomenclature
from certreg_runtime.clock import FixedClock
from certreg_runtime.db import create_db_engine
from certreg_runtime.messaging import UnitOfWork
from certreg_runtime.migrations import upgrade
from certreg_runtime.settings import Settings
from certreg_testing.infra import resolve_postgres
from review.adapters import registry_feed
from review.adapters.exports import ROUTE_CODES, fiches_xml, registry_csv
from review.adapters.tables import RegistryCode, RegistryEntry, RegistryRecord, metadata, search_text
from review.app import queries
from review.app.deps import ReviewDeps
from review.config import ReviewConfig
from review.domain import rules

SIZES = (10_000, 100_000)
# BENCH_REGISTRY_EXPORT_AT=100000: measure the exports at that size only (a loaded machine);
# the search is timed once the last size is in, before its exports.
EXPORT_AT = {int(n) for n in os.environ.get("BENCH_REGISTRY_EXPORT_AT", ",".join(map(str, SIZES))).split(",") if n}
NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
TODAY = paris_date(NOW)
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
)
KINDS = ("Titre professionnel", "Certificat", "Diplôme", "Habilitation", "CQP", "Bachelor", "Mastère")
WORDS = ["analyser", "concevoir", "déployer", "piloter", "organiser", "contrôler", "évaluer", "rédiger", "accompagner", "négocier"]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def siret(rng: random.Random) -> str:
    """A 14-digit number with a valid Luhn key."""
    digits = [rng.randrange(10) for _ in range(13)]
    for key in range(10):
        candidate = [*digits, key]
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(reversed(candidate)))
        if total % 10 == 0:
            return "".join(map(str, candidate))
    raise AssertionError


class World:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.certifiers = [(uuid.uuid4(), f"Organisme {rng.choice(TRADES)} {n}", siret(rng)) for n in range(3000)]
        self.nsf = [code for code in nomenclature("nsf") if len(code) == 3]
        self.rome = list(nomenclature("rome"))
        self.sequence = {"rncp": 0, "rs": 0}

    def sentence(self, n: int) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(n)).capitalize()

    def batch(self, n: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        rng = self.rng
        records, codes = [], []
        for _ in range(n):
            repertoire = "rncp" if rng.random() < 0.6 else "rs"
            self.sequence[repertoire] += 1
            number = rules.format_number(repertoire, self.sequence[repertoire])
            title = f"{rng.choice(KINDS)} {rng.choice(TRADES)} {rng.choice(('', 'option A', 'spécialité B', 'niveau avancé'))}".strip()
            start = TODAY - timedelta(days=rng.randrange(0, 8 * 365))
            years = rng.choice((1, 2, 3, 5))
            end = rules.registration_end(start, years)
            status = "withdrawn" if rng.random() < 0.03 else ("expired" if end < TODAY and rng.random() < 0.9 else "active")
            entity_id, name, number_siret = rng.choice(self.certifiers)
            # One in five co-certified (issue 14): another certifier in the fiche, found by the
            # certifier filter as the filer is (every certifier's SIRET a registry code).
            co = [rng.choice(self.certifiers) for _ in range(1 if rng.random() < 0.2 else 0)]
            co_certifiers = [{"siret": c[2], "name": c[1], "filer": False} for c in co if c[2] != number_siret]
            routes = rng.sample(sorted(ROUTE_CODES), rng.randint(1, 3))
            fiche = {"certifiers": co_certifiers, "access_routes": [{"route": r, "jury": self.sentence(8)} for r in routes]}
            published = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
            records.append(
                {
                    "number": number,
                    "repertoire": repertoire,
                    "sequence_value": self.sequence[repertoire],
                    "filing_id": uuid.uuid4(),
                    "title": title,
                    "search": search_text(title, number),
                    "qualification_level": rng.randint(3, 8) if repertoire == "rncp" else None,
                    "is_cqp": title.startswith("CQP"),
                    "entity_id": entity_id,
                    "certifier_siret": number_siret,
                    "certifier_name": name,
                    "summary": self.sentence(60),
                    "decision_date": start,
                    "registration_start": start,
                    "registration_end": end,
                    "status": status,
                    "activities": [self.sentence(12) for _ in range(8)],
                    "competences": [self.sentence(14) for _ in range(12)],
                    "competence_blocks": [
                        {"code": f"BC0{b}", "title": self.sentence(5), "competences": [self.sentence(12) for _ in range(4)]}
                        for b in range(1, 5 if repertoire == "rncp" else 1)
                    ],
                    "assessment_methods": [self.sentence(15) for _ in range(3)],
                    "fiche": fiche,
                    "published_at": published,
                    "updated_at": published,
                }
            )
            key = {"number": number, "repertoire": repertoire, "sequence_value": self.sequence[repertoire]}
            for code in sorted({number_siret, *(str(c["siret"]) for c in co_certifiers)}):
                codes.append({"kind": registry_feed.CERTIFIER, "code": code, **key})
            for code in rng.sample(self.nsf, rng.randint(1, 3)):
                codes.append({"kind": "nsf", "code": code, **key})
            for code in rng.sample(self.rome, rng.randint(1, 5)):
                codes.append({"kind": "rome", "code": code, **key})
        return records, codes


def search_entry_row(record: RegistryRecord, filters: dict[str, Any]) -> dict[str, Any]:
    """The record's search entry, as registry_feed.search_entry writes it."""
    entry = registry_feed.search_entry(record, filters)
    return {c.name: getattr(entry, c.name) for c in metadata.tables[RegistryEntry.__tablename__].columns}


def review_deps(engine: sa.Engine) -> ReviewDeps:
    return ReviewDeps(
        "review",
        Settings(),
        FixedClock(NOW),
        None,
        partial(UnitOfWork, engine, metadata, "review"),
        config=ReviewConfig(),
    )


def measure_export(name: str, chunks: Iterator[Any]) -> tuple[int, float, float, float]:
    """Bytes, seconds, Python heap peak (MiB) and RSS growth (MiB) of consuming ``chunks``."""
    gc.collect()
    process = psutil.Process()
    rss0 = process.memory_info().rss
    rss_peak = rss0
    tracemalloc.start()
    t0 = time.perf_counter()
    size = 0
    for n, chunk in enumerate(chunks):
        size += len(chunk)
        if n % 200 == 0:
            rss_peak = max(rss_peak, process.memory_info().rss)
    elapsed = time.perf_counter() - t0
    _, heap_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_peak = max(rss_peak, process.memory_info().rss)
    return size, elapsed, heap_peak / 2**20, (rss_peak - rss0) / 2**20


def search_values(session: Session) -> dict[str, Any]:
    """Filter values that match something: taken from a record actually present."""
    active = session.execute(
        sa.select(col(RegistryRecord.number), col(RegistryRecord.certifier_name), col(RegistryRecord.certifier_siret)).where(
            col(RegistryRecord.repertoire) == "rncp", col(RegistryRecord.status) == "active", col(RegistryRecord.qualification_level) == 6
        )
    ).first()
    assert active is not None
    number, name, siret_value = active
    nsf = (
        session.execute(sa.select(col(RegistryCode.code)).where(col(RegistryCode.kind) == "nsf", col(RegistryCode.number) == number))
        .scalars()
        .first()
    )
    rome = (
        session.execute(sa.select(col(RegistryCode.code)).where(col(RegistryCode.kind) == "rome", col(RegistryCode.number) == number))
        .scalars()
        .first()
    )
    mask = session.execute(sa.select(col(RegistryEntry.routes)).where(col(RegistryEntry.number) == number)).scalar_one()
    assert mask, "no access route in the entry: a database filled before routes were (rebuild it)"
    # the route first by its code (CA, CL, CQ, FC, FI, VAE), as when they were registry codes
    route = min((r for r, bit in registry_feed.ROUTE_BITS.items() if mask & bit), key=ROUTE_CODES.__getitem__)
    return {
        "q": "technicien",
        "repertoire": "rncp",
        "level": 6,
        "state": "active",
        "certifier": name,
        "nsf": nsf,
        "rome": rome,
        "access_route": route,
        "_name": name.split(" ", 1)[1],  # part of the name, as one types it
        "_siret": siret_value,
    }


def backend_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of the PostgreSQL backend ``pid``, when the server runs on
    this machine (else None): with this process's own, a search's cost that the load of a
    shared machine does not distort the way it does the wall clock."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_search(engine: sa.Engine, values: dict[str, Any], repeats: int) -> list[tuple[str, float, float, str, str]]:
    names = ("q", "repertoire", "level", "state", "certifier", "nsf", "rome", "access_route")
    only = {n.strip() for n in os.environ.get("BENCH_REGISTRY_ONLY", "").split(",") if n.strip()}
    results = []
    with Session(engine) as session:
        backend = int(session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())
        for size in range(len(names) + 1):
            for combo in itertools.combinations(names, size):
                if only and not (set(combo) <= only and (combo or "none" in only)):
                    continue
                for certifier in ("_siret", "_name") if "certifier" in combo else (None,):
                    given = {k: values[k] for k in combo}
                    if certifier:
                        given["certifier"] = values[certifier]
                    filters = queries.RegistryFilters(**given)
                    queries.list_registry(session, filters, TODAY, limit=50)  # warm the plan and the cache
                    samples = []
                    total = ""
                    cpu0, server0 = time.process_time(), backend_cpu(backend)
                    for _ in range(repeats):
                        t0 = time.perf_counter()
                        result = queries.list_registry(session, filters, TODAY, limit=50)
                        samples.append((time.perf_counter() - t0) * 1000)
                        total = f"{'>' if result.total_is_lower_bound else ''}{result.total}"
                    client, server1 = time.process_time() - cpu0, backend_cpu(backend)
                    server = f"{(server1 - server0) * 1000 / repeats:.1f}" if server0 is not None and server1 is not None else "?"
                    cpu = f"{client * 1000 / repeats:.1f}+{server}"
                    label = (
                        "+".join(k if k != "certifier" else f"certifier({certifier[1:] if certifier else ''})" for k in combo) or "(none)"
                    )
                    results.append((label, pct(samples, 50), pct(samples, 99), total, cpu))
    return results


def search(engine: sa.Engine, repeats: int, inserted: int) -> None:
    with Session(engine) as session:
        values = search_values(session)
    print(f"load average before the search: {os.getloadavg()}")
    results = time_search(engine, values, repeats)
    print(
        f"\nregistry search at {inserted} records, every filter combination, page of 50 with its total"
        f" (>N: more than N, the count's cap), {repeats} runs (ms)"
    )
    shown = {k: v for k, v in values.items() if k != "certifier"}
    print(f"  values: {shown}")
    print("  CPU ms: per search, this process's + its PostgreSQL backend's (when on this machine)")
    print(f"  {'filters':<60} {'p50':>7} {'p99':>7} {'matches':>8} {'CPU ms':>10}")
    for label, p50, p99, total, cpu in results:
        print(f"  {label:<60} {p50:>7.2f} {p99:>7.2f} {total:>8} {cpu:>10}")
    worst = max(results, key=lambda r: r[2])
    print(f"  worst p99: {worst[2]:.2f} ms ({worst[0]}), {sum(1 for r in results if r[2] >= 50)} combinations at or over 50 ms")
    print(f"load average after the search: {os.getloadavg()}", flush=True)


def main() -> int:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    os.environ.setdefault("CERTREG_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    server = resolve_postgres()
    reuse = os.environ.get("BENCH_REGISTRY_DB", "")
    keep = bool(reuse) or os.environ.get("BENCH_REGISTRY_KEEP") == "1"
    name = reuse or f"bench_registry_{uuid.uuid4().hex[:8]}"
    url = server.url(name) if reuse else server.create_database(name)
    engine = create_db_engine(url)
    rng = random.Random(20261201)
    world = World(rng)
    from review.service import definition

    try:
        t0 = time.perf_counter()
        upgrade(definition(), engine)
        if reuse:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
            print(f"database {name}: migrated and analysed in {time.perf_counter() - t0:.1f} s", flush=True)
            with engine.connect() as conn:
                inserted = int(conn.execute(sa.text("SELECT count(*) FROM registry_records")).scalar_one())
            search(engine, repeats, inserted)
            return 0
        records = metadata.tables[RegistryRecord.__tablename__]
        codes = metadata.tables[RegistryCode.__tablename__]
        entries = metadata.tables[RegistryEntry.__tablename__]
        deps = review_deps(engine)
        inserted = 0
        for size in SIZES:
            t0 = time.perf_counter()
            while inserted < size:
                rows, code_rows = world.batch(min(5000, size - inserted))
                batch_records = [RegistryRecord(**r) for r in rows]
                filters = {record.number: registry_feed.filter_columns(record) for record in batch_records}
                entry_rows = [search_entry_row(record, filters[record.number]) for record in batch_records]
                for code_row in code_rows:  # each code row carries its record's filter columns
                    code_row.update(filters[code_row["number"]])
                with engine.begin() as conn:
                    conn.execute(records.insert(), rows)
                    conn.execute(entries.insert(), entry_rows)
                    conn.execute(codes.insert(), code_rows)
                inserted += len(rows)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE registry_records"))
                conn.execute(sa.text("VACUUM ANALYZE registry_codes"))
                conn.execute(sa.text("VACUUM ANALYZE registry_entries"))
            print(f"\n{size} records (filled in {time.perf_counter() - t0:.1f} s)", flush=True)
            if size == SIZES[-1]:
                search(engine, repeats, inserted)
            if size not in EXPORT_AT:
                continue
            print(f"  {'export':<12} {'MiB out':>9} {'s':>7} {'heap peak MiB':>14} {'RSS growth MiB':>15}")
            for label, chunks in (
                ("export.xml", fiches_xml(queries.all_records(deps, None), TODAY)),
                ("export.csv", registry_csv(queries.all_records(deps, None), TODAY)),
            ):
                out, seconds, heap, rss = measure_export(label, chunks)
                print(f"  {label:<12} {out / 2**20:>9.1f} {seconds:>7.1f} {heap:>14.1f} {rss:>15.1f}", flush=True)
        print(f"load average at the end: {os.getloadavg()}")
    finally:
        engine.dispose()
        if keep:
            server.keep(name)  # else close() drops what create_database made
            print(f"database kept: {name}")
        else:
            server.drop_database(name)
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

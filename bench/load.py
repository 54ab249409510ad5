"""Load test of the platform as it runs (``certreg up``, a real server in its own process),
driven by wrk, beside raw baselines measured in the same run.

Creates its data (a reviewer, 1,000 cases in review's database, a depositor and 30
drafts made through the API), starts the platform, then for each scenario and each
number of connections runs wrk and prints one line: req/s, p50, p99, errors
(connect/read/write/timeouts and non-2xx answers) and the platform process's peak RSS
during that run. Reads: filings list, filing page, case list, ``/me``, registry, the DSFR
stylesheet and script (gzip as a browser asks, and uncompressed). Writes: a new draft
(``POST /api/filings``), a draft's title changed (``PATCH``), a small piece uploaded
(a support letter), a staff message on a case, login; and the whole filing journey
(create, patch, every required piece, submit) by as many concurrent depositors as
connections, driven by httpx from this process (the one scenario wrk cannot run: each
request needs the previous one's answer). The baselines, in their own uvicorn process
with the same settings (httptools, uvloop): a FastAPI hello route, a FastAPI sync route
reading 50 rows in the threadpool (SQLite, or PostgreSQL with ``--mode infra``: one
psycopg connection per thread), and Starlette's ``StaticFiles`` serving the same DSFR
files. At the end, each main read's rate over the raw database route's, and each static
line's over plain uvicorn's for the same file and ``Accept-Encoding``, at the same
connections (goals: 50 % and 90 %).

    uv run python bench/load.py                     # embedded (SQLite, in-process bus)
    uv run python bench/load.py --mode infra        # the same process on PostgreSQL + RabbitMQ
    uv run python bench/load.py --mode distributed  # each service its own process behind the gateway (certreg up --distributed)
    uv run python bench/load.py --connections 10,50 --duration 5 --only me,static
    uv run python bench/load.py --connections 500 --duration 30 --only journey --set CERTREG_ADMISSION_WRITES=100

``infra`` and ``distributed`` read CERTREG_TEST_DATABASE_URL and CERTREG_TEST_AMQP_URL (what the tests use).
Needs ``wrk`` (``apt-get install wrk``)."""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from certreg_contracts.types import SERVICES

ROOT = Path(__file__).resolve().parent.parent
CSS = "/static/dsfr/dsfr.min.css"
JS = "/static/dsfr/dsfr.module.min.js"
BROWSER_GZIP = {"Accept-Encoding": "gzip, deflate, br, zstd"}  # what Firefox and Chromium send
IDENTITY = {"Accept-Encoding": "identity"}
EMAIL, PASSWORD = "charge.bench@example.org", "Un-mot-de-passe-2026"
CASES = 1000
FILINGS = 30
RAW_TABLE = "bench_load_raw_cases"

# wrk prints this line at the end of a run (its Lua ``done`` hook), with the 2xx answers
# and the 503s (an admission limit's or the hashing gate's "busy") counted by each thread.
DONE = """
local threads = {}
setup = function(thread) table.insert(threads, thread) end
local scenario_response = response
ok2xx, busy503 = 0, 0
response = function(status, headers, body)
  if status >= 200 and status < 300 then ok2xx = ok2xx + 1 elseif status == 503 then busy503 = busy503 + 1 end
  if scenario_response then scenario_response(status, headers, body) end
end
done = function(summary, latency, requests)
  local e = summary.errors
  local ok, busy = 0, 0
  for _, t in ipairs(threads) do ok = ok + t:get("ok2xx"); busy = busy + t:get("busy503") end
  io.write(string.format('WRK {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"socket_errors": %d, "non2xx": %d, "ok": %d, "busy": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status, ok, busy))
end
"""
LOGIN = f"""
wrk.method = "POST"
wrk.body = "username={EMAIL.replace("@", "%40")}&password={PASSWORD}"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
"""

BASELINE_APP = textwrap.dedent(
    """
    import sqlite3, sys, threading
    from fastapi import FastAPI
    from starlette.staticfiles import StaticFiles

    app = FastAPI()
    DB = sys.argv[1]
    local = threading.local()

    def pg():
        # One connection per worker thread, kept (what a pool does, without its checks).
        if not hasattr(local, "conn"):
            import psycopg

            local.conn = psycopg.connect(DB, autocommit=True)
        return local.conn

    @app.get("/hello")
    async def hello():
        return {"hello": "world"}

    @app.get("/sync-db")
    def sync_db():
        with sqlite3.connect(DB) as conn:
            rows = conn.execute("SELECT filing_id, title, status FROM cases ORDER BY opened_at DESC LIMIT 50").fetchall()
        return {"items": [{"id": str(r[0]), "title": r[1], "status": r[2]} for r in rows]}

    @app.get("/sync-pg")
    def sync_pg():
        rows = pg().execute("SELECT filing_id, title, status FROM bench_load_raw_cases ORDER BY opened_at DESC LIMIT 50").fetchall()
        return {"items": [{"id": str(r[0]), "title": r[1], "status": r[2]} for r in rows]}

    app.mount("/static", StaticFiles(directory=sys.argv[2]), name="static")

    if __name__ == "__main__":
        import uvicorn
        uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[3]), log_level="warning", access_log=False)
    """
)


@dataclass
class Result:
    label: str
    connections: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    non2xx: int
    peak_rss_mb: float | None
    # 2xx answers per second, and the 503s among non2xx (told to come back: "busy").
    ok_rps: float = 0.0
    busy: int = 0
    # A line printed under the result (the journey's steps).
    detail: str = ""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_port_run(count: int) -> int:
    """The first of ``count`` consecutive free ports (``certreg up --distributed`` puts
    the services on the ports after the gateway's)."""
    import socket

    for _ in range(100):
        first = free_port()
        try:
            for offset in range(count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", first + offset))
            return first
        except OSError:
            continue
    raise SystemExit(f"no {count} consecutive free ports")


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url} exited:\n{log.read_text()[-3000:]}")
        with suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise SystemExit(f"{url} not ready:\n{log.read_text()[-3000:]}")


class PeakRss:
    """The highest VmRSS of a process and its children (a distributed platform's
    services) while the block runs (sampled every 50 ms; the process tree, which
    walks all of /proc, looked up again every 2 s: in the journey this sampler shares
    the load generator's process, and walking /proc 20 times a second took a third of
    its CPU)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._tree: list[object] = []

    def _find_tree(self) -> None:
        import psutil

        with suppress(psutil.Error):
            root = psutil.Process(self.pid)
            self._tree = [root, *root.children(recursive=True)]

    def _read(self) -> int:
        import psutil

        total = 0
        for proc in self._tree:
            with suppress(psutil.Error):
                total += proc.memory_info().rss  # type: ignore[attr-defined]
        return total

    def _run(self) -> None:
        found = time.monotonic()
        while not self._stop.wait(0.05):
            if time.monotonic() - found > 2:
                self._find_tree()
                found = time.monotonic()
            self.peak = max(self.peak, self._read())

    def __enter__(self) -> PeakRss:
        self._find_tree()
        self.peak = self._read()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def wrk(url: str, connections: int, duration: float, *, headers: dict[str, str], script: str = "", pid: int | None = None) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script + DONE)
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{round(duration)}s", "--timeout", "30s", "-s", lua.name]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    try:
        if pid is not None:
            with PeakRss(pid) as rss:
                out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
            peak: float | None = rss.peak / 2**20
        else:
            out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
            peak = None
    finally:
        os.unlink(lua.name)
    for refused in (x for x in out.splitlines() if x.startswith("FIRST-REFUSED ")):
        print(f"  ({refused[14:]})", file=sys.stderr)
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    data = json.loads(line[4:])
    seconds = data["duration_us"] / 1e6
    return Result(
        "",
        connections,
        data["requests"] / seconds,
        data["p50_us"] / 1000,
        data["p99_us"] / 1000,
        data["socket_errors"],
        data["non2xx"],
        peak,
        data["ok"] / seconds,
        data["busy"],
    )


def certreg(*args: str, env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", "certreg", *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"certreg {' '.join(args[:2])} failed:\n{done.stderr[-3000:]}")


def fill_cases(url: str) -> None:
    """``CASES`` cases in review's database (bench_cases' realistic spread)."""
    sys.path.insert(0, str(ROOT))
    from bench.bench_cases import rows
    from certreg_runtime.db import create_db_engine
    from review.adapters.tables import Case, metadata

    engine = create_db_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(metadata.tables[Case.__tablename__].insert(), rows(CASES, random.Random(16), datetime(2024, 1, 1, tzinfo=UTC)))
    finally:
        engine.dispose()


def depositor_token(identity_url: str) -> dict[str, str]:
    """A depositor of a new entity, signed with identity's key as identity signs a
    login's token (making a real entity takes a dozen requests and a mail)."""
    from certreg_runtime.db import create_db_engine
    from certreg_runtime.settings import Settings
    from certreg_runtime.tokens import issue_token
    from identity.adapters.keys import KeyRing

    engine = create_db_engine(identity_url)
    try:
        keys = KeyRing(engine)
        keys.reload()
        settings = Settings()
        token = issue_token(
            keys.signing_key(),
            subject=uuid.uuid4(),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl=timedelta(hours=2),
            scope="access",
            roles=("entity_manager",),
            entity_id=uuid.uuid4(),
            name="Claire Durand",
            email="claire.durand@example.org",
        )
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {token}"}


def fill_filings(base: str, auth: dict[str, str]) -> list[str]:
    """``FILINGS`` drafts of the depositor's entity, through the API; returns their ids."""
    from certreg_testing.samples import RNCP_FILING

    ids = []
    with httpx.Client(base_url=base, headers=auth, timeout=30) as client:
        for i in range(FILINGS):
            answer = client.post("/api/filings", json={**RNCP_FILING, "title": f"Technicien de maintenance {i}"})
            answer.raise_for_status()
            ids.append(answer.json()["filing_id"])
    return [str(i) for i in ids]


@contextmanager
def platform(workdir: Path, mode: str, overrides: dict[str, str] | None = None) -> Iterator[tuple[str, int, str]]:
    """``certreg up`` (``--distributed`` in that mode) with its data; yields its base URL,
    its pid and identity's database URL. The shell's ``CERTREG_*`` variables are not
    passed on (a developer's own settings would change the figures); ``overrides`` are
    (``--set``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTREG_")}
    env.update({"CERTREG_DATA_DIR": str(workdir / "var"), "CERTREG_LOG_LEVEL": "WARNING", "CERTREG_ENVIRONMENT": "development"})
    env.update(overrides or {})
    server = None
    if mode in ("infra", "distributed"):
        from certreg_testing.infra import resolve_amqp, resolve_postgres, unique_namespace

        server = resolve_postgres()
        amqp = resolve_amqp()
        env.update(
            {
                "CERTREG_DATABASE_URL": server.database_url_template(),
                "CERTREG_AMQP_URL": amqp.url,
                "CERTREG_BUS_NAMESPACE": unique_namespace(),
            }
        )
    try:
        certreg("migrate", env=env)
        from certreg_runtime.settings import Settings

        settings = Settings(data_dir=workdir / "var", database_url=env.get("CERTREG_DATABASE_URL"))
        fill_cases(settings.database_url_for("review"))
        certreg("admin", "create", "--email", EMAIL, "--password", PASSWORD, "--role", "reviewer", env=env)
        port = free_port() if mode != "distributed" else free_port_run(len(SERVICES) + 1)
        log = workdir / "up.log"
        command = [sys.executable, "-m", "certreg", "up", "--port", str(port)]
        if mode == "distributed":
            command.append("--distributed")
        with open(log, "wb") as out:
            process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_ready(f"{base}/readyz", process, log, timeout=600)
            yield base, process.pid, settings.database_url_for("identity")
        finally:
            process.terminate()
            process.wait(30)
    finally:
        if server is not None:
            server.close()


@contextmanager
def baseline(workdir: Path, mode: str) -> Iterator[str]:
    """The raw FastAPI/Starlette app, on a copy of the cases: in SQLite, and in
    PostgreSQL (a table of CERTREG_TEST_DATABASE_URL's database, dropped at the end)
    except in the embedded mode."""
    import sqlite3

    data = [(f"{i:032x}", f"Certification {i}", "received", f"2025-01-{1 + i % 28:02d}") for i in range(CASES)]
    db = str(workdir / "raw.sqlite3")
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE cases (filing_id TEXT, title TEXT, status TEXT, opened_at TEXT)")
        conn.executemany("INSERT INTO cases VALUES (?, ?, ?, ?)", data)
    pg_url = None
    if mode != "embedded":
        import psycopg

        pg_url = os.environ["CERTREG_TEST_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")
            conn.execute(f"CREATE TABLE {RAW_TABLE} (filing_id TEXT, title TEXT, status TEXT, opened_at TEXT)")
            conn.execute(f"CREATE INDEX ON {RAW_TABLE} (opened_at)")
            with conn.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {RAW_TABLE} VALUES (%s, %s, %s, %s)", data)
        db = pg_url
    app = workdir / "raw_app.py"
    app.write_text(BASELINE_APP)
    port = free_port()
    log = workdir / "raw.log"
    static = ROOT / "services/gateway/src/gateway/ui/static"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, str(app), str(db), str(static), str(port)], stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(f"{base}/hello", process, log)
        yield base
    finally:
        process.terminate()
        process.wait(30)
        if pg_url is not None:
            import psycopg

            with psycopg.connect(pg_url, autocommit=True) as conn:
                conn.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")


def rotating(method: str, paths: list[str], body: str | bytes, content_type: str) -> str:
    """A wrk script sending ``method`` to each of ``paths`` in turn (per wrk thread) with
    ``body`` (the writes: each request on another draft or case, as many users would)."""
    text = body.decode("latin-1") if isinstance(body, bytes) else body
    quoted = ", ".join(json.dumps(p) for p in paths)
    return f"""
local paths = {{{quoted}}}
local body = {lua_string(text)}
local i = 0
wrk.headers["Content-Type"] = "{content_type}"
request = function()
  i = i % #paths + 1
  return wrk.format("{method}", paths[i], nil, body)
end
local told = false
response = function(status, headers, body)
  if status >= 300 and not told then
    told = true
    io.write("FIRST-REFUSED " .. status .. " " .. string.sub(body, 1, 300) .. "\\n")
  end
end
"""


def lua_string(text: str) -> str:
    """``text`` as a Lua string literal (every byte escaped: PDF bytes included)."""
    return '"' + "".join(f"\\{b}" for b in text.encode("latin-1")) + '"'


def journey(base: str, auth: dict[str, str], connections: int, duration: float, pid: int | None) -> Result:
    """``connections`` depositors at once, each filing in a loop: create a draft, change
    its title, upload every required piece, submit. Every request's time counts (not the
    journey's); errors: transport errors and answers other than the expected status. A
    503 with ``Retry-After`` (busy) is waited for and the step sent again, as a client
    should (counted in non2xx and 503).

    Each depositor has its own client and connection, as real ones would: one pool of
    500 connections costs httpx a scan of all of them per request, which made this
    process the bottleneck (a whole core at ~60 requests a second, the platform at a
    quarter of one) and its own queue the measured wait. The line after the result gives
    each step's p50 / p99 and this process's CPU: near 100 % of a core, the figures are
    the load generator's, not the platform's."""
    import asyncio

    from certreg_testing.samples import PDF, RNCP_FILING

    today = datetime.now(UTC).date().isoformat()
    times: list[float] = []
    steps: dict[str, list[float]] = {"create": [], "patch": [], "piece": [], "submit": []}
    failures = {"socket": 0, "status": 0, "busy": 0}
    oks = 0
    stop_at = [float("inf")]

    async def call(client: httpx.AsyncClient, step: str, expected: int, method: str, path: str, **kwargs: object) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            answer = await client.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError:
            failures["socket"] += 1
            return None
        took = time.perf_counter() - started
        times.append(took)
        steps[step].append(took)
        if answer.status_code == 503 and "Retry-After" in answer.headers:
            # Told to come back (busy): as a client should, after Retry-After, the same step.
            failures["status"] += 1
            failures["busy"] += 1
            if time.monotonic() >= stop_at[0]:
                return None
            await asyncio.sleep(float(answer.headers["Retry-After"]))
            return await call(client, step, expected, method, path, **kwargs)
        if answer.status_code != expected:
            failures["status"] += 1
            return None
        nonlocal oks
        oks += 1
        return answer

    async def depositor(client: httpx.AsyncClient, n: int) -> None:
        async with client:
            while time.monotonic() < stop_at[0]:
                made = await call(
                    client, "create", 201, "POST", "/api/filings", json={**RNCP_FILING, "title": f"Parcours {n} {uuid.uuid4().hex[:6]}"}
                )
                if made is None:
                    continue
                filing = made.json()
                path = f"/api/filings/{filing['filing_id']}"
                if await call(client, "patch", 200, "PATCH", path, json={"title": f"Parcours {n} revu"}) is None:
                    continue
                for line in filing["requirements"]:
                    if line["required"] and time.monotonic() < stop_at[0]:
                        params = {"filename": "piece.pdf", **({"document_date": today} if line["dated"] else {})}
                        await call(client, "piece", 201, "POST", f"{path}/documents/{line['doc_type']}", params=params, content=PDF)
                if time.monotonic() < stop_at[0]:
                    await call(client, "submit", 202, "POST", f"{path}/submit", json={"sworn_statement": True})

    async def run() -> tuple[float, float]:
        one = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        clients = [httpx.AsyncClient(base_url=base, headers=auth, timeout=30, limits=one, trust_env=False) for _ in range(connections)]
        started, cpu = time.monotonic(), time.process_time()
        stop_at[0] = started + duration
        await asyncio.gather(*(depositor(client, n) for n, client in enumerate(clients)))
        return time.monotonic() - started, time.process_time() - cpu

    if pid is not None:
        with PeakRss(pid) as rss:
            seconds, cpu = asyncio.run(run())
        peak: float | None = rss.peak / 2**20
    else:
        (seconds, cpu), peak = asyncio.run(run()), None

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0

    rate, busy = len(times) / seconds, failures["busy"]
    detail = ", ".join(f"{step} {pct(v, 0.5):.0f} / {pct(v, 0.99):.0f} ms" for step, v in steps.items())
    detail += f"; the load generator's CPU: {cpu / seconds:.0%} of a core"
    result = Result(
        "", connections, rate, pct(times, 0.50), pct(times, 0.99), failures["socket"], failures["status"], peak, oks / seconds, busy
    )
    result.detail = detail
    return result


def raise_open_files(wanted: int = 8192) -> None:
    """500 connections need more descriptors than a shell's usual 1,024 (wrk and the
    platform, which inherit this process's limit)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted, hard))


def drain(probes: list[tuple[str, dict[str, str]]], timeout: float = 300) -> float:
    """Seconds after a run until the platform answers each probe (a read of identity,
    filings and review) within a second again: the backlog wrk's connections left (wrk
    counts only the answers that came during the run; the others are still being
    worked on after it). The next line starts after it."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with suppress(httpx.HTTPError):
            if all(httpx.get(url, headers=headers, timeout=1).status_code == 200 for url, headers in probes):
                return time.monotonic() - started
        time.sleep(0.2)
    return time.monotonic() - started


def case_ids(base: str, auth: dict[str, str], count: int = 50) -> list[str]:
    answer = httpx.get(f"{base}/api/review/cases", params={"limit": count}, headers=auth, timeout=30)
    answer.raise_for_status()
    return [str(item["filing_id"]) for item in answer.json()["items"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["embedded", "infra", "distributed"], default="embedded")
    parser.add_argument("--connections", default="10,50,200,500")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="CERTREG_NAME=VALUE",
        help="a setting for the platform (repeatable), e.g. --set CERTREG_ADMISSION_WRITES=100",
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated scenarios (filings,filing,cases,me,registry,static,create,patch,upload,message,journey,login)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    missing = [v for v in ("CERTREG_TEST_DATABASE_URL", "CERTREG_TEST_AMQP_URL") if args.mode != "embedded" and not os.environ.get(v)]
    if missing:
        raise SystemExit(f"--mode {args.mode} needs {' and '.join(missing)} (PostgreSQL and RabbitMQ: see bench/README.md)")
    raise_open_files()
    levels = [int(c) for c in args.connections.split(",")]
    only = set(filter(None, args.only.split(",")))
    results: list[Result] = []

    probes: list[tuple[str, dict[str, str]]] = []  # set once the platform is up

    def show(result: Result, label: str) -> None:
        result.label = label
        results.append(result)
        rss = f"{result.peak_rss_mb:8.0f}" if result.peak_rss_mb is not None else f"{'-':>8}"
        figures = (
            f"{result.rps:>9.1f} {result.ok_rps:>9.1f} {result.p50_ms:>9.1f} {result.p99_ms:>9.1f} {result.errors:>7} "
            f"{result.non2xx:>7} {result.busy:>7} {rss}"
        )
        drained = f"{drain(probes):>8.1f}" if probes else f"{'-':>8}"
        print(f"{label:<50} {result.connections:>5} {figures} {drained}", flush=True)
        if result.detail:
            print(f"    {result.detail}", flush=True)

    def run(label: str, url: str, connections: int, headers: dict[str, str], script: str = "", pid: int | None = None) -> None:
        show(wrk(url, connections, args.duration, headers=headers, script=script, pid=pid), label)

    statics = [
        ("css", "dsfr.min.css", CSS),
        ("js", "dsfr.module.min.js", JS),
    ]
    encodings = [("gzip", BROWSER_GZIP), ("uncompressed", IDENTITY)]
    with tempfile.TemporaryDirectory(prefix="certreg-load-") as tmp:
        workdir = Path(tmp)
        print(
            f"certreg load ({args.mode}), wrk {args.duration:g} s per line; RSS: the platform's peak (MB); "
            "drain: s until it answers reads within 1 s again"
        )
        print(
            f"{'scenario':<50} {'conns':>5} {'req/s':>9} {'2xx/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7} {'non2xx':>7} "
            f"{'503':>7} {'RSS':>8} {'drain s':>8}"
        )
        reads = {"filings", "filing", "cases", "me", "registry"}
        raw_db = "raw: FastAPI + sync SQLite (50)" if args.mode == "embedded" else "raw: FastAPI + sync PostgreSQL (50)"
        with baseline(workdir, args.mode) as raw:
            for c in levels:
                if not only or "me" in only:
                    run("raw: FastAPI hello", f"{raw}/hello", c, headers={})
                if not only or only & reads:
                    run(raw_db, f"{raw}/sync-db" if args.mode == "embedded" else f"{raw}/sync-pg", c, headers={})
                if not only or "static" in only:
                    for _, name, path in statics:
                        for encoding, headers in encodings:
                            run(f"raw: StaticFiles {name} ({encoding})", f"{raw}{path}", c, headers=headers)
        overrides = dict(item.split("=", 1) for item in args.set)
        if unknown := [name for name in overrides if not name.startswith("CERTREG_")]:
            parser.error(f"--set takes CERTREG_ settings, not {', '.join(unknown)}")
        with platform(workdir, args.mode, overrides) as (base, pid, identity_url):
            token = httpx.post(f"{base}/api/identity/token", data={"username": EMAIL, "password": PASSWORD}, timeout=30).json()[
                "access_token"
            ]
            auth = {"Authorization": f"Bearer {token}"}
            depositor = depositor_token(identity_url)
            filing_ids = fill_filings(base, depositor)
            cases = case_ids(base, auth)
            probes += [
                (f"{base}/api/identity/me", auth),
                (f"{base}/api/filings/{filing_ids[0]}", depositor),
                (f"{base}/api/review/cases?limit=1", auth),
            ]
            from certreg_testing.samples import PDF, RNCP_FILING

            drafts = [f"/api/filings/{i}" for i in filing_ids]
            create = f"""
wrk.method = "POST"
wrk.body = {lua_string(json.dumps({**RNCP_FILING, "title": "Technicien de maintenance (charge)"}))}
wrk.headers["Content-Type"] = "application/json"
"""
            patch = rotating("PATCH", drafts, json.dumps({"title": "Technicien de maintenance industrielle"}), "application/json")
            # A piece every draft asks for, without a date (uploading it again replaces it).
            lines = httpx.get(f"{base}{drafts[0]}", headers=depositor, timeout=30).json()["requirements"]
            piece = next(line["doc_type"] for line in lines if line["required"] and not line["dated"])
            upload = rotating("POST", [f"{d}/documents/{piece}?filename=piece.pdf" for d in drafts], PDF, "application/pdf")
            message = rotating(
                "POST",
                [f"/api/review/cases/{c}/messages" for c in cases],
                json.dumps({"body": "Merci de préciser le référentiel d'évaluation."}),
                "application/json",
            )
            scenarios: list[tuple[str, str, str, dict[str, str], str]] = [
                ("filings", "GET /api/filings", "/api/filings", depositor, ""),
                ("filing", "GET /api/filings/{id}", drafts[0], depositor, ""),
                ("cases", "GET /api/review/cases?limit=50", "/api/review/cases?limit=50", auth, ""),
                ("me", "GET /api/identity/me", "/api/identity/me", auth, ""),
                ("registry", "GET /api/review/registry", "/api/review/registry", {}, ""),
                *[
                    ("static", f"GET {name} ({encoding})", path, headers, "")
                    for _, name, path in statics
                    for encoding, headers in encodings
                ],
                ("create", "POST /api/filings", "/api/filings", depositor, create),
                ("patch", "PATCH /api/filings/{id} (30 drafts)", drafts[0], depositor, patch),
                ("upload", "POST /api/filings/{id}/documents/… (PDF)", drafts[0], depositor, upload),
                ("message", "POST /api/review/cases/{id}/messages", "/", auth, message),
                ("login", "POST /api/identity/token", "/api/identity/token", {}, LOGIN),
            ]
            for c in levels:
                for key, label, path, headers, script in scenarios:
                    if not only or key in only:
                        run(label, f"{base}{path}", c, headers=headers, script=script, pid=pid)
                if not only or "journey" in only:
                    show(journey(base, depositor, c, args.duration, pid), "journey: create, patch, pieces, submit")
    raw_rates = {r.connections: r.rps for r in results if r.label == raw_db}
    read_labels = [label for key, label, *_ in scenarios if key in reads]
    ratios = [r for r in results if r.label in read_labels and r.connections in raw_rates]
    if ratios:
        print(f"\nmain reads over the raw database route ({raw_db[5:]}), same run; the goal is 50 %")
        for r in ratios:
            print(f"{r.label:<50} {r.connections:>5} {r.ok_rps / raw_rates[r.connections]:>9.0%}")
    raw_static = {
        (r.label.removeprefix("raw: StaticFiles "), r.connections): r.rps for r in results if r.label.startswith("raw: StaticFiles ")
    }
    static = [r for r in results if (r.label.removeprefix("GET "), r.connections) in raw_static]
    if static:
        print("\nstatic files over plain uvicorn's StaticFiles, same file, same Accept-Encoding, same run; the goal is 90 %")
        print("(StaticFiles never compresses: with gzip asked, the gateway sends the gzipped file, plain uvicorn the whole one)")
        for r in static:
            print(f"{r.label:<50} {r.connections:>5} {r.ok_rps / raw_static[(r.label.removeprefix('GET '), r.connections)]:>9.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

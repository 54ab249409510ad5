"""Issue 16: a service takes so many reads and writes at once; one more is answered 503
``busy`` with ``Retry-After`` (the password-hashing gate's shape) after a short pause
that holds nothing, and a place is given back whatever ended the request: its answer, an
error, its client gone."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import anyio.to_thread
import httpx
import pytest
from fastapi import APIRouter, FastAPI
from starlette.types import Receive, Scope, Send

from certreg_runtime.admission import RETRY_AFTER_SECONDS, Admission, AdmissionMiddleware, threads_queued
from certreg_runtime.bus.inprocess import InProcessBus
from certreg_runtime.db import create_db_engine
from certreg_runtime.service import ServiceRunner
from certreg_runtime.settings import Settings
from certreg_testing.probe import ProbeBehaviour, probe_definition


class Held:
    """Routes that wait until released, so that a test decides how many are in flight."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.entered = 0
        router = APIRouter()

        @router.get("/api/x/items")
        async def read() -> dict[str, str]:
            self.entered += 1
            await self.release.wait()
            return {"ok": "read"}

        @router.post("/api/x/items")
        async def write() -> dict[str, str]:
            self.entered += 1
            await self.release.wait()
            return {"ok": "write"}

        @router.post("/api/x/fails")
        async def fails() -> None:
            raise RuntimeError("boom")

        @router.get("/api/x/healthz")
        async def health() -> dict[str, str]:
            self.entered += 1
            await self.release.wait()
            return {"status": "ok"}

        app = FastAPI()
        app.include_router(router)
        self.admission = Admission("x", reads=2, writes=1, pause=0.2)
        self.app = AdmissionMiddleware(app, self.admission)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app, raise_app_exceptions=False), base_url="http://x")

    async def until_entered(self, count: int) -> None:
        async with asyncio.timeout(5):
            while self.entered < count:
                await asyncio.sleep(0.005)


def assert_busy(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert answer.json()["code"] == "busy" and "réessayez" in answer.json()["detail"]
    assert answer.headers["Cache-Control"] == "no-store" and answer.headers["X-Content-Type-Options"] == "nosniff"


async def test_past_its_limits_a_request_is_refused_after_a_pause_then_admitted_once_one_ended() -> None:
    held = Held()
    async with held.client() as client:
        reads = [asyncio.create_task(client.get("/api/x/items")) for _ in range(2)]
        write = asyncio.create_task(client.post("/api/x/items"))
        await held.until_entered(3)
        assert (held.admission.reading, held.admission.writing) == (2, 1)
        # Full: refused, reads and writes each against their own limit, after the pause
        # (a client sending again at once is paced by it) and without waiting for a place.
        started = time.monotonic()
        refusals = await asyncio.gather(client.get("/api/x/items"), client.post("/api/x/items"))
        assert 0.2 <= time.monotonic() - started < 2
        for answer in refusals:
            assert_busy(answer)
        assert held.admission.refused == 2
        # Health and readiness never: an orchestrator must not restart a busy service.
        health = asyncio.create_task(client.get("/api/x/healthz"))
        await held.until_entered(4)
        held.release.set()
        assert [(await r).status_code for r in reads] == [200, 200]
        assert (await write).status_code == 200 and (await health).status_code == 200
        assert (held.admission.reading, held.admission.writing) == (0, 0)
        # The places are given back: admitted again.
        assert (await client.get("/api/x/items")).status_code == 200
        assert (await client.post("/api/x/items")).status_code == 200


async def test_a_place_is_given_back_when_the_request_fails_or_its_client_goes() -> None:
    held = Held()
    async with held.client() as client:
        assert (await client.post("/api/x/fails")).status_code == 500
        assert held.admission.writing == 0
        # A request whose client went away (its task cancelled, as a server does on a disconnect).
        gone = asyncio.create_task(client.post("/api/x/items"))
        await held.until_entered(1)
        assert held.admission.writing == 1
        gone.cancel()
        with pytest.raises(asyncio.CancelledError):
            await gone
        assert held.admission.writing == 0
        held.release.set()
        assert (await client.post("/api/x/items")).status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/api/x/readyz", "/api/identity/.well-known/jwks.json", "/api/x/openapi.json"])
async def test_exempt_paths_are_never_refused(path: str) -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(str(scope["path"]))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    full = Admission("x", reads=1, writes=1, reading=1, writing=1, pause=0)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=AdmissionMiddleware(app, full)), base_url="http://x") as client:
        assert (await client.get(path)).status_code == 200
        assert_busy(await client.get("/api/x/items"))
    assert seen == [path]


def test_every_service_gets_its_limits_from_the_settings(tmp_path: Path) -> None:
    """The service app of any service, without it asking; defaults from the threads."""
    engine = create_db_engine(f"sqlite:///{tmp_path / 'probe.sqlite3'}")
    runner = ServiceRunner(
        probe_definition(ProbeBehaviour()),
        Settings(data_dir=tmp_path),
        InProcessBus(),
        engine=engine,
        jwks=lambda refresh=False: {"keys": []},
        threads=40,
    )
    assert runner.app.admission == Admission("probe", reads=800, writes=400, wait=1.0, floor=40)  # type: ignore[attr-defined]
    given = Settings(data_dir=tmp_path, admission_reads=7, admission_writes=3)
    assert given.admission_for("probe", 40) == (7, 3)
    on_postgres = Settings(data_dir=tmp_path, database_url="postgresql+psycopg://u:p@h/certreg_{service}")
    assert on_postgres.admission_for("probe", 10) == (200, 100)
    engine.dispose()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Threads:
    """Whether requests wait for a worker thread (``Admission.saturated``)."""

    def __init__(self) -> None:
        self.queued = True

    def __call__(self) -> bool:
        return self.queued


def measured(clock: Clock, threads: Threads, *, wait: float = 1.0, floor: int = 40, pause: float = 1.0) -> Admission:
    """Caps of 800 reads and 400 writes, on a clock and threads the test moves."""
    return Admission("x", reads=800, writes=400, wait=wait, floor=floor, pause=pause, clock=clock, saturated=threads)


def full_for(admission: Admission, clock: Clock, seconds: int, per_second: int, inside: int) -> None:
    """``inside`` writes in for ``seconds`` seconds, ``per_second`` of them ending (and as
    many coming) each second."""
    while admission.writing < inside:
        admission.track(True, 1)
    while admission.writing > inside:
        admission.track(True, -1)
    for _ in range(seconds * per_second):
        clock.now += 1 / per_second
        admission.track(True, -1)
        admission.track(True, 1)


def test_the_limit_follows_what_the_service_gets_through() -> None:
    """400 writes let in at first (the cap: nothing measured yet); the service ends 120 a
    second with requests waiting for its threads, so after a few seconds it lets in what
    it ends in ``wait``: 60 with 0.5 s — an admitted write waits about half a second
    instead of 400 / 120 = 3.3 s."""
    clock, threads = Clock(), Threads()
    admission = measured(clock, threads, wait=0.5)
    assert admission.limit(True) == 400
    full_for(admission, clock, seconds=10, per_second=120, inside=400)
    assert 55 <= admission.limit(True) <= 65
    assert admission.limit(False) == 800  # reads measured apart
    # Faster (fewer handlers running, say): it follows.
    full_for(admission, clock, seconds=10, per_second=300, inside=admission.limit(True))
    assert 140 <= admission.limit(True) <= 160


def test_requests_waiting_on_their_clients_are_not_cut() -> None:
    """A hundred slow uploads (5 end a second) while the threads are free: what ends is
    the clients' pace, not the service's; the limit stays at the cap. Once the threads are
    free again after a busy spell, it goes back up."""
    clock, threads = Clock(), Threads()
    threads.queued = False
    admission = measured(clock, threads)
    full_for(admission, clock, seconds=20, per_second=5, inside=100)
    assert admission.limit(True) == 400
    threads.queued = True
    full_for(admission, clock, seconds=10, per_second=100, inside=400)
    assert admission.limit(True) <= 110
    threads.queued = False
    full_for(admission, clock, seconds=10, per_second=20, inside=30)
    assert admission.limit(True) >= 390


def test_the_limit_stays_between_the_threads_and_the_cap() -> None:
    clock, threads = Clock(), Threads()
    slow = measured(clock, threads)
    full_for(slow, clock, seconds=20, per_second=5, inside=400)  # 5 a second with the threads all busy
    assert slow.limit(True) == 40
    full_for(slow, clock, seconds=20, per_second=100, inside=40)  # still measured at the floor: it rises
    assert slow.limit(True) >= 90
    fast = measured(clock, threads)
    full_for(fast, clock, seconds=20, per_second=2000, inside=400)
    assert fast.limit(True) == 400


def test_threads_queued_reads_the_worker_threads_of_the_running_loop() -> None:
    """The default signal: requests waiting for one of the process's worker threads."""

    async def probe() -> tuple[bool, bool]:
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = 1
        release = threading.Event()
        idle = threads_queued()
        first = asyncio.create_task(anyio.to_thread.run_sync(release.wait))
        second = asyncio.create_task(anyio.to_thread.run_sync(release.wait))
        await asyncio.sleep(0.1)
        busy = threads_queued()
        release.set()
        await asyncio.gather(first, second)
        return idle, busy

    assert asyncio.run(probe()) == (False, True)


async def test_past_the_measured_limit_a_write_is_refused() -> None:
    """Through the middleware: once the limit has followed the service's rate down, a
    write past it is answered 503 busy though the cap is far."""
    clock, threads = Clock(), Threads()
    admission = measured(clock, threads, wait=0.5, floor=2, pause=0)
    full_for(admission, clock, seconds=10, per_second=10, inside=400)
    while admission.writing > admission.limit(True):
        admission.track(True, -1)
    assert admission.limit(True) == 5

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=AdmissionMiddleware(app, admission)), base_url="http://x") as client:
        assert_busy(await client.post("/api/x/items"))
        assert (await client.get("/api/x/items")).status_code == 200

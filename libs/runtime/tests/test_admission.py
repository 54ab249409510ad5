"""Issue 16: a service takes so many reads and writes at once; one more is answered 503
``busy`` with ``Retry-After`` (the password-hashing gate's shape) after a short pause
that holds nothing, and a place is given back whatever ended the request: its answer, an
error, its client gone."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from starlette.types import Receive, Scope, Send

from certreg_runtime.admission import RETRY_AFTER_SECONDS, Admission, AdmissionMiddleware
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
    assert runner.app.admission == Admission("probe", reads=800, writes=400)  # type: ignore[attr-defined]
    given = Settings(data_dir=tmp_path, admission_reads=7, admission_writes=3)
    assert given.admission_for("probe", 40) == (7, 3)
    on_postgres = Settings(data_dir=tmp_path, database_url="postgresql+psycopg://u:p@h/certreg_{service}")
    assert on_postgres.admission_for("probe", 10) == (200, 100)
    engine.dispose()

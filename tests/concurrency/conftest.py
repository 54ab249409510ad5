"""The concurrency suite: the whole platform served on a real port (uvicorn, in the test's
event loop), once embedded (SQLite, in-process bus) and once on PostgreSQL and RabbitMQ;
requests sent by threads released together by a barrier, each on a connection opened
beforehand, so that they reach the services at the same moment.

Each test makes the same request N times at once, ROUNDS times on a fresh object, and
checks that it had one effect (one success, the others a conflict) and left one
coherent history. ``-s`` shows the counts."""

from __future__ import annotations

import asyncio
import itertools
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
import uvicorn
from sqlmodel import col, select

from certreg_contracts.events.identity import StaffChanged
from certreg_testing.infra import free_port, session_namespace
from certreg_testing.platform import TestPlatform, embedded_platform, eventually
from certreg_testing.samples import PDF, RNCP_FILING

ROUNDS = 2
"""Each case is tried this many times on a fresh object, in each mode."""

PASSWORD = "Concurrence-Essai-2024!"


def expect(response: httpx.Response, *status: int) -> Any:
    assert response.status_code in status, f"{response.request.method} {response.request.url} -> {response.status_code}: {response.text}"
    return response.json() if "json" in response.headers.get("content-type", "") else None


Call = tuple[str, str, dict[str, Any]]
"""One request: method, path, httpx keyword arguments (json, headers…)."""


@dataclass
class Served:
    """The platform, its address, and how to reach it with simultaneous requests."""

    mode: str
    p: TestPlatform
    base_url: str
    instructor_id: uuid.UUID

    @property
    def client(self) -> httpx.AsyncClient:
        return self.p.client

    def at_once_sync(self, calls: list[Call]) -> list[httpx.Response]:
        barrier = threading.Barrier(len(calls))

        def one(call: Call) -> httpx.Response:
            method, path, kwargs = call
            with httpx.Client(base_url=self.base_url, timeout=90) as client:
                client.get("/healthz").raise_for_status()  # the connection is open before the barrier
                barrier.wait(timeout=30)
                return client.request(method, path, **kwargs)

        with ThreadPoolExecutor(len(calls)) as pool:
            return list(pool.map(one, calls))

    async def at_once(self, calls: list[Call]) -> list[httpx.Response]:
        """Send ``calls`` together (threads released by one barrier); the answers, in order."""
        return await asyncio.to_thread(self.at_once_sync, calls)

    # ------------------------------------------------------------------ callers

    def depositor(self, entity_id: uuid.UUID) -> dict[str, str]:
        return self.p.depositor(entity_id)

    def staff(self, role: str, account_id: uuid.UUID | None = None) -> dict[str, str]:
        return self.p.token(roles=(role,), account_id=account_id)

    @property
    def instructor(self) -> dict[str, str]:
        return self.staff("instructor", self.instructor_id)

    def today(self) -> date:
        return self.p.today()

    # ------------------------------------------------------------------ filings and cases

    async def draft(self, entity_id: uuid.UUID) -> str:
        """A filing whose required pieces are all there: ready to submit."""
        headers = self.depositor(entity_id)
        filing = expect(
            await self.client.post("/api/filings", json={**RNCP_FILING, "title": f"Essai {uuid.uuid4().hex[:8]}"}, headers=headers), 201
        )
        for line in filing["requirements"]:
            if line["required"]:
                params = {"filename": "piece.pdf"}
                if line["dated"]:
                    params["document_date"] = self.today().isoformat()
                url = f"/api/filings/{filing['filing_id']}/documents/{line['doc_type']}"
                expect(await self.client.post(url, params=params, content=PDF, headers=headers), 201)
        filing_id: str = filing["filing_id"]
        return filing_id

    async def case(self) -> str:
        """A submitted filing whose case review has opened (``received``)."""
        entity_id = uuid.uuid4()
        filing_id = await self.draft(entity_id)
        submit = f"/api/filings/{filing_id}/submit"
        expect(await self.client.post(submit, json={"sworn_statement": True}, headers=self.depositor(entity_id)), 202)
        reviewer = self.staff("reviewer")

        async def opened() -> bool:  # RabbitMQ's queues are not seen by settle()
            return (await self.client.get(f"/api/review/cases/{filing_id}", headers=reviewer)).status_code == 200

        await eventually(opened, timeout=30)
        return filing_id

    async def review(self, filing_id: str, step: str, body: Any, headers: dict[str, str], *status: int) -> Any:
        return expect(await self.client.post(f"/api/review/cases/{filing_id}/{step}", json=body, headers=headers), *(status or (200,)))

    async def complete(self, filing_id: str) -> None:
        await self.review(filing_id, "completeness", {"complete": True, "missing": [], "message": ""}, self.staff("reviewer"))

    async def admissible(self, filing_id: str) -> None:
        await self.complete(filing_id)
        await self.review(filing_id, "admissibility", {"admissible": True}, self.staff("reviewer"))

    async def favourable(self, filing_ids: list[str]) -> None:
        """Through instruction and a commission's favourable opinion (one session for
        all): the director decides next."""
        await asyncio.gather(*(self.admissible(f) for f in filing_ids))
        for filing_id in filing_ids:
            await self.review(filing_id, "assignment", {"instructor_id": str(self.instructor_id)}, self.staff("reviewer"))
            await self.review(filing_id, "ready", None, self.instructor)
        commission = self.staff("commission")
        day = self.today() + timedelta(days=1)
        while day.month == 8:
            day += timedelta(days=1)
        session = expect(await self.client.post("/api/review/sessions", json={"date": day.isoformat()}, headers=commission), 201)
        for filing_id in filing_ids:
            agenda = f"/api/review/sessions/{session['id']}/agenda"
            expect(await self.client.post(agenda, json={"filing_id": filing_id}, headers=commission), 201)
        self.p.advance_clock(days=(day - self.today()).days)
        for filing_id in filing_ids:
            opinions = f"/api/review/sessions/{session['id']}/opinions"
            expect(await self.client.post(opinions, json={"filing_id": filing_id, "opinion": "favourable"}, headers=commission), 201)

    async def cases(self, then: Callable[[str], Awaitable[None]] | None = None) -> list[str]:
        """ROUNDS cases made at once (and each taken through ``then``)."""

        async def one() -> str:
            filing_id = await self.case()
            if then is not None:
                await then(filing_id)
            return filing_id

        return list(await asyncio.gather(*(one() for _ in range(ROUNDS))))

    def timeline(self, filing_id: str) -> list[tuple[int, str, str | None, str | None]]:
        """The case's audit entries (seq, action, from, to), checked to form one history:
        consecutive numbers, each starting where the one before ended."""
        from review.adapters.tables import AuditEntry

        ctx = self.p.ctx("review")
        with ctx.uow() as uow:
            rows = uow.session.exec(select(AuditEntry).where(AuditEntry.filing_id == filing_id).order_by(col(AuditEntry.seq))).all()
            entries = [(e.seq, e.action, e.from_state, e.to_state) for e in rows]
        assert [e[0] for e in entries] == list(range(1, len(entries) + 1)), entries
        for before, after in itertools.pairwise(entries):
            if after[2] is not None and before[3] is not None:
                assert after[2] == before[3], f"{after} does not start where {before} ended: {entries}"
        return entries

    # ------------------------------------------------------------------ accounts

    async def register(self) -> tuple[str, str, dict[str, str]]:
        """A new account (e-mail, id, onboarding headers), waiting for its activation."""
        email = f"essai.{uuid.uuid4().hex[:10]}@concurrence.example"
        body = {"email": email, "password": PASSWORD, "first_name": "Camille", "last_name": "Martin"}
        created = expect(await self.client.post("/api/identity/accounts", json=body), 201)
        return email, created["account_id"], {"Authorization": f"Bearer {created['onboarding_token']}"}

    def link_token(self, routing_key: str, url_field: str, **match: Any) -> str:
        """The secret of the last single-use link identity sent (the event the notifier mails)."""
        event = self.p.emitted("identity", routing_key, **match)[-1]
        token: str = parse_qs(urlparse(event[url_field]).query)["token"][0]
        return token


def report(name: str, mode: str, rounds: int, n: int, statuses: list[list[int]]) -> None:
    """What a case did, shown with ``-s``: how many tries, and the answers' codes."""
    counted: dict[int, int] = {}
    for round_ in statuses:
        for status in round_:
            counted[status] = counted.get(status, 0) + 1
    print(f"\nconcurrency {name} [{mode}]: {rounds} rounds × {n} simultaneous requests -> {dict(sorted(counted.items()))}")


async def serve(p: TestPlatform, mode: str) -> AsyncIterator[Served]:
    assert p.app is not None
    instructor_id = uuid.uuid4()
    await p.publish(StaffChanged(account_id=instructor_id, roles=["instructor"], active=True, as_of=p.now()))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(p.app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield Served(mode, p, f"http://127.0.0.1:{port}", instructor_id)
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="session")
async def served_embedded(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    async with embedded_platform(tmp_path_factory.mktemp("concurrency")) as p:
        async for served in serve(p, "embedded"):
            yield served


@pytest.fixture(scope="session")
async def served_infra(tmp_path_factory: pytest.TempPathFactory, postgres: Any, amqp_url: str) -> AsyncIterator[Served]:
    settings = {"database_url": postgres.database_url_template(), "amqp_url": amqp_url, "bus_namespace": session_namespace()}
    async with embedded_platform(tmp_path_factory.mktemp("concurrency-infra"), **settings) as p:
        async for served in serve(p, "infra"):
            yield served


@pytest.fixture(params=["embedded", "infra"])
def served(request: pytest.FixtureRequest) -> Served:
    """The test once in each mode: SQLite and the in-process bus, PostgreSQL and RabbitMQ."""
    found: Served = request.getfixturevalue(f"served_{request.param}")
    return found

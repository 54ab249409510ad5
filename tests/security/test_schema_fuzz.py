"""Schema fuzzing of every operation (issue 11): schemathesis generates requests from each
service's OpenAPI document — valid ones (positive) and ones that break the schema
(negative: wrong types, missing fields, out-of-range values, odd strings) — and sends
them, by a caller allowed to make the operation, to the platform served on a real port,
in both modes (SQLite and the in-process bus; PostgreSQL and RabbitMQ).

Path parameters are the world's real objects (a random UUID only ever finds a 404 at
the door), everything else is generated. Asserted: no answer is a 5xx. Prints the figure
(operations × examples, 5xx). Bounded: ``EXAMPLES`` per operation and generation mode,
derandomized (the same requests on every run: CI does not flicker), no shrinking."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import hypothesis
import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from certreg_testing.infra import free_port
from certreg_testing.platform import embedded_platform

from .catalogue import HEALTH, SERVICES, path_values
from .conftest import infra_settings
from .test_injection import caller
from .world import World, build_world

EXAMPLES = int(os.environ.get("CERTREG_FUZZ_EXAMPLES", "5"))
"""Requests per operation and generation mode (positive, negative): 5 keeps both modes
under two minutes on a 2-core machine; more by hand (``CERTREG_FUZZ_EXAMPLES=50``), with
another draw (``CERTREG_FUZZ_SEED=n``; without it the draw is the same on every run)."""
SEED = os.environ.get("CERTREG_FUZZ_SEED")

# The login doors: what they are sent are failed logins, which the throttle counts
# against the world's people — fuzzed last.
LOGINS = ("/api/identity/token", "/api/identity/onboarding-token")


@dataclass
class Served:
    world: World
    base_url: str
    mode: str


@dataclass
class Findings:
    sent: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    server_errors: list[str] = field(default_factory=list)
    unsatisfiable: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, label: str, case: Any, response: requests.Response) -> None:
        with self.lock:
            self.sent += 1
            self.by_status[response.status_code] = self.by_status.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                self.server_errors.append(f"{label} -> {response.status_code} {response.text[:160]!r}\n    {case.as_curl_command()}")


async def _served(world: World, mode: str) -> AsyncIterator[Served]:
    assert world.p.app is not None
    port = free_port()
    config = uvicorn.Config(world.p.app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield Served(world, f"http://127.0.0.1:{port}", mode)
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="module")
async def fuzz_embedded(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    async with embedded_platform(tmp_path_factory.mktemp("schema-fuzz")) as p:
        async for served in _served(await build_world(p), "embedded"):
            yield served


@pytest.fixture(scope="module")
async def fuzz_infra(tmp_path_factory: pytest.TempPathFactory, postgres: Any, amqp_url: str) -> AsyncIterator[Served]:
    async with embedded_platform(tmp_path_factory.mktemp("schema-fuzz-infra"), **infra_settings(postgres, amqp_url)) as p:
        async for served in _served(await build_world(p), "infra"):
            yield served


def fuzz_operation(served: Served, operation: Any, findings: Findings, mode: GenerationMode) -> None:
    """``EXAMPLES`` generated requests of one operation, each answer recorded (a 5xx is a
    finding, not an exception: nothing to shrink, every operation is tried)."""
    world = served.world
    method, path = operation.method.upper(), operation.path
    values = path_values(world, method, path, world.a)
    fixed = {p.name: values[p.name] for p in operation.path_parameters} if operation.path_parameters else None
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed) if fixed else operation.as_strategy(generation_mode=mode)
    label = f"{method} {path} [{mode.value}]"
    session = requests.Session()

    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=SEED is None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=hypothesis.Verbosity.quiet,
    )
    @hypothesis.given(case=strategy)
    def run(case: Any) -> None:
        auth = caller(world, method, path)
        headers = {**(case.headers or {}), **auth} if auth else None
        response = case.call(base_url=served.base_url, session=session, headers=headers, timeout=30)
        findings.record(label, case, response)

    if SEED is not None:
        run = hypothesis.seed(int(SEED))(run)
    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        # Nothing of the operation can be made invalid (no parameter, no body): no negative case.
        with findings.lock:
            findings.unsatisfiable.append(label)


async def fuzz_all(served: Served) -> tuple[int, Findings]:
    # The world's tokens were just made: they outlive the fuzz (15 minutes).
    documents = {}
    async with httpx.AsyncClient(base_url=served.base_url, timeout=30) as client:
        for service in SERVICES:
            documents[service] = (await client.get(f"/api/{service}/openapi.json")).raise_for_status().json()
    findings = Findings()
    operations = []
    for service in SERVICES:
        schema = schemathesis.openapi.from_dict(documents[service])
        for result in schema.get_all_operations():
            if not isinstance(result, Ok):
                raise AssertionError(f"{service}'s OpenAPI document: {result.err()}")
            operation = result.ok()
            if not HEALTH.match(operation.path):
                operations.append(operation)
    operations.sort(key=lambda o: o.path in LOGINS)
    started = time.monotonic()
    for operation in operations:
        # Path parameters are the world's objects: with nothing else to it, an operation
        # has no invalid request to make (the negative mode would search in vain).
        # (Authorization, which every operation declares, is the caller's: replaced.)
        headers = [h for h in operation.headers if h.name.lower() != "authorization"]
        negatable = any(len(group) for group in (operation.query, headers, operation.cookies, operation.body))
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if negatable else (GenerationMode.POSITIVE,):
            await asyncio.to_thread(fuzz_operation, served, operation, findings, mode)
    elapsed = time.monotonic() - started
    print(
        f"\nschema fuzz [{served.mode}]: {len(operations)} operations × {EXAMPLES} examples × 2 modes (positive, negative)"
        f" -> {findings.sent} requests in {elapsed:.0f} s, statuses {dict(sorted(findings.by_status.items()))},"
        f" {len(findings.server_errors)} 5xx ({len(findings.unsatisfiable)} operation×mode without a possible case)"
    )
    return len(operations), findings


@pytest.fixture(params=["embedded", "infra"])
def fuzzed(request: pytest.FixtureRequest) -> Served:
    found: Served = request.getfixturevalue(f"fuzz_{request.param}")
    return found


@pytest.mark.timeout(1800)  # about a minute each (world and fuzz) on an idle 2-core machine; 10× that on a saturated one
async def test_schema_fuzz_of_every_operation_finds_no_5xx(fuzzed: Served) -> None:
    served = fuzzed
    count, findings = await fuzz_all(served)
    assert count > 50  # every service's operations were found
    assert findings.sent >= count  # and each was sent something
    assert not findings.server_errors, f"{len(findings.server_errors)} 5xx:\n" + "\n".join(findings.server_errors[:40])

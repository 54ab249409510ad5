"""A client's X-Correlation-Id reaches the events its request causes (and the handlers'
events after them), through the web layer's context variable."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import sqlalchemy as sa

from certreg_runtime.bus.inprocess import InProcessBus
from certreg_runtime.db import create_db_engine
from certreg_runtime.messaging import outbox_table
from certreg_runtime.service import ServiceRunner
from certreg_runtime.settings import Settings
from certreg_testing.probe import ProbeBehaviour, probe_definition


async def _post_ping(tmp_path: Path, headers: dict[str, str]) -> dict[str, object]:
    definition = probe_definition(ProbeBehaviour())
    engine = create_db_engine(f"sqlite:///{tmp_path / 'probe.sqlite3'}")
    definition.metadata.create_all(engine)
    bus = InProcessBus(tmp_path / "bus.sqlite3", max_attempts=1, backoff=0)
    runner = ServiceRunner(definition, Settings(data_dir=tmp_path), bus, engine=engine, jwks=lambda refresh=False: {"keys": []})
    transport = httpx.ASGITransport(app=runner.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        response = await client.post("/api/probe/pings", params={"seq": 1}, headers=headers)
    assert response.status_code == 202
    with engine.connect() as conn:
        (body,) = conn.execute(sa.select(outbox_table(definition.metadata).c.body)).one()
    engine.dispose()
    envelope: dict[str, object] = json.loads(body)
    return envelope


async def test_the_events_of_a_request_carry_its_correlation_id(tmp_path: Path) -> None:
    correlation = uuid.uuid4()
    envelope = await _post_ping(tmp_path, {"X-Correlation-Id": str(correlation)})
    assert envelope["correlation_id"] == str(correlation)


async def test_without_a_valid_correlation_id_the_event_starts_its_own(tmp_path: Path) -> None:
    envelope = await _post_ping(tmp_path, {"X-Correlation-Id": "not-a-uuid"})
    assert envelope["correlation_id"] == envelope["event_id"]

"""The bus contract: the same tests on RabbitMQ and on the embedded in-process bus.

Nothing is lost (outbox + relay, broker outages), nothing takes effect twice (inbox),
a handler that keeps failing parks its event, and replay delivers it once fixed."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from certreg_contracts import Envelope
from certreg_contracts.events.platform import Ping
from certreg_runtime.bus import Bus, OutgoingMessage
from certreg_runtime.bus.base import PermanentError
from certreg_runtime.bus.inprocess import InProcessBus
from certreg_runtime.bus.rabbit import RabbitBus
from certreg_runtime.db import create_db_engine
from certreg_runtime.errors import Conflict
from certreg_runtime.service import ServiceRunner
from certreg_runtime.settings import Settings
from certreg_runtime.telemetry import setup_tracing
from certreg_testing.infra import delete_namespace, unique_namespace
from certreg_testing.probe import ProbeBehaviour, effect_rows, probe_definition
from certreg_testing.tcp_proxy import TcpProxy

CONSUMER = "probe"


async def eventually(check, timeout: float = 20.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


class Harness:
    def __init__(self, runner: ServiceRunner, behaviour: ProbeBehaviour, bus: Bus) -> None:
        self.runner = runner
        self.behaviour = behaviour
        self.bus = bus
        self.engine = runner.ctx.engine

    def emit(self, seq: int) -> Envelope:
        with self.runner.ctx.uow() as uow:
            envelope = uow.emit(Ping(seq=seq))
            uow.commit()
        return envelope

    def effects(self) -> list[sa.Row[Any]]:
        return effect_rows(self.engine)


@contextlib.asynccontextmanager
async def harness(kind: str, tmp_path: Path, postgres, amqp_url: str, *, amqp_override: str | None = None) -> AsyncIterator[Harness]:
    namespace = unique_namespace()
    bus: Bus
    if kind == "rabbitmq":
        bus = RabbitBus(amqp_override or amqp_url, namespace=namespace, max_attempts=3, backoff=0.01)
        url = postgres.create_database(f"{namespace}_probe")
    else:
        bus = InProcessBus(tmp_path / "bus.sqlite3", max_attempts=3, backoff=0.01)
        url = f"sqlite:///{tmp_path / 'probe.sqlite3'}"
    engine = create_db_engine(url)
    behaviour = ProbeBehaviour()
    definition = probe_definition(behaviour, CONSUMER)
    definition.metadata.create_all(engine)
    settings = Settings(data_dir=tmp_path, outbox_poll_seconds=0.2, bus_namespace=namespace)
    runner = ServiceRunner(definition, settings, bus, engine=engine, jwks=lambda refresh=False: {"keys": []})
    await bus.start()
    await runner.start()
    try:
        yield Harness(runner, behaviour, bus)
    finally:
        await runner.stop()
        await bus.close()
        if kind == "rabbitmq":
            await delete_namespace(amqp_url, namespace, [f"{namespace}.{CONSUMER}", f"{namespace}.{CONSUMER}.parking"])


BUSES = ["inprocess", "rabbitmq"]


@pytest.fixture
def infra_args(request, tmp_path):
    """PostgreSQL and RabbitMQ only for the RabbitMQ variant."""
    kind = request.param
    if kind == "rabbitmq":
        return kind, tmp_path, request.getfixturevalue("postgres"), request.getfixturevalue("amqp_url")
    return kind, tmp_path, None, None


@pytest.mark.parametrize("infra_args", BUSES, indirect=True)
async def test_committed_event_is_handled_once(infra_args) -> None:
    async with harness(*infra_args) as h:
        envelope = h.emit(seq=1)
        rows = await eventually(h.effects)
        assert [(r.event_id, r.seq) for r in rows] == [(str(envelope.event_id), 1)]
        # The relay marks what the broker confirmed: the handler may have run before that.
        await eventually(lambda: asyncio.to_thread(lambda: h.runner.ctx.relay.pending() == 0))


@pytest.mark.parametrize("infra_args", BUSES, indirect=True)
async def test_same_event_delivered_twice_has_one_effect(infra_args) -> None:
    async with harness(*infra_args) as h:
        envelope = Envelope.wrap(Ping(seq=7), producer="test")
        await h.bus.publish([OutgoingMessage(envelope)])
        await h.bus.publish([OutgoingMessage(envelope)])
        await eventually(lambda: h.behaviour.calls >= 1)
        # Give the second copy every chance to be handled too.
        await asyncio.sleep(1.0)
        assert [r.event_id for r in h.effects()] == [str(envelope.event_id)]
        assert await h.bus.parked(CONSUMER) == []


@pytest.mark.parametrize("infra_args", BUSES, indirect=True)
async def test_failing_handler_is_parked_then_replayed_once(infra_args) -> None:
    async with harness(*infra_args) as h:
        h.behaviour.broken = True
        envelope = h.emit(seq=3)
        parked = await eventually(lambda: h.bus.parked(CONSUMER))
        assert len(parked) == 1
        assert parked[0].event_id == str(envelope.event_id)
        assert "boom: the handler is broken" in parked[0].error
        assert h.behaviour.calls == h.bus.max_attempts == 3
        assert h.effects() == []

        h.behaviour.broken = False  # the fix
        assert await h.bus.replay(CONSUMER) == 1
        rows = await eventually(h.effects)
        assert [r.event_id for r in rows] == [str(envelope.event_id)]
        assert await h.bus.parked(CONSUMER) == []
        assert h.behaviour.calls == 4


@pytest.mark.parametrize("infra_args", ["rabbitmq"], indirect=True)
async def test_event_committed_while_broker_unreachable_is_published_when_it_returns(infra_args) -> None:
    kind, tmp_path, postgres, amqp_url = infra_args
    upstream = httpx.URL(amqp_url.replace("amqp://", "http://"))
    proxy = TcpProxy(upstream.host, upstream.port or 5672)
    await proxy.start()
    proxied = amqp_url.replace(f"{upstream.host}:{upstream.port or 5672}", f"127.0.0.1:{proxy.port}")
    try:
        async with harness(kind, tmp_path, postgres, amqp_url, amqp_override=proxied) as h:
            h.emit(seq=1)
            await eventually(h.effects)

            await proxy.stop()  # the broker becomes unreachable: connections cut, new ones refused
            envelope = h.emit(seq=2)
            await asyncio.sleep(2.0)
            assert await asyncio.to_thread(h.runner.ctx.relay.pending) == 1  # kept, not lost
            assert len(h.effects()) == 1

            await proxy.start()  # the broker comes back
            rows = await eventually(lambda: len(h.effects()) == 2 and h.effects(), timeout=60)
            assert str(envelope.event_id) in {r.event_id for r in rows}
            assert await asyncio.to_thread(h.runner.ctx.relay.pending) == 0
    finally:
        await proxy.stop()


@pytest.mark.parametrize("infra_args", BUSES, indirect=True)
async def test_one_trace_from_http_request_to_handler(infra_args) -> None:
    setup_tracing("test")
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    async with harness(*infra_args) as h:
        transport = httpx.ASGITransport(app=h.runner.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
            response = await client.post(f"/api/{CONSUMER}/pings", params={"seq": 5})
        assert response.status_code == 202
        http_trace = response.json()["trace_id"]
        rows = await eventually(h.effects)
        assert rows[0].trace_id == http_trace

        def kinds() -> set[str]:
            return {s.kind.name for s in exporter.get_finished_spans() if format(s.context.trace_id, "032x") == http_trace}

        # The consumer's span ends once its delivery is acknowledged, after the effect commits.
        await eventually(lambda: {"SERVER", "PRODUCER", "CONSUMER"} <= kinds(), timeout=5)


async def test_topic_patterns_route_to_each_consumer_once(tmp_path) -> None:
    bus = InProcessBus(tmp_path / "bus.sqlite3", max_attempts=1, backoff=0)
    seen: dict[str, list[str]] = {"a": [], "b": []}

    def recorder(name: str):
        async def handle(envelope: Envelope) -> None:
            seen[name].append(envelope.type)

        return handle

    bus.subscribe("a", ["platform.#"], recorder("a"))
    bus.subscribe("b", ["platform.probe.pinged", "other.*.*"], recorder("b"))
    await bus.start()
    try:
        await bus.publish([OutgoingMessage(Envelope.wrap(Ping(seq=1), producer="t"))])
        await eventually(lambda: seen["a"] and seen["b"])
        assert seen == {"a": ["platform.probe.pinged"], "b": ["platform.probe.pinged"]}
    finally:
        await bus.close()


# --------------------------------------------------------------------------- transient failures


def outage() -> Exception:
    """What a handler sees when its database is unreachable."""
    return sa_exc.OperationalError("INSERT INTO inbox …", {}, Exception('connection to server at "127.0.0.1" failed: Connection refused'))


@pytest.mark.parametrize("infra_args", BUSES, indirect=True)
async def test_transient_failures_are_retried_past_max_attempts_and_not_parked(infra_args, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="certreg_runtime.bus.base")
    async with harness(*infra_args) as h:
        # Twice max_attempts: the database "down" for six tries, then back.
        h.behaviour.failures.extend([outage(), ConnectionRefusedError(111, "refused"), outage(), outage(), outage(), outage()])
        envelope = h.emit(seq=1)
        rows = await eventually(h.effects)
        assert [r.event_id for r in rows] == [str(envelope.event_id)]
        assert h.behaviour.calls == 7
        assert h.bus.transient_retries == 6
        assert await h.bus.parked(CONSUMER) == []
    # One warning for the six retries (rate-limited), naming the error; then one on recovery.
    retries = [r for r in caplog.records if "transient failure handling" in r.getMessage()]
    assert len(retries) == 1, [r.getMessage() for r in retries]
    assert retries[0].levelno == logging.WARNING
    assert "OperationalError" in retries[0].getMessage() and "Connection refused" in retries[0].getMessage()
    assert any("handled after 6 transient failure(s)" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("infra_args", BUSES, indirect=True)
async def test_transient_failures_do_not_use_the_attempts_of_a_poison_message(infra_args) -> None:
    async with harness(*infra_args) as h:
        # max_attempts is 3: two failures about the message, among many transient ones, still leave one try.
        h.behaviour.failures.extend([outage(), RuntimeError("flaky"), outage(), outage(), outage(), RuntimeError("flaky"), outage()])
        envelope = h.emit(seq=1)
        rows = await eventually(h.effects)
        assert [r.event_id for r in rows] == [str(envelope.event_id)]
        assert h.behaviour.calls == 8
        assert await h.bus.parked(CONSUMER) == []


@pytest.mark.parametrize("infra_args", BUSES, indirect=True)
async def test_permanent_and_domain_errors_are_parked_at_once(infra_args) -> None:
    async with harness(*infra_args) as h:
        h.behaviour.failures.extend([PermanentError("unknown filing"), Conflict("Dossier déjà enregistré.", code="already_registered")])
        first, second = h.emit(seq=1), h.emit(seq=2)
        parked = await eventually(lambda: _two(h.bus.parked(CONSUMER)), timeout=30)
        assert {p.event_id for p in parked} == {str(first.event_id), str(second.event_id)}
        assert h.behaviour.calls == 2  # one try each
        assert h.bus.transient_retries == 0
        errors = " ".join(p.error for p in parked)
        assert "unknown filing" in errors and "already_registered" in errors


async def _two(parked):
    found = await parked
    return found if len(found) == 2 else None


@pytest.mark.parametrize("kind", BUSES)
async def test_a_delivery_retrying_forever_does_not_block_shutdown_and_is_not_lost(kind, tmp_path, request) -> None:
    namespace = unique_namespace()

    def make_bus() -> Bus:
        if kind == "rabbitmq":
            return RabbitBus(request.getfixturevalue("amqp_url"), namespace=namespace, max_attempts=2, backoff=0.01)
        return InProcessBus(tmp_path / "bus.sqlite3", max_attempts=2, backoff=0.01)

    calls = 0

    async def database_down(envelope: Envelope) -> None:
        nonlocal calls
        calls += 1
        raise outage()

    first = make_bus()
    first.subscribe(CONSUMER, ["platform.#"], database_down)
    await first.start()
    envelope = Envelope.wrap(Ping(seq=1), producer="test")
    await first.publish([OutgoingMessage(envelope)])
    await eventually(lambda: calls >= 3)  # past max_attempts, still retrying
    async with asyncio.timeout(15):
        await first.close()
    handled_calls = calls
    await asyncio.sleep(0.3)
    assert calls == handled_calls, "the retry loop stopped with the bus"

    received: list[str] = []

    async def database_back(envelope: Envelope) -> None:
        received.append(str(envelope.event_id))

    second = make_bus()
    second.subscribe(CONSUMER, ["platform.#"], database_back)
    await second.start()
    try:
        await eventually(lambda: received)
        assert received == [str(envelope.event_id)]
        assert await second.parked(CONSUMER) == []
    finally:
        await second.close()


def _inbox_ids(engine: sa.Engine) -> list[str]:
    from certreg_runtime.messaging import inbox_table
    from certreg_testing.probe import metadata

    inbox = inbox_table(metadata)
    with engine.connect() as conn:
        return list(conn.execute(sa.select(inbox.c.event_id).where(inbox.c.consumer == CONSUMER)).scalars())


@pytest.mark.parametrize("infra_args", BUSES, indirect=True)
async def test_relay_publishes_in_batches_and_marks_each_event_once(infra_args) -> None:
    """Issue 16: the relay publishes a batch, awaits its confirms together and marks the
    batch in one UPDATE; every event is published once and marked once."""
    async with harness(*infra_args) as h:
        relay = h.runner.ctx.relay
        published: collections.Counter[str] = collections.Counter()
        batches: list[int] = []
        publish = h.bus.publish

        async def counting(messages):
            batches.append(len(messages))
            confirmed = await publish(messages)
            published.update(str(i) for i in confirmed)
            return confirmed

        marks: list[str] = []

        def on_execute(conn, cursor, statement, parameters, context, executemany) -> None:
            if statement.lstrip().upper().startswith("UPDATE OUTBOX"):
                marks.append(statement)

        h.bus.publish = counting  # type: ignore[method-assign]
        sa.event.listen(h.engine, "before_cursor_execute", on_execute)
        try:
            with h.runner.ctx.uow() as uow:
                envelopes = [uow.emit(Ping(seq=i)) for i in range(relay.batch * 2 + 50)]
                uow.commit()
            await eventually(lambda: len(h.effects()) == len(envelopes), timeout=60)
            await eventually(lambda: asyncio.to_thread(lambda: relay.pending() == 0))
        finally:
            sa.event.remove(h.engine, "before_cursor_execute", on_execute)
        assert batches == [relay.batch, relay.batch, 50]
        assert published == {str(e.event_id): 1 for e in envelopes}
        assert len(marks) == 3  # one UPDATE per batch
        assert sorted(r.seq for r in h.effects()) == list(range(len(envelopes)))


@pytest.mark.parametrize("infra_args", BUSES, indirect=True)
async def test_deliveries_arriving_together_are_handled_together_each_once(infra_args) -> None:
    """Issue 16: deliveries that arrive while others are handled go together, in one
    transaction; each takes effect once, with its inbox row; one refused among them is
    parked alone (its handler run once) and does not hold the others back. The first ten
    come twice (a redelivery, in the same batch or a later one): one effect each still."""
    kind = infra_args[0]
    async with harness(*infra_args) as h:
        h.behaviour.poison = {13}
        envelopes = [Envelope.wrap(Ping(seq=i), producer="test") for i in range(80)]
        await h.bus.publish([OutgoingMessage(e) for e in envelopes[:40] + envelopes[:10] + envelopes[40:]])
        await eventually(lambda: len(h.effects()) == 79, timeout=60)
        parked = await eventually(lambda: h.bus.parked(CONSUMER), timeout=30)
        await asyncio.sleep(0.5)  # every chance for a second effect to show
        assert [p.event_id for p in parked] == [str(envelopes[13].event_id)]
        assert "ping 13 is refused" in parked[0].error
        assert h.behaviour.calls_by_seq[13] == 1
        expected = [i for i in range(80) if i != 13]
        assert sorted(r.seq for r in h.effects()) == expected
        assert sorted(_inbox_ids(h.engine)) == sorted(str(envelopes[i].event_id) for i in expected)
        batches = h.runner.batches
        if kind == "rabbitmq":  # the in-process bus delivers one at a time
            assert batches.largest > 1 and batches.batches < 80


def _drop_connections(engine: sa.Engine) -> int:
    """What a server restart does to a pool: every connection to the database killed."""
    admin = sa.create_engine(engine.url, poolclass=sa.pool.NullPool)
    try:
        with admin.begin() as conn:
            killed = conn.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
    finally:
        admin.dispose()
    return int(killed)


@pytest.mark.parametrize("infra_args", ["rabbitmq"], indirect=True)
async def test_connections_the_server_dropped_are_replaced_without_a_ping(infra_args) -> None:
    """Issue 16: no ``SELECT 1`` before each transaction (``pool_pre_ping`` off). A pool
    whose connections the server dropped costs at most one transient failure (503 for a
    request, a retry for the relay and the handlers), then works again: the relay
    publishes and the handler handles what is committed after the drop."""
    from certreg_runtime.faults import is_transient

    async with harness(*infra_args) as h:
        assert h.engine.pool._pre_ping is False
        h.emit(seq=1)
        await eventually(lambda: len(h.effects()) == 1)
        assert await asyncio.to_thread(_drop_connections, h.engine) >= 1
        failures: list[Exception] = []
        for _ in range(3):
            try:
                await asyncio.to_thread(h.emit, 2)
                break
            except Exception as exc:  # what a client would be answered 503 for, and retry
                failures.append(exc)
        assert len(failures) <= 1 and all(is_transient(f) for f in failures), failures
        rows = await eventually(lambda: len(h.effects()) == 2 and h.effects(), timeout=30)
        assert sorted(r.seq for r in rows) == [1, 2]
        assert await h.bus.parked(CONSUMER) == []

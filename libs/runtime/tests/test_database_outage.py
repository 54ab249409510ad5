"""A consumer's database cut for 30 seconds while events keep arriving: nothing is
parked, nothing is lost, nothing is handled twice.

The probe service consumes through its PostgreSQL database, reached through a TCP proxy
that the test cuts (every connection closed, new ones refused) and restores. Events are
published straight on the bus, as another service's relay would, before, during and
after the cut. On RabbitMQ and on the in-process bus (whose own storage is a local
SQLite file, which no proxy can cut: there the consumer's PostgreSQL is cut the same
way, as in an embedded platform given ``CERTREG_DATABASE_URL``)."""

from __future__ import annotations

import asyncio
import collections
import os
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from certreg_contracts import Envelope
from certreg_contracts.events.platform import Ping
from certreg_runtime.bus import Bus, OutgoingMessage
from certreg_runtime.bus.inprocess import InProcessBus
from certreg_runtime.bus.rabbit import RabbitBus
from certreg_runtime.db import create_db_engine
from certreg_runtime.service import ServiceRunner
from certreg_runtime.settings import Settings
from certreg_testing.infra import delete_namespace, unique_namespace
from certreg_testing.probe import ProbeBehaviour, effect_rows, probe_definition
from certreg_testing.tcp_proxy import TcpProxy

CONSUMER = "probe"
CUT_SECONDS = float(os.environ.get("CERTREG_TEST_DB_CUT_SECONDS", "30"))
PUBLISH_EVERY = 0.1


async def wait_until(check, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(check):
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.2)


@pytest.mark.parametrize("kind", ["rabbitmq", "inprocess"])
async def test_consumer_database_cut_for_30s_parks_nothing_and_loses_nothing(kind, tmp_path, postgres, request) -> None:
    namespace = unique_namespace()
    url = make_url(postgres.create_database(f"{namespace}_probe"))
    direct = create_db_engine(url.render_as_string(hide_password=False))
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    proxied = create_db_engine(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))

    bus: Bus
    if kind == "rabbitmq":
        amqp_url = request.getfixturevalue("amqp_url")
        bus = RabbitBus(amqp_url, namespace=namespace, max_attempts=3, backoff=0.01)
    else:
        bus = InProcessBus(tmp_path / "bus.sqlite3", max_attempts=3, backoff=0.01)
    behaviour = ProbeBehaviour()
    definition = probe_definition(behaviour, CONSUMER)
    definition.metadata.create_all(direct)
    settings = Settings(data_dir=tmp_path, outbox_poll_seconds=0.2, bus_namespace=namespace)
    runner = ServiceRunner(definition, settings, bus, engine=proxied, jwks=lambda refresh=False: {"keys": []})
    await bus.start()
    await runner.start()

    published: dict[str, list[str]] = collections.defaultdict(list)
    phase = "before"

    stop = asyncio.Event()

    async def publish_continuously() -> None:
        # Stopped by the flag, not cancelled: a publish cancelled while awaiting the broker's
        # confirm may still arrive, and its event would be handled without being counted.
        seq = 0
        while not stop.is_set():
            seq += 1
            envelope = Envelope.wrap(Ping(seq=seq), producer="filings")
            await bus.publish([OutgoingMessage(envelope)])
            published[phase].append(str(envelope.event_id))
            await asyncio.sleep(PUBLISH_EVERY)

    def handled() -> collections.Counter[str]:
        return collections.Counter(r.event_id for r in effect_rows(direct))

    publisher = asyncio.create_task(publish_continuously())
    try:
        await asyncio.sleep(3)
        phase = "during"
        await proxy.stop()  # the database becomes unreachable: connections cut, new ones refused
        cut_at = time.monotonic()
        await asyncio.sleep(CUT_SECONDS)
        handled_during_cut = sum(handled().values())
        await proxy.start()  # the database is back
        restored_at = time.monotonic()
        phase = "after"
        await asyncio.sleep(3)
        stop.set()
        await publisher
        with_all = {e for ids in published.values() for e in ids}
        await wait_until(lambda: set(handled()) >= with_all, timeout=120)
        drained_after = time.monotonic() - restored_at
        await asyncio.sleep(1)  # any second effect would show now

        counts = handled()
        parked = await bus.parked(CONSUMER)
        twice = {e: n for e, n in counts.items() if n > 1}
        print(
            f"\n[{kind}] database cut {restored_at - cut_at:.1f}s: published {len(with_all)} "
            f"(before {len(published['before'])}, during {len(published['during'])}, after {len(published['after'])}); "
            f"handled {len(counts)}, handled during the cut {handled_during_cut}, twice {len(twice)}, parked {len(parked)}; "
            f"handler calls {behaviour.calls}, transient retries {bus.transient_retries}; "
            f"all handled {drained_after:.1f}s after the database came back"
        )
        assert parked == []
        assert twice == {}
        assert set(counts) == with_all
        assert published["during"], "events kept arriving during the cut"
        assert bus.transient_retries > 0, "the consumer felt the cut"
        assert handled_during_cut <= len(published["before"])
        # The effects are in the database once each, and the inbox agrees.
        with direct.connect() as conn:
            inbox = conn.execute(sa.text("SELECT count(*) FROM inbox WHERE consumer = :c"), {"c": CONSUMER}).scalar_one()
        assert inbox == len(with_all)
    finally:
        publisher.cancel()
        await runner.stop()
        await bus.close()
        await proxy.stop()
        direct.dispose()
        if kind == "rabbitmq":
            await delete_namespace(
                request.getfixturevalue("amqp_url"), namespace, [f"{namespace}.{CONSUMER}", f"{namespace}.{CONSUMER}.parking"]
            )

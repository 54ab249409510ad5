"""Through PgBouncer in transaction pooling (how docker-compose.yml and deploy/k8s reach
PostgreSQL; issue 16, the connection budget): statements that repeat from many threads,
the outbox relays' ``FOR UPDATE SKIP LOCKED`` and the transaction-scoped advisory locks
work as they do on a direct connection. PostgreSQL only (SQLite has no server)."""

from __future__ import annotations

import asyncio
import collections
import threading
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC

import pytest
import sqlalchemy as sa

from certreg_contracts.events.platform import Ping
from certreg_runtime.bus import Bus, OutgoingMessage
from certreg_runtime.bus.base import ParkedMessage
from certreg_runtime.db import create_db_engine
from certreg_runtime.messaging import UnitOfWork
from certreg_runtime.relay import OutboxRelay
from certreg_testing import pgbouncer
from certreg_testing.infra import unique_namespace
from certreg_testing.probe import metadata


@pytest.fixture
def through_bouncer(postgres) -> Iterator[str]:
    """A fresh database, its URL through a PgBouncer of two server connections."""
    if pgbouncer.BINARY is None:
        pytest.fail("pgbouncer is not installed: bash scripts/install-pgbouncer (Debian's package)", pytrace=False)
    url = postgres.create_database(f"{unique_namespace()}_bouncer")
    with pgbouncer.PgBouncer(url, pool_size=2) as bouncer:
        yield bouncer.url(url)


def test_statements_repeated_from_many_threads_work_through_transaction_pooling(through_bouncer) -> None:
    """psycopg prepares a statement on its fifth run; through transaction pooling the next
    transaction gets another server connection, which does not have it (or has another
    client's "_pg3_0"): ``create_db_engine`` does not prepare unless told to. Its sessions'
    ``SET TIME ZONE 'UTC'`` holds: PgBouncer sets a client's ``TimeZone`` again on the
    server connection each transaction gets."""
    engine = create_db_engine(through_bouncer, pool_size=8)
    errors: list[Exception] = []

    def work() -> None:
        try:
            for i in range(40):
                with engine.begin() as conn:
                    assert conn.execute(sa.text("SELECT CAST(:x AS integer) + 1"), {"x": i}).scalar_one() == i + 1
                    # Each client's session in UTC (``create_db_engine``), whichever server
                    # connection its transaction gets: moments read as datetime.timezone.utc.
                    assert conn.execute(sa.text("SELECT now()")).scalar_one().tzinfo is UTC
        except Exception as exc:
            errors.append(exc)

    try:
        threads = [threading.Thread(target=work) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        engine.dispose()
    assert errors == []


def test_transaction_advisory_locks_hold_through_transaction_pooling(through_bouncer) -> None:
    """``pg_advisory_xact_lock`` (review's certifiers, notifier's recipients) is held until
    its transaction ends, and released with it, on whichever server connection."""
    engine = create_db_engine(through_bouncer, pool_size=4)
    try_lock = sa.text("SELECT pg_try_advisory_xact_lock(CAST(:a AS integer), CAST(:b AS integer))")
    try:
        with engine.connect() as holder, engine.connect() as other:
            holder.execute(sa.text("SELECT pg_advisory_xact_lock(CAST(:a AS integer), CAST(:b AS integer))"), {"a": 7, "b": 42})
            assert other.execute(try_lock, {"a": 7, "b": 42}).scalar_one() is False
            other.rollback()
            holder.commit()  # the lock goes with the transaction
            assert other.execute(try_lock, {"a": 7, "b": 42}).scalar_one() is True
            other.rollback()
    finally:
        engine.dispose()


class RecordingBus(Bus):
    """Confirms everything, slowly enough that two relays' batches overlap."""

    system = "recording"

    def __init__(self) -> None:
        super().__init__(max_attempts=1, backoff=0)
        self.published: collections.Counter[str] = collections.Counter()

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def publish(self, messages: Sequence[OutgoingMessage]) -> set[uuid.UUID]:
        await asyncio.sleep(0.05)
        self.published.update(str(m.envelope.event_id) for m in messages)
        return {m.envelope.event_id for m in messages}

    async def parked(self, consumer: str | None = None) -> list[ParkedMessage]:
        return []

    async def replay(self, consumer: str, event_ids: set[str] | None = None) -> int:
        return 0

    async def ping(self) -> bool:
        return True


async def test_two_relays_through_transaction_pooling_publish_each_event_once(through_bouncer) -> None:
    """Two relays (two replicas) drain one outbox at once through the bouncer: ``FOR
    UPDATE SKIP LOCKED`` keeps the rows one relay holds from the other, every event is
    published once and marked once."""
    engines = [create_db_engine(through_bouncer, pool_size=4) for _ in range(2)]
    metadata.create_all(engines[0])
    bus = RecordingBus()
    relays = [OutboxRelay(engine, metadata, bus, batch=20, poll_seconds=0.05) for engine in engines]
    try:
        with UnitOfWork(engines[0], metadata, "probe") as uow:
            envelopes = [uow.emit(Ping(seq=i)) for i in range(300)]
            uow.commit()
        for relay in relays:
            await relay.start()
        deadline = asyncio.get_running_loop().time() + 60
        while await asyncio.to_thread(relays[0].pending):
            assert asyncio.get_running_loop().time() < deadline, "the outbox was not drained"
            await asyncio.sleep(0.05)
    finally:
        for relay in relays:
            await relay.stop()
        for engine in engines:
            engine.dispose()
    assert bus.published == {str(e.event_id): 1 for e in envelopes}

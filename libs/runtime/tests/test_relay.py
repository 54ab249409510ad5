"""The outbox relay after a broker outage: a commit cuts its back-off short once the
broker answers again; while the broker is still down, the back-off is kept."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import pytest

from certreg_contracts.events.platform import Ping
from certreg_runtime.bus import Bus, OutgoingMessage, ParkedMessage
from certreg_runtime.db import create_db_engine
from certreg_runtime.messaging import UnitOfWork
from certreg_runtime.relay import OutboxRelay
from certreg_testing.probe import metadata


class FlakyBus(Bus):
    """Refuses to publish while ``down``; ``ping`` says whether it is connected."""

    def __init__(self) -> None:
        super().__init__(max_attempts=1, backoff=0)
        self.down = True
        self.attempts = 0
        self.published: list[uuid.UUID] = []

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, messages: Sequence[OutgoingMessage]) -> set[uuid.UUID]:
        self.attempts += 1
        if self.down:
            raise ConnectionError("broker unreachable")
        ids = {m.envelope.event_id for m in messages}
        self.published.extend(ids)
        return ids

    async def parked(self, consumer: str | None = None) -> list[ParkedMessage]:
        return []

    async def replay(self, consumer: str, event_ids: set[str] | None = None) -> int:
        return 0

    async def ping(self) -> bool:
        return not self.down


async def eventually(check, timeout: float) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


@pytest.fixture
async def relay(tmp_path):
    engine = create_db_engine(f"sqlite:///{tmp_path / 'probe.sqlite3'}")
    metadata.create_all(engine)
    bus = FlakyBus()
    # After one failure the relay backs off 20 s: longer than the test waits.
    relay = OutboxRelay(engine, metadata, bus, poll_seconds=60, backoff=10, max_backoff=30, min_retry_seconds=0.5)
    await relay.start()
    try:
        yield relay, bus
    finally:
        await relay.stop()
        engine.dispose()


def commit_event(relay: OutboxRelay, seq: int) -> uuid.UUID:
    with UnitOfWork(relay.engine, metadata, "probe", on_commit=relay.wake) as uow:
        envelope = uow.emit(Ping(seq=seq))
        uow.commit()
    return envelope.event_id


async def test_a_commit_cuts_the_back_off_short_once_the_broker_is_back(relay) -> None:
    relay, bus = relay
    first = commit_event(relay, 1)
    await eventually(lambda: bus.attempts == 1, timeout=5)  # failed: now backing off for 20 s

    bus.down = False  # the broker is back
    second = commit_event(relay, 2)
    await eventually(lambda: set(bus.published) == {first, second}, timeout=5)
    assert bus.attempts == 2
    await eventually(lambda: relay.pending() == 0, timeout=5)  # and marked sent


async def test_while_the_broker_is_down_commits_do_not_hammer_it(relay) -> None:
    relay, bus = relay
    commit_event(relay, 1)
    await eventually(lambda: bus.attempts == 1, timeout=5)
    for seq in range(2, 22):  # twenty commits in two seconds, the broker still down
        commit_event(relay, seq)
        await asyncio.sleep(0.1)
    assert bus.attempts == 1, "the back-off is kept while the broker does not answer"
    assert await asyncio.to_thread(relay.pending) == 21

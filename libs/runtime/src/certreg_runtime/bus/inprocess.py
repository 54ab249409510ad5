"""The embedded mode's bus: in one process, yet durable (a SQLite file), with the
delivery semantics of the RabbitMQ bus: a copy per consuming service, retries with
back-off, a parking list after ``max_attempts`` failures, and replay."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from opentelemetry.trace import SpanKind

from certreg_runtime import telemetry
from certreg_runtime.aio import cancel_all, wait_event
from certreg_runtime.bus.base import Bus, OutgoingMessage, ParkedMessage, Subscription, topic_matches

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    type TEXT NOT NULL,
    body BLOB NOT NULL,
    headers TEXT NOT NULL,
    parked INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX IF NOT EXISTS ix_deliveries_next ON deliveries (consumer, parked, id);
"""


class InProcessBus(Bus):
    system = "inprocess"
    poll_seconds = 1.0

    def __init__(
        self, path: Path | str = ":memory:", *, max_attempts: int = 5, backoff: float = 0.2, transient_backoff_max: float = 10.0
    ) -> None:
        super().__init__(max_attempts=max_attempts, backoff=backoff, transient_backoff_max=transient_backoff_max)
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self._wake: dict[str, asyncio.Event] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def _sql(self, query: str, args: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(query, args).fetchall()

    async def start(self) -> None:
        for sub in self.subscriptions:
            self._wake[sub.consumer] = asyncio.Event()
            self._tasks.append(asyncio.create_task(self._work(sub), name=f"bus-{sub.consumer}"))

    async def close(self) -> None:
        # A delivery being retried (a transient failure) is cancelled in its wait: its row
        # stays, and it is delivered again at the next start.
        await cancel_all(self._tasks, "in-process bus")

    async def publish(self, messages: Sequence[OutgoingMessage]) -> set[uuid.UUID]:
        rows = []
        for msg in messages:
            env = msg.envelope
            with telemetry.tracer("certreg.bus").start_as_current_span(
                f"{env.type} publish",
                context=telemetry.context_from_headers(msg.headers),
                kind=SpanKind.PRODUCER,
                attributes={"messaging.system": self.system, "messaging.message.id": str(env.event_id)},
            ):
                headers = json.dumps(telemetry.current_trace_headers())
            for consumer in {s.consumer for s in self.subscriptions if any(topic_matches(p, env.type) for p in s.patterns)}:
                rows.append((consumer, str(env.event_id), env.type, env.to_bytes(), headers))
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT INTO deliveries (consumer, event_id, type, body, headers) VALUES (?, ?, ?, ?, ?)", rows)
            self._db.execute("COMMIT")
        for consumer, *_ in rows:
            if consumer in self._wake:
                self._wake[consumer].set()
        return {m.envelope.event_id for m in messages}

    async def _work(self, sub: Subscription) -> None:
        wake = self._wake[sub.consumer]
        while True:
            batch = self._sql(
                "SELECT id, body, headers FROM deliveries WHERE consumer = ? AND parked = 0 ORDER BY id LIMIT 50",
                (sub.consumer,),
            )
            if not batch:
                wake.clear()
                await wait_event(wake, self.poll_seconds)
                continue
            for row_id, body, headers in batch:
                error = await self.deliver(sub, body, json.loads(headers))
                if error is None:
                    self._sql("DELETE FROM deliveries WHERE id = ?", (row_id,))
                else:
                    self._sql(
                        "UPDATE deliveries SET parked = 1, attempts = ?, error = ? WHERE id = ?",
                        (self.max_attempts, error, row_id),
                    )

    async def parked(self, consumer: str | None = None) -> list[ParkedMessage]:
        query = "SELECT consumer, event_id, type, error, attempts, body FROM deliveries WHERE parked = 1"
        args: tuple[str, ...] = ()
        if consumer:
            query += " AND consumer = ?"
            args = (consumer,)
        return [ParkedMessage(c, e, t, err or "", a, bytes(b)) for c, e, t, err, a, b in self._sql(query + " ORDER BY id", args)]

    async def replay(self, consumer: str, event_ids: set[str] | None = None) -> int:
        parked = await self.parked(consumer)
        ids = [p.event_id for p in parked if event_ids is None or p.event_id in event_ids]
        for event_id in ids:
            self._sql(
                "UPDATE deliveries SET parked = 0, attempts = 0, error = NULL WHERE consumer = ? AND event_id = ? AND parked = 1",
                (consumer, event_id),
            )
        if consumer in self._wake:
            self._wake[consumer].set()
        return len(ids)

    def pending(self) -> int:
        """Deliveries not yet handled (parked ones excluded)."""
        return int(self._sql("SELECT count(*) FROM deliveries WHERE parked = 0")[0][0])

    async def ping(self) -> bool:
        return bool(self._sql("SELECT 1"))

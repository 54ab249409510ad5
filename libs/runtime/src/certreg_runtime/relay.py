"""The outbox relay: publishes committed events, marks only what the broker confirmed."""

from __future__ import annotations

import asyncio
import json
import logging

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from certreg_contracts import Envelope
from certreg_runtime.aio import cancel_all, wait_event
from certreg_runtime.bus import Bus, OutgoingMessage
from certreg_runtime.db import is_postgres
from certreg_runtime.faults import describe
from certreg_runtime.messaging import outbox_table, utcnow

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self,
        engine: Engine,
        metadata: sa.MetaData,
        bus: Bus,
        *,
        batch: int = 200,
        poll_seconds: float = 1.0,
        backoff: float = 0.2,
        max_backoff: float = 30.0,
        min_retry_seconds: float = 1.0,
    ) -> None:
        self.engine = engine
        self.outbox = outbox_table(metadata)
        self.bus = bus
        self.batch = batch
        self.poll_seconds = poll_seconds
        # After a failure: wait backoff * 2**failures, at most max_backoff; a commit (wake)
        # cuts the wait short once the broker answers again, but never retries sooner
        # than min_retry_seconds after the last failure.
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.min_retry_seconds = min_retry_seconds
        # Built once, run with the batch's ids (an IN list of literals built per batch
        # cost more than its UPDATE).
        ids: sa.BindParameter[list[int]] = sa.bindparam("ids", expanding=True)
        self._mark_sent = self.outbox.update().where(self.outbox.c.id.in_(ids)).values(published_at=sa.bindparam("now"), last_error=None)
        self._mark_failed = (
            self.outbox.update()
            .where(self.outbox.c.id.in_(ids))
            .values(attempts=self.outbox.c.attempts + 1, last_error=sa.bindparam("error"))
        )
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Called after a commit that emitted events (from any thread). Already set, the
        relay has not yet started its next drain (it clears before draining), which
        will find this commit: no call into the loop then (under load most commits)."""
        if self._loop is not None and not self._wake.is_set():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task:
            await cancel_all([self._task], "outbox relay")
            self._task = None

    async def _run(self) -> None:
        failures = 0
        while True:
            # Cleared before the drain: a commit during it wakes the next wait.
            self._wake.clear()
            try:
                sent = await asyncio.to_thread(self.drain_once)
                if failures:
                    log.warning("outbox relay publishes again after %d failed attempt(s)", failures)
                failures = 0
                if sent == self.batch:
                    continue  # more may be waiting
            except Exception as exc:
                failures += 1
                # The events stay in the outbox; try again with back-off.
                delay = min(self.max_backoff, self.backoff * 2**failures)
                log.warning("outbox relay could not publish (%s); retrying in %.1fs at the latest", describe(exc), delay)
                await self._back_off(delay)
                continue
            await wait_event(self._wake, self.poll_seconds)

    async def _back_off(self, delay: float) -> None:
        """Wait ``delay`` after a failure, unless events are committed meanwhile and the
        broker answers again (its connection is back): then retry now. With nothing new,
        or a broker still down, the whole delay is kept, so a dead broker is not hammered
        (at most one early retry per ``min_retry_seconds``)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + delay
        earliest = loop.time() + min(self.min_retry_seconds, delay)
        while (left := deadline - loop.time()) > 0:
            if not await wait_event(self._wake, left):
                return  # the back-off is over
            self._wake.clear()
            if loop.time() < earliest:
                await asyncio.sleep(earliest - loop.time())
            if await self._broker_answers():
                return
            log.debug("outbox relay woken, but the broker does not answer yet; still backing off")

    async def _broker_answers(self) -> bool:
        try:
            async with asyncio.timeout(2):
                return bool(await self.bus.ping())
        except Exception:
            return False

    def drain_once(self) -> int:
        """Publish one batch of pending events. Runs in a worker thread; the rows stay
        locked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) until marked, so several
        relays (replicas) never publish the same row at the same time."""
        assert self._loop is not None
        o = self.outbox
        with self.engine.begin() as conn:
            pending = (
                sa.select(o.c.id, o.c.event_id, o.c.body, o.c.headers).where(o.c.published_at.is_(None)).order_by(o.c.id).limit(self.batch)
            )
            # SQLite: one process, one relay — no lock, so the database's write lock is
            # not held while publishing (certreg_runtime.db takes it for FOR UPDATE).
            rows = conn.execute(pending.with_for_update(skip_locked=True) if is_postgres(conn) else pending).all()
            if not rows:
                return 0
            messages = [OutgoingMessage(Envelope.model_validate_json(r.body), json.loads(r.headers or "{}"), r.body.encode()) for r in rows]
            future = asyncio.run_coroutine_threadsafe(self.bus.publish(messages), self._loop)
            error: Exception | None = None
            try:
                confirmed = {str(i) for i in future.result(timeout=60)}
            except Exception as exc:
                error, confirmed = exc, set()
            sent = [r.id for r in rows if r.event_id in confirmed]
            failed = [r.id for r in rows if r.event_id not in confirmed]
            if sent:
                conn.execute(self._mark_sent, {"ids": sent, "now": utcnow()})
            if failed:
                conn.execute(self._mark_failed, {"ids": failed, "error": str(error or "not confirmed by the broker")[:1000]})
        if failed:
            raise RuntimeError(f"{len(failed)} event(s) not confirmed by the broker: {error}")
        return len(sent)

    def pending(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(sa.func.count()).select_from(self.outbox).where(self.outbox.c.published_at.is_(None))
            ).scalar_one()

"""Deliveries that arrive together are handled together (issue 16, events).

Each delivery used to cost its own hop to a worker thread and its own transaction
(a checkout, BEGIN, the inbox row, the effect, COMMIT). Under load the broker hands a
consumer up to ``prefetch`` messages at once: ``Batches`` gives whatever has queued
while the previous batch ran to one worker thread, which handles it in one
transaction. Nothing waits for a batch to fill: a lone delivery goes at once, alone.

``run`` (in the thread) returns one outcome per item, None or the exception that item
failed with; each ``submit`` gets its own. An item's contextvars (its trace span, its
correlation) are those of its ``submit``: ``run`` enters them with ``Item.context``.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class Item(Generic[T]):
    value: T
    future: asyncio.Future[None]
    context: contextvars.Context = field(default_factory=contextvars.copy_context)


Runner = Callable[[Sequence[Item[T]]], list[BaseException | None]]


class Batches(Generic[T]):
    def __init__(self, run: Runner[T], *, max_batch: int = 32, workers: int = 2) -> None:
        """``workers``: batches in flight at once (each holds one thread and one
        database connection while it runs)."""
        self.run = run
        self.max_batch = max_batch
        self.workers = workers
        self._queue: deque[Item[T]] = deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self._running = 0  # workers not yet returned (the set above keeps them referenced)
        # Batches run so far, the items they held and the largest (tests and benchmarks).
        self.batches = 0
        self.items = 0
        self.largest = 0

    async def submit(self, value: T) -> None:
        """Handle ``value`` (in a batch with others queued meanwhile); raise what it failed with."""
        item = Item(value, asyncio.get_running_loop().create_future())
        self._queue.append(item)
        if self._running < self.workers:
            self._running += 1
            task = asyncio.create_task(self._work(), name="handler-batches")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        await item.future

    async def _work(self) -> None:
        try:
            await self._drain()
        finally:
            # No await between the empty queue and this: a submit that comes after it
            # starts a worker of its own.
            self._running -= 1

    async def _drain(self) -> None:
        while self._queue:
            batch: list[Item[T]] = []
            while self._queue and len(batch) < self.max_batch:
                item = self._queue.popleft()
                if not item.future.done():  # a cancelled submit (shutdown) is dropped
                    batch.append(item)
            if not batch:
                continue
            self.batches += 1
            self.items += len(batch)
            self.largest = max(self.largest, len(batch))
            try:
                outcomes: list[BaseException | None] = await asyncio.to_thread(self.run, batch)
            except asyncio.CancelledError:
                for item in batch:
                    item.future.cancel()
                raise
            except Exception as exc:  # the runner itself failed: every item fails with it
                outcomes = [exc] * len(batch)
            for item, outcome in zip(batch, outcomes, strict=True):
                if item.future.done():
                    continue
                if outcome is None:
                    item.future.set_result(None)
                else:
                    item.future.set_exception(outcome)


__all__ = ["Batches", "Item"]

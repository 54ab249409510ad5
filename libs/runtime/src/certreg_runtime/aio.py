"""Small asyncio helpers the background loops share."""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)


async def wait_event(event: asyncio.Event, timeout: float) -> bool:
    """Wait until ``event`` is set or ``timeout`` passes; True if it was set.

    Not ``asyncio.wait_for``: on Python 3.11 it can swallow a cancellation that arrives
    as the event is set (fixed in 3.12), which left loops running after ``stop()``.
    """
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
        return True
    except TimeoutError:
        return False


async def cancel_all(tasks: list[asyncio.Task[None]], what: str, timeout: float = 10) -> None:
    """Cancel tasks and wait for them, but not forever: a task that will not stop is
    logged rather than allowed to hang the shutdown."""
    for task in tasks:
        task.cancel()
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        if pending:
            log.error("%s: %d task(s) did not stop within %ss", what, len(pending), timeout)
    tasks.clear()


class Wakeup:
    """Wakes a background loop from any thread (after a commit that gave it work).

    The loop calls ``wait(timeout)`` between rounds: it returns at once when ``set()``
    was called since the last wait (even during the round), else after ``timeout``.
    A ``set()`` before the loop first waits is not lost: the loop's first round runs anyway.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    def set(self) -> None:
        if self._loop is not None and self._event is not None:
            self._loop.call_soon_threadsafe(self._event.set)

    def bind(self) -> None:
        """In the loop, before its first round."""
        self._loop, self._event = asyncio.get_running_loop(), asyncio.Event()

    async def wait(self, timeout: float) -> bool:
        if self._event is None:
            self.bind()
        assert self._event is not None
        woken = await wait_event(self._event, timeout)
        self._event.clear()
        return woken

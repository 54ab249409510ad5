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

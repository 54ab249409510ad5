"""Readiness checks that answer in bounded time, whatever the dependency does.

A dependency that accepts TCP and never answers would hold a blocking check (a database
connect, an S3 request) for minutes. Each check runs in a daemon thread of its own, at
most one at a time per dependency (a check still hung from a previous call is waited on,
never started twice: no thread piles up, none holds the process at exit), and the caller
waits ``timeout`` seconds at most: past it, the dependency is not ready.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Awaitable, Callable

from certreg_runtime.faults import RateLimit, describe

log = logging.getLogger(__name__)


class DependencyChecks:
    def __init__(self, timeout: float = 2.0) -> None:
        self.timeout = timeout
        self._running: dict[str, concurrent.futures.Future[bool]] = {}
        self._lock = threading.Lock()
        self._log = RateLimit(60.0)

    def _start(self, name: str, check: Callable[[], bool]) -> concurrent.futures.Future[bool]:
        with self._lock:
            future = self._running.get(name)
            if future is not None and not future.done():
                return future  # the previous check still runs: wait on it, start none
            future = concurrent.futures.Future()
            self._running[name] = future

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(bool(check()))
            except BaseException as exc:
                future.set_exception(exc)

        threading.Thread(target=run, name=f"readyz-{name}", daemon=True).start()
        return future

    async def blocking(self, name: str, check: Callable[[], bool], timeout: float | None = None) -> bool:
        """Run a blocking ``check`` in its own thread; False if it fails or takes longer than ``timeout``."""
        future = self._start(name, check)
        return await self._bounded(name, asyncio.shield(asyncio.wrap_future(future)), timeout)

    async def awaitable(self, name: str, check: Awaitable[bool], timeout: float | None = None) -> bool:
        """Await ``check``; False if it fails or takes longer than ``timeout``."""
        return await self._bounded(name, check, timeout)

    async def _bounded(self, name: str, check: Awaitable[bool], timeout: float | None) -> bool:
        try:
            async with asyncio.timeout(self.timeout if timeout is None else timeout):
                ok = bool(await check)
        except TimeoutError:
            self._warn(name, f"no answer within {self.timeout if timeout is None else timeout:g}s")
            return False
        except Exception as exc:
            self._warn(name, describe(exc))
            return False
        if not ok:
            self._warn(name, "not ready")
        return ok

    def _warn(self, name: str, why: str) -> None:
        skipped = self._log.allow(name)
        if skipped is not None:
            log.warning("readiness: %s is not ready: %s (%d similar line(s) skipped)", name, why, skipped)


__all__ = ["DependencyChecks"]

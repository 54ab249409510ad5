"""Admission: at most so many requests in a service at once, the others told at once to
come back (issue 16).

Past its capacity a service only makes everyone wait longer: N clients each waiting for
its answer wait N / rate (Little's law), without bound as clients grow. In the embedded
mode every service shares one process's CPU and every write of a service takes its
SQLite file's one write lock; 500 depositors filing at once waited p99 9 s with 400
writes let in. Here a service takes at most what it gets through in ``wait`` seconds
(1 s, ``CERTREG_ADMISSION_WAIT_SECONDS``), reads (GET, HEAD, OPTIONS) and writes counted
apart; one more is answered **503** with ``Retry-After`` and the project's error body,
code ``busy`` — the shape of the password-hashing gate's refusal
(``identity.domain.passwords``) — so that the admitted ones wait about ``wait`` seconds
and the rest come back later instead of all waiting.

What a service gets through is measured, not guessed: over each second in which it was
saturated all along (every request that ended left others waiting for a worker thread),
the requests that ended are its rate, and the limit moves halfway to rate × ``wait``; it
never goes below ``floor`` (its threads) nor above the configured cap
(``CERTREG_ADMISSION_READS`` / ``_WRITES``), where a new process starts. In a second in
which a thread was free, requests in flight were waiting on something else than the
service — their clients (a slow upload over a poor line), a timer — and the limit moves
halfway back up to the cap: a hundred slow uploads are never refused for the service's
sake while its threads are idle. Measured at 500 connections, embedded
(bench/README.md): the journey's admitted requests waited p99 9 s with the cap (400
writes) alone, 2.2 s with the measured limit.

A request holds its place from the moment it enters the service until the service's
app returns: when it answered, failed, or its client went away (whatever ended it).
Health, readiness, identity's public keys (every other service verifies tokens with
them) and the API documents are never refused. A service has no static files nor pages
(the gateway serves the UI, outside any service).

A refusal is sent after ``pause`` seconds (1 s), waited on the event loop with no thread
nor connection held: a client that sends again at once without reading ``Retry-After``
(wrk does; a retry loop may) otherwise comes back thousands of times a second and takes
the CPU from the admitted requests — measured at 500 connections, embedded: new drafts
fell from 166 to 85 answered a second with refusals at once (bench/README.md).

Pure ASGI, on the event loop (no lock: one loop runs a service's requests): a few
integer comparisons per request, and a look at the worker threads' queue as one ends. Settings: ``CERTREG_ADMISSION_READS``,
``CERTREG_ADMISSION_WRITES``, ``CERTREG_ADMISSION_WAIT_SECONDS``
(``Settings.admission_for``; deploy/README.md)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from certreg_runtime.web import API_HEADERS

log = logging.getLogger(__name__)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Never refused: what orchestrators, other services and developers need from a busy service.
EXEMPT_SUFFIXES = ("/healthz", "/readyz", "/.well-known/jwks.json", "/openapi.json", "/docs")
RETRY_AFTER_SECONDS = 2
# How long a refusal waits before it is sent (see the module's docstring).
REFUSAL_PAUSE_SECONDS = 1.0
# About how long an admitted request waits, by default (``CERTREG_ADMISSION_WAIT_SECONDS``).
TARGET_WAIT_SECONDS = 1.0
# How often the limits follow what the service gets through.
WINDOW_SECONDS = 1.0
BUSY = "Service très sollicité : réessayez dans quelques secondes."
# A refusal is logged at most this often per service (they come by the hundred).
LOG_EVERY_SECONDS = 10.0


def threads_queued() -> bool:
    """Whether requests are waiting for one of the process's worker threads (all busy):
    the service itself is what they wait for. Requests in flight with threads free wait
    on something else — their clients (a slow upload), a timer — and say nothing of what
    the service gets through."""
    return anyio.to_thread.current_default_thread_limiter().statistics().tasks_waiting > 0


@dataclass
class Window:
    """One kind's current second: since when, how many ended, whether every one of them
    ended with requests waiting for a thread."""

    started: float
    ended: int = 0
    saturated: bool = True


@dataclass
class Admission:
    """A service's limits and what is in it now (for tests and figures too). ``reads``
    and ``writes`` are the caps; ``limit(write)`` is what is let in now."""

    service: str
    reads: int
    writes: int
    reading: int = 0
    writing: int = 0
    refused: int = 0
    pause: float = REFUSAL_PAUSE_SECONDS
    wait: float = TARGET_WAIT_SECONDS
    floor: int = 1
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)
    saturated: Callable[[], bool] = field(default=threads_queued, repr=False, compare=False)
    _limits: dict[bool, int] = field(default_factory=dict, repr=False, compare=False)
    _windows: dict[bool, Window] = field(default_factory=dict, repr=False, compare=False)
    _logged_at: float = field(default=-LOG_EVERY_SECONDS, repr=False, compare=False)

    def __post_init__(self) -> None:
        now = self.clock()
        self._limits = {False: self.reads, True: self.writes}
        self._windows = {False: Window(now), True: Window(now)}

    def limit(self, write: bool) -> int:
        return self._limits[write]

    def full(self, write: bool) -> bool:
        """Whether a write (or a read) would be one too many."""
        return (self.writing if write else self.reading) >= self._limits[write]

    def track(self, write: bool, step: int) -> None:
        """Counts a write (or a read) in (``step`` 1) or out (-1)."""
        if write:
            self.writing += step
        else:
            self.reading += step
        if step > 0:
            return
        window = self._windows[write]
        window.ended += 1
        window.saturated = window.saturated and self.saturated()
        now = self.clock()
        elapsed = now - window.started
        if elapsed < WINDOW_SECONDS:
            return
        cap = self.writes if write else self.reads
        floor = min(self.floor, cap)
        # Saturated all along: what ended is what the service gets through. Else the
        # service was not what requests waited for: back halfway to the cap.
        target = window.ended / elapsed * self.wait if window.saturated else cap
        self._limits[write] = max(floor, min(cap, round((self._limits[write] + target) / 2)))
        self._windows[write] = Window(now)

    def note_refusal(self, write: bool) -> None:
        self.refused += 1
        now = time.monotonic()
        if now - self._logged_at >= LOG_EVERY_SECONDS:
            self._logged_at = now
            kind = "writes" if write else "reads"
            log.warning(
                "%s: %d %s in flight, its limit now (what it gets through in %gs, at most %d: CERTREG_ADMISSION_%s): "
                "answered 503 busy (%d refused so far)",
                self.service,
                self._limits[write],
                kind,
                self.wait,
                self.writes if write else self.reads,
                kind.upper(),
                self.refused,
            )


BUSY_BODY = json.dumps({"detail": BUSY, "code": "busy"}, ensure_ascii=False).encode()
BUSY_START = {
    "type": "http.response.start",
    "status": 503,
    "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(BUSY_BODY)).encode()),
        (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
        *API_HEADERS,
    ],
}
BUSY_BODY_MESSAGE = {"type": "http.response.body", "body": BUSY_BODY}


class AdmissionMiddleware:
    """Counts the requests in the service and refuses those past ``admission``'s limits."""

    def __init__(self, app: ASGIApp, admission: Admission) -> None:
        self.app = app
        self.admission = admission

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].endswith(EXEMPT_SUFFIXES):
            await self.app(scope, receive, send)
            return
        admission = self.admission
        write = scope["method"] not in READ_METHODS
        if admission.full(write):
            admission.note_refusal(write)
            await _busy(send, admission.pause)
            return
        admission.track(write, 1)
        try:
            await self.app(scope, receive, send)
        finally:
            admission.track(write, -1)


async def _busy(send: Send, pause: float) -> None:
    if pause > 0:
        await asyncio.sleep(pause)
    await send(BUSY_START)
    await send(BUSY_BODY_MESSAGE)


__all__ = ["BUSY", "EXEMPT_SUFFIXES", "READ_METHODS", "REFUSAL_PAUSE_SECONDS", "RETRY_AFTER_SECONDS", "Admission", "AdmissionMiddleware"]

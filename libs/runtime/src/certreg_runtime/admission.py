"""Admission: at most so many requests in a service at once, the others told at once to
come back (issue 16).

Past its capacity a service only makes everyone wait longer: in the embedded mode every
write takes SQLite's one write lock, so writes go one at a time, and N clients each
waiting for its answer wait N / rate (Little's law: 5–30 s at 200–500 connections in the
issue's first figures, and without bound as clients grow). Here a service takes at most ``reads`` reading requests (GET, HEAD,
OPTIONS) and ``writes`` others at once; one more is answered at once **503** with
``Retry-After`` and the project's error body, code ``busy`` — the shape of the
password-hashing gate's refusal (``identity.domain.passwords``) — so that the admitted
ones finish in bounded time and the rest come back later instead of all waiting.

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

Pure ASGI, on the event loop (no lock: one loop runs a service's requests): two integer
comparisons per request. Settings: ``CERTREG_ADMISSION_READS`` and
``CERTREG_ADMISSION_WRITES`` (``Settings.admission_for``; deploy/README.md)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Receive, Scope, Send

from certreg_runtime.web import API_HEADERS

log = logging.getLogger(__name__)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Never refused: what orchestrators, other services and developers need from a busy service.
EXEMPT_SUFFIXES = ("/healthz", "/readyz", "/.well-known/jwks.json", "/openapi.json", "/docs")
RETRY_AFTER_SECONDS = 2
# How long a refusal waits before it is sent (see the module's docstring).
REFUSAL_PAUSE_SECONDS = 1.0
BUSY = "Service très sollicité : réessayez dans quelques secondes."
# A refusal is logged at most this often per service (they come by the hundred).
LOG_EVERY_SECONDS = 10.0


@dataclass
class Admission:
    """A service's limits and what is in it now (for tests and figures too)."""

    service: str
    reads: int
    writes: int
    reading: int = 0
    writing: int = 0
    refused: int = 0
    pause: float = REFUSAL_PAUSE_SECONDS
    _logged_at: float = field(default=-LOG_EVERY_SECONDS, repr=False)

    def full(self, write: bool) -> bool:
        """Whether a write (or a read) would be one too many."""
        return self.writing >= self.writes if write else self.reading >= self.reads

    def track(self, write: bool, step: int) -> None:
        """Counts a write (or a read) in (``step`` 1) or out (-1)."""
        if write:
            self.writing += step
        else:
            self.reading += step

    def note_refusal(self, write: bool) -> None:
        self.refused += 1
        now = time.monotonic()
        if now - self._logged_at >= LOG_EVERY_SECONDS:
            self._logged_at = now
            kind, limit = ("writes", self.writes) if write else ("reads", self.reads)
            log.warning(
                "%s: %d %s in flight, its limit: answered 503 busy (%d refused so far; CERTREG_ADMISSION_%s)",
                self.service,
                limit,
                kind,
                self.refused,
                kind.upper(),
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

"""Failures, classified once: transient (the infrastructure, for a while) or not.

A *transient* failure says nothing about the work being done: the database, S3, the
SMTP server or the network is unreachable, saturated or restarting, and the same work
will succeed once it is back. The bus retries it with capped back-off for as long as
it lasts (without counting it against ``bus_max_attempts``), and the HTTP layer answers
503 with ``Retry-After``.

Anything else is about the work itself: a bus handler gets ``bus_max_attempts`` tries
before its event is parked, and a ``PermanentError`` (or a domain error) parks it at once.

``is_transient(exc)`` is the only classifier; a service that knows better raises
``TransientError`` or ``PermanentError`` itself (``raise TransientError(...) from exc``).
"""

from __future__ import annotations

import errno
import re
import smtplib
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator

import sqlalchemy.exc as sa_exc

from certreg_contracts import UnknownEvent
from certreg_runtime.errors import DomainError, Unavailable


class TransientError(Exception):
    """An infrastructure failure expected to pass: retried for as long as it lasts
    (the bus), answered 503 (HTTP)."""


class PermanentError(Exception):
    """A handler error that no retry can fix: the event is parked at once."""


# OSError numbers of a network or a resource that may come back.
_TRANSIENT_ERRNOS = frozenset(
    getattr(errno, name)
    for name in (
        "ECONNREFUSED",
        "ECONNRESET",
        "ECONNABORTED",
        "EPIPE",
        "ETIMEDOUT",
        "EHOSTUNREACH",
        "EHOSTDOWN",
        "ENETUNREACH",
        "ENETDOWN",
        "ENETRESET",
        "EADDRNOTAVAIL",
        "EAGAIN",
        "ENOBUFS",
        "ENOSPC",
    )
    if hasattr(errno, name)
)

# SQLite says "OperationalError" for a busy database and for a syntax error alike: only
# the first kind passes by itself.
_SQLITE_TRANSIENT = re.compile(
    r"database is locked|database table is locked|disk I/O error|unable to open database file|database or disk is full"
)

# S3 error codes that mean "later" (the others are about the request).
_S3_TRANSIENT_CODES = frozenset({"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "RequestTimeTooSkewed"})


def _is_transient_one(exc: BaseException) -> bool:
    if isinstance(exc, TransientError):
        return True
    # SQLAlchemy wraps the driver's error; ``connection_invalidated`` means the
    # connection was lost, whatever the driver called it.
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        if isinstance(exc.orig, sqlite3.Error):
            return isinstance(exc.orig, sqlite3.OperationalError) and bool(_SQLITE_TRANSIENT.search(str(exc.orig)))
        return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)
    if isinstance(exc, sa_exc.TimeoutError | sa_exc.DisconnectionError):  # pool exhausted, connection lost
        return True
    if isinstance(exc, sqlite3.OperationalError):
        return bool(_SQLITE_TRANSIENT.search(str(exc)))
    if _is_psycopg_transient(exc):
        return True
    if isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):  # every recipient refused for now (4xx)
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):  # 4xx: "try again later"
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, ConnectionError | TimeoutError | socket.gaierror | socket.herror):
        return True
    if isinstance(exc, OSError) and exc.errno in _TRANSIENT_ERRNOS:
        return True
    return _is_http_transient(exc)


def _is_psycopg_transient(exc: BaseException) -> bool:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency of the runtime
        return False
    return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)


def _is_http_transient(exc: BaseException) -> bool:
    """urllib3 (under minio), minio, httpx and AMQP connection errors."""
    import urllib3.exceptions as u3

    if isinstance(exc, u3.MaxRetryError | u3.NewConnectionError | u3.ProtocolError | u3.TimeoutError | u3.PoolError):
        return True
    try:
        from minio.error import S3Error, ServerError
    except ImportError:  # pragma: no cover - minio is a dependency of the runtime
        pass
    else:
        if isinstance(exc, ServerError):
            return exc.status_code >= 500 or exc.status_code == 429
        if isinstance(exc, S3Error):
            return exc.code in _S3_TRANSIENT_CODES
    import httpx

    if isinstance(exc, httpx.TransportError):
        return True
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code in (429, 502, 503, 504)
    try:
        import aiormq.exceptions as amqp
    except ImportError:  # pragma: no cover - aio-pika's transport
        return False
    return isinstance(exc, amqp.AMQPConnectionError | amqp.ChannelInvalidStateError)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and its explicit causes (``raise … from``), at most 8 deep. Not the implicit
    context: an error raised by an ``except`` block is a bug of its own, not the outage
    it was handling."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 8:
        seen.add(id(current))
        yield current
        current = current.__cause__


def is_permanent(exc: BaseException) -> bool:
    """Refused for what the message is: a ``PermanentError``, a domain error, an event the
    contracts do not know. Never retried."""
    if isinstance(exc, Unavailable):  # the one domain error that says "later"
        return False
    return isinstance(exc, PermanentError | DomainError | UnknownEvent)


def is_transient(exc: BaseException) -> bool:
    """The infrastructure failed, not the work: retry it as long as it lasts.

    Looks at ``exc`` and at its explicit causes (``raise RuntimeError(…) from
    operational_error`` is transient), unless ``exc`` is itself permanent.
    """
    if is_permanent(exc):
        return False
    return any(isinstance(e, Unavailable) or _is_transient_one(e) for e in _chain(exc))


def dependency_of(exc: BaseException) -> str:
    """Which kind of dependency failed, for logs and messages: ``database``, ``storage``,
    ``mail``, ``broker`` or ``network``."""
    import urllib3.exceptions as u3

    for e in _chain(exc):
        if isinstance(e, sa_exc.SQLAlchemyError | sqlite3.Error) or type(e).__module__.startswith("psycopg"):
            return "database"
        if isinstance(e, u3.HTTPError) or type(e).__module__.startswith("minio"):
            return "storage"
        if isinstance(e, smtplib.SMTPException):
            return "mail"
        if type(e).__module__.startswith(("aiormq", "aio_pika")):
            return "broker"
    return "network"


_URL_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@/\s]*@")
_KV_SECRET = re.compile(r"(?i)\b(password|passwd|pwd|secret|secret_key|access_key|token)=('[^']*'|\"[^\"]*\"|[^\s&'\"]+)")
_AMZ_SIGNED = re.compile(r"(?i)(X-Amz-(?:Signature|Credential|Security-Token))=[^&\s'\"]+")


def redact(text: str) -> str:
    """``text`` without the secrets an error message can carry: the password of a URL,
    ``password=…`` in a connection string, the signature of a presigned S3 URL."""
    text = _URL_PASSWORD.sub(r"\g<scheme>\g<user>:***@", text)
    text = _KV_SECRET.sub(r"\1=***", text)
    return _AMZ_SIGNED.sub(r"\1=***", text)


def describe(exc: BaseException, limit: int = 500) -> str:
    """One line for a log: the error's type and first line, secrets removed. For a
    SQLAlchemy error, the driver's message without the statement and its parameters
    (they may hold personal data)."""
    inner: BaseException = exc
    if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None:
        inner = exc.orig
    lines = str(inner).strip().splitlines()
    first = lines[0] if lines else ""
    name = type(exc).__name__ if inner is exc else f"{type(exc).__name__}/{type(inner).__name__}"
    return redact(f"{name}: {first}" if first else name)[:limit]


class RateLimit:
    """At most one log line per ``interval`` seconds per key; says how many were skipped.

    ``allow(key)`` returns None (stay quiet) or how many calls were silenced since the last
    one allowed."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last: dict[str, float] = {}
        self._skipped: dict[str, int] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> int | None:
        now = time.monotonic()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.interval:
                self._skipped[key] = self._skipped.get(key, 0) + 1
                return None
            self._last[key] = now
            return self._skipped.pop(key, 0)


__all__ = ["PermanentError", "RateLimit", "TransientError", "dependency_of", "describe", "is_permanent", "is_transient", "redact"]

from __future__ import annotations

import abc
import asyncio
import logging
import random
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from certreg_contracts import Envelope
from certreg_runtime import telemetry
from certreg_runtime.faults import PermanentError, RateLimit, TransientError, describe, is_permanent, is_transient

log = logging.getLogger(__name__)

DeliveryHandler = Callable[[Envelope], Awaitable[None]]


@dataclass(frozen=True)
class OutgoingMessage:
    envelope: Envelope
    # W3C trace context of the cause, so the consumer continues the same trace.
    headers: dict[str, str] = field(default_factory=dict)
    # The envelope as stored in the outbox (``envelope.to_bytes()``), sent as is.
    body: bytes | None = None


@dataclass(frozen=True)
class ParkedMessage:
    consumer: str
    event_id: str
    type: str
    error: str
    attempts: int
    body: bytes


@dataclass
class Subscription:
    consumer: str
    patterns: list[str]
    handler: DeliveryHandler


@lru_cache(maxsize=1024)
def _topic_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    for word in pattern.split("."):
        parts.append({"*": r"[^.]+", "#": r".*"}.get(word, re.escape(word)))
    regex = r"\.".join(parts).replace(r".*\.", r"(?:.*\.)?").replace(r"\..*", r"(?:\..*)?")
    return re.compile(f"^{regex}$")


def topic_matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic matching: ``*`` is one word, ``#`` zero or more."""
    return bool(_topic_regex(pattern).match(routing_key))


class Bus(abc.ABC):
    """Delivery semantics shared by both buses (``deliver``):

    - a *transient* failure (``certreg_runtime.faults.is_transient``: database, S3, SMTP,
      network unreachable) is retried with capped exponential back-off for as long as it
      lasts, the message kept in process (not acknowledged, not requeued), and does not
      count against ``max_attempts``;
    - any other error is retried ``max_attempts`` times in all, then the event is parked;
    - a ``PermanentError`` (a domain error, an unknown event) parks it at once.
    """

    # Transient retries start at ``backoff`` (at least this) and double up to ``transient_backoff_max``.
    min_transient_backoff = 0.05
    # One warning per consumer per this many seconds while transient failures last.
    transient_log_interval = 10.0

    def __init__(self, *, max_attempts: int, backoff: float, transient_backoff_max: float = 10.0) -> None:
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.transient_backoff_max = transient_backoff_max
        self.subscriptions: list[Subscription] = []
        # Transient failures retried since start (every consumer): a figure for tests and benchmarks.
        self.transient_retries = 0
        self._transient_log = RateLimit(self.transient_log_interval)

    def subscribe(self, consumer: str, patterns: Sequence[str], handler: DeliveryHandler) -> None:
        """Register before ``start()``: one durable queue per consumer."""
        self.subscriptions.append(Subscription(consumer, list(patterns), handler))

    @abc.abstractmethod
    async def start(self) -> None: ...

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def publish(self, messages: Sequence[OutgoingMessage]) -> set[uuid.UUID]:
        """Publish durably; return the ids the broker confirmed (raise if none could be)."""

    @abc.abstractmethod
    async def parked(self, consumer: str | None = None) -> list[ParkedMessage]: ...

    @abc.abstractmethod
    async def replay(self, consumer: str, event_ids: set[str] | None = None) -> int:
        """Deliver parked messages again to their consumer only; return how many."""

    @abc.abstractmethod
    async def ping(self) -> bool: ...

    def retry_delay(self, failures: int) -> float:
        """Before the next try of a handler that failed ``failures`` times on the message."""
        return float(min(30.0, self.backoff * 2 ** (failures - 1)))

    def transient_delay(self, retries: int) -> float:
        """Before transient retry number ``retries`` (1, 2…): doubling, capped, with jitter so
        that the deliveries held by one outage do not all come back at the same instant."""
        base = max(self.backoff, self.min_transient_backoff)
        delay: float = min(self.transient_backoff_max, base * 2.0 ** min(retries - 1, 30))
        return delay / 2 + random.uniform(0, delay / 2)

    async def deliver(self, subscription: Subscription, body: bytes, headers: dict[str, Any]) -> str | None:
        """Run the handler until it succeeds; return the error that parks it, or None.

        Cancelled (shutdown) at any point, the message is neither acknowledged nor parked:
        it is delivered again later."""
        try:
            envelope = Envelope.from_bytes(body)
        except Exception as exc:  # not even an envelope: retrying cannot help
            return f"unreadable envelope: {exc}"
        parent = telemetry.context_from_headers(headers)
        if not telemetry.exporting():
            # Spans not exported: no tracer (even its non-recording spans cost a few % of an
            # event's CPU), the same ids: the producer's trace, a span id of its own.
            token = otel_context.attach(telemetry.unrecorded_child(parent))
            try:
                return await self._run_handler(subscription, envelope, None)
            finally:
                otel_context.detach(token)
        with telemetry.tracer("certreg.bus").start_as_current_span(
            f"{envelope.type} process",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": self.system,
                "messaging.operation": "process",
                "messaging.destination.name": envelope.type,
                "messaging.message.id": str(envelope.event_id),
                "messaging.consumer.group.name": subscription.consumer,
            },
        ) as span:
            return await self._run_handler(subscription, envelope, span)

    async def _run_handler(self, subscription: Subscription, envelope: Envelope, span: Span | None) -> str | None:
        failures = 0  # errors about the message: bounded by max_attempts
        transient = 0  # the infrastructure failed: unbounded
        since = time.monotonic()
        while True:
            try:
                await subscription.handler(envelope)
            except Exception as exc:  # a cancellation (shutdown) goes through
                if not is_permanent(exc) and is_transient(exc):
                    transient += 1
                    self.transient_retries += 1
                    delay = self.transient_delay(transient)
                    self._log_transient(subscription, envelope, exc, transient, delay, time.monotonic() - since)
                    await asyncio.sleep(delay)
                    continue
                failures += 1
                if not is_permanent(exc) and failures < self.max_attempts:
                    await asyncio.sleep(self.retry_delay(failures))
                    continue
                if span is not None:
                    span.record_exception(exc)
                    span.set_status(Status(StatusCode.ERROR, str(exc)))
                log.error(
                    "handler failed, parking the event",
                    exc_info=exc,
                    extra={
                        "event_id": str(envelope.event_id),
                        "event_type": envelope.type,
                        "consumer": subscription.consumer,
                    },
                )
                return f"{type(exc).__name__}: {exc}"[:2000]
            if transient and span is not None:
                span.set_attribute("certreg.transient_retries", transient)
            if transient and self._transient_log.allow(f"{subscription.consumer} recovered") is not None:
                log.warning(
                    "%s: %s handled after %d transient failure(s) over %.1fs",
                    subscription.consumer,
                    envelope.type,
                    transient,
                    time.monotonic() - since,
                    extra={"event_id": str(envelope.event_id), "event_type": envelope.type, "consumer": subscription.consumer},
                )
            return None

    def _log_transient(self, sub: Subscription, envelope: Envelope, exc: Exception, retries: int, delay: float, elapsed: float) -> None:
        skipped = self._transient_log.allow(sub.consumer)
        if skipped is None:
            return
        log.warning(
            "%s: transient failure handling %s, retry %d in %.2fs (failing for %.0fs; the event is kept, not parked%s): %s",
            sub.consumer,
            envelope.type,
            retries,
            delay,
            elapsed,
            f"; {skipped} similar line(s) skipped" if skipped else "",
            describe(exc),
            extra={"event_id": str(envelope.event_id), "event_type": envelope.type, "consumer": sub.consumer},
        )

    system = "unknown"


__all__ = [
    "Bus",
    "DeliveryHandler",
    "OutgoingMessage",
    "ParkedMessage",
    "PermanentError",
    "Subscription",
    "TransientError",
    "topic_matches",
]

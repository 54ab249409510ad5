from __future__ import annotations

import abc
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from opentelemetry.trace import SpanKind, Status, StatusCode
from tenacity import AsyncRetrying, retry_if_exception_type, retry_if_not_exception_type, stop_after_attempt, wait_exponential

from certreg_contracts import Envelope, UnknownEvent
from certreg_runtime import telemetry

log = logging.getLogger(__name__)

DeliveryHandler = Callable[[Envelope], Awaitable[None]]


class PermanentError(Exception):
    """A handler error that no retry can fix: the event is parked at once."""


@dataclass(frozen=True)
class OutgoingMessage:
    envelope: Envelope
    # W3C trace context of the cause, so the consumer continues the same trace.
    headers: dict[str, str] = field(default_factory=dict)


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
    def __init__(self, *, max_attempts: int, backoff: float) -> None:
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.subscriptions: list[Subscription] = []

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

    async def deliver(self, subscription: Subscription, body: bytes, headers: dict[str, Any]) -> str | None:
        """Run the handler with bounded retries; return the error that parks it, or None."""
        try:
            envelope = Envelope.from_bytes(body)
        except Exception as exc:  # not even an envelope: retrying cannot help
            return f"unreadable envelope: {exc}"
        parent = telemetry.context_from_headers(headers)
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
            try:
                async for attempt in AsyncRetrying(
                    stop=stop_after_attempt(self.max_attempts),
                    wait=wait_exponential(multiplier=self.backoff, max=30),
                    # Only errors are retried: a cancellation (shutdown) must go through.
                    retry=retry_if_exception_type(Exception) & retry_if_not_exception_type((PermanentError, UnknownEvent)),
                    reraise=True,
                ):
                    with attempt:
                        await subscription.handler(envelope)
                return None
            except Exception as exc:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, str(exc)))
                log.exception(
                    "handler failed, parking the event",
                    extra={
                        "event_id": str(envelope.event_id),
                        "event_type": envelope.type,
                        "consumer": subscription.consumer,
                    },
                )
                return f"{type(exc).__name__}: {exc}"[:2000]

    system = "unknown"

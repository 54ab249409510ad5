"""The bus on RabbitMQ (aio-pika).

Topology, per namespace ``ns``:
- ``ns.events``: one durable topic exchange; every event is published there with its
  type as routing key, persistent, with publisher confirms.
- ``ns.<consumer>``: one quorum queue per consuming service, bound to what it needs.
  A message the process dies on is redelivered; past ``x-delivery-limit`` RabbitMQ
  dead-letters it to the parking queue.
- ``ns.<consumer>.parking``: where a message lands after ``max_attempts`` failed
  handler runs (with the error in its headers), until an operator replays it.

A delivery whose handler fails transiently (``Bus.deliver``) stays unacknowledged in
this process while it is retried, so the broker does not count it as a redelivery
(``x-delivery-limit``); ``close()`` cancels such deliveries, and the broker gives them
again to the next consumer. Past RabbitMQ's ``consumer_timeout`` (30 min by default) the
broker closes the channel and redelivers: an outage that long costs one of the
``DELIVERY_LIMIT`` redeliveries per half hour.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from typing import Any

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractIncomingMessage, AbstractRobustConnection
from opentelemetry.trace import SpanKind
from tenacity import AsyncRetrying, stop_after_delay, wait_exponential

from certreg_contracts import Envelope
from certreg_runtime import telemetry
from certreg_runtime.aio import cancel_all
from certreg_runtime.bus.base import Bus, OutgoingMessage, ParkedMessage, Subscription

log = logging.getLogger(__name__)

ERROR_HEADER = "x-certreg-error"
ATTEMPTS_HEADER = "x-certreg-attempts"
CONSUMER_HEADER = "x-certreg-consumer"
# Crash-loop guard: deliveries of one message before RabbitMQ parks it by itself.
DELIVERY_LIMIT = 20


class RabbitBus(Bus):
    system = "rabbitmq"

    def __init__(
        self,
        url: str,
        *,
        namespace: str = "certreg",
        max_attempts: int = 5,
        backoff: float = 0.2,
        prefetch: int = 16,
        transient_backoff_max: float = 10.0,
    ) -> None:
        super().__init__(max_attempts=max_attempts, backoff=backoff, transient_backoff_max=transient_backoff_max)
        self.url = url
        self.namespace = namespace
        self.prefetch = prefetch
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._consumer_channels: list[AbstractChannel] = []
        # Deliveries being handled (or retried) in this process, cancelled by close().
        self._inflight: set[asyncio.Task[Any]] = set()

    @property
    def exchange_name(self) -> str:
        return f"{self.namespace}.events"

    def queue_name(self, consumer: str) -> str:
        return f"{self.namespace}.{consumer}"

    def parking_name(self, consumer: str) -> str:
        return f"{self.namespace}.{consumer}.parking"

    async def start(self, *, connect_timeout: float = 60) -> None:
        # Wait for the broker at start-up; afterwards the robust connection reconnects.
        async for attempt in AsyncRetrying(
            stop=stop_after_delay(connect_timeout), wait=wait_exponential(multiplier=0.2, max=5), reraise=True
        ):
            with attempt:
                self._connection = await aio_pika.connect_robust(self.url, client_properties={"connection_name": self.namespace})
        assert self._connection is not None
        self._channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await self._channel.declare_exchange(self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True)
        for sub in self.subscriptions:
            await self._start_consumer(sub)

    async def _declare_parking(self, channel: AbstractChannel, consumer: str) -> aio_pika.abc.AbstractQueue:
        return await channel.declare_queue(self.parking_name(consumer), durable=True, arguments={"x-queue-type": "quorum"})

    async def _declare_queues(self, channel: AbstractChannel, consumer: str) -> aio_pika.abc.AbstractQueue:
        await self._declare_parking(channel, consumer)
        return await channel.declare_queue(
            self.queue_name(consumer),
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-delivery-limit": DELIVERY_LIMIT,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": self.parking_name(consumer),
            },
        )

    async def _start_consumer(self, sub: Subscription) -> None:
        assert self._connection is not None
        channel = await self._connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=self.prefetch)
        exchange = await channel.declare_exchange(self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await self._declare_queues(channel, sub.consumer)
        for pattern in sub.patterns:
            await queue.bind(exchange, routing_key=pattern)

        async def on_message(message: AbstractIncomingMessage) -> None:
            task = asyncio.current_task()
            if task is not None:
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)
            headers = dict(message.headers or {})
            error = await self.deliver(sub, message.body, headers)
            if error is None:
                await message.ack()
                return
            try:
                await channel.default_exchange.publish(
                    aio_pika.Message(
                        message.body,
                        headers={
                            **headers,
                            ERROR_HEADER: error,
                            ATTEMPTS_HEADER: self.max_attempts,
                            CONSUMER_HEADER: sub.consumer,
                        },
                        message_id=message.message_id,
                        type=message.type,
                        content_type=message.content_type,
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    ),
                    routing_key=self.parking_name(sub.consumer),
                )
            except Exception:
                log.exception("could not park a message; it goes back to its queue")
                await message.nack(requeue=True)
                return
            await message.ack()

        await queue.consume(on_message)
        self._consumer_channels.append(channel)

    async def close(self) -> None:
        # Deliveries still retrying (a dependency down) must not hold the shutdown: cancelled,
        # unacknowledged, the broker redelivers them once this connection is closed.
        await cancel_all(list(self._inflight), "rabbitmq deliveries", timeout=5)
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def publish(self, messages: Sequence[OutgoingMessage]) -> set[uuid.UUID]:
        if self._exchange is None:
            raise RuntimeError("bus not started")
        exchange = self._exchange

        def message(env: Envelope, headers: dict[str, str]) -> aio_pika.Message:
            return aio_pika.Message(
                env.to_bytes(),
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=str(env.event_id),
                type=env.type,
                correlation_id=str(env.correlation_id) if env.correlation_id else None,
                app_id=env.producer,
                timestamp=env.occurred_at,
                headers=dict(headers),
            )

        async def plain(channel: aiormq.abc.AbstractChannel, msg: OutgoingMessage) -> uuid.UUID:
            # Spans not exported: no publish span, the cause's trace context goes as is
            # (the consumer continues the same trace). Straight to aiormq, the properties
            # aio_pika.Message would build (its checks cost ~a third of a publish).
            env = msg.envelope
            properties = aiormq.spec.Basic.Properties(
                content_type="application/json",
                delivery_mode=int(aio_pika.DeliveryMode.PERSISTENT),
                message_id=str(env.event_id),
                message_type=env.type,
                correlation_id=str(env.correlation_id) if env.correlation_id else None,
                app_id=env.producer,
                timestamp=env.occurred_at,
                headers=dict(msg.headers),
            )
            await channel.basic_publish(
                msg.body if msg.body is not None else env.to_bytes(),
                exchange=self.exchange_name,
                routing_key=env.type,
                properties=properties,
                mandatory=True,
                timeout=30,
            )
            return env.event_id

        async def one(msg: OutgoingMessage) -> uuid.UUID:
            env = msg.envelope
            with telemetry.tracer("certreg.bus").start_as_current_span(
                f"{env.type} publish",
                context=telemetry.context_from_headers(msg.headers),
                kind=SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "rabbitmq",
                    "messaging.operation": "publish",
                    "messaging.destination.name": self.exchange_name,
                    "messaging.rabbitmq.destination.routing_key": env.type,
                    "messaging.message.id": str(env.event_id),
                },
            ):
                await exchange.publish(message(env, telemetry.current_trace_headers()), routing_key=env.type, timeout=30)
            return env.event_id

        if telemetry.exporting():
            results = await asyncio.gather(*(one(m) for m in messages), return_exceptions=True)
        else:
            if self._channel is None or self._channel.is_closed:
                raise aiormq.exceptions.ChannelInvalidStateError("the publishing channel is closed")
            channel = await self._channel.get_underlay_channel()
            results = await asyncio.gather(*(plain(channel, m) for m in messages), return_exceptions=True)
        confirmed = {r for r in results if isinstance(r, uuid.UUID)}
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures and not confirmed:
            raise failures[0]
        return confirmed

    async def _with_channel(self) -> AbstractChannel:
        if self._connection is None:
            self._connection = await aio_pika.connect_robust(self.url)
        return await self._connection.channel(publisher_confirms=True)

    async def parked(self, consumer: str | None = None) -> list[ParkedMessage]:
        consumers = [consumer] if consumer else sorted({s.consumer for s in self.subscriptions})
        found: list[ParkedMessage] = []
        for name in consumers:
            channel = await self._with_channel()
            try:
                parking = await self._declare_parking(channel, name)
                while (message := await parking.get(no_ack=False, fail=False)) is not None:
                    found.append(_parked(name, message))
                # Closing the channel without acknowledging puts every message back.
            finally:
                await channel.close()
        return found

    async def replay(self, consumer: str, event_ids: set[str] | None = None) -> int:
        channel = await self._with_channel()
        replayed = 0
        try:
            parking = await self._declare_parking(channel, consumer)
            while (message := await parking.get(no_ack=False, fail=False)) is not None:
                if event_ids is not None and message.message_id not in event_ids:
                    continue  # left unacknowledged: back in the parking queue on close
                headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-")}
                await channel.default_exchange.publish(
                    aio_pika.Message(
                        message.body,
                        headers=headers,
                        message_id=message.message_id,
                        type=message.type,
                        content_type=message.content_type,
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    ),
                    routing_key=self.queue_name(consumer),
                )
                await message.ack()
                replayed += 1
        finally:
            await channel.close()
        return replayed

    async def pending(self) -> int:
        """Deliveries not yet handled: ready in this bus's queues, plus those being handled in
        this process (what a test waits for; parked ones are not counted)."""
        channel = await self._with_channel()
        try:
            ready = 0
            for consumer in sorted({s.consumer for s in self.subscriptions}):
                queue = await channel.declare_queue(self.queue_name(consumer), passive=True)
                ready += queue.declaration_result.message_count or 0
        finally:
            await channel.close()
        return ready + len(self._inflight)

    async def ping(self) -> bool:
        """Connected now: a robust connection that lost the broker is not closed, it is
        reconnecting (``connected`` is cleared until it is back)."""
        connection = self._connection
        return connection is not None and not connection.is_closed and connection.connected.is_set() and self._exchange is not None


def _parked(consumer: str, message: AbstractIncomingMessage) -> ParkedMessage:
    headers: dict[str, Any] = dict(message.headers or {})
    error = headers.get(ERROR_HEADER) or "dead-lettered by RabbitMQ (delivery limit)"
    return ParkedMessage(
        consumer=consumer,
        event_id=message.message_id or "",
        type=message.type or "",
        error=error.decode() if isinstance(error, bytes) else str(error),
        attempts=int(headers.get(ATTEMPTS_HEADER) or 0),
        body=message.body,
    )

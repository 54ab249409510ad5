"""The message bus: RabbitMQ in production, a durable in-process bus in the embedded
mode, with one delivery semantics (retries with back-off, then a parking queue)."""

from pathlib import Path

from certreg_runtime.bus.base import Bus, DeliveryHandler, OutgoingMessage, ParkedMessage, PermanentError, TransientError, topic_matches
from certreg_runtime.settings import Settings

__all__ = [
    "Bus",
    "DeliveryHandler",
    "OutgoingMessage",
    "ParkedMessage",
    "PermanentError",
    "TransientError",
    "create_bus",
    "topic_matches",
]


def create_bus(settings: Settings, *, path: Path | None = None) -> Bus:
    """RabbitMQ when ``CERTREG_AMQP_URL`` is set, else the in-process bus."""
    if settings.amqp_url:
        from certreg_runtime.bus.rabbit import RabbitBus

        return RabbitBus(
            settings.amqp_url,
            namespace=settings.bus_namespace,
            max_attempts=settings.bus_max_attempts,
            backoff=settings.bus_retry_backoff_seconds,
            prefetch=settings.bus_prefetch,
            transient_backoff_max=settings.bus_transient_backoff_max_seconds,
        )
    from certreg_runtime.bus.inprocess import InProcessBus

    return InProcessBus(
        path if path is not None else settings.data_dir / "bus.sqlite3",
        max_attempts=settings.bus_max_attempts,
        backoff=settings.bus_retry_backoff_seconds,
        transient_backoff_max=settings.bus_transient_backoff_max_seconds,
    )

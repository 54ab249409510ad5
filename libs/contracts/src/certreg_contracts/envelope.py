"""The event envelope and the registry of every integration event.

An event class is a frozen pydantic model (the payload) that names its routing key
and version. The routing key is also the envelope's ``type``: ``<service>.<aggregate>.<event>``.
A change that breaks a consumer is a new class with ``version = 2`` (both stay registered).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class Event(BaseModel):
    """Base of every event payload."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    routing_key: ClassVar[str]
    version: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "routing_key" in cls.__dict__:
            register(cls)


E = TypeVar("E", bound=Event)

_REGISTRY: dict[tuple[str, int], type[Event]] = {}


def register(cls: type[E]) -> type[E]:
    key = (cls.routing_key, cls.version)
    if key in _REGISTRY and _REGISTRY[key] is not cls:
        raise ValueError(f"event {key} registered twice")
    parts = cls.routing_key.split(".")
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"routing key {cls.routing_key!r} is not <service>.<aggregate>.<event>")
    _REGISTRY[key] = cls
    return cls


def registry() -> dict[tuple[str, int], type[Event]]:
    """Every registered event class by (type, version)."""
    import certreg_contracts.events  # noqa: F401  (registers every event module)

    return dict(_REGISTRY)


def event_class(type_: str, version: int) -> type[Event]:
    try:
        return registry()[(type_, version)]
    except KeyError:
        raise UnknownEvent(f"no contract for event {type_} v{version}") from None


class UnknownEvent(LookupError):
    pass


def _now() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    """What travels on the bus. ``payload`` is the event's JSON form."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int
    occurred_at: datetime = Field(default_factory=_now)
    producer: str
    correlation_id: uuid.UUID | None = None
    causation_id: uuid.UUID | None = None
    payload: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        event: Event,
        *,
        producer: str,
        correlation_id: uuid.UUID | None = None,
        causation_id: uuid.UUID | None = None,
        occurred_at: datetime | None = None,
    ) -> Envelope:
        event_id = uuid.uuid4()
        return cls(
            event_id=event_id,
            type=event.routing_key,
            version=event.version,
            occurred_at=occurred_at or _now(),
            producer=producer,
            # A new chain starts its own correlation id: the first event's id.
            correlation_id=correlation_id or event_id,
            causation_id=causation_id,
            payload=event.model_dump(mode="json"),
        )

    @property
    def routing_key(self) -> str:
        return self.type

    def open(self) -> Event:
        """The typed event (validated against its contract)."""
        return event_class(self.type, self.version).model_validate(self.payload)

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, data: bytes | str) -> Envelope:
        return cls.model_validate_json(data)

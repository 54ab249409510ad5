"""A service's event handlers, registered by event class and typed by it.

    handlers = Handlers[FilingsDeps]("filings")

    @handlers.on(CaseStatusChanged)
    def case_status_changed(deps: FilingsDeps, uow: UnitOfWork, event: CaseStatusChanged) -> None: ...

The runner binds exactly the routing keys registered here and refuses to start when
they differ from ``CONSUMERS[service]``. Each handler runs in a worker thread, in one
transaction with the inbox record (the runtime commits); ``uow.cause`` is the envelope
being handled. A domain error (``Conflict``, ``Invalid``…) is an answer about the
message itself, so the event is parked at once instead of retried; ``Unavailable`` (a
dependency down) and the infrastructure's own errors are transient: retried for as long
as they last (``certreg_runtime.faults``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from certreg_contracts import Envelope, Event
from certreg_runtime.errors import DomainError, Unavailable
from certreg_runtime.faults import PermanentError, TransientError
from certreg_runtime.messaging import UnitOfWork

D = TypeVar("D")
E = TypeVar("E", bound=Event)

HandlerFn = Callable[[D, UnitOfWork, E], None]
BoundHandler = Callable[[UnitOfWork, Event, Envelope], None]
"""What the runner calls: the handler with its dependencies bound."""


@dataclass(frozen=True)
class _Registration(Generic[D]):
    events: tuple[type[Event], ...]
    fn: Callable[[D, UnitOfWork, Any], None]


class Handlers(Generic[D]):
    def __init__(self, service: str) -> None:
        self.service = service
        self._by_key: dict[str, _Registration[D]] = {}

    def on(self, *events: type[E]) -> Callable[[HandlerFn[D, E]], HandlerFn[D, E]]:
        """Register the decorated function for these event classes (one routing key each)."""
        if not events:
            raise TypeError("on() needs at least one event class")

        def register(fn: HandlerFn[D, E]) -> HandlerFn[D, E]:
            for event in events:
                key = event.routing_key
                if key in self._by_key:
                    raise ValueError(f"{self.service}: two handlers for {key}")
                self._by_key[key] = _Registration(tuple(events), fn)
            return fn

        return register

    @property
    def routing_keys(self) -> list[str]:
        return sorted(self._by_key)

    def check(self, expected: Iterable[str]) -> None:
        """The registered keys are exactly ``expected`` (the service's ``CONSUMERS`` entry)."""
        expected_keys = set(expected)
        missing, extra = expected_keys - set(self._by_key), set(self._by_key) - expected_keys
        if missing or extra:
            raise RuntimeError(
                f"{self.service} handlers differ from CONSUMERS[{self.service!r}]: missing {sorted(missing)}, not consumed {sorted(extra)}"
            )

    def bind(self, deps: D) -> dict[str, BoundHandler]:
        return {key: _bound(self.service, registration, deps) for key, registration in self._by_key.items()}


def _bound(service: str, registration: _Registration[D], deps: D) -> BoundHandler:
    def handle(uow: UnitOfWork, event: Event, envelope: Envelope) -> None:
        if not isinstance(event, registration.events):
            raise PermanentError(f"{service}: {envelope.type} v{envelope.version} is not a {registration.events}")
        try:
            registration.fn(deps, uow, event)
        except Unavailable as exc:
            raise TransientError(f"{type(exc).__name__} ({exc.code}): {exc.detail}") from exc
        except DomainError as exc:
            raise PermanentError(f"{type(exc).__name__} ({exc.code}): {exc.detail}") from exc

    handle.__name__ = getattr(registration.fn, "__name__", "handler")
    return handle


__all__ = ["BoundHandler", "Handlers"]

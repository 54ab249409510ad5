"""A tiny service used by the runtime's own tests: it records each Ping it handles.

Built like the platform's services: a module-level router and handler registry, and a
``Deps`` subclass carrying what the tests change (the behaviour)."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from opentelemetry import trace
from pydantic import BaseModel

from certreg_contracts.events.platform import Ping
from certreg_runtime.faults import PermanentError
from certreg_runtime.handlers import Handlers
from certreg_runtime.messaging import UnitOfWork, add_messaging_tables
from certreg_runtime.service import Deps, ServiceContext, ServiceDefinition

metadata = sa.MetaData()
add_messaging_tables(metadata)
effects = sa.Table(
    "effects",
    metadata,
    # Deliberately not unique: a second effect of the same event must show up as a row.
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("trace_id", sa.String(32), nullable=False),
)


class ProbeBehaviour:
    """What the handler does, changed by the tests."""

    def __init__(self) -> None:
        self.broken = False
        self.calls = 0
        self.lock = threading.Lock()
        # seq -> time.perf_counter() when handled (the benchmark's latency).
        self.handled_at: dict[int, float] = {}
        # Errors the next calls raise, one each (a dependency failing for a while).
        self.failures: deque[BaseException] = deque()
        # While set, every call raises what it makes (a dependency that stays down).
        self.failing_with: Callable[[], BaseException] | None = None
        # Pings whose seq is here are refused (PermanentError: parked at once); calls per seq.
        self.poison: set[int] = set()
        self.calls_by_seq: Counter[int] = Counter()


@dataclass
class ProbeDeps(Deps):
    behaviour: ProbeBehaviour


handlers = Handlers[ProbeDeps]("probe")


@handlers.on(Ping)
def on_ping(deps: ProbeDeps, uow: UnitOfWork, event: Ping) -> None:
    behaviour = deps.behaviour
    with behaviour.lock:
        behaviour.calls += 1
        behaviour.calls_by_seq[event.seq] += 1
        failure = behaviour.failures.popleft() if behaviour.failures else None
    if failure is not None:
        raise failure
    if behaviour.failing_with is not None:
        raise behaviour.failing_with()
    if behaviour.broken:
        raise RuntimeError("boom: the handler is broken")
    if event.seq in behaviour.poison:
        raise PermanentError(f"ping {event.seq} is refused")
    assert uow.cause is not None
    span = trace.get_current_span().get_span_context()
    uow.session.execute(effects.insert().values(event_id=str(uow.cause.event_id), seq=event.seq, trace_id=format(span.trace_id, "032x")))
    behaviour.handled_at[event.seq] = time.perf_counter()  # the runtime commits right after


def get_deps(request: Request) -> ProbeDeps:
    deps: ProbeDeps = request.app.state.ctx.deps
    return deps


DepsDep = Annotated[ProbeDeps, Depends(get_deps)]


class PingOut(BaseModel):
    event_id: str
    trace_id: str


router = APIRouter()


@router.post("/pings", status_code=202)
def ping(deps: DepsDep, seq: int = 0) -> PingOut:
    with deps.uow() as uow:
        envelope = uow.emit(Ping(seq=seq))
        uow.commit()
    span = trace.get_current_span().get_span_context()
    return PingOut(event_id=str(envelope.event_id), trace_id=format(span.trace_id, "032x"))


def probe_definition(behaviour: ProbeBehaviour, name: str = "probe") -> ServiceDefinition:
    def deps(ctx: ServiceContext) -> ProbeDeps:
        return ProbeDeps(ctx.name, ctx.settings, ctx.clock, ctx.blobs, ctx.uow, behaviour=behaviour)

    return ServiceDefinition(
        name=name,
        metadata=metadata,
        migrations=Path("/nonexistent"),
        routers=lambda ctx: [router],
        handlers=handlers,
        deps=deps,
    )


def effect_rows(engine: sa.Engine) -> list[sa.Row[Any]]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(effects)))

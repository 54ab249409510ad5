"""A tiny service used by the runtime's own tests: it records each Ping it handles."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import sqlalchemy as sa
from fastapi import APIRouter
from opentelemetry import trace

from certreg_contracts.events.platform import Ping
from certreg_runtime.api import UowDep
from certreg_runtime.db import service_base
from certreg_runtime.messaging import UnitOfWork
from certreg_runtime.service import ServiceContext, ServiceDefinition

Base = service_base("probe")
effects = sa.Table(
    "effects",
    Base.metadata,
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


def probe_definition(behaviour: ProbeBehaviour, name: str = "probe") -> ServiceDefinition:
    def on_ping(uow: UnitOfWork, event: Ping, envelope) -> None:  # type: ignore[no-untyped-def]
        with behaviour.lock:
            behaviour.calls += 1
        if behaviour.broken:
            raise RuntimeError("boom: the handler is broken")
        span = trace.get_current_span().get_span_context()
        uow.session.execute(effects.insert().values(event_id=str(envelope.event_id), seq=event.seq, trace_id=format(span.trace_id, "032x")))
        behaviour.handled_at[event.seq] = time.perf_counter()  # the runtime commits right after

    def routers(ctx: ServiceContext) -> list[APIRouter]:
        router = APIRouter()

        @router.post("/pings", status_code=202)
        def ping(uow: UowDep, seq: int = 0) -> dict[str, str]:
            envelope = uow.emit(Ping(seq=seq))
            uow.commit()
            span = trace.get_current_span().get_span_context()
            return {"event_id": str(envelope.event_id), "trace_id": format(span.trace_id, "032x")}

        return [router]

    return ServiceDefinition(
        name=name,
        metadata=Base.metadata,
        migrations=Path("/nonexistent"),
        routers=routers,
        handlers=lambda ctx: {Ping.routing_key: on_ping},
    )


def effect_rows(engine: sa.Engine) -> list[sa.Row]:  # type: ignore[type-arg]
    with engine.connect() as conn:
        return list(conn.execute(sa.select(effects)))

"""A service, put together: its definition (what it owns), its context (the adapters it
is given) and the runner that starts and stops it. One composition root per service:
``ServiceRunner`` builds everything when asked to, nothing is built at import time."""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import inspect
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.fastapi import _get_default_span_details as route_span_details
from opentelemetry.util.http import ExcludeList
from pydantic_settings import BaseSettings
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp

from certreg_contracts import Envelope, Event
from certreg_contracts.subscriptions import CONSUMERS
from certreg_runtime.admission import Admission, AdmissionMiddleware
from certreg_runtime.aio import cancel_all
from certreg_runtime.auth import HttpJwks, JwksSource, TokenVerifier
from certreg_runtime.batching import Batches, Item
from certreg_runtime.bus import Bus, topic_matches
from certreg_runtime.clock import Clock, SystemClock, clock_from_settings
from certreg_runtime.db import create_db_engine
from certreg_runtime.faults import is_transient
from certreg_runtime.handlers import Handlers
from certreg_runtime.idempotency import TABLE as IDEMPOTENCY_TABLE
from certreg_runtime.idempotency import purge_expired
from certreg_runtime.messaging import UnitOfWork, record_processed, record_processed_many
from certreg_runtime.migrations import upgrade
from certreg_runtime.orphans import BlobRows, Sweep, sweep_bucket
from certreg_runtime.readiness import DependencyChecks
from certreg_runtime.relay import OutboxRelay
from certreg_runtime.settings import Settings, service_config
from certreg_runtime.storage import BlobStore
from certreg_runtime.telemetry import TraceSwitch
from certreg_runtime.web import ApiHeadersMiddleware, CorrelationMiddleware, install_error_handlers

log = logging.getLogger(__name__)

EventHandler = Callable[[UnitOfWork, Event, Envelope], None]
"""Runs in a worker thread, in one transaction with the inbox record; commit is done
by the runtime. It may ``uow.emit(...)`` further events. Services declare theirs with
``certreg_runtime.handlers.Handlers``."""

BackgroundTask = Callable[[], Awaitable[None]]

PURGE_EVERY_SECONDS = 3600.0


@dataclass
class Deps:
    """What a use case needs besides its input: a unit of work, the clock, the blob store,
    the settings. Built from the service context in production and from fakes in a unit
    test (``certreg_testing.unit``), so that a command runs in milliseconds without the
    platform. A service that needs more (its keys, its mailer) subclasses it."""

    service: str
    settings: Settings
    clock: Clock
    blobs: BlobStore | None
    uow_factory: Callable[..., UnitOfWork]

    def uow(self, *, cause: Envelope | None = None, correlation_id: uuid.UUID | None = None) -> UnitOfWork:
        return self.uow_factory(cause=cause, correlation_id=correlation_id)

    def reads(self) -> UnitOfWork:
        """A unit of work that only reads (a page, a list): on PostgreSQL its statements run
        in autocommit, without the ``BEGIN``/``ROLLBACK`` round trips
        (``certreg_runtime.messaging.reading_engine``). Never to write nor lock in."""
        return self.uow_factory(read_only=True)

    def bucket(self, purpose: str = "documents") -> str:
        return self.settings.bucket(self.service, purpose)

    @property
    def storage(self) -> BlobStore:
        """The blob store of a service that declares buckets (always configured then)."""
        if self.blobs is None:
            raise RuntimeError(f"{self.service} has no blob store")
        return self.blobs


@dataclass
class ServiceContext:
    """What a service is given: its settings and adapters."""

    name: str
    settings: Settings
    engine: Engine
    metadata: sa.MetaData
    bus: Bus
    blobs: BlobStore | None
    clock: SystemClock
    verifier: TokenVerifier
    relay: OutboxRelay
    extras: dict[str, Any] = field(default_factory=dict)
    # The service's own settings (``ServiceDefinition.config``), None when it has none.
    config: Any = None
    # What the service's commands and handlers are given (``ServiceDefinition.deps``).
    deps: Any = None
    # The readiness checks, bounded in time (``/readyz``).
    checks: DependencyChecks = field(default_factory=DependencyChecks)

    def uow(self, *, cause: Envelope | None = None, correlation_id: uuid.UUID | None = None, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(
            self.engine,
            self.metadata,
            self.name,
            cause=cause,
            correlation_id=correlation_id,
            on_commit=self.relay.wake,
            read_only=read_only,
        )

    def bucket(self, purpose: str = "documents") -> str:
        return self.settings.bucket(self.name, purpose)

    def base_deps(self) -> Deps:
        return Deps(self.name, self.settings, self.clock, self.blobs, self.uow)


@dataclass
class ServiceDefinition:
    """What a service owns. Each service package exposes one, built by a function."""

    name: str
    metadata: sa.MetaData
    migrations: Path
    routers: Callable[[ServiceContext], list[APIRouter]]
    # The event handlers, bound to exactly CONSUMERS[name] (None: consumes nothing).
    handlers: Handlers[Any] | None = None
    # What commands and handlers are given, built once from the context.
    deps: Callable[[ServiceContext], Any] = ServiceContext.base_deps
    # The service's own settings class (read from CERTREG_* like the shared ones).
    config: type[BaseSettings] | None = None
    # long-running coroutines (sweepers, mail sender), started after the bus.
    background: Callable[[ServiceContext], list[BackgroundTask]] = lambda ctx: []
    # bucket purposes this service stores blobs in ("documents", "letters"…).
    buckets: tuple[str, ...] = ()
    # For each bucket purpose, the columns holding the keys of its objects: an object no
    # row names is deleted once older than ``orphan_grace_seconds`` (``certreg_runtime.orphans``).
    blob_rows: BlobRows = field(default_factory=dict)
    # run once at start, after migrations (e.g. identity's signing key).
    on_start: Callable[[ServiceContext], None] | None = None
    description: str = ""


class ServiceRunner:
    def __init__(
        self,
        definition: ServiceDefinition,
        settings: Settings,
        bus: Bus,
        *,
        blobs: BlobStore | None = None,
        jwks: JwksSource | None = None,
        clock: SystemClock | None = None,
        engine: Engine | None = None,
        threads: int | None = None,
    ) -> None:
        """``threads``: the worker threads of sync routes of the process (by default the
        settings' for this service alone): the pool is sized so that none ever waits."""
        self.definition = definition
        name = definition.name
        settings.check_service(name, stores_blobs=bool(definition.buckets))
        if unnamed := set(definition.buckets) ^ set(definition.blob_rows):
            raise ValueError(
                f"{name}: say which columns name the objects of each bucket, and only of its buckets "
                f"(ServiceDefinition.blob_rows); not so for: {', '.join(sorted(unnamed))}"
            )
        threads = threads or settings.threads_for([name])
        engine = engine or create_db_engine(
            settings.database_url_for(name),
            pool_size=settings.pool_size_for(name, threads),
            pool_timeout=settings.db_pool_timeout_seconds,
            prepared_statements=settings.db_prepared_statements,
        )
        relay = OutboxRelay(engine, definition.metadata, bus, poll_seconds=settings.outbox_poll_seconds)
        checks = DependencyChecks(settings.readiness_timeout_seconds)
        if jwks is None:
            bases = (settings.identity_url or settings.public_url).split(",")
            jwks = HttpJwks([f"{base.strip().rstrip('/')}/api/identity/.well-known/jwks.json" for base in bases if base.strip()])
        self.ctx = ServiceContext(
            name=name,
            settings=settings,
            engine=engine,
            metadata=definition.metadata,
            bus=bus,
            blobs=blobs,
            clock=clock or clock_from_settings(settings.clock_offset_file),
            verifier=TokenVerifier(jwks, issuer=settings.jwt_issuer, audience=settings.jwt_audience),
            relay=relay,
            checks=checks,
        )
        if definition.config is not None:
            self.ctx.config = service_config(definition.config, settings)
        self.ctx.deps = definition.deps(self.ctx)
        # A service of the platform binds exactly what the contracts say it consumes
        # (test probes, not in CONSUMERS, bind what they like).
        registry = definition.handlers or Handlers[Any](name)
        if name in CONSUMERS:
            registry.check(CONSUMERS[name])
        self.handlers = registry.bind(self.ctx.deps)
        if self.handlers:
            bus.subscribe(name, sorted(self.handlers), self._dispatch)
        self.batches = Batches[tuple[EventHandler, Envelope]](
            self._handle_batch, max_batch=settings.bus_handler_batch, workers=settings.bus_handler_workers
        )
        self.app = build_app(definition, self.ctx, threads=threads)
        self._tasks: list[asyncio.Task[None]] = []

    def migrate(self) -> None:
        upgrade(self.definition, self.ctx.engine)

    async def start(self, *, migrate: bool = False) -> None:
        """Call after the bus has started (and, better, migrate before starting the bus)."""
        if migrate:
            await asyncio.to_thread(self.migrate)
        if self.ctx.blobs is not None:
            for purpose in self.definition.buckets:
                await asyncio.to_thread(self.ctx.blobs.ensure_bucket, self.ctx.bucket(purpose))
        if self.definition.on_start:
            await asyncio.to_thread(self.definition.on_start, self.ctx)
        await self.ctx.relay.start()
        for task in self.definition.background(self.ctx):
            self._tasks.append(asyncio.create_task(_forever(task, self.definition.name)))
        if IDEMPOTENCY_TABLE in self.ctx.metadata.tables:
            self._tasks.append(asyncio.create_task(_forever(self._purge_idempotency_keys, self.definition.name)))
        if self.definition.buckets and self.ctx.blobs is not None:
            self._tasks.append(asyncio.create_task(_forever(self._sweep_orphans, self.definition.name)))

    async def stop(self) -> None:
        await cancel_all(self._tasks, f"{self.definition.name} background")
        await self.ctx.relay.stop()
        self.ctx.engine.dispose()

    async def _purge_idempotency_keys(self) -> None:
        """The idempotency keys past their time, deleted every ``PURGE_EVERY_SECONDS``."""
        while True:
            try:
                purged = await asyncio.to_thread(purge_expired, self.ctx.engine)
                if purged:
                    log.info("%s: %d expired idempotency key(s) purged", self.definition.name, purged)
            except Exception as exc:
                log.warning("%s: purging the expired idempotency keys failed (%s); will retry", self.definition.name, type(exc).__name__)
            await asyncio.sleep(PURGE_EVERY_SECONDS)

    def sweep_orphans(self) -> list[Sweep]:
        """One sweep of every bucket of the service (``certreg_runtime.orphans``)."""
        blobs = self.ctx.blobs
        if blobs is None:
            return []
        grace = timedelta(seconds=self.ctx.settings.orphan_grace_seconds)
        return [
            sweep_bucket(self.ctx.engine, blobs, self.ctx.bucket(purpose), self.definition.blob_rows[purpose], grace=grace)
            for purpose in self.definition.buckets
        ]

    async def _sweep_orphans(self) -> None:
        """Every ``orphan_sweep_seconds``, from the start."""
        while True:
            try:
                for sweep in await asyncio.to_thread(self.sweep_orphans):
                    if sweep.deleted:
                        log.warning("%s: %d orphan object(s) deleted from %s", self.definition.name, len(sweep.deleted), sweep.bucket)
            except Exception as exc:
                log.warning("%s: the sweep of orphan objects failed (%s); will retry", self.definition.name, type(exc).__name__)
            await asyncio.sleep(self.ctx.settings.orphan_sweep_seconds)

    def handler_for(self, routing_key: str) -> EventHandler | None:
        handler = self.handlers.get(routing_key)
        if handler is None:
            handler = next((h for p, h in self.handlers.items() if topic_matches(p, routing_key)), None)
        return handler

    async def _dispatch(self, envelope: Envelope) -> None:
        handler = self.handler_for(envelope.type)
        if handler is None:
            return
        await self.batches.submit((handler, envelope))

    def _handle_batch(self, batch: Sequence[Item[tuple[EventHandler, Envelope]]]) -> list[BaseException | None]:
        """Deliveries that arrived together, in one transaction (``certreg_runtime.batching``):
        each effect with its inbox record, committed together. When a handler fails, the
        transaction is rolled back, that delivery gets its error (its handler ran once, as
        it would alone) and the others are handled again without it. A transient failure
        (the database down) is also that of the deliveries not yet tried: the bus retries
        them all later, and those before it are handled again without them."""
        if len(batch) == 1:
            try:
                batch[0].context.run(self._handle, *batch[0].value)
                return [None]
            except Exception as exc:
                return [exc]
        current: int | None = None
        try:
            with self.ctx.uow() as uow:
                # The inbox records first, in one statement: only the deliveries not
                # handled before (once each) run their handler.
                fresh = record_processed_many(uow.session, self.ctx.metadata, self.definition.name, [item.value[1] for item in batch])
                for index, item in enumerate(batch):
                    current = index
                    handler, envelope = item.value
                    event_id = str(envelope.event_id)
                    if event_id not in fresh:
                        log.info("event already handled", extra={"event_id": event_id, "event_type": envelope.type})
                        continue
                    fresh.discard(event_id)
                    item.context.run(self._apply, uow, handler, envelope, recorded=True)
                current = None  # the commit's failure is no delivery's own
                uow.commit()
            return [None] * len(batch)
        except Exception as exc:
            transient = is_transient(exc)
            if current is None:  # the commit failed
                return [exc] * len(batch) if transient else [outcome for item in batch for outcome in self._handle_batch([item])]
            if transient:  # the infrastructure: those not yet tried would fail alike, retried later by the bus
                done = self._handle_batch(batch[:current]) if current else []
                return done + [exc] * (len(batch) - current)
            rest = self._handle_batch([item for i, item in enumerate(batch) if i != current])
            rest.insert(current, exc)
            return rest

    def _apply(self, uow: UnitOfWork, handler: EventHandler, envelope: Envelope, *, recorded: bool = False) -> bool:
        """The effect and the inbox record, in ``uow``; False when already handled.
        ``recorded``: the inbox record is already written in ``uow``."""
        event = envelope.open()
        uow.handling(envelope)
        if not recorded and not record_processed(uow.session, self.ctx.metadata, self.definition.name, envelope):
            log.info("event already handled", extra={"event_id": str(envelope.event_id), "event_type": envelope.type})
            return False
        handler(uow, event, envelope)
        return True

    def _handle(self, handler: EventHandler, envelope: Envelope) -> None:
        """The effect and the inbox record in one transaction: a redelivery does nothing."""
        with self.ctx.uow(cause=envelope) as uow:
            if self._apply(uow, handler, envelope):
                uow.commit()


async def _forever(task: BackgroundTask, service: str) -> None:
    """A background loop that survives its own failures (logged, then restarted)."""
    while True:
        try:
            await task()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background task of %s failed; restarting", service)
            await asyncio.sleep(5)


class ServiceApp(FastAPI):
    """A service's app: a server span per request, its context going into the outbox
    rows the request writes — recorded only when spans are exported (``TraceSwitch``:
    the ids flow either way); outside it, ``admission``'s limits of requests at once."""

    def __init__(self, *, admission: Admission | None = None, **kwargs: Any) -> None:
        self.admission = admission  # its limits of requests at once (certreg_runtime.admission)
        # FastAPI's own telemetry off: the server span is this app's (above), and FastAPI's
        # wrapper and per-operation spans cost ~5 % of a list request's CPU for spans the
        # sampler drops when nothing exports them (py-spy, issue 16).
        super().__init__(telemetry={"tracing": False, "metrics": False, "logs": False}, **kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        plain = super().build_middleware_stack()
        instrumented = OpenTelemetryMiddleware(plain, excluded_urls=EXCLUDED_URLS, default_span_details=route_span_details)
        switched = TraceSwitch(instrumented, plain)
        return AdmissionMiddleware(switched, self.admission) if self.admission else switched


EXCLUDED_URLS = ExcludeList(["healthz", "readyz"])


def build_app(definition: ServiceDefinition, ctx: ServiceContext, *, threads: int | None = None) -> FastAPI:
    """``threads``: the worker threads of the process's sync routes (its admission limits)."""
    name = definition.name
    threads = threads or ctx.settings.threads_for([name])
    reads, writes = ctx.settings.admission_for(name, threads)
    app = ServiceApp(
        admission=Admission(name, reads=reads, writes=writes, wait=ctx.settings.admission_wait_seconds, floor=threads),
        title=f"certreg {name}",
        description=definition.description,
        openapi_url=f"/api/{name}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    app.add_middleware(CorrelationMiddleware)
    app.add_middleware(ApiHeadersMiddleware)
    if ctx.settings.environment != "production":
        add_docs_page(app, name)

    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": name}

    async def readyz() -> JSONResponse:
        checks = await readiness(definition, ctx)
        ok = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ok else "unavailable", "service": name, "checks": checks},
            status_code=200 if ok else 503,
        )

    for prefix in ("", f"/api/{name}"):
        app.add_api_route(f"{prefix}/healthz", healthz, methods=["GET"], include_in_schema=bool(prefix), tags=["health"])
        app.add_api_route(f"{prefix}/readyz", readyz, methods=["GET"], include_in_schema=bool(prefix), tags=["health"])
    # After the health routes, so that a service's "/{id}" route cannot shadow them.
    for router in definition.routers(ctx):
        app.include_router(in_one_hop(router), prefix=f"/api/{name}")
    return app


def in_one_hop(router: APIRouter) -> APIRouter:
    """Each sync route of ``router`` run in one worker thread hop instead of two (issue 16).

    FastAPI runs a sync endpoint in a worker thread, then validates its answer against
    the response model in *another* worker thread hop (it does so on the event loop
    only for an ``async def`` endpoint). Each hop hands the request to a thread and
    back, under the GIL: at 50 connections they were a good part of a read's CPU. Here
    a sync endpoint becomes an ``async def`` that awaits the same function in a worker
    thread — the same thread pool, the same arguments, its signature and globals kept
    (``functools.wraps``) — so FastAPI validates the (already built) answer on the loop.
    Generator endpoints are left as they are. Idempotent: a router is shared by every
    app built from it."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        call = route.endpoint
        if inspect.iscoroutinefunction(call) or inspect.isgeneratorfunction(call) or inspect.isasyncgenfunction(call):
            continue
        if not inspect.isfunction(call):
            continue
        route.endpoint = _in_a_worker_thread(call)
    return router


def _in_a_worker_thread(call: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(call)
    async def endpoint(*args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(call, *args, **kwargs)

    return endpoint


DOCS_CDN = "https://cdn.jsdelivr.net"


def add_docs_page(app: FastAPI, name: str) -> None:
    """``/api/<name>/docs``, Swagger UI, outside production only: it loads its script from
    a CDN, which the portal's origin must not trust where real accounts are. Its page is
    held by a CSP naming that CDN and the hash of its one inline script; in production
    the route does not exist (the OpenAPI document stays at ``/api/<name>/openapi.json``)."""
    page = get_swagger_ui_html(openapi_url=f"/api/{name}/openapi.json", title=f"certreg {name} — API", swagger_favicon_url="data:,")
    html = bytes(page.body).decode()
    inline = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in inline)
    csp = (
        f"default-src 'none'; script-src {DOCS_CDN} {hashes}; style-src {DOCS_CDN}; img-src {DOCS_CDN} data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )

    async def docs() -> HTMLResponse:
        return HTMLResponse(html, headers={"Content-Security-Policy": csp, "Cache-Control": "no-store"})

    app.add_api_route(f"/api/{name}/docs", docs, methods=["GET"], include_in_schema=False)


async def readiness(definition: ServiceDefinition, ctx: ServiceContext) -> dict[str, bool]:
    """Each dependency answers within ``readiness_timeout_seconds`` (2 s), or the service
    is not ready. The checks run at once, each bounded (``certreg_runtime.readiness``)."""
    checks = ctx.checks
    timeout = ctx.settings.readiness_timeout_seconds

    def database() -> bool:
        with ctx.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True

    names = ["database"]
    pending: list[Awaitable[bool]] = [checks.blocking("database", database, timeout)]
    if definition.buckets and ctx.blobs is not None:
        blobs = ctx.blobs
        buckets = [ctx.bucket(p) for p in definition.buckets]
        names.append("storage")
        pending.append(checks.blocking("storage", lambda: all(blobs.ping(b) for b in buckets), timeout))
    names.append("broker")
    pending.append(checks.awaitable("broker", ctx.bus.ping(), timeout))
    results = await asyncio.gather(*pending)
    return dict(zip(names, results, strict=True))


__all__ = ["Deps", "EventHandler", "ServiceContext", "ServiceDefinition", "ServiceRunner", "build_app"]

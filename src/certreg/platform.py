"""Composition of the whole platform: which services exist, and how they are started
in one process (embedded) or one per process (distributed)."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from starlette.types import ASGIApp

from certreg_contracts.types import SERVICES
from certreg_runtime.bus import Bus, create_bus
from certreg_runtime.contacts import Contacts
from certreg_runtime.service import ServiceDefinition, ServiceRunner, readiness
from certreg_runtime.settings import Settings, service_config
from certreg_runtime.storage import create_blob_store

log = logging.getLogger(__name__)


def definitions() -> dict[str, ServiceDefinition]:
    """Every service's definition, in start order (identity first: it signs tokens)."""
    import entities.service
    import filings.service
    import identity.service
    import notifier.service
    import review.service

    defs = [m.definition() for m in (identity.service, entities.service, filings.service, review.service, notifier.service)]
    return {d.name: d for d in defs}


class Platform:
    """Services sharing one bus and one blob store in this process."""

    def __init__(self, settings: Settings, names: Sequence[str] = SERVICES, *, bus: Bus | None = None) -> None:
        self.settings = settings
        self.bus = bus or create_bus(settings)
        blobs = create_blob_store(settings)
        defs = definitions()
        self.runners: dict[str, ServiceRunner] = {}
        jwks = self._in_process_jwks if "identity" in names else None
        # One thread budget for the process (services share its worker threads).
        self.threads = settings.threads_for(names)
        for name in names:
            self.runners[name] = ServiceRunner(defs[name], settings, self.bus, blobs=blobs, jwks=jwks, threads=self.threads)

    def _in_process_jwks(self, refresh: bool = False) -> dict[str, Any]:
        # Identity's public keys straight from its runner: no HTTP call to ourselves.
        keys: Callable[[], dict[str, Any]] = self.runners["identity"].ctx.extras["jwks"]
        return keys()

    async def start(self, *, migrate: bool) -> None:
        use_threads(self.threads, self.settings.background_threads)
        if migrate:  # before the bus delivers anything to handlers that need the tables
            for runner in self.runners.values():
                await asyncio.to_thread(runner.migrate)
        await self.bus.start()
        for runner in self.runners.values():
            await runner.start()

    async def stop(self) -> None:
        for runner in reversed(list(self.runners.values())):
            await runner.stop()
        await self.bus.close()

    @asynccontextmanager
    async def lifespan(self, _: FastAPI | None = None, *, migrate: bool = True) -> AsyncIterator[None]:
        await self.start(migrate=migrate)
        try:
            yield
        finally:
            await self.stop()

    async def readiness(self) -> dict[str, bool]:
        results = await asyncio.gather(*(readiness(r.definition, r.ctx) for r in self.runners.values()))
        return {f"{name}.{check}": ok for name, checks in zip(self.runners, results, strict=False) for check, ok in checks.items()}


_BACKGROUND_EXECUTORS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[ThreadPoolExecutor, int]] = weakref.WeakKeyDictionary()


def use_threads(http_threads: int, background_threads: int) -> None:
    """The running loop's thread budget: ``http_threads`` for sync routes (anyio's
    limiter, what FastAPI and Starlette use) and ``background_threads`` for handlers,
    relays and jobs (``asyncio.to_thread``), so that neither can take the other's
    threads, and each engine's pool has a connection for every one of them."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = http_threads
    loop = asyncio.get_running_loop()
    current = _BACKGROUND_EXECUTORS.get(loop)
    if current is None or current[1] != background_threads:
        executor = ThreadPoolExecutor(max_workers=background_threads, thread_name_prefix="certreg-background")
        loop.set_default_executor(executor)
        _BACKGROUND_EXECUTORS[loop] = (executor, background_threads)
        if current is not None:
            current[0].shutdown(wait=False)


def embedded_app(settings: Settings, *, platform: Platform | None = None) -> tuple[ASGIApp, Platform]:
    """Every service in this process behind the gateway (``certreg up``)."""
    from gateway.app import create_gateway

    platform = platform or Platform(settings)
    targets = {name: runner.app for name, runner in platform.runners.items()}
    contacts = service_config(Contacts, settings)
    gateway = create_gateway(
        targets,
        lifespan=platform.lifespan,
        readiness=platform.readiness,
        contacts=contacts,
        hsts=settings.hsts_header(),
        trusted_proxies=settings.trusted_networks,
    )
    return gateway, platform


def gateway_from_environment() -> ASGIApp:
    """The gateway of one worker process (``certreg serve gateway --workers N``)."""
    from certreg_runtime.settings import load_settings
    from certreg_runtime.telemetry import setup_logging, setup_tracing

    settings = load_settings()
    setup_logging("gateway", settings.log_level)
    setup_tracing("gateway")
    return service_app(settings, "gateway")


def service_app(settings: Settings, name: str) -> ASGIApp:
    """One service in its own process (``certreg serve NAME``)."""
    if name == "gateway":
        from gateway.app import create_gateway

        targets = {s: url for s in SERVICES if (url := settings.service_url(s))}
        missing = [s for s in SERVICES if s not in targets]
        if missing:
            raise SystemExit(f"the gateway needs CERTREG_<SERVICE>_URL for: {', '.join(missing)}")
        return create_gateway(
            targets, contacts=service_config(Contacts, settings), hsts=settings.hsts_header(), trusted_proxies=settings.trusted_networks
        )
    platform = Platform(settings, [name])
    app = platform.runners[name].app
    app.router.lifespan_context = partial(platform.lifespan, migrate=settings.auto_migrate)
    return app

"""The gateway's own routes: health, readiness of the whole platform, the UIs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from functools import partial

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from starlette.types import ASGIApp

from certreg_runtime.clients import Network
from certreg_runtime.contacts import Contacts
from certreg_runtime.telemetry import TraceSwitch
from certreg_runtime.web import ApiHeadersMiddleware
from gateway.proxy import Gateway, upstream_urls
from gateway.ui import mount_ui

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
Readiness = Callable[[], Awaitable[dict[str, bool]]]

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok", "service": "gateway"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    readiness: Readiness = request.app.state.readiness
    checks = await readiness()
    ok = all(checks.values())
    return JSONResponse({"status": "ready" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)


def create_gateway(
    targets: Mapping[str, ASGIApp | str],
    *,
    lifespan: Lifespan | None = None,
    readiness: Readiness | None = None,
    contacts: Contacts | None = None,
    hsts: str | None = None,
    trusted_proxies: tuple[Network, ...] = (),
) -> ASGIApp:
    """``targets``: service name → in-process ASGI app or base URL. ``lifespan`` and
    ``readiness`` are the in-process services' (embedded mode); without them the gateway
    asks each base URL's ``/readyz``. ``contacts``: what the pages give (the environment's
    ``CERTREG_*`` by default). ``hsts``: the ``Strict-Transport-Security`` value sent on
    every answer (``Settings.hsts_header()``), None for none. ``trusted_proxies``: whose
    ``X-Forwarded-For`` is believed (``Settings.trusted_networks``; none by default)."""
    # FastAPI's own telemetry off: the gateway's server span is its TraceSwitch's (below), as in ServiceApp.
    app = FastAPI(
        title="certreg gateway",
        lifespan=_lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    gateway = Gateway(targets, app, trusted_proxies=trusted_proxies)
    app.state.gateway = gateway
    app.state.services_lifespan = lifespan
    app.state.readiness = readiness or partial(_remote_readiness, targets)
    app.include_router(router)
    mount_ui(app, contacts or Contacts())  # the public portal and the back office
    outer: ASGIApp = gateway
    if hsts:
        outer = ApiHeadersMiddleware(gateway, ((b"strict-transport-security", hsts.encode("latin-1")),))
    # The server span of each request, recorded only when spans are exported.
    return TraceSwitch(OpenTelemetryMiddleware(outer), outer)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The in-process services' lifespan, if any; the proxy's HTTP client closed after them."""
    gateway: Gateway = app.state.gateway
    services: Lifespan | None = app.state.services_lifespan
    if gateway.upstreams:
        raise_open_files()
    async with AsyncExitStack() as stack:
        stack.push_async_callback(gateway.aclose)
        if services is not None:
            await stack.enter_async_context(services(app))
        yield


async def _remote_readiness(targets: Mapping[str, ASGIApp | str]) -> dict[str, bool]:
    async with httpx.AsyncClient(timeout=5) as client:

        async def member(base: str) -> bool:
            try:
                response = await client.get(f"{base}/readyz")
                return response.status_code == 200
            except httpx.HTTPError:
                return False

        async def one(name: str, target: str) -> tuple[str, bool]:
            # A load-balanced set is ready when one of its members is.
            return name, any(await asyncio.gather(*(member(base) for base in upstream_urls(target))))

        results = await asyncio.gather(*(one(n, t) for n, t in targets.items() if isinstance(t, str)))
    return dict(results)


def raise_open_files() -> None:
    """As many open files as the system lets this process have: the gateway holds its
    clients' connections and up to ``MAX_CONNECTIONS`` to each service, past the usual
    soft limit of 1,024."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))

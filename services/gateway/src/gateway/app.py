"""The gateway's own routes: health, readiness of the whole platform, the UIs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from starlette.types import ASGIApp

from gateway.proxy import Gateway
from gateway.ui import mount_ui

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_gateway(
    targets: Mapping[str, ASGIApp | str],
    *,
    lifespan: Lifespan | None = None,
    readiness: Callable[[], Awaitable[dict[str, bool]]] | None = None,
) -> ASGIApp:
    """``targets``: service name → in-process ASGI app or base URL."""
    gateway: Gateway

    @asynccontextmanager
    async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
        if lifespan is None:
            yield
        else:
            async with lifespan(app):
                yield
        await gateway.aclose()

    app = FastAPI(title="certreg gateway", lifespan=_lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "gateway"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        checks = await (readiness() if readiness else _remote_readiness(targets))
        ok = all(checks.values())
        return JSONResponse({"status": "ready" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)

    mount_ui(app)  # the public portal and the back office
    gateway = Gateway(targets, app)
    return OpenTelemetryMiddleware(gateway)


async def _remote_readiness(targets: Mapping[str, ASGIApp | str]) -> dict[str, bool]:
    async with httpx.AsyncClient(timeout=5) as client:

        async def one(name: str, base: str) -> tuple[str, bool]:
            try:
                response = await client.get(f"{base.rstrip('/')}/readyz")
                return name, response.status_code == 200
            except httpx.HTTPError:
                return name, False

        results = await asyncio.gather(*(one(n, t) for n, t in targets.items() if isinstance(t, str)))
    return dict(results)

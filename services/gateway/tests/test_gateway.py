"""The gateway on its own: its health and readiness, the UI pages and their headers, and
the routing of ``/api/<service>/…`` to an in-process app or (streamed) to a base URL."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.types import ASGIApp, Message

from certreg_runtime.contacts import Contacts
from certreg_testing.infra import free_port
from gateway.app import create_gateway
from gateway.ui import CSP, ROUTES


def echo_service(name: str) -> FastAPI:
    """A stand-in service that answers with what it received."""
    app = FastAPI()

    @app.get("/api/stream/chunks")
    async def chunks() -> StreamingResponse:
        async def parts() -> AsyncIterator[bytes]:
            for i in range(3):
                yield f"part{i};".encode()

        return StreamingResponse(parts(), media_type="text/plain")

    @app.api_route("/api/{name}/{rest:path}", methods=["GET", "POST"])
    async def echo(request: Request) -> JSONResponse:
        body = await request.body()
        return JSONResponse(
            {
                "service": name,
                "path": request.url.path,
                "query": request.url.query,
                "body": body.decode(),
                "headers": {k: v for k, v in request.headers.items() if k.startswith("x-") or k in ("connection", "keep-alive")},
            },
            headers={"x-from": name},
        )

    return app


@pytest.fixture
def upstream() -> Iterator[str]:
    """``echo_service`` behind a real HTTP server, for the base-URL targets."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(echo_service("remote"), host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the upstream server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@asynccontextmanager
async def running(app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan started and stopped as a server does, and a client on it."""
    to_app: asyncio.Queue[Message] = asyncio.Queue()
    from_app: asyncio.Queue[Message] = asyncio.Queue()

    async def lifespan_protocol() -> None:
        await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, to_app.get, from_app.put)

    lifespan = asyncio.create_task(lifespan_protocol())
    await to_app.put({"type": "lifespan.startup"})
    assert (await from_app.get())["type"] == "lifespan.startup.complete"
    try:
        transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 4567))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client
    finally:
        await to_app.put({"type": "lifespan.shutdown"})
        assert (await from_app.get())["type"] == "lifespan.shutdown.complete"
        await lifespan


async def test_health_and_in_process_readiness() -> None:
    async def readiness() -> dict[str, bool]:
        return {"identity.database": True, "filings.broker": False}

    async with running(create_gateway({}, readiness=readiness)) as c:
        assert (await c.get("/healthz")).json() == {"status": "ok", "service": "gateway"}
        ready = await c.get("/readyz")
        assert ready.status_code == 503
        assert ready.json() == {"status": "unavailable", "checks": {"identity.database": True, "filings.broker": False}}


async def test_remote_readiness_asks_each_service_by_url(upstream: str) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    async with running(create_gateway({"identity": upstream, "review": down, "entities": echo_service("entities")})) as c:
        ready = await c.get("/readyz")
        # upstream answers /readyz with 404 (it has no such route): not ready; in-process targets are not asked.
        assert ready.status_code == 503 and ready.json()["checks"] == {"identity": False, "review": False}


async def test_the_lifespan_given_runs_around_the_gateway() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        events.append("start")
        yield
        events.append("stop")

    async with running(create_gateway({}, lifespan=lifespan)) as c:
        assert events == ["start"]
        await c.get("/healthz")
    assert events == ["start", "stop"]


async def test_api_paths_go_to_the_in_process_service() -> None:
    async with running(create_gateway({"filings": echo_service("filings")})) as c:
        answer = await c.post("/api/filings/abc/submit?x=1", content=b"hello")
        assert answer.status_code == 200 and answer.headers["x-from"] == "filings"
        assert answer.json()["path"] == "/api/filings/abc/submit" and answer.json()["body"] == "hello"
        assert (await c.get("/api/review/cases")).status_code == 404  # not a target: the UI app answers
        assert (await c.get("/api/nosuchservice/healthz")).status_code == 404


async def test_api_paths_are_streamed_to_a_base_url(upstream: str) -> None:
    async with running(create_gateway({"filings": upstream, "stream": upstream})) as c:
        answer = await c.post(
            "/api/filings/abc/documents?kind=cv&n=2",
            content=b"x" * 300_000,
            headers={"x-correlation-id": "c-1", "keep-alive": "timeout=5", "traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"},
        )
        assert answer.status_code == 200 and answer.headers["x-from"] == "remote"
        got = answer.json()
        assert got["path"] == "/api/filings/abc/documents" and got["query"] == "kind=cv&n=2"
        assert got["body"] == "x" * 300_000
        assert got["headers"]["x-correlation-id"] == "c-1"
        assert got["headers"]["x-forwarded-for"] == "10.1.2.3" and got["headers"]["x-forwarded-proto"] == "http"
        assert "keep-alive" not in got["headers"]  # hop-by-hop headers stay on their hop
        assert (await c.get("/api/stream/chunks")).text == "part0;part1;part2;"


async def test_a_client_x_forwarded_for_is_believed_only_from_a_trusted_proxy(upstream: str) -> None:
    """Issue 11, point 4: the client (10.1.2.3) claims another address; the service hears
    the peer's, in both modes; behind a trusted proxy, the address the proxy saw."""
    spoofed = {"X-Forwarded-For": "198.51.100.7"}
    seen: list[str] = []
    in_process = FastAPI()

    @in_process.get("/api/identity/whoami")
    async def whoami(request: Request) -> dict[str, str]:
        seen.append(f"{request.client.host if request.client else ''}|{request.headers.get('x-forwarded-for', '')}")
        return {}

    async with running(create_gateway({"filings": upstream, "identity": in_process})) as c:
        assert (await c.get("/api/filings/x", headers=spoofed)).json()["headers"]["x-forwarded-for"] == "10.1.2.3"
        await c.get("/api/identity/whoami", headers=spoofed)
    assert seen == ["10.1.2.3|"]
    from certreg_runtime.clients import parse_networks

    trusted = parse_networks(["10.0.0.0/8"])  # the load balancer in front of the gateway
    async with running(create_gateway({"filings": upstream, "identity": in_process}, trusted_proxies=trusted)) as c:
        chain = {"X-Forwarded-For": "6.6.6.6, 198.51.100.7"}  # the client forged the first, the proxy added the second
        assert (await c.get("/api/filings/x", headers=chain)).json()["headers"]["x-forwarded-for"] == "198.51.100.7"
        await c.get("/api/identity/whoami", headers=chain)
    assert seen[-1] == "198.51.100.7|"


async def test_a_service_that_does_not_answer_is_a_503_in_french() -> None:
    async with running(create_gateway({"review": f"http://127.0.0.1:{free_port()}"})) as c:
        answer = await c.get("/api/review/cases")
        assert answer.status_code == 503
        assert answer.json() == {
            "detail": "Service momentanément indisponible. Réessayez dans quelques instants.",
            "code": "service_unavailable",
        }


async def test_every_page_is_served_in_its_layout_with_the_security_headers() -> None:
    async with running(create_gateway({})) as c:
        for path, name in ROUTES.items():
            page = await c.get(path.replace("{filing_id}", "f-1").replace("{number}", "RNCP12345"))
            assert page.status_code == 200, (path, name)
            assert page.headers["content-type"].startswith("text/html")
            assert page.headers["content-security-policy"] == CSP and page.headers["x-frame-options"] == "DENY"
            assert page.headers["cache-control"] == "no-cache"
            assert "<html" in page.text and "{{" not in page.text
        assert 'src="/static/js/pages/accueil.js?v=' in (await c.get("/")).text
        back = (await c.get("/back-office/")).text
        assert '<p class="fr-header__service-title">Enregistrement des certifications professionnelles — espace agents</p>' in back
        assert "back office</p>" not in back


async def test_the_services_name_in_the_header_is_the_configured_one() -> None:
    """Issue 13, point 14: a French name, configurable (CERTREG_SERVICE_NAME), never « certreg »."""
    async with running(create_gateway({}, contacts=Contacts(service_name="Certif & Pro"))) as c:
        portal, back = (await c.get("/")).text, (await c.get("/back-office/dossiers")).text
        assert '<p class="fr-header__service-title">Certif &amp; Pro</p>' in portal
        assert "<title>Accueil — Certif &amp; Pro</title>" in portal or "— Certif &amp; Pro</title>" in portal
        assert '<p class="fr-header__service-title">Certif &amp; Pro — espace agents</p>' in back
        footer = (await c.get("/mentions-legales")).text
        assert "« Certif &amp; Pro » permet aux organismes" in footer and "« Certif &amp; Pro » est la plateforme" in footer
        for text in (portal, back, footer):
            assert ">certreg" not in text and "certreg —" not in text and "certreg est" not in text


async def test_redirects_and_static_files() -> None:
    async with running(create_gateway({})) as c:
        assert (await c.get("/back-office")).headers["location"] == "/back-office/"
        assert (await c.get("/back-office")).status_code == 308
        assert (await c.get("/favicon.ico")).headers["location"] == "/static/dsfr/favicon/favicon.ico"
        script = await c.get("/static/js/api.js")
        assert script.status_code == 200 and script.headers["x-content-type-options"] == "nosniff"
        assert (await c.get("/nowhere")).status_code == 404


async def test_static_files_carry_their_hash_and_are_revalidated_compressed_and_never_read_twice() -> None:
    """Issue 16, point 4: the layout names each file with its content's hash (cached a
    year); any other URL is revalidated by ETag (304, no body); text goes gzipped."""
    async with running(create_gateway({})) as c:
        page = (await c.get("/")).text
        css = re.search(r'href="(/static/dsfr/dsfr\.min\.css\?v=\w+)"', page)
        assert css, "the layout names the DSFR stylesheet with its hash"
        versioned = await c.get(css.group(1), headers={"Accept-Encoding": "gzip"})
        assert versioned.status_code == 200 and versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert versioned.headers["content-encoding"] == "gzip" and versioned.headers["content-type"] == "text/css; charset=utf-8"
        assert int(versioned.headers["content-length"]) < len(versioned.content) / 3  # decoded by httpx
        plain = await c.get("/static/dsfr/dsfr.min.css", headers={"Accept-Encoding": "identity"})
        assert plain.headers["cache-control"] == "no-cache" and "content-encoding" not in plain.headers
        assert plain.content == versioned.content and plain.headers["etag"] == versioned.headers["etag"]
        again = await c.get("/static/dsfr/dsfr.min.css", headers={"If-None-Match": plain.headers["etag"]})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == plain.headers["etag"]
        stale = await c.get("/static/dsfr/dsfr.min.css?v=old", headers={"If-None-Match": '"old"'})
        assert stale.status_code == 200 and stale.headers["cache-control"] == "no-cache"
        head = await c.head("/static/js/api.js")
        assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) > 0
        assert head.headers["content-type"] == "text/javascript; charset=utf-8"
        font = await c.get("/static/dsfr/fonts/Marianne-Regular.woff2", headers={"Accept-Encoding": "gzip"})
        assert font.status_code == 200 and "content-encoding" not in font.headers  # compressed already
        for wrong in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/js/../../__init__.py", "/static/", "/static/js"):
            assert (await c.get(wrong)).status_code == 404, wrong
        assert (await c.post("/static/js/api.js")).status_code == 405


def test_sniffio_is_installed_for_the_proxys_http_client() -> None:
    """httpcore asks sniffio which async library runs at every lock of its pool; without
    it each ask is a failed import (16 % of the gateway's CPU per proxied request)."""
    import importlib.util

    assert importlib.util.find_spec("sniffio") is not None

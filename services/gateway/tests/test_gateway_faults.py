"""The gateway when a service fails under it (distributed mode): a connection closed
under an idempotent request is retried once on a new connection and logged; anything
else that cannot reach the service answers 503 with ``Retry-After``, logged, never a
reset."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request, Response
from starlette.types import ASGIApp

from certreg_runtime.admission import BUSY, RETRY_AFTER_SECONDS, Admission, AdmissionMiddleware
from certreg_testing.dead_ends import SilentServer, refused_port
from certreg_testing.infra import free_port
from gateway.app import create_gateway
from gateway.proxy import RETRY_BODY_LIMIT, Gateway
from services.gateway.tests.test_gateway import running

GATEWAY_LOG = "gateway.proxy"


def gateway_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == GATEWAY_LOG]


# --------------------------------------------------------------------------- a real service that fails with a 500


@pytest.fixture
def buggy_service() -> Iterator[str]:
    """A service behind uvicorn with a route that fails (500): uvicorn then closes the
    keep-alive connection, which the gateway's pool may hand to the next request."""
    app = FastAPI()

    @app.get("/api/buggy/boom")
    def boom() -> None:
        raise RuntimeError("a bug in the service")

    @app.get("/api/buggy/ok")
    def ok() -> dict[str, bool]:
        return {"ok": True}

    with served(app) as url:
        yield url


@contextlib.contextmanager
def served(app: ASGIApp) -> Iterator[str]:
    """``app`` behind a real uvicorn on a free port, in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "the service did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


async def test_the_request_after_a_500_is_not_a_503(buggy_service: str, caplog: pytest.LogCaptureFixture) -> None:
    """On the old gateway about one GET in three after a 500 got a 503 (the connection
    uvicorn closed after the 500, reused before its close was seen)."""
    caplog.set_level(logging.INFO, logger=GATEWAY_LOG)
    logging.getLogger("uvicorn.error").disabled = True  # the 500s' tracebacks
    try:
        async with running(create_gateway({"buggy": buggy_service})) as c:
            after: dict[int, int] = {}
            for _ in range(100):
                assert (await c.get("/api/buggy/boom")).status_code == 500
                status = (await c.get("/api/buggy/ok")).status_code
                after[status] = after.get(status, 0) + 1
    finally:
        logging.getLogger("uvicorn.error").disabled = False
    retried = [line for line in gateway_lines(caplog) if "sending it again once" in line]
    print(f"\nafter a 500: {after}; retried on a new connection: {len(retried)}")
    assert after == {200: 100}
    assert all("GET /api/buggy/ok (buggy): connection lost (" in line for line in retried)


# --------------------------------------------------------------------------- a scripted upstream


@dataclass
class ScriptedUpstream:
    """A keep-alive HTTP/1.1 server that answers every request with 200 and what it
    received, except that ``drop`` next requests are read and then their connection is
    closed without an answer (what a pooled connection closed by the service looks like)."""

    port: int = 0
    drop: int = 0
    requests: list[tuple[str, str, bytes, dict[str, str]]] = field(default_factory=list)
    connections: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                request_line, *lines = head.decode("latin-1").split("\r\n")
                method, path, _ = request_line.split(" ", 2)
                headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines if line)}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.requests.append((method, path, body, headers))
                if self.drop > 0:
                    self.drop -= 1
                    return
                payload = json.dumps({"n": len(self.requests), "size": len(body)}).encode()
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(payload), payload))
                await writer.drain()
        finally:
            with contextlib.suppress(Exception):
                writer.close()


@pytest.fixture
async def scripted() -> AsyncIterator[ScriptedUpstream]:
    upstream = ScriptedUpstream()
    server = await asyncio.start_server(upstream.handle, "127.0.0.1", 0)
    upstream.port = server.sockets[0].getsockname()[1]
    try:
        yield upstream
    finally:
        server.close()


@pytest.fixture
async def through(scripted: ScriptedUpstream) -> AsyncIterator[httpx.AsyncClient]:
    async with running(create_gateway({"svc": f"http://127.0.0.1:{scripted.port}"})) as c:
        assert (await c.get("/api/svc/warm")).status_code == 200  # one connection now in the pool
        yield c


def unavailable(answer: httpx.Response) -> None:
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert answer.json() == {
        "detail": "Service momentanément indisponible. Réessayez dans quelques instants.",
        "code": "service_unavailable",
    }


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
async def test_an_idempotent_request_on_a_closed_connection_is_sent_again_once(
    method: str, scripted: ScriptedUpstream, through: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=GATEWAY_LOG)
    scripted.drop = 1
    answer = await through.request(method, "/api/svc/things/1?secret=s3cr3t")
    assert answer.status_code == 200
    assert [r[:2] for r in scripted.requests[1:]] == [(method, "/api/svc/things/1?secret=s3cr3t")] * 2
    assert scripted.connections == 2  # the second try on a new connection
    [retry, done] = gateway_lines(caplog)
    assert retry.startswith(f"gateway: {method} /api/svc/things/1 (svc): connection lost (RemoteProtocolError: ")
    assert "sending it again once, on a new connection" in retry
    assert done == f"gateway: {method} /api/svc/things/1 (svc): answered 200 on the second try"
    assert "s3cr3t" not in " ".join(gateway_lines(caplog))  # the query string stays out of the log


async def test_only_once(scripted: ScriptedUpstream, through: httpx.AsyncClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=GATEWAY_LOG)
    scripted.drop = 2
    unavailable(await through.get("/api/svc/things"))
    assert len(scripted.requests) == 3  # the warm-up, the request, its one retry
    assert gateway_lines(caplog)[-1].startswith("gateway: 503 for GET /api/svc/things (svc): connection lost again (")


async def test_a_post_without_idempotency_key_is_not_sent_again(
    scripted: ScriptedUpstream, through: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=GATEWAY_LOG)
    scripted.drop = 1
    unavailable(await through.post("/api/svc/filings", json={"title": "T"}))
    assert [r[:2] for r in scripted.requests[1:]] == [("POST", "/api/svc/filings")]  # the service may have acted on it
    [line] = gateway_lines(caplog)
    assert line.startswith("gateway: 503 for POST /api/svc/filings (svc): connection lost, not retried (not idempotent) (")


async def test_a_post_with_an_idempotency_key_is_sent_again_with_its_body(
    scripted: ScriptedUpstream, through: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=GATEWAY_LOG)
    scripted.drop = 1
    body = json.dumps({"title": "x" * 200_000}).encode()
    answer = await through.post("/api/svc/filings", content=body, headers={"content-type": "application/json", "idempotency-key": "k-1"})
    assert answer.status_code == 200 and answer.json()["size"] == len(body)
    sent = scripted.requests[1:]
    assert [(m, p, b) for m, p, b, _ in sent] == [("POST", "/api/svc/filings", body)] * 2
    assert all(h["idempotency-key"] == "k-1" for *_, h in sent)
    assert "sending it again once" in gateway_lines(caplog)[0]


async def test_a_body_too_big_to_keep_is_not_sent_again(
    scripted: ScriptedUpstream, through: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=GATEWAY_LOG)
    scripted.drop = 1

    async def big() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b"x" * (RETRY_BODY_LIMIT // 2 + 1)

    unavailable(
        await through.post(
            "/api/svc/filings", content=big(), headers={"idempotency-key": "k-2", "content-length": str(3 * (RETRY_BODY_LIMIT // 2 + 1))}
        )
    )
    assert len(scripted.requests) == 2
    assert "not retried (body too large to send again)" in gateway_lines(caplog)[0]


async def test_a_service_that_refuses_connections_is_a_logged_503(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=GATEWAY_LOG)
    async with running(create_gateway({"review": f"http://127.0.0.1:{refused_port()}"})) as c:
        unavailable(await c.post("/api/review/cases/1/completeness", json={"complete": True}, headers={"idempotency-key": "k"}))
    [line] = gateway_lines(caplog)
    assert line.startswith("gateway: 503 for POST /api/review/cases/1/completeness (review): unreachable (ConnectError: ")


async def test_a_service_that_does_not_answer_in_time_is_a_logged_503(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=GATEWAY_LOG)
    silent = SilentServer()
    gateway = Gateway({"review": f"http://{silent.endpoint}"}, FastAPI(), timeout=0.5)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gateway") as c:
            unavailable(await c.get("/api/review/cases"))
    finally:
        await gateway.aclose()
        silent.close()
    [line] = gateway_lines(caplog)
    assert line.startswith("gateway: 503 for GET /api/review/cases (review): no answer in time (ReadTimeout")


# --------------------------------------------------------------------------- a load-balanced set of replicas


@contextlib.contextmanager
def replicas(count: int) -> Iterator[list[str]]:
    """``count`` replicas of a service behind uvicorn, each answering its own name."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []
    urls: list[str] = []
    try:
        for index in range(count):
            app = FastAPI()

            @app.api_route("/api/svc/who", methods=["GET", "POST"])
            def who(index: int = index) -> dict[str, int]:
                return {"replica": index}

            @app.get("/readyz")
            def ready() -> dict[str, str]:
                return {"status": "ready"}

            port = free_port()
            server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            servers.append((server, thread))
            urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 10
        while not all(server.started for server, _ in servers):
            assert time.monotonic() < deadline, "the replicas did not start"
            time.sleep(0.02)
        yield urls
    finally:
        for server, thread in servers:
            server.should_exit = True
            thread.join(10)


async def test_a_load_balanced_set_takes_turns() -> None:
    """Issue 16, gateway scale-out: a service URL may name several replicas
    (comma-separated); requests go to each in turn."""
    with replicas(3) as urls:
        gateway = create_gateway({"svc": ", ".join(urls)})
        async with running(gateway) as c:
            answers = [(await c.get("/api/svc/who")).json()["replica"] for _ in range(6)]
            ready = await c.get("/readyz")
    assert answers == [0, 1, 2, 0, 1, 2]
    assert ready.json()["checks"] == {"svc": True}


async def test_a_replica_that_refuses_connections_is_skipped_even_for_a_post(caplog: pytest.LogCaptureFixture) -> None:
    """A connection refused means the request was not sent: the next replica of the set
    gets it, whatever its method; the dead one is logged each time it is skipped."""
    caplog.set_level(logging.INFO, logger=GATEWAY_LOG)
    with replicas(1) as [alive]:
        dead = f"http://127.0.0.1:{refused_port()}"
        gateway = Gateway({"svc": f"{dead},{alive}"}, FastAPI())
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gateway") as c:
                answers = [await c.post("/api/svc/who", json={}) for _ in range(4)]
        finally:
            await gateway.aclose()
    assert [a.status_code for a in answers] == [200] * 4
    assert {a.json()["replica"] for a in answers} == {0}
    assert gateway.failovers == 2  # its turn came twice in four
    lines = gateway_lines(caplog)
    assert len(lines) == 2 and all(f"{dead} cannot be reached (ConnectError" in line for line in lines), lines


async def test_a_set_whose_every_replica_refuses_is_a_logged_503(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=GATEWAY_LOG)
    dead = [f"http://127.0.0.1:{refused_port()}" for _ in range(2)]
    async with running(create_gateway({"review": ",".join(dead)})) as c:
        unavailable(await c.get("/api/review/cases"))
        ready = await c.get("/readyz")
    assert ready.status_code == 503
    lines = gateway_lines(caplog)
    assert lines[0].startswith(f"gateway: GET /api/review/cases (review): {dead[0]} cannot be reached")
    assert lines[1].startswith("gateway: 503 for GET /api/review/cases (review): unreachable (ConnectError: ")


async def test_a_cookie_set_for_one_client_is_never_sent_for_another() -> None:
    """The gateway's HTTP client keeps no cookie jar: a ``Set-Cookie`` answered to one
    client (identity's session cookie at login) passes through to that client only, and
    is never added to a later request of another client (which sends no cookie)."""
    app = FastAPI()

    @app.post("/api/svc/login")
    def login(response: Response) -> dict[str, bool]:
        response.set_cookie("certreg_session", "secret-of-jeanne", path="/api/svc", httponly=True, samesite="strict")
        return {"ok": True}

    @app.get("/api/svc/who")
    def who(request: Request) -> dict[str, str | None]:
        return {"cookie": request.headers.get("cookie")}

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    gateway = Gateway({"svc": f"http://127.0.0.1:{port}"}, FastAPI())
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gateway") as jeanne:
            answer = await jeanne.post("/api/svc/login")
            assert "secret-of-jeanne" in answer.headers["set-cookie"]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gateway") as someone_else:
            assert (await someone_else.get("/api/svc/who")).json() == {"cookie": None}
    finally:
        await gateway.aclose()
        server.should_exit = True
        thread.join(10)


# --------------------------------------------------------------------------- a busy service


async def test_a_busy_service_s_503_passes_through_unchanged() -> None:
    """Issue 16: a service at its admission limit answers 503 ``busy`` with ``Retry-After``
    (``certreg_runtime.admission``); the gateway passes it on as it is — in the process
    (``certreg up``) and over HTTP (distributed) — never as its own 503 nor a retry."""
    app = FastAPI()

    @app.get("/api/svc/things")
    def things() -> dict[str, bool]:
        return {"ok": True}

    full = Admission("svc", reads=1, writes=1, reading=1, writing=1, pause=0)
    busy = AdmissionMiddleware(app, full)
    async with running(create_gateway({"svc": busy})) as c:
        in_process = await c.get("/api/svc/things")
    with served(busy) as url:
        async with running(create_gateway({"svc": url})) as c:
            over_http = await c.get("/api/svc/things")
    for answer in (in_process, over_http):
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
        assert answer.json() == {"detail": BUSY, "code": "busy"}
    assert full.refused == 2


async def test_the_service_decides_who_waits_not_the_gateway_s_queue() -> None:
    """Issue 16: 150 writes at once to a service that takes 120. Each reaches the service,
    whose admission answers the 30 past its limit 503 ``busy`` at once; none waits in the
    gateway. Before, the gateway's pool had 100 connections per service: the service saw
    100 (under its limit, so it refused none) and the 50 others queued in the gateway,
    answered nothing for 10 s (500 depositors filing: p50 4.2 s in that queue)."""
    released = threading.Event()
    app = FastAPI()

    @app.post("/api/svc/things")
    async def things() -> dict[str, bool]:
        while not released.is_set():
            await asyncio.sleep(0.01)
        return {"ok": True}

    admission = Admission("svc", reads=10, writes=120, pause=0)
    with served(AdmissionMiddleware(app, admission)) as url:
        try:
            async with running(create_gateway({"svc": url})) as c:
                sent = [asyncio.create_task(c.post("/api/svc/things", json={})) for _ in range(150)]
                deadline = time.monotonic() + 5
                while sum(task.done() for task in sent) < 30:
                    assert time.monotonic() < deadline, f"{sum(t.done() for t in sent)} of 150 answered in 5 s; 30 refused expected"
                    await asyncio.sleep(0.05)
                refused = [task.result() for task in sent if task.done()]
                released.set()
                answers = await asyncio.gather(*sent)
        finally:
            released.set()  # else the server's thread waits for the held requests
    assert len(refused) == 30
    assert all(a.status_code == 503 and a.json()["code"] == "busy" for a in refused)
    assert sorted(a.status_code for a in answers).count(200) == 120
    assert admission.refused == 30

"""Issue 16: a sync route costs one worker-thread hop, not three, and its plumbing one middleware. Its answer is validated
on the event loop (FastAPI validates a sync endpoint's answer in another hop), and a
token already verified is taken from the verifier's memory on the loop (a sync
dependency is a hop of its own); only a token seen for the first time goes to a thread."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import timedelta
from types import SimpleNamespace

import httpx
from fastapi import APIRouter, FastAPI, Response
from opentelemetry import trace
from pydantic import BaseModel, field_validator
from starlette.types import ASGIApp, Message

from certreg_runtime.api import CurrentUser
from certreg_runtime.auth import ACCESS_SCOPE, Principal, TokenVerifier
from certreg_runtime.errors import not_found
from certreg_runtime.messaging import REQUEST_CORRELATION
from certreg_runtime.service import ServiceApp, in_one_hop, instrumented
from certreg_runtime.telemetry import TraceSwitch
from certreg_runtime.tokens import SigningKey, issue_token, jwks
from certreg_runtime.web import ApiHeadersMiddleware, CorrelationMiddleware, install_error_handlers, json_answer

KEY = SigningKey.generate()
validated_in: list[str] = []


class Out(BaseModel):
    account: str
    endpoint_thread: str

    @field_validator("account")
    @classmethod
    def where(cls, value: str) -> str:
        validated_in.append(threading.current_thread().name)
        return value


class CountingVerifier(TokenVerifier):
    """A TokenVerifier that counts its calls to ``verify`` (the one that may need a thread)."""

    def __init__(self) -> None:
        keys = jwks([KEY])
        super().__init__(lambda refresh=False: keys, issuer="certreg-identity", audience="certreg")
        self.verify_calls: list[str] = []

    def verify(self, token: str, *, scope: str = ACCESS_SCOPE) -> Principal:
        self.verify_calls.append(threading.current_thread().name)
        return super().verify(token, scope=scope)


def app_with(verifier: TokenVerifier) -> FastAPI:
    router = APIRouter()

    @router.get("/mine", response_model=Out)
    def mine(user: CurrentUser) -> dict[str, str]:  # validated by FastAPI against Out
        return {"account": str(user.account_id), "endpoint_thread": threading.current_thread().name}

    app = FastAPI()
    install_error_handlers(app)
    app.state.ctx = SimpleNamespace(verifier=verifier)
    app.include_router(in_one_hop(in_one_hop(router)), prefix="/api/x")  # twice: a router is shared by every app
    return app


async def test_a_sync_route_takes_one_thread_hop() -> None:
    verifier = CountingVerifier()
    subject = uuid.uuid4()
    token = issue_token(KEY, subject=subject, issuer="certreg-identity", audience="certreg", ttl=timedelta(minutes=5), scope="access")
    loop_thread = threading.current_thread().name
    validated_in.clear()
    transport = httpx.ASGITransport(app=app_with(verifier))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for _ in range(3):
            answer = await client.get("/api/x/mine", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200 and answer.json()["account"] == str(subject)
            assert answer.json()["endpoint_thread"] != loop_thread  # the route's body in a worker thread
        assert (await client.get("/api/x/mine", headers={"Authorization": "Bearer nope"})).status_code == 401
    # The answer validated on the loop, not in a second hop.
    assert validated_in == [loop_thread] * 3
    # The token verified once, in a worker thread; then taken from memory on the loop.
    assert len(verifier.verify_calls) == 2 and loop_thread not in verifier.verify_calls  # the first request, and "nope"
    assert verifier.verifications == 2  # its signature checked once (and "nope" tried)


class StandardStack(ServiceApp):
    """A service app with Starlette's and FastAPI's standard middleware stack, the API
    headers and correlation id as middlewares of their own: what ``ServiceMiddleware``
    replaces (``certreg_runtime.asgi``)."""

    def build_middleware_stack(self) -> ASGIApp:
        plain = FastAPI.build_middleware_stack(self)
        return TraceSwitch(instrumented(plain), plain)


def plumbed(cls: type[ServiceApp]) -> ServiceApp:
    app = cls()
    install_error_handlers(app)
    if cls is StandardStack:
        app.add_middleware(CorrelationMiddleware)
        app.add_middleware(ApiHeadersMiddleware)
    router = APIRouter()

    @router.get("/seen")
    def seen() -> Response:  # a sync route: one thread hop
        span = trace.get_current_span().get_span_context()
        return json_answer({"correlation": str(REQUEST_CORRELATION.get()), "trace": format(span.trace_id, "032x")})

    @router.get("/missing")
    async def missing() -> None:
        raise not_found("case")

    @router.get("/boom")
    async def boom() -> None:
        raise ValueError("a bug")

    @router.post("/echo")
    async def echo(body: dict[str, int]) -> dict[str, int]:
        return body

    app.include_router(in_one_hop(router), prefix="/api/x")
    return app


async def asgi_answer(
    app: ASGIApp, method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes = b""
) -> tuple[list[Message], str]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"test"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    try:
        await app(scope, receive, send)
    except ValueError as exc:  # raised again after the 500, for the server to log
        return sent, repr(exc)
    return sent, ""


async def test_one_middleware_answers_as_the_standard_stack() -> None:
    """Issue 16: ``ServiceApp``'s one middleware sends the same messages as the standard
    stack did — status, headers (the API headers on every answer but a bare 500), body —
    for an answer, a domain error, the router's 404 and 405, a 422, an unhandled error
    (a plain 500, raised again), and it sets the correlation id and continues the
    caller's trace."""
    standard, one = plumbed(StandardStack), plumbed(ServiceApp)
    correlation = str(uuid.uuid4())
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    json_type = [(b"content-type", b"application/json")]
    requests: list[tuple[str, str, list[tuple[bytes, bytes]], bytes]] = [
        ("GET", "/api/x/seen", [(b"x-correlation-id", correlation.encode()), (b"traceparent", traceparent.encode())], b""),
        ("GET", "/api/x/missing", [], b""),
        ("GET", "/api/x/nowhere", [], b""),
        ("DELETE", "/api/x/seen", [], b""),
        ("POST", "/api/x/echo", json_type, b'{"a": "x"}'),
        ("POST", "/api/x/echo", json_type, b'{"a": 1}'),
        ("GET", "/api/x/boom", [], b""),
    ]
    for method, path, headers, body in requests:
        expected = await asgi_answer(standard, method, path, headers, body)
        assert await asgi_answer(one, method, path, headers, body) == expected, (method, path)
    statuses = [(await asgi_answer(one, m, p, h, b))[0][0]["status"] for m, p, h, b in requests]
    assert statuses == [200, 404, 404, 405, 422, 200, 500]
    seen, _ = await asgi_answer(one, *requests[0][:3])
    assert json.loads(seen[1]["body"]) == {"correlation": correlation, "trace": traceparent.split("-")[1]}
    assert dict(seen[0]["headers"])[b"cache-control"] == b"no-store"
    boom, error = await asgi_answer(one, "GET", "/api/x/boom", [])
    assert error == "ValueError('a bug')" and b"cache-control" not in dict(boom[0]["headers"])

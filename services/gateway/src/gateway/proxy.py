"""The gateway: one entry point that routes ``/api/<service>/…`` to each service.

In the embedded mode a target is the service's ASGI app in the same process; when
distributed it is a base URL, and requests and responses are streamed through (the
body is never read whole), with the W3C trace headers passed on, over the gateway's own
keep-alive connections (``gateway.upstream``: a leaner client than httpx, issue 16).

Upstream failures (distributed mode):
- a pooled connection the service closed under us (uvicorn closes a keep-alive
  connection after each 500; a restarted service leaves every pooled connection dead)
  shows as a reset or an early disconnect. An *idempotent* request — GET, HEAD,
  OPTIONS, or any request carrying an ``Idempotency-Key`` (the service replays its first
  answer) — is sent again once, on a new connection; its body is kept for that up to
  ``RETRY_BODY_LIMIT`` bytes (a bigger one is not retried). Other requests are not: the
  service may have acted on them.
- a service's URL may name a load-balanced set, comma-separated
  (``CERTREG_FILINGS_URL=http://filings-1:8000,http://filings-2:8000``): requests go to
  each in turn (round robin), and one that cannot be connected to (refused, no answer
  to the connection in time: the request was not sent) goes to the next of the set.
- a service unreachable (refused, reset, no answer in time; every member of its set)
  or saturated (the pool of connections to it full) answers 503 with ``Retry-After``,
  in French, never a reset.
Every retry and every failure is logged (method, path, service and the transport's
error: never the query string, the headers or the body)."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Mapping
from urllib.parse import quote

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from certreg_runtime.clients import FORWARDED_FOR, Network, client_address, forwarded_values
from gateway.upstream import Pool, Timeouts, UpstreamResponse

log = logging.getLogger(__name__)

_SERVICE_PATH = re.compile(r"^/api/([a-z]+)(?:/|$)")
# Hop-by-hop headers are the connection's, not the message's (RFC 9110 7.6.1); the
# client's Host is replaced, and its Expect is answered by the
# gateway's own server (uvicorn sends the 100 Continue when the body is read).
_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
    }
)
_NOT_FORWARDED = _HOP_BY_HOP | {b"expect"}
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
IDEMPOTENCY_HEADER = b"idempotency-key"
RETRY_BODY_LIMIT = 1024 * 1024
RETRY_AFTER_SECONDS = 5
# How long a request waits for a free connection to its service before the gateway
# calls the service saturated.
POOL_TIMEOUT_SECONDS = 10.0
# The connection was lost under the request (closed or reset by the service): nothing
# says whether the service acted on it.
_CONNECTION_LOST = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
UNAVAILABLE_BODY = (
    b'{"detail":"Service momentan\\u00e9ment indisponible. R\\u00e9essayez dans quelques instants.","code":"service_unavailable"}'
)


class Gateway:
    def __init__(
        self, targets: Mapping[str, ASGIApp | str], fallback: ASGIApp, *, timeout: float = 300, trusted_proxies: tuple[Network, ...] = ()
    ) -> None:
        self.targets = dict(targets)
        # A URL target: its members (a comma-separated set) and the next one's index.
        self.upstreams = {name: upstream_urls(t) for name, t in targets.items() if isinstance(t, str)}
        self._next = dict.fromkeys(self.upstreams, 0)
        self.failovers = 0  # requests sent to the next member after a refused connection (tests, figures)
        self.trusted_proxies = trusted_proxies
        self.fallback = fallback
        self._timeouts = Timeouts(connect=5, read=timeout, pool=POOL_TIMEOUT_SECONDS)
        # One pool of keep-alive connections per member URL, made on first use (in the
        # event loop that serves). No cookie jar: cookies pass through in the headers,
        # each to its own client, and are kept nowhere.
        self._pools: dict[str, Pool] = {}
        self.retries = 0  # requests sent again after a lost connection (for tests and figures)

    def _pool(self, member: str) -> Pool:
        pool = self._pools.get(member)
        if pool is None:
            pool = self._pools[member] = Pool(member, self._timeouts)
        return pool

    async def aclose(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()

    def _resolved(self, scope: Scope) -> Scope:
        """The scope with the client's address resolved once (``certreg_runtime.clients``)
        and no ``X-Forwarded-For``: nothing behind the gateway reads a client's own."""
        headers = scope.get("headers", [])
        peer, port = scope.get("client") or ("", 0)
        client = client_address(peer, forwarded_values(headers), self.trusted_proxies)
        return {**scope, "client": (client, port), "headers": [(k, v) for k, v in headers if k.lower() != FORWARDED_FOR]}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = self._resolved(scope)
        if scope["type"] == "http":
            match = _SERVICE_PATH.match(scope["path"])
            service = match.group(1) if match else ""
            target = self.targets.get(service)
            if isinstance(target, str):
                await self._proxy(service, self._members(service), scope, receive, send)
                return
            if target is not None:
                await target(scope, receive, send)
                return
        await self.fallback(scope, receive, send)

    def _members(self, service: str) -> list[str]:
        """The service's set, starting with the member whose turn it is."""
        members = self.upstreams[service]
        if len(members) == 1:
            return members
        first = self._next[service]
        self._next[service] = (first + 1) % len(members)
        return members[first:] + members[:first]

    async def _proxy(self, service: str, members: list[str], scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        path: str = scope["path"]
        query: bytes = scope.get("query_string", b"")
        raw_path: bytes | None = scope.get("raw_path")
        target = (raw_path if raw_path else quote(path).encode("latin-1")) + (b"?" + query if query else b"")
        # ASGI header names are lowercase bytes: relayed as they are, never decoded.
        headers = [(k, v) for k, v in scope["headers"] if k not in _NOT_FORWARDED]
        client_addr = scope.get("client")
        if client_addr:
            headers.append((b"x-forwarded-for", client_addr[0].encode("latin-1")))
        headers.append((b"x-forwarded-proto", scope.get("scheme", "http").encode("latin-1")))
        has_body = any(k in (b"content-length", b"transfer-encoding") for k, _ in scope["headers"])
        body = _Body(receive, RETRY_BODY_LIMIT) if has_body else None
        idempotent = method in IDEMPOTENT_METHODS or any(k == IDEMPOTENCY_HEADER for k, _ in scope["headers"])
        where = f"{method} {path} ({service})"

        member = 0
        attempt = 1  # 2: sent again after a lost connection, on a new one
        while True:
            pool = self._pool(members[member])
            try:
                content = body.stream() if body else None
                response = await pool.request(method.encode("latin-1"), target, headers, content, fresh=attempt == 2)
                break
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if member + 1 < len(members):  # not sent: the next member of the set gets it
                    self.failovers += 1
                    log.warning(
                        "gateway: %s: %s cannot be reached (%s); trying the next of its set", where, members[member], _describe(exc)
                    )
                    member += 1
                    continue
                if isinstance(exc, httpx.ConnectTimeout):
                    log.warning("gateway: 503 for %s: no answer in time (%s)", where, _describe(exc))
                else:
                    log.warning("gateway: 503 for %s: unreachable (%s)", where, _describe(exc))
            except _CONNECTION_LOST as exc:
                if attempt == 1 and idempotent and (body is None or body.replayable):
                    self.retries += 1
                    log.warning("gateway: %s: connection lost (%s); sending it again once, on a new connection", where, _describe(exc))
                    attempt = 2
                    continue
                reason = "connection lost again" if attempt == 2 else "connection lost, not retried (not idempotent)"
                if attempt == 1 and idempotent:
                    reason = "connection lost, not retried (body too large to send again)"
                log.warning("gateway: 503 for %s: %s (%s)", where, reason, _describe(exc))
            except httpx.PoolTimeout as exc:
                log.warning(
                    "gateway: 503 for %s: saturated, no free connection within %gs (%s)", where, POOL_TIMEOUT_SECONDS, _describe(exc)
                )
            except httpx.TimeoutException as exc:
                log.warning("gateway: 503 for %s: no answer in time (%s)", where, _describe(exc))
            except httpx.HTTPError as exc:
                log.warning("gateway: 503 for %s: unreachable (%s)", where, _describe(exc))
            await _unavailable(send)
            return
        if attempt == 2:
            log.info("gateway: %s: answered %s on the second try", where, response.status_code)
        try:
            await _relay(response, send, where)
        finally:
            await response.aclose()


async def _relay(response: UpstreamResponse, send: Send, where: str) -> None:
    """The answer to the client: its status and headers (raw bytes, so content-encoding
    and length stay as they are), then its body as it comes — in one message when it
    has all arrived already (most API answers)."""
    start = {
        "type": "http.response.start",
        "status": response.status_code,
        "headers": [(k, v) for k, v in response.headers if k.lower() not in _HOP_BY_HOP],
    }
    if response.complete:
        await send(start)
        await send({"type": "http.response.body", "body": response.buffered(), "more_body": False})
        return
    await send(start)
    try:
        async for chunk in response.aiter_raw():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    except httpx.HTTPError as exc:
        # The answer has begun: it can only be cut short (the client sees it
        # incomplete), not replaced by a 503.
        log.warning("gateway: %s: the answer (%s) was cut short by the service (%s)", where, response.status_code, _describe(exc))
        raise
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def upstream_urls(target: str) -> list[str]:
    """The members of a service's URL: one base URL, or several comma-separated."""
    members = [url.strip().rstrip("/") for url in target.split(",") if url.strip()]
    if not members:
        raise ValueError(f"no URL in {target!r}")
    return members


class _Body:
    """The request's body read from the client as it is sent on, the first
    ``limit`` bytes kept so that it can be sent again once."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self._receive = receive
        self._limit = limit
        self._kept: list[bytes] = []
        self._size = 0
        self._done = False
        self.replayable = True

    async def stream(self) -> AsyncIterator[bytes]:
        for chunk in list(self._kept):
            yield chunk
        while not self._done:
            message: Message = await self._receive()
            if message["type"] == "http.disconnect":
                self._done = True
                return
            chunk = message.get("body", b"")
            if not message.get("more_body", False):
                self._done = True
            if chunk:
                self._size += len(chunk)
                if self.replayable and self._size <= self._limit:
                    self._kept.append(chunk)
                else:
                    self.replayable = False
                    self._kept.clear()
                yield chunk


def _describe(exc: BaseException) -> str:
    """The transport's error, short: its class and message (no URL, no headers)."""
    text = str(exc).strip() or repr(exc)
    return f"{type(exc).__name__}: {text[:300]}"


async def _unavailable(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [(b"content-type", b"application/json"), (b"retry-after", str(RETRY_AFTER_SECONDS).encode())],
        }
    )
    await send({"type": "http.response.body", "body": UNAVAILABLE_BODY})

"""The gateway: one entry point that routes ``/api/<service>/…`` to each service.

In the embedded mode a target is the service's ASGI app in the same process; when
distributed it is a base URL, and requests and responses are streamed through (the
body is never read whole), with the W3C trace headers passed on."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

_SERVICE_PATH = re.compile(r"^/api/([a-z]+)(?:/|$)")
# Hop-by-hop headers are the connection's, not the message's (RFC 9110 7.6.1).
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
}


class Gateway:
    def __init__(self, targets: Mapping[str, ASGIApp | str], fallback: ASGIApp, *, timeout: float = 300) -> None:
        self.targets = dict(targets)
        self.fallback = fallback
        self._client: httpx.AsyncClient | None = None
        self._timeout = timeout

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(self._timeout, connect=5), follow_redirects=False)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            match = _SERVICE_PATH.match(scope["path"])
            target = self.targets.get(match.group(1)) if match else None
            if isinstance(target, str):
                await self._proxy(target, scope, receive, send)
                return
            if target is not None:
                await target(scope, receive, send)
                return
        await self.fallback(scope, receive, send)

    async def _proxy(self, base_url: str, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        url = base_url.rstrip("/") + scope["path"] + (f"?{query}" if query else "")
        headers = [
            (k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"] if k.decode("latin-1").lower() not in _HOP_BY_HOP
        ]
        client_addr = scope.get("client")
        if client_addr:
            headers.append(("x-forwarded-for", client_addr[0]))
        headers.append(("x-forwarded-proto", scope.get("scheme", "http")))

        async def body() -> AsyncIterator[bytes]:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                if chunk:
                    yield chunk
                if not message.get("more_body", False):
                    return

        has_body = any(k.lower() in (b"content-length", b"transfer-encoding") for k, _ in scope["headers"])
        request = self.client.build_request(scope["method"], url, headers=headers, content=body() if has_body else None)
        try:
            response = await self.client.send(request, stream=True)
        except httpx.HTTPError:
            await _json(send, 503, b'{"detail":"Service momentan\\u00e9ment indisponible.","code":"service_unavailable"}')
            return
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [
                        (k.encode("latin-1"), v.encode("latin-1"))
                        for k, v in response.headers.multi_items()
                        # Raw bytes are relayed, so content-encoding and length stay as they are.
                        if k.lower() not in _HOP_BY_HOP
                    ],
                }
            )
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()


async def _json(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})

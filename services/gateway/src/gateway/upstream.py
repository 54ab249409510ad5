"""The gateway's HTTP/1.1 client to the services: a pool of keep-alive connections per
upstream, each an asyncio protocol whose answers ``httptools`` (uvicorn's C parser)
reads, streamed both ways.

Why not httpx (issue 16): through it the gateway spent ~2.5 ms of CPU per proxied
request, a fifth of it in httpcore's pool checking *every* pooled connection's socket
for readability on every request (a ``poll`` each), the rest in its request and
response models, header normalisation and h11's pure-Python parsing. Here a connection
closed by the service is known without a system call — the event loop tells its
protocol (``connection_lost``) — and the one taken from the pool is the only one looked
at; bytes go through as they are (header names and values are never decoded).

Failures are httpx's exception classes, so that the proxy's handling and its logs stay
the same: ``ConnectError``/``ConnectTimeout`` (nothing was sent), ``RemoteProtocolError``
(the connection closed before an answer, or a malformed one), ``ReadError``/``WriteError``
(lost on the way), ``ReadTimeout`` (no answer in time), ``PoolTimeout`` (every
connection of the pool busy for ``pool_timeout``)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

import httptools
import httpx

# What one upstream may have at once: above what a service process ever takes
# (its admission caps: 300 for a PostgreSQL process of 10 threads), so that every request
# reaches the service, whose admission answers 503 ``busy`` past what it gets through in
# a second. With 100 here (httpx's default), 500 depositors filing at once waited in this
# pool's queue, p50 4.2 s, and the services never refused. Beyond, requests wait for a
# connection up to ``pool_timeout``, then the service is called saturated.
MAX_CONNECTIONS = 1000
# An idle connection is not reused past this: uvicorn closes its keep-alive connections
# after 5 s idle, and one taken just as it closes would be lost under the request.
KEEPALIVE_SECONDS = 4.0
# A body read faster than the client takes it stops the reading from the service past
# this many bytes in memory (and resumes below a quarter of it).
READ_BUFFER = 256 * 1024


@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0
    read: float = 300.0
    pool: float = 10.0


class _Connection(asyncio.Protocol):
    """One keep-alive connection to a service; one exchange at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._error: BaseException | None = None
        self._write_ready: asyncio.Future[None] | None = None
        self._paused = False
        self._reset(False)

    def _reset(self, head_only: bool) -> None:
        if self._paused and self.transport is not None:
            self.transport.resume_reading()  # paused by the previous answer's body, read whole since
        self._parser = httptools.HttpResponseParser(self)
        self._head_only = head_only  # a HEAD's answer: headers, never a body
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.head: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.chunks: deque[bytes] = deque()
        self._buffered = 0
        self._paused = False
        self.complete = False
        self.keep_alive = False
        self._waiter: asyncio.Future[None] | None = None

    # ------------------------------------------------------------------ asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not asyncio.Transport subclasses

    def data_received(self, data: bytes) -> None:
        if self.complete:
            return  # bytes after the answer: never reused (see release)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(httpx.RemoteProtocolError("the service switched protocols"))
        except httptools.HttpParserError as exc:
            self._fail(httpx.RemoteProtocolError(f"malformed answer from the service: {exc}"))

    def eof_received(self) -> bool | None:
        self._lost(None)
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost(exc)
        if self._write_ready is not None and not self._write_ready.done():
            self._write_ready.set_exception(httpx.WriteError(f"connection lost while sending ({exc or 'closed'})"))

    def pause_writing(self) -> None:
        if self._write_ready is None or self._write_ready.done():
            self._write_ready = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._write_ready is not None and not self._write_ready.done():
            self._write_ready.set_result(None)

    # ------------------------------------------------------------------ httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if status < 200:  # 1xx: an interim answer, the real one follows
            self.headers = []
            return
        self.status = status
        self.keep_alive = self._parser.should_keep_alive()
        if not self.head.done():
            self.head.set_result(None)
        if self._head_only:
            self.on_message_complete()

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self._buffered += len(body)
        if self._buffered > READ_BUFFER and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self.status == 0:
            return  # the end of an interim answer
        self.complete = True
        self._wake()

    # ------------------------------------------------------------------ the exchange

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _fail(self, error: BaseException) -> None:
        if self._error is None:
            self._error = error
        self.closed = True
        if not self.head.done():
            self.head.set_exception(error)
            self.head.exception()  # retrieved: nobody may be waiting for it
        self._wake()
        if self.transport is not None:
            self.transport.close()

    def _lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.complete:
            return
        if not self.head.done():
            error: BaseException = httpx.RemoteProtocolError(
                f"Server disconnected without sending a response ({exc})" if exc else "Server disconnected without sending a response."
            )
        else:
            framed = any(name.lower() in (b"content-length", b"transfer-encoding") for name, _ in self.headers)
            if not framed and exc is None:  # an answer that ends with its connection
                self.complete = True
                self.keep_alive = False
                self._wake()
                return
            error = httpx.ReadError(f"connection lost during the answer ({exc or 'closed'})")
        self._fail(error)

    async def send(self, head: bytes, body: AsyncIterable[bytes] | None, length: int | None, head_only: bool, read_timeout: float) -> None:
        """Sends the request (the body as it comes: ``length`` bytes, or chunked when
        None) and waits for the answer's head."""
        self._reset(head_only)
        transport = self.transport
        assert transport is not None
        if self.closed:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        transport.write(head)
        if body is not None:
            sent = 0
            async for chunk in body:
                if transport.is_closing():  # lost under the request: its answer says how
                    break
                if chunk:
                    sent += len(chunk)
                    transport.write(chunk if length is not None else b"%x\r\n%b\r\n" % (len(chunk), chunk))
                    if self._write_ready is not None and not self._write_ready.done():
                        await self._write_ready
            if length is None and not transport.is_closing():
                transport.write(b"0\r\n\r\n")
            elif length is not None and sent < length and not transport.is_closing():
                # The client went away before its whole body: the service would wait for the rest.
                self._fail(httpx.WriteError(f"the request's body ended after {sent} of its {length} bytes"))
        if not self.head.done():
            try:
                async with asyncio.timeout(read_timeout):
                    await asyncio.shield(self.head)
            except TimeoutError:
                self._fail(httpx.ReadTimeout("no answer from the service in time"))
                raise httpx.ReadTimeout("no answer from the service in time") from None
        self.head.result()  # the error, if any

    async def body(self, read_timeout: float) -> AsyncIterator[bytes]:
        """The answer's body, as it comes."""
        while True:
            if self.chunks:
                chunk = self.chunks.popleft()
                self._buffered -= len(chunk)
                if self._paused and self._buffered < READ_BUFFER // 4 and self.transport is not None:
                    self._paused = False
                    self.transport.resume_reading()
                yield chunk
                continue
            if self.complete:
                return
            if self._error is not None:
                raise self._error
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(read_timeout):
                    await self._waiter
            except TimeoutError:
                self._fail(httpx.ReadTimeout("the service stopped answering"))
                raise httpx.ReadTimeout("the service stopped answering") from None
            finally:
                self._waiter = None

    def reusable(self) -> bool:
        return self.complete and self.keep_alive and not self.closed and self._error is None

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class UpstreamResponse:
    """A service's answer: status and raw headers at once, the body streamed
    (``aiter_raw``); ``aclose`` gives the connection back to its pool, or closes it."""

    def __init__(self, pool: Pool, connection: _Connection, timeouts: Timeouts) -> None:
        self._pool = pool
        self._connection = connection
        self._timeouts = timeouts
        self.status_code = connection.status
        self.headers = connection.headers
        self._closed = False

    @property
    def complete(self) -> bool:
        """Whether the whole body has arrived already (``buffered`` holds it)."""
        return self._connection.complete and self._connection._error is None

    def buffered(self) -> bytes:
        """The whole body, when ``complete``."""
        chunks = self._connection.chunks
        body = b"".join(chunks)
        chunks.clear()
        return body

    def aiter_raw(self) -> AsyncIterator[bytes]:
        return self._connection.body(self._timeouts.read)

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            self._pool.release(self._connection)


class Pool:
    """The keep-alive connections to one upstream (scheme http, host and port)."""

    def __init__(self, base_url: str, timeouts: Timeouts, max_connections: int = MAX_CONNECTIONS) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http":
            raise ValueError(f"the gateway reaches the services over plain http: {base_url!r}")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.authority = parts.netloc.encode("latin-1")
        self.timeouts = timeouts
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(max_connections)
        self._all: set[_Connection] = set()

    async def request(
        self,
        method: bytes,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        body: AsyncIterable[bytes] | None,
        *,
        fresh: bool = False,
    ) -> UpstreamResponse:
        """Sends the request on an idle connection (``fresh``: on a new one) and returns
        the answer once its head has arrived."""
        if self._slots.locked():
            try:
                async with asyncio.timeout(self.timeouts.pool):
                    await self._slots.acquire()
            except TimeoutError:
                raise httpx.PoolTimeout(f"no free connection to the service within {self.timeouts.pool:g}s") from None
        else:
            await self._slots.acquire()
        try:
            connection = None if fresh else self._take_idle()
            if connection is None:
                connection = await self._connect()
            lines = [b"%b %b HTTP/1.1\r\nhost: %b\r\n" % (method, target, self.authority)]
            lines += [b"%b: %b\r\n" % (name, value) for name, value in headers]
            length = next((int(value) for name, value in headers if name == b"content-length"), None) if body is not None else 0
            if length is None:
                lines.append(b"transfer-encoding: chunked\r\n")
            lines.append(b"\r\n")
            try:
                await connection.send(b"".join(lines), body, length, method == b"HEAD", self.timeouts.read)
            except BaseException:
                connection.close()
                self._all.discard(connection)
                raise
        except BaseException:
            self._slots.release()
            raise
        return UpstreamResponse(self, connection, self.timeouts)

    def _take_idle(self) -> _Connection | None:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()  # the most recently used: the likeliest alive
            if not connection.closed and now - connection.idle_since < KEEPALIVE_SECONDS:
                return connection
            connection.close()
            self._all.discard(connection)
        return None

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.timeouts.connect):
                _, connection = await loop.create_connection(_Connection, self.host, self.port)
        except TimeoutError:
            raise httpx.ConnectTimeout(f"no answer to the connection within {self.timeouts.connect:g}s") from None
        except OSError as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
        self._all.add(connection)
        return connection

    def release(self, connection: _Connection) -> None:
        """After an answer: its connection back to the idle ones if the whole answer was
        read and both sides keep it alive, closed otherwise."""
        self._slots.release()
        if connection.reusable():
            connection.idle_since = time.monotonic()
            self._idle.append(connection)
        else:
            connection.close()
            self._all.discard(connection)

    def close(self) -> None:
        for connection in self._all:
            connection.close()
        self._all.clear()
        self._idle.clear()

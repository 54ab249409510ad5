"""A service's request plumbing in one plain ASGI middleware (issue 16).

Starlette and FastAPI wrap each request in a stack of middlewares, each one a coroutine
and most with a ``send`` wrapper of their own: the trace switch, Starlette's
``ServerErrorMiddleware`` (a 500 for an unhandled error), FastAPI's exception telemetry
and body limit, our API headers and correlation id, Starlette's ``ExceptionMiddleware``
(the app's exception handlers around the router) and FastAPI's ``AsyncExitStack``. For a
list read that took ~1.7 ms of a service's CPU out of 3.9 (py-spy: the stack 54 %
inclusive with the route 28 % inside it; the ``send`` wrappers 13 %).

``ServiceMiddleware`` does the same in one coroutine with one ``send`` wrapper, in the
same order: a non-recording span continuing the caller's ``traceparent`` (or, when spans
are exported, the full OpenTelemetry instrumentation around the rest), the correlation
id, the app's exception handlers (an error a handler answers, a 404/405 of the router),
the API headers on every answer that passes through the handlers, and a plain 500 —
without those headers, as before — for any other error, which is raised again for the
server to log. What it does not do itself (another scope type, FastAPI's telemetry or a
body limit in force) goes through the standard stack, built beside it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from starlette._utils import is_async_callable
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from certreg_runtime.messaging import REQUEST_CORRELATION
from certreg_runtime.telemetry import _ids, exporting
from certreg_runtime.web import API_HEADERS, _uuid_or_none

Handler = Callable[..., Any]
"""An exception handler: ``(request, exc)``, async or not, giving a response (or None)."""


class ServiceMiddleware:
    """The whole per-request plumbing of a service app around ``app`` (its router, or the
    app's own user middlewares around the router with ``handlers`` None: those then
    run inside Starlette's ``ExceptionMiddleware`` as before, built by the caller).

    ``instrumented``: the same plumbing under OpenTelemetry's ASGI middleware, used when
    spans are exported; ``standard``: the app's standard stack, for what this one does
    not handle itself (see the module's docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        handlers: dict[Any, Handler] | None,
        status_handlers: dict[int, Handler] | None,
        error_handler: Handler | None,
        standard: ASGIApp,
        instrument: Callable[[ASGIApp], ASGIApp],
        headers: tuple[tuple[bytes, bytes], ...] = API_HEADERS,
    ) -> None:
        self.app = app
        self.handlers = handlers
        self.status_handlers = status_handlers or {}
        self.error_handler = error_handler
        self.standard = standard
        self.headers = headers
        self.header_names = frozenset(name for name, _ in headers)
        self.instrumented: ASGIApp = instrument(self.handle)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or MAX_BODY_SIZE_SCOPE_KEY in scope or "fastapi.telemetry" in scope:
            await self.standard(scope, receive, send)
            return
        if exporting():
            await self.instrumented(scope, receive, send)
            return
        # A non-recording span continuing the caller's trace (``TraceSwitch``'s rule).
        parent = trace.get_current_span().get_span_context()
        if not parent.is_valid:
            for name, value in scope["headers"]:
                if name == b"traceparent":
                    parent = trace.get_current_span(propagate.extract({"traceparent": value.decode("latin-1")})).get_span_context()
                    break
        trace_id = parent.trace_id if parent.is_valid else _ids.generate_trace_id()
        span = NonRecordingSpan(SpanContext(trace_id, _ids.generate_span_id(), is_remote=False, trace_flags=TraceFlags(TraceFlags.DEFAULT)))
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            await self.handle(scope, receive, send)
        finally:
            otel_context.detach(token)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        correlation = None
        for name, value in scope["headers"]:
            if name == b"x-correlation-id":
                correlation = _uuid_or_none(value)
                break
        token = REQUEST_CORRELATION.set(correlation)
        started = False
        headers = self.headers
        names = self.header_names

        async def answer(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                present = message.get("headers", [])
                if names.isdisjoint(name.lower() for name, _ in present):
                    message = {**message, "headers": [*present, *headers]}
                else:
                    have = {name.lower() for name, _ in present}
                    message = {**message, "headers": [*present, *((n, v) for n, v in headers if n not in have)]}
            await send(message)

        try:
            if self.handlers is None:  # the app's middlewares, then Starlette's ExceptionMiddleware
                await self.app(scope, receive, answer)
            else:
                scope["starlette.exception_handlers"] = (self.handlers, self.status_handlers)
                async with AsyncExitStack() as stack:  # FastAPI's AsyncExitStackMiddleware (files)
                    scope["fastapi_middleware_astack"] = stack
                    try:
                        await self.app(scope, receive, answer)
                    except Exception as exc:
                        handler = self._handler_for(exc)
                        if handler is None:
                            raise
                        if started:
                            raise RuntimeError("Caught handled exception, but response already started.") from exc
                        request = Request(scope, receive, answer)
                        if is_async_callable(handler):
                            response = await handler(request, exc)
                        else:
                            response = await run_in_threadpool(handler, request, exc)
                        if response is not None:
                            await response(scope, receive, answer)
                        # Reused exception instances accumulate tracebacks across requests.
                        exc.__traceback__ = None
        except Exception as exc:
            # Starlette's ServerErrorMiddleware: a 500 if nothing was sent yet (straight to
            # the server, as that middleware is outside the API headers), then raised again.
            if self.error_handler is None:
                response = PlainTextResponse("Internal Server Error", status_code=500)
            elif is_async_callable(self.error_handler):
                response = await self.error_handler(Request(scope), exc)
            else:
                response = await run_in_threadpool(self.error_handler, Request(scope), exc)
            if not started and isinstance(response, Response):
                await response(scope, receive, send)
            raise exc
        finally:
            REQUEST_CORRELATION.reset(token)

    def _handler_for(self, exc: Exception) -> Handler | None:
        if isinstance(exc, HTTPException) and (handler := self.status_handlers.get(exc.status_code)) is not None:
            return handler
        handlers = self.handlers or {}
        for cls in type(exc).__mro__:
            if cls in handlers:
                return handlers[cls]
        return None


__all__ = ["ServiceMiddleware"]

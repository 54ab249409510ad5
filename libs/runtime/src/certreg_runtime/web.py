"""The HTTP side of errors, in one place: each domain error's status, French messages for
FastAPI's own validation errors, and ``Retry-After`` where a client should come back."""

from __future__ import annotations

import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from certreg_runtime.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    Rejected,
    Throttled,
    TooLarge,
    Unauthenticated,
    Unavailable,
    Unsupported,
)
from certreg_runtime.messaging import REQUEST_CORRELATION
from certreg_runtime.validation import field_errors

HTTP_STATUS: dict[type[DomainError], int] = {
    Rejected: 400,
    Invalid: 422,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    Unsupported: 415,
    Throttled: 429,
    Unavailable: 503,
}


def status_of(error: DomainError) -> int:
    return next((status for cls, status in HTTP_STATUS.items() if isinstance(error, cls)), 400)


def error_response(error: DomainError) -> JSONResponse:
    headers: dict[str, str] = {}
    if isinstance(error, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(error, Throttled | Unavailable):
        headers["Retry-After"] = str(error.retry_after)
    return JSONResponse(error.body(), status_code=status_of(error), headers=headers or None)


class CorrelationMiddleware:
    """Reads ``X-Correlation-Id`` (a UUID; anything else is ignored) into
    ``REQUEST_CORRELATION`` for the request's duration. Plain ASGI: no extra task or
    thread hop per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = next((value for name, value in scope["headers"] if name == b"x-correlation-id"), None)
        token = REQUEST_CORRELATION.set(_uuid_or_none(raw))
        try:
            await self.app(scope, receive, send)
        finally:
            REQUEST_CORRELATION.reset(token)


def _uuid_or_none(raw: bytes | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw.decode("latin-1")) if raw else None
    except ValueError:
        return None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(_: Request, exc: DomainError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(Invalid(field_errors(list(exc.errors()))))


__all__ = ["HTTP_STATUS", "CorrelationMiddleware", "error_response", "install_error_handlers", "status_of"]

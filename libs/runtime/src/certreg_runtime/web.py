"""The HTTP side of errors, in one place: each domain error's status, French messages for
FastAPI's own validation errors, and ``Retry-After`` where a client should come back.

An infrastructure failure (``certreg_runtime.faults.is_transient``: the database down or
saturated, S3 or SMTP unreachable) answers 503 with ``Retry-After`` and a French
``detail``, logged once with the request's trace id; any other unexpected error stays a
500."""

from __future__ import annotations

import logging
import smtplib
import sqlite3
import uuid

import pydantic_core
import sqlalchemy.exc as sa_exc
import sqlalchemy.orm.exc as sa_orm_exc
import urllib3.exceptions
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from opentelemetry import trace
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from certreg_runtime.db import is_unique_violation
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
from certreg_runtime.faults import TransientError, dependency_of, describe, is_transient
from certreg_runtime.idempotency import Replay
from certreg_runtime.messaging import REQUEST_CORRELATION
from certreg_runtime.validation import field_errors

log = logging.getLogger(__name__)

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


# What every API answer carries unless its route says otherwise: never cached (answers
# are personal: a shared computer's browser, a proxy), never sniffed, never framed nor
# allowed to load anything if a browser is made to render one as a page.
API_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    (b"referrer-policy", b"no-referrer"),
)


class ApiHeadersMiddleware:
    """Adds ``API_HEADERS`` to every answer that does not set them itself (plain ASGI)."""

    def __init__(self, app: ASGIApp, headers: tuple[tuple[bytes, bytes], ...] = API_HEADERS) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in self.headers if name not in present]
                if extra:
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


def _uuid_or_none(raw: bytes | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw.decode("latin-1")) if raw else None
    except ValueError:
        return None


UNAVAILABLE_DETAIL = {
    "database": "La base de données est momentanément indisponible.",
    "storage": "Le stockage des documents est momentanément indisponible.",
    "mail": "L’envoi des courriels est momentanément indisponible.",
    "broker": "La messagerie interne est momentanément indisponible.",
    "network": "Un service nécessaire est momentanément indisponible.",
}
RETRY_AFTER_SECONDS = 5

CONCURRENT_UPDATE = Conflict(
    "Ceci vient d’être modifié par une autre action au même moment : rechargez la page pour voir l’état actuel, puis recommencez.",
    code="concurrent_update",
)

# The families an infrastructure failure comes from; ``is_transient`` decides within them
# (an IntegrityError is a SQLAlchemyError too: a unique violation is a 409, any other a 500).
_INFRASTRUCTURE_ERRORS: tuple[type[Exception], ...] = (
    TransientError,
    sa_exc.SQLAlchemyError,
    sqlite3.Error,
    OSError,  # ConnectionError, TimeoutError, socket errors, smtplib errors
    smtplib.SMTPException,
    urllib3.exceptions.HTTPError,
)


def _optional_families() -> tuple[type[Exception], ...]:
    families: list[type[Exception]] = []
    try:
        import psycopg

        families.append(psycopg.Error)
    except ImportError:  # pragma: no cover - a dependency of the runtime
        pass
    try:
        from minio.error import MinioException

        families.append(MinioException)
    except ImportError:  # pragma: no cover - a dependency of the runtime
        pass
    import httpx

    families.append(httpx.HTTPError)
    return tuple(families)


def unavailable_response(exc: BaseException, request: Request | None = None) -> JSONResponse:
    """The 503 for a transient infrastructure failure, logged once (with the trace id,
    without secrets: never the URL's password nor the SQL parameters)."""
    dependency = dependency_of(exc)
    span = trace.get_current_span().get_span_context()
    trace_id = format(span.trace_id, "032x") if span.is_valid else "-"
    where = f"{request.method} {request.url.path}" if request is not None else "-"
    log.warning("503 on %s: %s unavailable (trace %s): %s", where, dependency, trace_id, describe(exc))
    detail = f"{UNAVAILABLE_DETAIL[dependency]} Réessayez dans quelques instants."
    return error_response(Unavailable(detail, retry_after=RETRY_AFTER_SECONDS))


# Starlette's own answers (an address or a method no route has), in French like the rest.
ROUTING_ERRORS: dict[int, tuple[str, str]] = {
    404: ("Adresse introuvable.", "not_found"),
    405: ("Méthode non autorisée pour cette adresse.", "method_not_allowed"),
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _routing_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Never {"detail": "Not Found"} (issue 13, point 14); a route's own HTTPException
        # with a detail of its own keeps it.
        known = ROUTING_ERRORS.get(exc.status_code)
        if known is None or exc.detail not in ("Not Found", "Method Not Allowed"):
            return await http_exception_handler(request, exc)
        detail, code = known
        return JSONResponse({"detail": detail, "code": code}, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(DomainError)
    async def _domain_error(_: Request, exc: DomainError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(Replay)
    async def _replay(_: Request, exc: Replay) -> Response:
        # The answer kept for an idempotency key, as it was first sent.
        return Response(exc.body, status_code=exc.status, media_type="application/json", headers={"Idempotent-Replayed": "true"})

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(Invalid(field_errors(list(exc.errors()))))

    @app.exception_handler(sa_orm_exc.StaleDataError)
    async def _concurrent_update(request: Request, exc: sa_orm_exc.StaleDataError) -> JSONResponse:
        # An aggregate changed by someone else since it was read (its row_version moved):
        # nothing was committed; the client reloads and decides again.
        log.info("409 concurrent_update on %s %s: %s", request.method, request.url.path, exc)
        return error_response(CONCURRENT_UPDATE)

    @app.exception_handler(sa_exc.IntegrityError)
    async def _integrity_error(request: Request, exc: sa_exc.IntegrityError) -> JSONResponse:
        # A unique constraint refused a row another request inserted since this one
        # checked there was none (two sessions on one date, two declarations at once…):
        # nothing was committed; the client reloads and sees what the other one made.
        # Any other integrity error (foreign key, NOT NULL, CHECK) is a bug: a 500.
        if not is_unique_violation(exc):
            raise exc
        log.info("409 concurrent_update on %s %s: %s", request.method, request.url.path, describe(exc))
        return error_response(CONCURRENT_UPDATE)

    async def _infrastructure_error(request: Request, exc: Exception) -> JSONResponse:
        if not is_transient(exc):
            raise exc  # a bug, not an outage: the server's 500, with its traceback
        return unavailable_response(exc, request)

    for family in (*_INFRASTRUCTURE_ERRORS, *_optional_families()):
        app.add_exception_handler(family, _infrastructure_error)


def json_answer(content: object) -> Response:
    """``content`` (dicts, lists, str, int, bool, None, UUIDs, dates and aware datetimes)
    as the JSON body FastAPI would send for the same values validated by a response model:
    the same bytes (pydantic's serializer, compact, UTF-8), without building the model,
    dumping it, validating the dump again and serializing that (issue 16: the list routes).
    Declare the model with ``response_model=`` on the route so that the OpenAPI document
    still describes the answer; its tests compare the two."""
    return Response(pydantic_core.to_json(content), media_type="application/json")


__all__ = [
    "CONCURRENT_UPDATE",
    "HTTP_STATUS",
    "UNAVAILABLE_DETAIL",
    "CorrelationMiddleware",
    "error_response",
    "install_error_handlers",
    "json_answer",
    "status_of",
    "unavailable_response",
]

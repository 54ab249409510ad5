"""API errors: ``{"detail": …, "code": …}``; invalid input uses FastAPI's own 422 shape
(``detail`` is a list of ``{loc, msg, type}``) so that clients read one form."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


class ApiError(Exception):
    def __init__(self, status: int, detail: Any, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail if isinstance(detail, str) else code or str(status))
        self.status = status
        self.detail = detail
        self.code = code
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"detail": self.detail}
        if self.code:
            body["code"] = self.code
        body.update(self.extra)
        return body


def field_error(field: str | list[str | int], msg: str, type_: str = "invalid", where: str = "body") -> dict[str, Any]:
    loc = [where, *(field if isinstance(field, list) else [field])]
    return {"loc": loc, "msg": msg, "type": type_}


def invalid(*errors: dict[str, Any]) -> ApiError:
    """422 naming each field and why."""
    return ApiError(422, list(errors), code="invalid")


def not_found(what: str = "resource") -> ApiError:
    return ApiError(404, f"{what} not found", code="not_found")


def forbidden(why: str = "not allowed") -> ApiError:
    return ApiError(403, why, code="forbidden")


def conflict(detail: str, code: str = "conflict", **extra: Any) -> ApiError:
    return ApiError(409, detail, code=code, **extra)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(exc.body(), status_code=exc.status, headers=headers)

"""FastAPI dependencies shared by every service, declared once as typed aliases so
that routes read like their signature.

A dependency that does no I/O is ``async def``: FastAPI runs a sync one in a worker
thread, one hand-off each (3–5 per request were 12–17 % of a request's CPU, issue 16).
The token is taken from the verifier's memory on the event loop; only a token not
verified yet goes to a worker thread (its check may fetch the JWKS)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from certreg_runtime.auth import ACCESS_SCOPE, ONBOARDING_SCOPE, Principal, bearer_token
from certreg_runtime.errors import forbidden
from certreg_runtime.service import ServiceContext


async def get_ctx(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.app.state.ctx  # set by build_app
    return ctx


CtxDep = Annotated[ServiceContext, Depends(get_ctx)]


async def verified(ctx: ServiceContext, authorization: str | None, scope: str) -> Principal:
    """The principal of the request's bearer token: remembered (no thread hop), or
    verified in a worker thread."""
    token = bearer_token(authorization)
    principal = ctx.verifier.remembered(token, scope=scope)
    if principal is None:
        principal = await run_in_threadpool(ctx.verifier.verify, token, scope=scope)
    return principal


async def current_user(ctx: CtxDep, authorization: Annotated[str | None, Header()] = None) -> Principal:
    return await verified(ctx, authorization, ACCESS_SCOPE)


async def onboarding_principal(ctx: CtxDep, authorization: Annotated[str | None, Header()] = None) -> Principal:
    return await verified(ctx, authorization, ONBOARDING_SCOPE)


IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="One random key per user action (a UUID), sent again with the same request when retrying it: "
        "the first answer is replayed and the change made once (kept 24 h).",
    ),
]
"""The optional ``Idempotency-Key`` header of a state-changing route (``certreg_runtime.idempotency``)."""

CurrentUser = Annotated[Principal, Depends(current_user)]
OnboardingUser = Annotated[Principal, Depends(onboarding_principal)]


def require_roles(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets through only the given roles (403 otherwise). Declare the
    alias once at module level, where mypy reads it as a type:
    ``Reviewer = Annotated[Principal, Depends(require_roles("reviewer"))]``."""

    async def check(user: CurrentUser) -> Principal:
        if not user.has_any(*roles):
            raise forbidden(f"Réservé aux rôles : {', '.join(roles)}.")
        return user

    return check

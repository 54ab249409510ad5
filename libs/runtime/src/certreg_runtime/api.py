"""FastAPI dependencies shared by every service, declared once as typed aliases so
that routes read like their signature."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Header, Request

from certreg_runtime.auth import ACCESS_SCOPE, ONBOARDING_SCOPE, Principal, bearer_token
from certreg_runtime.errors import forbidden
from certreg_runtime.messaging import UnitOfWork
from certreg_runtime.service import ServiceContext


def get_ctx(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.app.state.ctx  # set by build_app
    return ctx


CtxDep = Annotated[ServiceContext, Depends(get_ctx)]


def get_uow(ctx: CtxDep, x_correlation_id: Annotated[str | None, Header()] = None) -> Iterator[UnitOfWork]:
    correlation: uuid.UUID | None = None
    if x_correlation_id:
        try:
            correlation = uuid.UUID(x_correlation_id)
        except ValueError:
            correlation = None
    with ctx.uow(correlation_id=correlation) as uow:
        yield uow


UowDep = Annotated[UnitOfWork, Depends(get_uow)]


def current_user(ctx: CtxDep, authorization: Annotated[str | None, Header()] = None) -> Principal:
    return ctx.verifier.verify(bearer_token(authorization), scope=ACCESS_SCOPE)


def onboarding_principal(ctx: CtxDep, authorization: Annotated[str | None, Header()] = None) -> Principal:
    return ctx.verifier.verify(bearer_token(authorization), scope=ONBOARDING_SCOPE)


CurrentUser = Annotated[Principal, Depends(current_user)]
OnboardingUser = Annotated[Principal, Depends(onboarding_principal)]


def require_roles(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency that lets through only the given roles (403 otherwise)."""

    def check(user: CurrentUser) -> Principal:
        if not user.has_any(*roles):
            raise forbidden(f"Réservé aux rôles : {', '.join(roles)}.")
        return user

    return check


def roles(*names: str) -> type[Principal]:
    """``user: roles("reviewer", "director")`` in a route signature."""
    return Annotated[Principal, Depends(require_roles(*names))]  # type: ignore[return-value]

"""The dependencies of the entities routes, declared once."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from certreg_runtime.api import CtxDep
from certreg_runtime.auth import ACCESS_SCOPE, ONBOARDING_SCOPE, Principal, bearer_token
from certreg_runtime.errors import Unauthenticated
from certreg_runtime.service import Deps


def get_deps(request: Request) -> Deps:
    deps: Deps = request.app.state.ctx.deps
    return deps


DepsDep = Annotated[Deps, Depends(get_deps)]


def any_user(ctx: CtxDep, authorization: Annotated[str | None, Header()] = None) -> Principal:
    """An access token, or else the onboarding token of an applicant."""
    token = bearer_token(authorization)
    try:
        return ctx.verifier.verify(token, scope=ACCESS_SCOPE)
    except Unauthenticated:
        return ctx.verifier.verify(token, scope=ONBOARDING_SCOPE)


AnyUser = Annotated[Principal, Depends(any_user)]

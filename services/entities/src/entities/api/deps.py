"""The dependencies of the entities routes, declared once."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from certreg_runtime.api import CtxDep
from certreg_runtime.auth import ACCESS_SCOPE, ONBOARDING_SCOPE, Principal, bearer_token
from certreg_runtime.errors import Unauthenticated
from certreg_runtime.service import Deps
from entities.adapters.tables import ClosedAccount


async def get_deps(request: Request) -> Deps:
    deps: Deps = request.app.state.ctx.deps
    return deps


DepsDep = Annotated[Deps, Depends(get_deps)]


def _open_registration(deps: Deps, user: Principal) -> Principal:
    """An onboarding token stops working at once when identity closes its account
    (rejected, or its sign-up replaced): issue 11, points 3 and 13."""
    with deps.uow() as uow:
        closed = uow.session.get(ClosedAccount, user.account_id)
    if closed is not None:
        raise Unauthenticated(
            "Cette inscription est close : la demande a été refusée ou remplacée par une nouvelle inscription.", code="registration_closed"
        )
    return user


def applicant(ctx: CtxDep, authorization: Annotated[str | None, Header()] = None) -> Principal:
    """The onboarding token of an applicant whose registration is still open."""
    return _open_registration(ctx.deps, ctx.verifier.verify(bearer_token(authorization), scope=ONBOARDING_SCOPE))


def any_user(ctx: CtxDep, authorization: Annotated[str | None, Header()] = None) -> Principal:
    """An access token, or else the onboarding token of an applicant (still open)."""
    token = bearer_token(authorization)
    try:
        return ctx.verifier.verify(token, scope=ACCESS_SCOPE)
    except Unauthenticated:
        return _open_registration(ctx.deps, ctx.verifier.verify(token, scope=ONBOARDING_SCOPE))


AnyUser = Annotated[Principal, Depends(any_user)]
Applicant = Annotated[Principal, Depends(applicant)]

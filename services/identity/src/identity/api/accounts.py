"""A person's account: creation, activation, and the account itself (``/me``)."""

from __future__ import annotations

from fastapi import APIRouter

from certreg_runtime.api import CurrentUser
from identity.api import schemas
from identity.api.deps import ClientIp, DepsDep
from identity.app import commands, queries

router = APIRouter(tags=["identity"])


@router.post("/accounts", status_code=201)
def create_account(body: schemas.AccountCreate, deps: DepsDep) -> schemas.AccountCreated:
    return commands.create_account(deps, body)


@router.post("/activation")
def activate(body: schemas.TokenBody, deps: DepsDep) -> schemas.ActivationResult:
    return commands.activate(deps, body.token)


@router.post("/activation/resend", status_code=202)
def resend_activation(body: schemas.EmailBody, deps: DepsDep, client: ClientIp) -> schemas.Accepted:
    """Always 202, whether the address is known or not."""
    return commands.resend_activation(deps, body.email, client)


@router.get("/me")
def me(user: CurrentUser, deps: DepsDep) -> schemas.Me:
    return queries.me(deps, user)

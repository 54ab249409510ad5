"""A person's account: creation, activation, and the account itself (``/me``)."""

from __future__ import annotations

from fastapi import APIRouter

from certreg_runtime.api import CurrentUser
from identity.api import schemas
from identity.api.deps import ClientIp, DepsDep
from identity.app import commands, queries

router = APIRouter(tags=["identity"])


@router.post("/accounts", status_code=201)
def create_account(body: schemas.AccountCreate, deps: DepsDep, client: ClientIp) -> schemas.AccountCreated:
    """An address pending activation is signed up anew (the pending sign-up withdrawn);
    any other known address is a 409 ``email_taken``; 429 ``too_many_signups``."""
    return commands.create_account(deps, body, client)


@router.post("/activation")
def activate(body: schemas.ActivationBody, deps: DepsDep, client: ClientIp) -> schemas.ActivationResult:
    """The link's token and the password chosen at sign-up (422 ``password_mismatch``)."""
    return commands.activate(deps, body.token, body.password, client)


@router.post("/activation/resend", status_code=202)
def resend_activation(body: schemas.EmailBody, deps: DepsDep, client: ClientIp) -> schemas.Accepted:
    """Always 202, whether the address is known or not."""
    return commands.resend_activation(deps, body.email, client)


@router.get("/me")
def me(user: CurrentUser, deps: DepsDep) -> schemas.Me:
    return queries.me(deps, user)

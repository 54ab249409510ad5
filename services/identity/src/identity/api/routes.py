"""The identity routes of API.md, mounted under ``/api/identity``: each parses its input,
calls one command or query, and returns its view."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Query, Response

from certreg_runtime.api import CurrentUser
from identity.api import schemas
from identity.api.deps import ClientIp, DepsDep, SiAdmin, StaffReader, Validator
from identity.app import commands, queries

router = APIRouter(tags=["identity"])

# OAuth2 password form; defaults instead of "required" so that a missing field gets a French message.
Username = Annotated[str, Form()]
Password = Annotated[str, Form()]

# --- account creation and activation ----------------------------------------------


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


# --- login ----------------------------------------------------------------------------


@router.post("/token")
def token(deps: DepsDep, client: ClientIp, username: Username = "", password: Password = "") -> schemas.AccessToken:
    """OAuth2 password grant: ``username`` is the e-mail."""
    return commands.log_in(deps, username, password, client)


@router.post("/onboarding-token")
def onboarding_token(deps: DepsDep, client: ClientIp, username: Username = "", password: Password = "") -> schemas.OnboardingToken:
    """A new onboarding token, for a person who lost theirs before submitting their
    entity application (same form and throttling as ``/token``)."""
    return commands.renew_onboarding_token(deps, username, password, client)


@router.get("/.well-known/jwks.json")
def jwks_document(deps: DepsDep, response: Response) -> schemas.Jwks:
    response.headers["Cache-Control"] = "public, max-age=300"
    return schemas.Jwks.model_validate(queries.jwks(deps))


@router.get("/me")
def me(user: CurrentUser, deps: DepsDep) -> schemas.Me:
    return queries.me(deps, user)


# --- passwords ------------------------------------------------------------------------


@router.post("/password/forgot", status_code=202)
def forgot_password(body: schemas.EmailBody, deps: DepsDep, client: ClientIp) -> schemas.Accepted:
    """Always 202: the answer never tells whether the address has an account."""
    return commands.forgot_password(deps, body.email, client)


@router.post("/password/reset", status_code=204, response_class=Response)
def reset_password(body: schemas.PasswordReset, deps: DepsDep) -> None:
    """Consumes a password_reset or a set_password token (staff's first password)."""
    commands.reset_password(deps, body.token, body.new_password)


# --- account requests (validation) --------------------------------------------------


@router.get("/account-requests")
def account_requests(
    user: Validator,
    deps: DepsDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> schemas.AccountRequests:
    return queries.account_requests(deps, user, limit, offset)


@router.post("/account-requests/{account_id}/approve")
def approve(account_id: uuid.UUID, user: Validator, deps: DepsDep, body: schemas.Decision | None = None) -> schemas.AccountRequest:
    return commands.approve(deps, user, account_id, body.reason if body else "")


@router.post("/account-requests/{account_id}/reject")
def reject(account_id: uuid.UUID, body: schemas.Decision, user: Validator, deps: DepsDep) -> schemas.AccountRequest:
    return commands.reject(deps, user, account_id, body.reason)


# --- staff ------------------------------------------------------------------------------


@router.get("/staff")
def list_staff(
    user: StaffReader,
    deps: DepsDep,
    role: str | None = None,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> schemas.StaffList:
    """The back-office accounts (e.g. the instructors a case may be assigned to), by
    name; only the active ones unless ``status`` is given."""
    return queries.list_staff(deps, role, status, limit, offset)


@router.post("/staff", status_code=201)
def create_staff(body: schemas.StaffCreate, user: SiAdmin, deps: DepsDep) -> schemas.StaffCreated:
    return commands.create_staff(deps, body)

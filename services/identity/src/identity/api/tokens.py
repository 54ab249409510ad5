"""Logging in: the access token, a new onboarding token, and the keys that verify them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Response

from identity.api import schemas
from identity.api.deps import ClientIp, DepsDep
from identity.app import commands, queries

router = APIRouter(tags=["identity"])

# OAuth2 password form; defaults instead of "required" so that a missing field gets a French message.
Username = Annotated[str, Form()]
Password = Annotated[str, Form()]


@router.post("/token")
def token(deps: DepsDep, client: ClientIp, username: Username = "", password: Password = "") -> schemas.AccessToken:
    """OAuth2 password grant: ``username`` is the e-mail."""
    return commands.log_in(deps, username, password, client)


@router.post("/onboarding-token")
def onboarding_token(deps: DepsDep, client: ClientIp, username: Username = "", password: Password = "") -> schemas.OnboardingToken:
    """A new onboarding token, for a person who lost theirs before submitting their
    entity application (same form and throttling as ``/token``)."""
    return commands.renew_onboarding_token(deps, username, password, client)


@router.post("/login/unlock", status_code=204, response_class=Response)
def unlock(body: schemas.TokenBody, deps: DepsDep, client: ClientIp) -> None:
    """The link of the unlock mail, opened on the device that wants to log in."""
    commands.unlock(deps, body.token, client)


@router.get("/.well-known/jwks.json")
def jwks_document(deps: DepsDep, response: Response) -> schemas.Jwks:
    response.headers["Cache-Control"] = "public, max-age=300"
    return schemas.Jwks.model_validate(queries.jwks(deps))

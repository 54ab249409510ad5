"""Logging in: the access token, a new onboarding token, and the keys that verify them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Form, Request, Response

from certreg_runtime.errors import Unauthenticated, forbidden
from certreg_runtime.web import error_response
from identity.api import schemas
from identity.api.deps import ClientIp, DepsDep
from identity.app import commands, queries, sessions
from identity.app.deps import IdentityDeps

router = APIRouter(tags=["identity"])

# OAuth2 password form; defaults instead of "required" so that a missing field gets a French message.
Username = Annotated[str, Form()]
Password = Annotated[str, Form()]


@router.post("/token")
def token(deps: DepsDep, client: ClientIp, response: Response, username: Username = "", password: Password = "") -> schemas.AccessToken:
    """OAuth2 password grant: ``username`` is the e-mail. Starts a session: the refresh
    token comes as the ``certreg_refresh`` cookie (httpOnly, SameSite=Strict, path
    ``/api/identity``), for ``/token/refresh``."""
    access, refresh = commands.log_in_with_session(deps, username, password, client)
    _set_cookie(response, deps, refresh)
    return access


@router.post(
    "/token/refresh", response_model=schemas.AccessToken, responses={401: {"description": "no session any more (the cookie is cleared)"}}
)
def refresh_token(deps: DepsDep, request: Request, response: Response, cookie: Annotated[str, Cookie(alias=sessions.COOKIE)] = "") -> Any:
    """A new access token from the session cookie, which is rotated (the used one is
    refused from now on; used again, the whole session is revoked: 401
    ``refresh_reused``). 401 ``session_expired`` past the idle or absolute lifetime,
    ``session_revoked`` once revoked (logout, password reset, offboarding)."""
    _same_site_only(request)
    try:
        renewed = sessions.refresh(deps, cookie)
    except Unauthenticated as ended:
        refused = error_response(ended)
        _clear_cookie(refused)
        return refused
    _set_cookie(response, deps, renewed.refresh)
    return renewed.access


@router.post("/logout", status_code=204, response_class=Response)
def logout(deps: DepsDep, request: Request, cookie: Annotated[str, Cookie(alias=sessions.COOKIE)] = "") -> Response:
    """Ends the session of the cookie (its refresh tokens are revoked) and clears it."""
    _same_site_only(request)
    sessions.end(deps, cookie)
    response = Response(status_code=204)
    _clear_cookie(response)
    return response


def _same_site_only(request: Request) -> None:
    """Defence in depth against cross-site requests (the cookie is SameSite=Strict
    already): a browser's ``Sec-Fetch-Site`` must say the call comes from the site."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise forbidden("Requête refusée : elle ne vient pas du site.")


def _set_cookie(response: Response, deps: IdentityDeps, secret: str) -> None:
    secure = deps.config.session_cookie_secure
    if secure is None:
        secure = deps.settings.public_url.startswith("https://")
    # No Max-Age: the cookie ends with the browser (a shared computer keeps no session);
    # the server's idle and absolute deadlines bound it anyway.
    response.set_cookie(sessions.COOKIE, secret, path=sessions.COOKIE_PATH, httponly=True, secure=secure, samesite="strict")


def _clear_cookie(response: Response) -> None:
    response.delete_cookie(sessions.COOKIE, path=sessions.COOKIE_PATH, httponly=True, samesite="strict")


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

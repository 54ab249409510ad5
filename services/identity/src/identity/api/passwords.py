"""Forgotten passwords and the links that set one."""

from __future__ import annotations

from fastapi import APIRouter, Response

from identity.api import schemas
from identity.api.deps import ClientIp, DepsDep
from identity.app import commands

router = APIRouter(tags=["identity"])


@router.post("/password/forgot", status_code=202)
def forgot_password(body: schemas.EmailBody, deps: DepsDep, client: ClientIp) -> schemas.Accepted:
    """Always 202: the answer never tells whether the address has an account."""
    return commands.forgot_password(deps, body.email, client)


@router.post("/password/reset", status_code=204, response_class=Response)
def reset_password(body: schemas.PasswordReset, deps: DepsDep) -> None:
    """Consumes a password_reset or a set_password token (staff's first password)."""
    commands.reset_password(deps, body.token, body.new_password)

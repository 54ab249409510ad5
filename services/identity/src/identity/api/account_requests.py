"""The account requests a validator decides (DESIGN.md step 1.6)."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter

from identity.api import schemas
from identity.api.deps import DepsDep, Limit, Offset, Validator
from identity.app import commands, queries

router = APIRouter(tags=["identity"])


@router.get("/account-requests")
def account_requests(
    user: Validator,
    deps: DepsDep,
    limit: Limit = 50,
    offset: Offset = 0,
    state: Literal["pending", "decided"] = "pending",
) -> schemas.AccountRequests:
    """``pending``: the requests waiting for the caller's decision; ``decided``: the
    archive of the requests decided in the caller's scope, newest decision first."""
    return queries.account_requests(deps, user, limit, offset, decided=state == "decided")


@router.post("/account-requests/{account_id}/approve")
def approve(account_id: uuid.UUID, user: Validator, deps: DepsDep, body: schemas.Decision | None = None) -> schemas.AccountRequest:
    return commands.approve(deps, user, account_id, body.reason if body else "")


@router.post("/account-requests/{account_id}/reject")
def reject(account_id: uuid.UUID, body: schemas.Decision, user: Validator, deps: DepsDep) -> schemas.AccountRequest:
    return commands.reject(deps, user, account_id, body.reason)

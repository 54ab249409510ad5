"""The back-office accounts."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from identity.api import schemas
from identity.api.deps import DepsDep, Limit, Offset, SiAdmin, StaffReader
from identity.app import commands, offboarding, queries

router = APIRouter(tags=["identity"])


@router.get("/staff")
def list_staff(
    user: StaffReader,
    deps: DepsDep,
    role: str | None = None,
    status: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> schemas.StaffList:
    """The back-office accounts (e.g. the instructors a case may be assigned to), by
    name; only the active ones unless ``status`` is given (``all``: whatever their status)."""
    return queries.list_staff(deps, role, status, limit, offset)


@router.post("/staff", status_code=201)
def create_staff(body: schemas.StaffCreate, user: SiAdmin, deps: DepsDep) -> schemas.StaffCreated:
    return commands.create_staff(deps, body)


@router.post("/accounts/{account_id}/disable")
def disable_account(account_id: uuid.UUID, user: SiAdmin, deps: DepsDep) -> schemas.AccountRequest:
    """Offboarding: the account gets no token any more (one already issued expires
    within the access token's lifetime)."""
    return commands.set_disabled(deps, user, account_id, True)


@router.post("/accounts/{account_id}/enable")
def enable_account(account_id: uuid.UUID, user: SiAdmin, deps: DepsDep) -> schemas.AccountRequest:
    """A disabled account may log in again."""
    return commands.set_disabled(deps, user, account_id, False)


@router.put("/staff/{account_id}/roles")
def change_staff_roles(account_id: uuid.UUID, body: schemas.StaffRoles, user: SiAdmin, deps: DepsDep) -> schemas.StaffMember:
    """The full new set of roles; the account's sessions are revoked (an access token
    already issued keeps the old roles until it expires, at most
    ``CERTREG_ACCESS_TOKEN_TTL_SECONDS``)."""
    return offboarding.change_staff_roles(deps, user, account_id, body.roles)


@router.post("/staff/{account_id}/invitation")
def resend_invitation(account_id: uuid.UUID, user: SiAdmin, deps: DepsDep) -> schemas.StaffMember:
    """A new set-password link by mail, for an account that never chose its password
    (409 ``invitation_used`` otherwise); the earlier link stops working."""
    return offboarding.resend_invitation(deps, user, account_id)


@router.get("/accounts/{account_id}/audit")
def account_audit(account_id: uuid.UUID, user: SiAdmin, deps: DepsDep) -> schemas.AuditEntries:
    """What was done to the account (disabled, roles changed, sessions revoked…), newest first."""
    return queries.account_audit(deps, account_id)

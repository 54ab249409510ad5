"""An entity's members, as its manager manages them (offboarding, handover)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from certreg_runtime.api import require_roles
from certreg_runtime.auth import Principal
from identity.api import schemas
from identity.api.deps import DepsDep, Limit, Offset
from identity.app import offboarding, queries

router = APIRouter(tags=["identity"])

Manager = Annotated[Principal, Depends(require_roles("entity_manager"))]
MemberManager = Annotated[Principal, Depends(require_roles("entity_manager", "si_admin"))]
SiAdmin = Annotated[Principal, Depends(require_roles("si_admin"))]


@router.get("/entity-members")
def entity_members(user: Manager, deps: DepsDep, limit: Limit = 50, offset: Offset = 0) -> schemas.Members:
    """The members of the caller's entity: active first, then disabled and removed."""
    return queries.entity_members(deps, user, limit, offset)


@router.post("/entity-members/{account_id}/remove")
def remove_member(account_id: uuid.UUID, user: MemberManager, deps: DepsDep) -> schemas.Member:
    """The member acts for the entity no more: status ``removed``, no role, its sessions
    revoked (an access token already issued lives out its lifetime, at most
    ``CERTREG_ACCESS_TOKEN_TTL_SECONDS``). Another entity's member: 404."""
    return offboarding.remove_member(deps, user, account_id)


@router.post("/entity-members/{account_id}/manager")
def hand_over(account_id: uuid.UUID, user: Manager, deps: DepsDep) -> schemas.Member:
    """The caller hands the entity's management over to this active member and becomes
    a depositor (the roles change at each one's next renewal)."""
    return offboarding.hand_over(deps, user, account_id)


@router.get("/entities/{entity_id}/members")
def members_of(entity_id: uuid.UUID, user: SiAdmin, deps: DepsDep, limit: Limit = 50, offset: Offset = 0) -> schemas.Members:
    """The SI administrator's view of an entity's members: active first, then disabled and removed."""
    return queries.entity_members(deps, user, limit, offset, entity_id=entity_id)


@router.post("/entities/{entity_id}/managers")
def appoint_manager(entity_id: uuid.UUID, body: schemas.ManagerIn, user: SiAdmin, deps: DepsDep) -> schemas.Member:
    """The SI administrator makes an active member a manager of the entity; ``transfer``:
    the other managers become depositors (audited, at each one's next token)."""
    return offboarding.appoint_manager(deps, user, entity_id, body.account_id, transfer=body.transfer)

"""Who acts on a case, and who may see it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from certreg_contracts.types import PUBLIC_ROLES
from certreg_runtime.auth import Principal
from review.domain import procedure

# The back-office roles that work on cases (the SI administrator does not).
CASE_STAFF_ROLES = ("reviewer", "instructor", "commission", "director")


def is_case_staff(user: Principal) -> bool:
    return user.has_any(*CASE_STAFF_ROLES)


def may_see_case(user: Principal, entity_id: uuid.UUID) -> bool:
    """Case staff see every case; a depositor the cases of their own entity."""
    if is_case_staff(user):
        return True
    return user.has_any(*PUBLIC_ROLES) and user.entity_id is not None and user.entity_id == entity_id


@dataclass(frozen=True)
class Actor:
    """Who makes a transition: an account with roles, the depositor (through filings'
    events) or the system (the sweeper)."""

    id: uuid.UUID | None
    roles: frozenset[str]
    role: str
    name: str = ""

    @classmethod
    def of(cls, user: Principal, action: str | None = None) -> Actor:
        """``user`` as the actor of ``action``: the role recorded is one that allows it."""
        roles = set(user.roles)
        if roles & PUBLIC_ROLES:
            roles.add(procedure.DEPOSITOR)
        allowed = procedure.roles_for(action) & roles if action else set()
        role = sorted(allowed)[0] if allowed else sorted(user.roles)[0] if user.roles else "unknown"
        return cls(user.account_id, frozenset(roles), role, user.name)

    @classmethod
    def depositor(cls, account_id: uuid.UUID) -> Actor:
        return cls(account_id, frozenset({procedure.DEPOSITOR}), procedure.DEPOSITOR)

    @property
    def account_id(self) -> uuid.UUID:
        """The account of a person (events name who decided); the system has none."""
        if self.id is None:
            raise ValueError(f"{self.role} acts without an account")
        return self.id


SYSTEM_ACTOR = Actor(None, frozenset({procedure.SYSTEM}), procedure.SYSTEM, "")

"""What the identity API reads and returns (never a table)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from certreg_runtime.text import LINES, ONE_LINE


class AccountCreate(BaseModel):
    # Defaults instead of "required" so that a missing field gets a French message.
    email: str = ""
    password: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    job_title: str = ""


class AccountCreated(BaseModel):
    account_id: uuid.UUID
    status: str
    onboarding_token: str
    onboarding_expires_in: int = Field(description="seconds")


class OnboardingToken(BaseModel):
    onboarding_token: str
    expires_in: int = Field(description="seconds")


class Accepted(BaseModel):
    """A request taken into account; the answer says the same whatever was found."""

    detail: str


class TokenBody(BaseModel):
    token: str = ""


class ActivationBody(BaseModel):
    token: str = ""
    # The password chosen at sign-up: the link alone does not activate (issue 11, point 3).
    password: str = ""


class EmailBody(BaseModel):
    email: str = ""


class ActivationResult(BaseModel):
    status: str


class PasswordReset(BaseModel):
    token: str = ""
    new_password: str = ""


class AccessToken(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Person(BaseModel):
    """What every view of a person's account starts with."""

    account_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    phone: str
    job_title: str


class Me(Person):
    roles: list[str]
    entity_id: uuid.UUID | None
    status: str
    is_staff: bool


class AccountRequest(Person):
    status: str
    entity_id: uuid.UUID | None
    application_id: uuid.UUID | None
    new_entity: bool | None
    roles: list[str]
    created_at: datetime
    activated_at: datetime | None
    application_submitted_at: datetime | None
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    decision_reason: str | None


class AccountRequests(BaseModel):
    items: list[AccountRequest]
    total: int
    limit: int
    offset: int


class Decision(BaseModel):
    reason: Annotated[str, StringConstraints(max_length=2000), LINES] = ""


class StaffCreate(BaseModel):
    email: str = ""
    first_name: Annotated[str, StringConstraints(max_length=100), ONE_LINE] = ""
    last_name: Annotated[str, StringConstraints(max_length=100), ONE_LINE] = ""
    roles: list[str] = Field(default_factory=list)


class StaffCreated(BaseModel):
    account_id: uuid.UUID
    email: str
    status: str
    roles: list[str]


class StaffMember(BaseModel):
    account_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    roles: list[str]
    status: str


class StaffList(BaseModel):
    items: list[StaffMember]
    total: int
    limit: int
    offset: int


class StaffRoles(BaseModel):
    """The full new set of a back-office account's roles."""

    roles: list[str] = Field(default_factory=list)


class Member(Person):
    """A member of an entity, as its manager sees it."""

    roles: list[str]
    status: str = Field(description="active, disabled (by the SI administrator) or removed (from the entity)")
    entity_id: uuid.UUID | None
    decided_at: datetime | None


class ManagerIn(BaseModel):
    """A member the SI administrator makes a manager of its entity."""

    account_id: uuid.UUID
    transfer: bool = Field(
        default=False, description="true: the entity's other managers become depositors (a transfer); false: one more manager"
    )


class Members(BaseModel):
    items: list[Member]
    total: int
    limit: int
    offset: int


class AuditEntry(BaseModel):
    account_id: uuid.UUID
    actor_id: uuid.UUID | None
    action: str
    details: dict[str, Any]
    at: datetime


class AuditEntries(BaseModel):
    items: list[AuditEntry]


class Jwks(BaseModel):
    """The public signing keys (RFC 7517): each an RSA JWK with ``kid``, ``use``, ``alg``."""

    keys: list[dict[str, Any]]

"""The identity service's tables: its own metadata, its own database."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from certreg_runtime.db import VERSIONED, UtcDateTime, row_version
from certreg_runtime.messaging import add_messaging_tables


class Base(SQLModel, registry=registry()):  # its own metadata = its own database
    pass


metadata = Base.metadata
add_messaging_tables(metadata)


def _at(nullable: bool = True, index: bool = False) -> sa.Column[datetime]:
    return sa.Column(UtcDateTime(), nullable=nullable, index=index)


class Account(Base, table=True):
    __tablename__ = "accounts"
    # Optimistic version: a stale update raises instead of overwriting (certreg_runtime.db.VERSIONED).
    __mapper_args__ = VERSIONED
    row_version: int = row_version()

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # The login, stored lower-case.
    email: str = Field(max_length=254, sa_column_kwargs={"unique": True}, index=False)
    # argon2id; None until a staff member sets their password.
    password_hash: str | None = Field(default=None, max_length=255)
    first_name: str = Field(max_length=100)
    last_name: str = Field(max_length=100)
    phone: str = Field(default="", max_length=40)
    job_title: str = Field(default="", max_length=200)
    # pending_activation -> pending_validation -> active | rejected (staff: -> active).
    status: str = Field(max_length=30, index=True)
    roles: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    is_staff: bool = Field(default=False)
    # Set from entities.application.submitted.
    entity_id: uuid.UUID | None = Field(default=None, index=True)
    application_id: uuid.UUID | None = Field(default=None)
    # The first account of a new entity (validated by the SI administrator).
    new_entity: bool | None = Field(default=None)
    # The SIRET the application declared (competing candidates for one SIRET: only one
    # is approved as a new entity, the others join it).
    siret: str | None = Field(default=None, max_length=14, index=True)
    created_at: datetime = Field(sa_column=_at(nullable=False))
    activated_at: datetime | None = Field(default=None, sa_column=_at())
    application_submitted_at: datetime | None = Field(default=None, sa_column=_at())
    # The validation decision: who, when, why.
    decided_by: uuid.UUID | None = Field(default=None)
    decided_at: datetime | None = Field(default=None, sa_column=_at())
    decision_reason: str | None = Field(default=None, max_length=2000)

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class OneTimeToken(Base, table=True):
    __tablename__ = "one_time_tokens"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True)
    purpose: str = Field(max_length=30)
    # SHA-256 (hex) of the secret; the secret itself is never stored.
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    created_at: datetime = Field(sa_column=_at(nullable=False))
    expires_at: datetime = Field(sa_column=_at(nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=_at())


class ThrottleHit(Base, table=True):
    """One counted attempt (a failed login, a mail request) under a key such as
    ``login:email:<address>`` or ``login:ip:<address>``."""

    __tablename__ = "throttle_hits"
    __table_args__ = (sa.Index("ix_throttle_hits_key_at", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=300)
    at: datetime = Field(sa_column=_at(nullable=False))


class SigningKeyRow(Base, table=True):
    """The JWT signing keys, in the database so that every replica signs with the same."""

    __tablename__ = "signing_keys"

    kid: str = Field(primary_key=True, max_length=64)
    private_pem: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = Field(sa_column=_at(nullable=False))
    active: bool = Field(default=True)


class RefreshToken(Base, table=True):
    """One refresh token (the session cookie's secret, stored as its SHA-256). A login
    starts a family; each use marks the token used and issues the next of the family. A
    used token presented again is a theft: the whole family is revoked."""

    __tablename__ = "refresh_tokens"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    family_id: uuid.UUID = Field(index=True)
    account_id: uuid.UUID = Field(foreign_key="accounts.id", index=True)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    created_at: datetime = Field(sa_column=_at(nullable=False))
    # Idle deadline (this token unused past it: the session is over)…
    expires_at: datetime = Field(sa_column=_at(nullable=False))
    # …and the family's absolute deadline, from the login.
    family_expires_at: datetime = Field(sa_column=_at(nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=_at())
    revoked_at: datetime | None = Field(default=None, sa_column=_at(index=True))
    revoked_reason: str | None = Field(default=None, max_length=40)


class AccountAudit(Base, table=True):
    """Who did what to an account, and when (offboarding, roles, sessions revoked)."""

    __tablename__ = "account_audit"

    id: int | None = Field(default=None, primary_key=True)
    account_id: uuid.UUID = Field(index=True)
    # None: the platform itself (a refresh token reused), or the operator's CLI.
    actor_id: uuid.UUID | None = Field(default=None)
    action: str = Field(max_length=40)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    at: datetime = Field(sa_column=_at(nullable=False))

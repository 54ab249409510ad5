"""The entities service's tables: its own metadata, its own database."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import AutoString, Field, SQLModel

from certreg_contracts.types import EntityKind, LegalForm
from certreg_runtime.db import VERSIONED, UtcDateTime, row_version
from certreg_runtime.idempotency import add_idempotency_table
from certreg_runtime.messaging import add_messaging_tables


class Base(SQLModel, registry=registry()):
    """Its own metadata: its own database."""


metadata = Base.metadata
add_messaging_tables(metadata)
add_idempotency_table(metadata)

TZ = UtcDateTime()


class Entity(Base, table=True):
    """An organisation of the registry, or a candidate for it: each new-entity
    application declares its own (``pending_verification``), seen only by its applicant
    and the SI administrator. The SI administrator's approval verifies one; a SIRET is
    unique among verified entities only, so competing candidates for one SIRET coexist
    until then (issue 11, point 1). Statuses: ``pending_verification``, ``verified``,
    ``rejected`` (its application refused), ``superseded`` (another candidate for its
    SIRET was verified: its application now asks to join that one)."""

    __tablename__ = "entities"
    __table_args__ = (
        sa.Index(
            "uq_entities_siret_verified",
            "siret",
            unique=True,
            postgresql_where=sa.text("status = 'verified'"),
            sqlite_where=sa.text("status = 'verified'"),
        ),
        sa.Index("ix_entities_siret", "siret"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: EntityKind = Field(sa_type=AutoString(length=20))
    legal_form: LegalForm = Field(sa_type=AutoString(length=30))
    siret: str | None = Field(default=None, max_length=14)
    denomination: str = Field(max_length=300)
    street: str | None = Field(default=None, max_length=300)
    postal_code: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=150)
    country: str | None = Field(default=None, max_length=100)
    status: str = Field(default="pending_verification", max_length=30)
    created_by: uuid.UUID
    created_at: datetime = Field(sa_type=TZ)
    verified_by: uuid.UUID | None = None
    verified_at: datetime | None = Field(default=None, sa_type=TZ)


class EntityChange(Base, table=True):
    """A correction of an entity's details by the SI administrator: what it was, what it
    became, who and why (issue 12, point 2)."""

    __tablename__ = "entity_changes"
    __table_args__ = (sa.Index("ix_entity_changes_entity", "entity_id", "changed_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    entity_id: uuid.UUID
    changed_by: uuid.UUID
    changed_at: datetime = Field(sa_type=TZ)
    before: dict[str, str | None] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    after: dict[str, str | None] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    reason: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))


class Application(Base, table=True):
    """A person's request to create or join an entity."""

    __tablename__ = "applications"
    # Optimistic version: a stale update raises instead of overwriting (certreg_runtime.db.VERSIONED).
    __mapper_args__ = VERSIONED
    row_version: int = row_version()

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    entity_id: uuid.UUID = Field(foreign_key="entities.id", index=True)
    account_id: uuid.UUID = Field(index=True)
    email: str = Field(default="", max_length=320)
    new_entity: bool
    named_on_legal_proof: bool = False
    status: str = Field(default="draft", max_length=20)
    created_at: datetime = Field(sa_type=TZ)
    updated_at: datetime = Field(sa_type=TZ)
    submitted_at: datetime | None = Field(default=None, sa_type=TZ)
    decided_at: datetime | None = Field(default=None, sa_type=TZ)
    decided_by: uuid.UUID | None = None
    rejection_reason: str | None = Field(default=None, max_length=2000)


class Document(Base, table=True):
    """One version of a piece; a re-upload of the same doc_type adds version n+1."""

    __tablename__ = "documents"
    __table_args__ = (sa.UniqueConstraint("application_id", "doc_type", "version", name="uq_documents_version"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="applications.id", index=True)
    entity_id: uuid.UUID = Field(foreign_key="entities.id", index=True)
    doc_type: str = Field(max_length=40)
    version: int
    object_key: str = Field(max_length=300)
    sha256: str = Field(max_length=64)
    size: int = Field(sa_type=sa.BigInteger)
    content_type: str = Field(max_length=120)
    filename: str = Field(max_length=200)
    document_date: date | None = None
    uploaded_by: uuid.UUID
    uploaded_at: datetime = Field(sa_type=TZ)


class Membership(Base, table=True):
    """An approved account of an entity, as identity told us."""

    __tablename__ = "memberships"

    entity_id: uuid.UUID = Field(foreign_key="entities.id", primary_key=True)
    account_id: uuid.UUID = Field(primary_key=True, index=True)
    role: str = Field(max_length=30)
    email: str = Field(default="", max_length=320)
    first_name: str = Field(default="", max_length=150)
    last_name: str = Field(default="", max_length=150)
    since: datetime = Field(sa_type=TZ)


class ClosedAccount(Base, table=True):
    """An account whose onboarding token no longer works, as identity said: rejected
    (``identity.account.rejected``) or a sign-up replaced by another of its address
    (``identity.account.withdrawn``). Issue 11, points 3 and 13."""

    __tablename__ = "closed_accounts"

    account_id: uuid.UUID = Field(primary_key=True)
    reason: str = Field(max_length=20)
    closed_at: datetime = Field(sa_type=TZ)

"""The filings service's tables: its own metadata, its own database."""

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import AutoString, Field, SQLModel

from certreg_contracts.types import DocType, Repertoire
from certreg_runtime.clock import as_utc
from certreg_runtime.db import VERSIONED, UtcDateTime, row_version
from certreg_runtime.idempotency import add_idempotency_table
from certreg_runtime.messaging import add_messaging_tables
from filings.domain.rules import CqpFiler


class Base(SQLModel, registry=registry()):  # its own metadata = its own database
    pass


metadata = Base.metadata
add_messaging_tables(metadata)
add_idempotency_table(metadata)


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False))


def _when(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=sa.Column(UtcDateTime(), nullable=nullable))


class Filing(Base, table=True):
    """A registration request of an entity."""

    __tablename__ = "filings"
    __table_args__ = (
        sa.Index("ux_filings_reference", "reference", unique=True),
        # A depositor's list, newest change first (queries.list_filings): its first page read
        # straight from the index, not sorted from all the entity's filings each time.
        sa.Index("ix_filings_entity_updated", "entity_id", "updated_at", "id"),
    )
    # Optimistic version: a stale update raises instead of overwriting (certreg_runtime.db.VERSIONED).
    __mapper_args__ = VERSIONED
    row_version: int = row_version()

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # The dossier's number people quote (« 2026-000123 »): the Paris year of its creation and
    # that year's sequence, given at creation (filings.adapters.references); unique.
    reference: str | None = Field(default=None, max_length=16)
    entity_id: uuid.UUID = Field(index=True)
    created_by: uuid.UUID
    repertoire: Repertoire = Field(sa_type=AutoString(length=8))
    title: str = Field(max_length=300)
    qualification_level: int | None = None
    is_cqp: bool = False
    cqp_filed_by: CqpFiler | None = Field(default=None, sa_type=AutoString(length=16))
    rests_on_standards: bool = False
    summary: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    activities: list[str] = _json_list()
    competences: list[str] = _json_list()
    competence_blocks: list[dict[str, Any]] = _json_list()
    assessment_methods: list[str] = _json_list()
    # The rest of the fiche (certreg_contracts.events.filings.Fiche as JSON; {} for none yet).
    fiche: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON(), nullable=False, server_default=sa.text("'{}'")))

    # A renewal: the registration it renews (a new request naming it, issue 14).
    renews: str | None = Field(default=None, max_length=16, index=True)
    # A renewal: how the certifier followed the recommendations made when the registration it
    # renews was examined (shown to review beside them).
    recommendations_follow_up: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    # Once registered (review.case.registered): its number and period, and the renewal
    # drafted from it, if any (one at a time: the row's version makes twins one).
    registration_number: str | None = Field(default=None, max_length=16, index=True)
    registration_start: dt.date | None = None
    registration_end: dt.date | None = None
    renewal_id: uuid.UUID | None = None

    # draft | submitted | withdrawal_requested | withdrawn (filings' own state).
    status: str = Field(default="draft", max_length=24, index=True)
    submission_round: int = 0
    submitted_at: dt.datetime | None = _when()
    withdrawn_at: dt.datetime | None = _when()
    # When the depositor last asked review to withdraw it (kept once answered).
    withdrawal_requested_at: dt.datetime | None = _when()
    # What review last said (review.case.status_changed / review.request.opened).
    case_status: str | None = Field(default=None, max_length=40, index=True)
    # The sequence of the review status applied last (statuses may arrive out of order).
    case_status_sequence: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    editable_items: list[str] = _json_list()
    banner: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    due_date: dt.date | None = None
    # why the deadline is that day (review's legal_dates.deadline_on), shown on hover
    due_explanation: str | None = Field(default=None, max_length=300)
    open_request_id: uuid.UUID | None = None
    open_request: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON(), nullable=True))

    created_at: dt.datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False))
    updated_at: dt.datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False))

    def aware(self, name: str) -> dt.datetime | None:
        value: dt.datetime | None = getattr(self, name)
        return as_utc(value)


class Document(Base, table=True):
    """One version of one piece. The current version of a piece has ``superseded_at``
    and ``removed_at`` both empty; older versions stay as its history."""

    __tablename__ = "documents"
    __table_args__ = (sa.Index("ix_documents_filing_type", "filing_id", "doc_type"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    filing_id: uuid.UUID = Field(foreign_key="filings.id")
    doc_type: DocType = Field(sa_type=AutoString(length=40))
    version: int
    sha256: str = Field(max_length=64)
    size: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    content_type: str = Field(max_length=120)
    filename: str = Field(max_length=200)
    document_date: dt.date | None = None
    object_key: str = Field(max_length=200)
    uploaded_by: uuid.UUID
    uploaded_at: dt.datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False))
    superseded_at: dt.datetime | None = _when()
    removed_at: dt.datetime | None = _when()
    # The first submission round whose manifest carried this version (then it is kept forever).
    submitted_in_round: int | None = None

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None and self.removed_at is None

    def aware(self, name: str) -> dt.datetime | None:
        value: dt.datetime | None = getattr(self, name)
        return as_utc(value)


class Receipt(Base, table=True):
    """The proof of submission (PDF) of one submission round."""

    __tablename__ = "receipts"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    filing_id: uuid.UUID = Field(foreign_key="filings.id", index=True)
    submission_round: int
    object_key: str = Field(max_length=200)
    sha256: str = Field(max_length=64)
    size: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    submitted_by: uuid.UUID
    created_at: dt.datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False))
    # The description submitted with this round (filings.domain.changes.described): what the
    # next round's changes are measured against. None for rounds submitted before it was kept.
    described: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON(), nullable=True))

    def aware(self, name: str) -> dt.datetime | None:
        value: dt.datetime | None = getattr(self, name)
        return as_utc(value)


class RegisteredNumber(Base, table=True):
    """A registration number this platform's registry gave (review.case.registered): what a
    fiche may name as the certification it follows or as an equivalence."""

    __tablename__ = "registered_numbers"

    number: str = Field(primary_key=True, max_length=16)
    repertoire: str = Field(max_length=8)
    filing_id: uuid.UUID
    registered_at: dt.datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False))


class ReferenceCounter(Base, table=True):
    """The last dossier number given each year (filings.adapters.references)."""

    __tablename__ = "reference_counters"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    value: int = 0

"""The review service's tables: its own metadata, its own database."""

import datetime as dt
import uuid
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

TZ = UtcDateTime()


def _json(nullable: bool = False, **kw: Any) -> Any:
    return Field(default=None, sa_column=sa.Column(sa.JSON(), nullable=nullable, **kw))


class Case(Base, table=True):
    """One filing's procedure. Filing fields are the last submitted ones."""

    __tablename__ = "cases"
    # Optimistic version: a stale update raises instead of overwriting (certreg_runtime.db.VERSIONED).
    __mapper_args__ = VERSIONED
    row_version: int = row_version()
    __table_args__ = (
        # The back-office list: overdue first, newest first, under each filter.
        sa.Index("ix_cases_list", "overdue", "opened_at", "filing_id"),
        sa.Index("ix_cases_status", "status", "overdue", "opened_at", "filing_id"),
        sa.Index("ix_cases_assignee", "assignee_id", "overdue", "opened_at", "filing_id"),
        sa.Index("ix_cases_repertoire", "repertoire", "overdue", "opened_at", "filing_id"),
        # Repertoire and status together (the list's worst filter at 100k: counted by a scan
        # of the table, 67 ms; from this index alone, migration a3c5e7f9b1d2).
        sa.Index("ix_cases_status_repertoire", "status", "repertoire", "overdue", "opened_at", "filing_id"),
        # The director's queue by path (registration by right) and the unassigned cases, in list
        # order: at 100k their pages walked ix_cases_list and filtered the table's rows (by
        # right: its count a scan of the table), ``IS NULL`` giving no order to ix_cases_assignee
        # (migration 4e6a8c0b2d13, issue 16).
        sa.Index("ix_cases_registration_type", "registration_type", "overdue", "opened_at", "filing_id"),
        sa.Index(
            "ix_cases_unassigned",
            "overdue",
            "opened_at",
            "filing_id",
            postgresql_where=sa.text("assignee_id IS NULL"),
            sqlite_where=sa.text("assignee_id IS NULL"),
        ),
        # A status sorted by its deadline (« Échéance »): ix_cases_sort_due walked the cases
        # without one (most of them, first in descending order) to find a status whose cases
        # all have one (awaiting a complement: 69 ms at 100k).
        sa.Index("ix_cases_status_due", "status", "due_date", "filing_id"),
        sa.Index("ix_cases_entity", "entity_id"),
        sa.Index("ix_cases_session", "session_id"),
        # The work queues' sortable columns (``?sort=``), each with the id as tie-breaker.
        sa.Index("ix_cases_sort_opened", "opened_at", "filing_id"),
        # (status last: a list of statuses sorted by deadline, « À contrôler » by « Échéance »,
        # walks the cases with a deadline first and checks their status from the index alone:
        # 0.8 ms at 100k, 11-26 ms reading each case's row; migration 4e6a8c0b2d13)
        sa.Index("ix_cases_sort_due", "due_date", "filing_id", "status"),
        sa.Index("ix_cases_sort_title", "title", "filing_id"),
        sa.Index("ix_cases_sort_organisation", "organisation", "filing_id"),
        sa.Index("ix_cases_sort_updated", "updated_at", "filing_id"),
    )

    filing_id: uuid.UUID = Field(primary_key=True)
    # the dossier's number people quote (« 2026-000123 », filings.filing.submitted)
    reference: str | None = Field(default=None, max_length=16)
    entity_id: uuid.UUID
    repertoire: str = Field(max_length=8)
    title: str = Field(max_length=500)
    # lower-case title, number and id: what ?q= searches (trigram index on PostgreSQL)
    search: str = Field(default="", max_length=1200)
    # the certifier's name as review knows it (``entities.entity.verified``): the queues'
    # « Organisme » column and its sort
    organisation: str | None = Field(default=None, max_length=300)
    qualification_level: int | None = None
    is_cqp: bool = False
    cqp_filed_by: str | None = Field(default=None, max_length=16)
    rests_on_standards: bool = False
    # The case's path (the fiche's ``registration_type``): ``on_request``, or ``by_right`` for the
    # State's diplomas and titles (L.6113-5 I) and habilitations (L.6113-6), registered without
    # the commission (review.domain.procedure)
    registration_type: str = Field(default="on_request", max_length=16, sa_column_kwargs={"server_default": "on_request"})
    by_right_basis: str | None = Field(default=None, max_length=16)
    summary: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False, server_default=""))
    # activities, competences, competence_blocks, assessment_methods, documents
    snapshot: dict[str, Any] = _json()
    submission_round: int = 1
    submitted_by: uuid.UUID
    status: str = Field(max_length=32)
    overdue: bool = False
    due_date: dt.date | None = None
    # why the depositor's deadline is that day (legal_dates.deadline_on: moved to the next
    # working day when staff chose a Saturday, a Sunday or a public holiday)
    due_explanation: str | None = Field(default=None, max_length=300)
    missing: list[str] | None = _json(nullable=True)
    # the state a suspended case resumes in (arrêté du 4 janvier 2019, art. 5)
    suspended_from: str | None = Field(default=None, max_length=32)
    assignee_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    registration_number: str | None = Field(default=None, max_length=16)
    # A renewal: the registration it renews (filings.filing.submitted's ``renews``).
    renews: str | None = Field(default=None, max_length=16, index=True)
    opened_at: dt.datetime = Field(sa_column=sa.Column(TZ, nullable=False))
    updated_at: dt.datetime = Field(sa_column=sa.Column(TZ, nullable=False))


class InfoRequest(Base, table=True):
    """A request for documents or precisions, with its deadline."""

    __tablename__ = "requests"
    __table_args__ = (
        sa.Index("ix_requests_case", "filing_id"),
        sa.Index("ix_requests_open_due", "status", "due_date"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    filing_id: uuid.UUID
    # request: an instructor's request; completeness: the deadline of an incomplete dossier
    # (the same reminders, overdue and abandonment; answered by the next submission)
    kind: str = Field(default="request", max_length=16, sa_column_kwargs={"server_default": "request"})
    items: list[dict[str, Any]] = _json()
    message: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    due_date: dt.date
    due_explanation: str | None = Field(default=None, max_length=300)  # legal_dates.deadline_on
    opened_by: uuid.UUID
    opened_at: dt.datetime = Field(sa_column=sa.Column(TZ, nullable=False))
    status: str = Field(default="open", max_length=16)  # open | answered | closed
    overdue: bool = False
    reminders_sent: str = Field(default="", max_length=64)  # "7,1"
    closed_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(TZ, nullable=True))


class CommissionSession(Base, table=True):
    __tablename__ = "sessions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    date: dt.date = Field(sa_column=sa.Column(sa.Date(), nullable=False, unique=True))
    created_by: uuid.UUID
    created_at: dt.datetime = Field(sa_column=sa.Column(TZ, nullable=False))


class AgendaItem(Base, table=True):
    """A case on a session's agenda (a case may pass several sessions when adjourned)."""

    __tablename__ = "agenda_items"

    session_id: uuid.UUID = Field(primary_key=True)
    filing_id: uuid.UUID = Field(primary_key=True)
    added_by: uuid.UUID | None = None
    added_at: dt.datetime = Field(sa_column=sa.Column(TZ, nullable=False))


class Opinion(Base, table=True):
    __tablename__ = "opinions"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "filing_id", name="uq_opinions_session_case"),
        sa.Index("ix_opinions_case", "filing_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    session_id: uuid.UUID
    filing_id: uuid.UUID
    opinion: str = Field(max_length=16)
    reasons: list[dict[str, str]] = _json()
    resubmission_due: dt.date | None = None
    given_by: uuid.UUID
    given_at: dt.datetime = Field(sa_column=sa.Column(TZ, nullable=False))


class Decision(Base, table=True):
    """The director general's decision on a case (one per case)."""

    __tablename__ = "decisions"

    filing_id: uuid.UUID = Field(primary_key=True)
    kind: str = Field(max_length=16)  # registered | refused
    motivation: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    reasons: list[dict[str, str]] = _json()
    decision_date: dt.date
    decided_by: uuid.UUID
    # Made available on the platform (the decision's instant); notified on its first
    # consultation by the depositor's side, or 15 days after (legal_dates.notification_date):
    # ``notified_on`` and, for a refusal, ``appeal_deadline`` are set once that is fixed.
    made_available_at: dt.datetime = Field(sa_column=sa.Column(TZ, nullable=False))
    first_consulted_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(TZ, nullable=True))
    notified_on: dt.date | None = None
    years: int | None = None
    registration_number: str | None = Field(default=None, max_length=16)
    registration_start: dt.date | None = None
    registration_end: dt.date | None = None
    appeal_deadline: dt.date | None = None
    appeal_court: str | None = Field(default=None, max_length=200)
    # registrations: their publication in the Journal officiel (the period runs from effective_date)
    jo_date: dt.date | None = None
    jo_reference: str | None = Field(default=None, max_length=120)
    effective_date: dt.date | None = None
    acknowledged_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(TZ, nullable=True))
    acknowledged_by: uuid.UUID | None = None


class RegistryRecord(Base, table=True):
    """A published certification (fiche): public, read by anyone."""

    __tablename__ = "registry_records"
    __table_args__ = (
        sa.Index("ix_registry_repertoire", "repertoire", "sequence_value"),
        # The incremental exports (?since=): what changed since a day.
        sa.Index("ix_registry_updated", "updated_at"),
        # The sweeper's expiry and the active/expired filters.
        sa.Index("ix_registry_status_end", "status", "registration_end"),
    )

    number: str = Field(primary_key=True, max_length=16)
    repertoire: str = Field(max_length=8)
    sequence_value: int
    filing_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid(), nullable=False, unique=True))
    title: str = Field(max_length=500)
    search: str = Field(default="", max_length=1200)
    qualification_level: int | None = None
    is_cqp: bool = False
    entity_id: uuid.UUID
    certifier_siret: str | None = Field(default=None, max_length=14)
    certifier_name: str | None = Field(default=None, max_length=300)
    summary: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False, server_default=""))
    decision_date: dt.date
    registration_start: dt.date
    registration_end: dt.date
    jo_date: dt.date | None = None
    jo_reference: str | None = Field(default=None, max_length=120)
    status: str = Field(default="active", max_length=16)
    activities: list[str] = _json()
    competences: list[str] = _json()
    competence_blocks: list[dict[str, Any]] = _json()
    assessment_methods: list[str] = _json()
    # The rest of the fiche as submitted (certreg_contracts.events.filings.Fiche as JSON), the
    # co-certifiers named as review knows them (review.adapters.certifiers.co_certifiers).
    fiche: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    # Renewal links (the open data's ANCIENNES/NOUVELLES_CERTIFICATIONS): the registration this
    # one renews, and the one that renewed it (the former stays readable).
    renews: str | None = Field(default=None, max_length=16)
    renewed_by: str | None = Field(default=None, max_length=16)
    # Its partner organisations as published: a copy of its ``RegistryPartner`` rows (the
    # ledger), every one with its dates, removed ones kept (review.app.partners keeps it).
    partners: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
    )
    published_at: dt.datetime = Field(sa_column=sa.Column(TZ, nullable=False))
    # The last change a reuser sees (publication, certifier named, expiry, withdrawal…):
    # set with the change feed's entry by review.adapters.registry_feed.record_change.
    updated_at: dt.datetime = Field(sa_column=sa.Column(TZ, nullable=False))


class RegistryPartner(Base, table=True):
    """An organisation a registered certification's certifier authorised to prepare for it or
    to assess it, from ``since`` and, once removed, until ``until``: each declaration dated
    (``declared_at``), ``days_late`` past the declaration period when it came late (flagged to
    staff). An organisation has one authorisation in force per certification at a time."""

    __tablename__ = "registry_partners"
    __table_args__ = (
        sa.Index("ix_registry_partners_number", "number", "since"),
        # One authorisation in force per organisation and certification (both databases
        # have partial unique indexes): a concurrent twin fails here, answered 409.
        sa.Index(
            "uq_registry_partners_in_force",
            "number",
            "siret",
            unique=True,
            sqlite_where=sa.text("until IS NULL"),
            postgresql_where=sa.text("until IS NULL"),
        ),
        sa.Index("ix_registry_partners_late", "late", "declared_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    number: str = Field(max_length=16)
    siret: str = Field(max_length=14)
    name: str = Field(max_length=300)
    scope: str = Field(max_length=16)  # preparation | assessment | both
    since: dt.date
    until: dt.date | None = None
    declared_at: dt.datetime = Field(sa_column=sa.Column(TZ, nullable=False))
    declared_by: uuid.UUID
    removal_declared_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(TZ, nullable=True))
    removal_declared_by: uuid.UUID | None = None
    # Days past CERTREG_PARTNER_DECLARATION_DAYS of the addition, of the removal (0: in time);
    # ``late`` when either is: what staff are shown.
    days_late: int = 0
    removal_days_late: int = 0
    late: bool = False


class RenewalReminder(Base, table=True):
    """A renewal reminder of a registration (9 and 7 months before its end), once each:
    ``sent`` when it went out; not sent when a later sweep or a renewal under way covered it."""

    __tablename__ = "renewal_reminders"

    number: str = Field(primary_key=True, max_length=16)
    months_before: int = Field(primary_key=True)
    sent_at: dt.datetime = Field(sa_column=sa.Column(TZ, nullable=False))
    sent: bool = True


class RegistryEntry(Base, table=True):
    """A published record as the registry's search reads it: its sort key and the columns of
    every filter, in a narrow row (the record itself carries its frameworks, ~2 KB), so that a
    page and its total are read from a small table whatever the filters. Kept equal to the
    record by review.adapters.registry_feed.record_change, which every change goes through."""

    __tablename__ = "registry_entries"
    __table_args__ = (
        # The list's order (RNCP then RS, newest number first) and, on PostgreSQL, the
        # trigram indexes of the text and the certifier's name: made in SQL by the migration.
        sa.Index("ix_registry_entries_level", "qualification_level", "repertoire", "sequence_value"),
        sa.Index("ix_registry_entries_state", "status", "registration_end"),
        sa.Index("ix_registry_entries_siret", "certifier_siret"),
    )

    number: str = Field(primary_key=True, max_length=16)
    repertoire: str = Field(max_length=8)
    sequence_value: int
    qualification_level: int | None = None
    status: str = Field(max_length=16)
    registration_start: dt.date
    registration_end: dt.date
    certifier_siret: str | None = Field(default=None, max_length=14)
    # Every certifier's name (the filer's and its co-certifiers'), lower case, one a line
    # (registry_feed.certifier_names); their SIRETs are registry_codes of kind "certifier".
    certifier_name: str = Field(default="", sa_column=sa.Column(sa.Text(), nullable=False, server_default=""))
    search: str = Field(default="", max_length=1200)
    # The fiche's access routes, one bit each (registry_feed.ROUTE_BITS: FI 1, CA 2, FC 4, CQ 8,
    # CL 16, VAE 32): the access-route filter is ``routes & bit != 0`` in the same row as the
    # state and the text, instead of a join through a third of the records' code rows.
    routes: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False, server_default="0"))


class RegistryCode(Base, table=True):
    """A published record's classification codes (``nsf``, ``rome``) and its certifiers' SIRETs
    (``certifier``: the filer and every co-certifier), one row each: what the registry's NSF,
    ROME and certifier filters look up. Each row carries its record's sort key (repertoire and
    sequence value, fixed by the number itself, so never out of date): the index
    ix_registry_codes_list (kind, code, repertoire, sequence_value DESC, number), made in SQL by
    the migration, gives a code's records in the registry's order, so that a page filtered by a
    code reads its first rows instead of joining and sorting every record with that code."""

    __tablename__ = "registry_codes"

    kind: str = Field(primary_key=True, max_length=16)
    code: str = Field(primary_key=True, max_length=16)
    number: str = Field(primary_key=True, max_length=16)
    repertoire: str = Field(max_length=8)
    sequence_value: int
    # Its record's level, state and access routes, as its search entry has them (kept equal by
    # review.adapters.registry_feed.record_change): a code filter with a level, a state or a
    # route is read from the code's rows alone (on PostgreSQL from ix_registry_codes_list,
    # which includes them), without looking each record up in the entries.
    qualification_level: int | None = None
    status: str | None = Field(default=None, max_length=16)
    registration_start: dt.date | None = None
    registration_end: dt.date | None = None
    routes: int = Field(default=0, sa_column=sa.Column(sa.Integer(), nullable=False, server_default="0"))


class RegistryChange(Base, table=True):
    """The registry's change feed, append-only: what a reuser follows (``GET
    /registry/changes``). ``seq`` orders it; entries become visible in that order (see
    review.adapters.registry_feed)."""

    __tablename__ = "registry_changes"

    seq: int | None = Field(default=None, sa_column=sa.Column(sa.Integer(), primary_key=True, autoincrement=True))
    number: str = Field(max_length=16, index=True)
    kind: str = Field(max_length=16)  # registered | renewed | updated | expired | withdrawn
    status: str = Field(max_length=16)  # the record's status after the change
    occurred_at: dt.datetime = Field(sa_column=sa.Column(TZ, nullable=False))


class Certifier(Base, table=True):
    """A verified certifying entity, as entities announced it (``entities.entity.verified``):
    the name and SIRET the public registry shows for its certifications."""

    __tablename__ = "certifiers"

    entity_id: uuid.UUID = Field(primary_key=True)
    denomination: str = Field(max_length=300)
    siret: str | None = Field(default=None, max_length=14)
    updated_at: dt.datetime = Field(sa_column=sa.Column(TZ, nullable=False))


class StaffMember(Base, table=True):
    """A back-office account as identity announced it (``identity.staff.changed``): whom a
    case may be assigned to. The newest ``as_of`` wins (events are not ordered)."""

    __tablename__ = "staff_members"

    account_id: uuid.UUID = Field(primary_key=True)
    roles: list[str] = _json()
    active: bool = False
    # « Prénom Nom », what the back office shows for an assignee ("" until identity says it)
    name: str = Field(default="", max_length=201, sa_column_kwargs={"server_default": ""})
    as_of: dt.datetime = Field(sa_column=sa.Column(TZ, nullable=False))


class NumberCounter(Base, table=True):
    """Registration number counters where the database has no sequences (SQLite)."""

    __tablename__ = "number_counters"

    repertoire: str = Field(primary_key=True, max_length=8)
    value: int = 0


class Message(Base, table=True):
    """The dialogue between France compétences and the depositor's entity."""

    __tablename__ = "messages"
    __table_args__ = (sa.Index("ix_messages_case", "filing_id", "posted_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    filing_id: uuid.UUID
    author_id: uuid.UUID
    author_side: str = Field(max_length=16)  # staff | depositor
    author_role: str = Field(max_length=32)
    author_name: str = Field(default="", max_length=200)
    subject: str | None = Field(default=None, max_length=200)
    body: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    document_ids: list[str] = _json()
    posted_at: dt.datetime = Field(sa_column=sa.Column(TZ, nullable=False))


class AuditEntry(Base, table=True):
    """Append-only, hash-chained per case (see review.domain.audit)."""

    __tablename__ = "audit_entries"
    __table_args__ = (sa.UniqueConstraint("filing_id", "seq", name="uq_audit_case_seq"),)

    id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    )
    filing_id: str = Field(max_length=36)
    seq: int
    at: str = Field(max_length=40)  # ISO 8601 UTC, as hashed
    actor_id: str | None = Field(default=None, max_length=36)
    actor_role: str = Field(max_length=32)
    actor_name: str = Field(default="", max_length=200)
    action: str = Field(max_length=64)
    from_state: str | None = Field(default=None, max_length=32)
    to_state: str | None = Field(default=None, max_length=32)
    reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    details: str = Field(default="{}", sa_column=sa.Column(sa.Text(), nullable=False))  # canonical JSON
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


def search_text(*parts: str | None) -> str:
    """What ``Case.search`` and ``RegistryRecord.search`` hold: the lower-case words ``?q=`` finds."""
    return " ".join(p.lower() for p in parts if p)[:1200]


class EarlyWithdrawal(Base, table=True):
    """A withdrawal request that arrived before the submission that opens its case (the
    bus does not keep order): the case is withdrawn as soon as it opens."""

    __tablename__ = "early_withdrawals"

    filing_id: uuid.UUID = Field(primary_key=True)
    requested_by: uuid.UUID
    requested_at: dt.datetime = Field(sa_column=sa.Column(TZ, nullable=False))
    reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    received_at: dt.datetime = Field(sa_column=sa.Column(TZ, nullable=False))


class CaseNote(Base, table=True):
    """The staff's own writing on a case, never shown to the depositor's side: a private
    annotation, a version of the instruction report (the newest is in force) or a request
    for an external opinion (rapporteur, expert) with its answer once received."""

    __tablename__ = "case_notes"
    __table_args__ = (sa.Index("ix_case_notes_case", "filing_id", "kind", "created_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    filing_id: uuid.UUID
    kind: str = Field(max_length=24)  # annotation | report | external_opinion
    body: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    author_id: uuid.UUID
    author_role: str = Field(max_length=32)
    author_name: str = Field(default="", max_length=200)
    created_at: dt.datetime = Field(sa_column=sa.Column(TZ, nullable=False))
    # external opinions: whom it was asked of, and the answer kept on the case
    expert: str | None = Field(default=None, max_length=300)
    answer: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    answered_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(TZ, nullable=True))
    answered_by: uuid.UUID | None = None
    # the expert's report filed with the answer (review's "documents" bucket): where it is
    # stored, its name, sniffed type, size and SHA-256
    answer_object_key: str | None = Field(default=None, max_length=200)
    answer_filename: str | None = Field(default=None, max_length=200)
    answer_content_type: str | None = Field(default=None, max_length=120)
    answer_size: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger(), nullable=True))
    answer_sha256: str | None = Field(default=None, max_length=64)

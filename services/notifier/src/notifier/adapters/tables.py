"""The notifier service's tables: its own metadata, its own database."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from certreg_runtime.db import UtcDateTime
from certreg_runtime.messaging import add_messaging_tables


class Base(SQLModel, registry=registry()):  # its own metadata = its own database
    pass


metadata = Base.metadata
add_messaging_tables(metadata)


def _tz() -> UtcDateTime:
    return UtcDateTime()


class Person(Base, table=True):
    """The directory: who is who, learned from identity's events."""

    __tablename__ = "people"

    account_id: uuid.UUID = Field(primary_key=True)
    email: str = Field(max_length=320)
    first_name: str = Field(default="", max_length=200)
    last_name: str = Field(default="", max_length=200)
    # Space-separated role names (small, fixed vocabulary).
    roles: str = Field(default="", max_length=300)
    entity_id: uuid.UUID | None = Field(default=None, index=True)
    status: str = Field(default="pending_activation", max_length=40)
    updated_at: datetime = Field(sa_type=_tz())

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(self.roles.split())


class CaseFollower(Base, table=True):
    """Staff following a case (assigned instructor, author of a request): told when the
    depositor posts a message."""

    __tablename__ = "case_followers"

    filing_id: uuid.UUID = Field(primary_key=True)
    account_id: uuid.UUID = Field(primary_key=True)
    since: datetime = Field(sa_type=_tz())


class Certifier(Base, table=True):
    """A certifying entity's name and SIRET, learned from ``entities.entity.verified``:
    the letters name the certifier."""

    __tablename__ = "certifiers"

    entity_id: uuid.UUID = Field(primary_key=True)
    denomination: str = Field(max_length=300)
    siret: str | None = Field(default=None, max_length=14)
    updated_at: datetime = Field(sa_type=_tz())


class Dossier(Base, table=True):
    """What the letters and mails say of a filing beyond their event, learned from
    ``filings.filing.submitted`` (the latest submission): its number people quote, its
    qualification level."""

    __tablename__ = "dossiers"

    filing_id: uuid.UUID = Field(primary_key=True)
    entity_id: uuid.UUID
    reference: str | None = Field(default=None, max_length=16)  # « 2026-000123 »
    qualification_level: int | None = None
    is_cqp: bool = False
    submission_round: int = 1
    first_submitted_at: datetime = Field(sa_type=_tz())
    updated_at: datetime = Field(sa_type=_tz())


class Notification(Base, table=True):
    """An in-app notification (the bell) of one account."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_account_created", "account_id", "created_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID
    kind: str = Field(max_length=100)
    title: str = Field(max_length=300)
    body: str = Field(sa_type=sa.Text())
    link: str | None = Field(default=None, max_length=500)
    filing_id: uuid.UUID | None = None
    event_id: uuid.UUID
    created_at: datetime = Field(sa_type=_tz())
    read_at: datetime | None = Field(default=None, sa_type=_tz())


class Mail(Base, table=True):
    """The mail outbox: written in the handler's transaction, sent by the background
    sender, kept afterwards (the back office's mail viewer)."""

    __tablename__ = "mails"
    __table_args__ = (sa.Index("ix_mails_pending", "status", "next_attempt_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    event_id: uuid.UUID
    kind: str = Field(max_length=100)
    to_addr: str = Field(max_length=320)
    to_name: str = Field(default="", max_length=300)
    subject: str = Field(max_length=300)
    text_body: str = Field(sa_type=sa.Text())
    html_body: str = Field(sa_type=sa.Text())
    # JSON list of letter ids attached to the mail.
    attachments: str = Field(default="[]", sa_type=sa.Text())
    status: str = Field(default="pending", max_length=20)  # pending | sent
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=sa.Text())
    next_attempt_at: datetime = Field(sa_type=_tz())
    # A sender (replica) owns the row until then, so that two never send it together;
    # ``claimed_by`` names it (``notifier.jobs.queue.OWNER``).
    claimed_until: datetime | None = Field(default=None, sa_type=_tz())
    claimed_by: str | None = Field(default=None, max_length=100)
    # When the last try began: recorded (and committed) before the message is handed to
    # the SMTP server, so a try whose outcome was never recorded shows.
    attempted_at: datetime | None = Field(default=None, sa_type=_tz())
    created_at: datetime = Field(sa_type=_tz())
    sent_at: datetime | None = Field(default=None, sa_type=_tz())
    # W3C trace context of the handler that wrote the mail: sending it continues the
    # trace that began with the user's request.
    trace_headers: str = Field(default="{}", sa_type=sa.Text(), sa_column_kwargs={"server_default": "{}"})


class Letter(Base, table=True):
    """A decision letter (PDF) stored in the ``letters`` bucket.

    Recorded ``pending`` by the handler of the decision (with the event it is made
    from), rendered and stored by the letter job, which marks it ``ready``; the object
    fields are empty until then, and the mails of the decision wait for it."""

    __tablename__ = "letters"
    __table_args__ = (sa.Index("ix_letters_pending", "status", "next_attempt_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    filing_id: uuid.UUID = Field(index=True)
    entity_id: uuid.UUID
    kind: str = Field(max_length=40)  # registration | refusal | adjournment
    title: str = Field(max_length=300)
    filename: str = Field(max_length=200)
    object_key: str = Field(default="", max_length=300)
    sha256: str = Field(default="", max_length=64)
    size: int = 0
    event_id: uuid.UUID = Field(unique=True)
    created_at: datetime = Field(sa_type=_tz())
    # pending | ready (the rows written before the letter job existed are ready)
    status: str = Field(default="pending", max_length=20, sa_column_kwargs={"server_default": "ready"})
    # The decision's envelope (JSON): what the letter is rendered from.
    source: str | None = Field(default=None, sa_type=sa.Text())
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    last_error: str | None = Field(default=None, sa_type=sa.Text())
    next_attempt_at: datetime | None = Field(default=None, sa_type=_tz())
    # A letter job (replica) owns the row until then; ``claimed_by`` names it.
    claimed_until: datetime | None = Field(default=None, sa_type=_tz())
    claimed_by: str | None = Field(default=None, max_length=100)

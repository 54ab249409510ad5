"""The outbox and the inbox tables (one pair in every service's database) and the unit
of work that writes state changes and the events they cause in one transaction."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session

from certreg_contracts import Envelope, Event
from certreg_runtime import telemetry
from certreg_runtime.faults import describe

log = logging.getLogger(__name__)

OUTBOX = "outbox"
INBOX = "inbox"


def add_messaging_tables(metadata: sa.MetaData) -> None:
    sa.Table(
        OUTBOX,
        metadata,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("routing_key", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        # W3C trace context of the request that caused the event, restored by the relay.
        sa.Column("headers", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Index("ix_outbox_pending", "published_at", "id"),
    )
    sa.Table(
        INBOX,
        metadata,
        sa.Column("consumer", sa.String(100), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )


def outbox_table(metadata: sa.MetaData) -> sa.Table:
    return metadata.tables[OUTBOX]


def inbox_table(metadata: sa.MetaData) -> sa.Table:
    return metadata.tables[INBOX]


REQUEST_CORRELATION: ContextVar[uuid.UUID | None] = ContextVar("certreg_request_correlation", default=None)
"""The correlation id a client sent with its request (``X-Correlation-Id``), set by the
web layer for the request's duration: the events the request causes carry it."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class UnitOfWork:
    """A session and the events it emits, committed together or not at all.

    Rolls back unless ``commit()`` is called (at the end of the ``with`` block, what was
    done since the last commit). Inside an event handler ``cause`` is the
    envelope being handled: emitted events carry it as their cause and share its
    correlation id.
    """

    def __init__(
        self,
        engine: Engine,
        metadata: sa.MetaData,
        producer: str,
        *,
        cause: Envelope | None = None,
        correlation_id: uuid.UUID | None = None,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self.session = Session(engine, expire_on_commit=False)
        self._outbox = outbox_table(metadata)
        self._producer = producer
        self.cause = cause
        self._correlation_id = cause.correlation_id if cause else (correlation_id or REQUEST_CORRELATION.get())
        self._on_commit = on_commit
        self._emitted = 0

    def handling(self, cause: Envelope) -> None:
        """From now on, the events emitted are caused by ``cause`` (and share its
        correlation id): the runtime handles several deliveries in one unit of work."""
        self.cause = cause
        self._correlation_id = cause.correlation_id

    def emit(self, event: Event) -> Envelope:
        envelope = Envelope.wrap(
            event,
            producer=self._producer,
            correlation_id=self._correlation_id,
            causation_id=self.cause.event_id if self.cause else None,
        )
        self.session.execute(
            self._outbox.insert().values(
                event_id=str(envelope.event_id),
                routing_key=envelope.type,
                body=envelope.model_dump_json(),
                headers=json.dumps(telemetry.current_trace_headers()),
                created_at=utcnow(),
            )
        )
        self._emitted += 1
        return envelope

    def commit(self) -> None:
        self.session.commit()
        if self._emitted and self._on_commit:
            self._on_commit()
        self._emitted = 0

    def rollback(self) -> None:
        self.session.rollback()
        self._emitted = 0

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        """Close the session: the close rolls back whatever was not committed without
        expiring the rows read (as rollback() would): a command may return them, detached,
        as last loaded. After ``commit()`` there is nothing left to roll back.

        A close that fails (its rollback on a connection that just died, which the server
        rolls back anyway) is logged, never raised: the block's own exception, if any, is
        the one that propagates, and a block that ended normally does not become a failure."""
        self._emitted = 0
        try:
            self.close()
        except Exception as failure:
            log.warning(
                "unit of work: closing (rolling back what was not committed) failed (%s)%s",
                describe(failure),
                f" while handling {describe(exc)}" if exc is not None else "",
                exc_info=failure,
            )


def record_processed(session: Session, metadata: sa.MetaData, consumer: str, envelope: Envelope) -> bool:
    """Record that ``consumer`` handled ``envelope``, first thing in the handler's transaction.

    Returns False when it was already recorded (a redelivery): the caller then does
    nothing. A concurrent duplicate waits on the row lock and then finds the row.
    """
    inbox = inbox_table(metadata)
    values = {"consumer": consumer, "event_id": str(envelope.event_id), "event_type": envelope.type, "processed_at": utcnow()}
    dialect = session.get_bind().dialect.name
    statement: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        statement = postgresql.insert(inbox).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(inbox).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - only PostgreSQL and SQLite are supported
        raise RuntimeError(f"unsupported database {dialect}")
    inserted = session.execute(statement.returning(inbox.c.event_id))
    return inserted.first() is not None

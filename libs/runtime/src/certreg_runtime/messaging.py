"""The outbox and the inbox tables (one pair in every service's database) and the unit
of work that writes state changes and the events they cause in one transaction."""

from __future__ import annotations

import json
import logging
import uuid
import weakref
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache
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


# Statements built once per table and executed with parameters: building one per event
# (``.values(...)``) and its cache key cost about as much as running it (issue 16, events).
@lru_cache(maxsize=64)
def _outbox_insert(outbox: sa.Table) -> sa.Insert:
    return outbox.insert()


@lru_cache(maxsize=64)
def _inbox_insert(inbox: sa.Table, dialect: str) -> sa.Executable:
    if dialect == "postgresql":
        statement: postgresql.Insert | sqlite.Insert = postgresql.insert(inbox)
    elif dialect == "sqlite":
        statement = sqlite.insert(inbox)
    else:  # pragma: no cover - only PostgreSQL and SQLite are supported
        raise RuntimeError(f"unsupported database {dialect}")
    return statement.on_conflict_do_nothing().returning(inbox.c.event_id)


REQUEST_CORRELATION: ContextVar[uuid.UUID | None] = ContextVar("certreg_request_correlation", default=None)
"""The correlation id a client sent with its request (``X-Correlation-Id``), set by the
web layer for the request's duration: the events the request causes carry it."""


def utcnow() -> datetime:
    return datetime.now(UTC)


_READING: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def reading_engine(engine: Engine) -> Engine:
    """What a read-only unit of work runs on: on PostgreSQL, ``engine`` in autocommit (the
    same pool), each statement its own transaction — what READ COMMITTED gives each
    statement of a transaction anyway — without the ``BEGIN`` and ``ROLLBACK`` round
    trips around them (two of a list's four; issue 16). psycopg switches autocommit on
    the client, and the pool switches it back when the connection returns. SQLite's
    connections already run reads without a transaction (``certreg_runtime.db``), and
    its driver's isolation switch would undo that: ``engine`` itself there."""
    if engine.dialect.name != "postgresql":
        return engine
    found = _READING.get(engine)
    if found is None:
        found = _READING[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return found


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
        read_only: bool = False,
    ) -> None:
        self.session = Session(reading_engine(engine) if read_only else engine, expire_on_commit=False)
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
        # On the session's connection: the ORM's execute path (events, flush checks) cost
        # as much again, and an outbox row needs none of it.
        self.session.connection().execute(
            _outbox_insert(self._outbox),
            {
                "event_id": str(envelope.event_id),
                "routing_key": envelope.type,
                "body": envelope.model_dump_json(),
                "headers": json.dumps(telemetry.current_trace_headers()),
                "created_at": utcnow(),
            },
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
    return str(envelope.event_id) in record_processed_many(session, metadata, consumer, [envelope])


def record_processed_many(session: Session, metadata: sa.MetaData, consumer: str, envelopes: Sequence[Envelope]) -> set[str]:
    """``record_processed`` for several envelopes at once (one statement): the ids of
    those not recorded before, which the caller handles (once each, even when an id
    comes twice); the others are redeliveries."""
    inbox = inbox_table(metadata)
    now = utcnow()
    rows = {
        str(e.event_id): {"consumer": consumer, "event_id": str(e.event_id), "event_type": e.type, "processed_at": now} for e in envelopes
    }
    statement = _inbox_insert(inbox, session.get_bind().dialect.name)
    if len(rows) == 1:
        return {row.event_id for row in session.execute(statement, next(iter(rows.values())))}
    # Several parameter sets with RETURNING: SQLAlchemy sends them as one multi-row INSERT,
    # in the order of the ids, so that two batches sharing ids lock them in the same order.
    return {row.event_id for row in session.execute(statement, [rows[k] for k in sorted(rows)])}

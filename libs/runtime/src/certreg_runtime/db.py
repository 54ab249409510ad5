"""Databases: one per service, PostgreSQL in production, SQLite in the embedded mode."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections import deque
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import declared_attr
from sqlmodel import Field

log = logging.getLogger(__name__)


# Without a size from the settings (scripts, migrations): a small pool.
DEFAULT_POOL_SIZE = 5


def create_db_engine(
    url: str, *, pool_size: int | None = None, pool_timeout: float = 10.0, prepared_statements: bool = False, **kwargs: Any
) -> Engine:
    """``pool_size``: the connections of the pool, all it may open (no overflow: the
    budget is what is configured, ``Settings.pool_size_for``). A thread that waits
    ``pool_timeout`` seconds for one gets ``sqlalchemy.exc.TimeoutError``, a transient
    failure (503 with Retry-After).

    ``prepared_statements``: let psycopg prepare a statement on the server once it has
    run it five times. Off by default: behind PgBouncer in transaction pooling (how
    deploy/ runs) a prepared statement belongs to a server connection that the next
    transaction may not get ("prepared statement "_pg3_0" does not exist" / "already
    exists"); on only with a direct connection to PostgreSQL
    (``CERTREG_DB_PREPARED_STATEMENTS``)."""
    parsed = make_url(url)
    pooled = {"pool_size": pool_size or DEFAULT_POOL_SIZE, "max_overflow": 0, "pool_timeout": pool_timeout}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            from pathlib import Path

            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs = {**pooled, **kwargs}
        connect_args: dict[str, Any] = {"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS}
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            connect_args["factory"] = _gated_connection(_write_gate(parsed.database))
        engine = sa.create_engine(url, connect_args=connect_args, **kwargs)

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
            # pysqlite's own transaction handling off (it opens a deferred transaction
            # before DML only, so a SELECT … FOR UPDATE read outside any lock): the
            # transactions are opened by ``_sqlite_write_transaction`` below.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
            cur.close()

        sa.event.listen(engine, "before_cursor_execute", _sqlite_write_transaction)
        return engine
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        # A server that does not answer fails the connection in 10 s (a transient error,
        # retried) instead of holding a thread for the system's TCP timeout.
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("connect_timeout", 10)
        kwargs["connect_args"] = connect_args
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "psycopg" and not prepared_statements:
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("prepare_threshold", None)
        kwargs["connect_args"] = connect_args
    # No ``SELECT 1`` before every transaction (it was 16 % of the bus's active time, one
    # round trip in four of a short command; issue 16). A connection the server dropped
    # (restart, failover, idle kill) fails on its first statement instead: SQLAlchemy sees
    # a disconnect, invalidates every connection of the pool opened before it, and the
    # failure is transient (503 with Retry-After for a request, a retry for a handler or
    # the relay), the next attempt connecting afresh (tests/…/test_database_outage.py).
    kwargs.setdefault("pool_pre_ping", False)
    engine = sa.create_engine(url, **{**pooled, **kwargs})
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "psycopg":
        sa.event.listen(engine, "connect", _session_in_utc)
    return engine


def _session_in_utc(dbapi_conn: Any, _: Any) -> None:
    """Each connection's session in ``UTC``, where psycopg reads a ``timestamptz`` straight
    as a ``datetime.timezone.utc`` moment (``UtcDateTime`` then keeps it as it is).

    Any other zone (PostgreSQL's image says ``Etc/UTC``, a server may say Europe/Paris)
    makes psycopg convert every moment to a ``ZoneInfo`` and ``UtcDateTime`` convert it
    back: a page of 600 moments took 2.4 times the CPU to load (issue 16). The moments
    are the same; no SQL of the platform depends on the session's zone (dates are
    computed in Python, in Paris time). Behind PgBouncer the ``SET`` holds in
    transaction pooling too: ``TimeZone`` is one of the parameters it keeps per client
    and sets again on the server connection each transaction gets."""
    if dbapi_conn.info.parameter_status("TimeZone") == "UTC":
        return
    autocommit = dbapi_conn.autocommit
    dbapi_conn.autocommit = True
    try:
        dbapi_conn.execute("SET TIME ZONE 'UTC'")
    finally:
        dbapi_conn.autocommit = autocommit


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _locks_or_writes(statement: str, context: Any) -> bool:
    """Whether a statement writes, or reads rows it means to change (``FOR UPDATE``,
    which the SQLite compiler leaves out of the SQL but keeps on the statement)."""
    if context is not None and context.compiled is not None:
        if context.isinsert or context.isupdate or context.isdelete:
            return True
        if getattr(context.compiled.statement, "_for_update_arg", None) is not None:
            return True
    return statement.lstrip().upper().startswith(_WRITES)


def _sqlite_write_transaction(conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    """SQLite: the first statement of a transaction that writes or locks opens it with
    ``BEGIN IMMEDIATE`` — it takes the database's write lock (waiting up to the busy
    timeout for another writer to commit) *before* reading, so what it reads next is
    the last committed state and stays so until it commits. The rows a command locks
    (``FOR UPDATE``) are thus locked on SQLite as on PostgreSQL, for the whole database.

    Reads before that run each in its own implicit transaction (like PostgreSQL's READ
    COMMITTED statements) and take no lock: a read-only request never waits for a
    writer, nor makes one wait. See docs/DEVELOPING.md, "Concurrency"."""
    dbapi = cursor.connection
    if not dbapi.in_transaction and _locks_or_writes(statement, context):
        if isinstance(dbapi, _GatedConnection):
            dbapi.enter_gate()
        dbapi.execute("BEGIN IMMEDIATE")


SQLITE_BUSY_SECONDS = 30


class WriteGate:
    """The writers of one SQLite file in this process, one at a time and first come,
    first served: a writer waits here, asleep, and is woken by the one before it as it
    commits or rolls back, which hands the gate straight to it.

    Without it, every writer waited in SQLite's own busy handler, which polls the lock
    with sleeps of up to 100 ms: a released lock stayed free while the waiters slept, and
    went to whoever polled first, not to who had waited longest. 500 depositors filing at
    once (``bench/load.py --only journey``, 150 writes let in): admitted requests p99
    4.7 s and max 9.5 s without the gate, 2.5 and 3.3 s with it (issue 16;
    bench/README.md, "The filing journey at 500"). ``BEGIN IMMEDIATE`` stays: other
    processes on the same file (the CLI, a second worker) still wait in SQLite."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiters: deque[threading.Event] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._held:
                self._held = True
                return True
            handed = threading.Event()
            self._waiters.append(handed)
        if handed.wait(timeout):
            return True
        with self._mutex:
            if handed.is_set():  # handed over as the wait ran out
                return True
            self._waiters.remove(handed)
            return False

    def release(self) -> None:
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().set()  # still held: now by the first waiter
            else:
                self._held = False


_gates: dict[str, WriteGate] = {}
_gates_mutex = threading.Lock()


def _write_gate(database: str) -> WriteGate:
    """One gate per file, shared by every engine of the process that opens it."""
    path = os.path.realpath(database)
    with _gates_mutex:
        return _gates.setdefault(path, WriteGate())


class _GatedConnection(sqlite3.Connection):
    """A pysqlite connection that goes through its file's ``WriteGate`` before opening a
    write transaction, and leaves it when the transaction ends, however it ends."""

    gate: WriteGate
    _inside = False

    def enter_gate(self) -> None:
        if self._inside:
            return
        if not self.gate.acquire(SQLITE_BUSY_SECONDS):
            # What SQLite itself says past its busy timeout: a transient failure (503).
            raise sqlite3.OperationalError("database is locked (waited for this process's other writers)")
        self._inside = True

    def _leave_gate(self) -> None:
        if self._inside:
            self._inside = False
            self.gate.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._leave_gate()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._leave_gate()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._leave_gate()


def _gated_connection(gate: WriteGate) -> type[_GatedConnection]:
    return type("GatedConnection", (_GatedConnection,), {"gate": gate})


def row_version() -> Any:
    """The optimistic version column of an aggregate's table (see ``VERSIONED``)."""
    return Field(default=1, sa_column_kwargs={"server_default": "1", "nullable": False})


def _versioned_args(cls: Any) -> dict[str, Any]:
    return {"version_id_col": cls.__table__.c.row_version}


VERSIONED: Any = declared_attr.directive(_versioned_args)
"""An aggregate's ``__mapper_args__`` (with ``row_version: int = row_version()``): every
ORM update of its row is ``UPDATE … SET row_version = v + 1 WHERE id = … AND row_version
= v``; no row matched (someone changed it since it was read) raises ``StaleDataError``,
which the web layer answers 409 ``concurrent_update``. The safety net under the locks
(docs/DEVELOPING.md, "Concurrency"): a command that forgot to lock what it changes
cannot silently overwrite a concurrent change, on SQLite as on PostgreSQL."""


_SQLITE_UNIQUE = ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY")
_PG_UNIQUE_VIOLATION = "23505"


def is_unique_violation(exc: BaseException) -> bool:
    """Whether ``exc`` is a unique (or primary key) constraint refusing a row — on
    PostgreSQL (SQLSTATE 23505) or SQLite (``UNIQUE constraint failed``) — as opposed to
    any other integrity error (a foreign key, a NOT NULL, a CHECK: a bug).

    Two requests that each checked "no row with this key yet" and then both inserted one:
    the second is refused by the database. The web layer answers it 409
    ``concurrent_update`` (docs/DEVELOPING.md, "Concurrency")."""
    if not isinstance(exc, sa_exc.IntegrityError):
        return False
    orig = exc.orig
    if isinstance(orig, sqlite3.IntegrityError):
        name = getattr(orig, "sqlite_errorname", None)
        return name in _SQLITE_UNIQUE if name else str(orig).startswith("UNIQUE constraint failed")
    return getattr(orig, "sqlstate", None) == _PG_UNIQUE_VIOLATION


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` if it does not exist."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}).scalar()
            if not exists:
                log.info("creating database %s", parsed.database)
                conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        admin.dispose()


def is_postgres(bind: Engine | Connection) -> bool:
    """Whether ``bind`` (an engine, or a session's ``get_bind()``) talks to PostgreSQL."""
    return bind.dialect.name == "postgresql"


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A moment: stored in UTC, read back as an aware UTC datetime on every database.

    SQLite keeps no offset and gives naive datetimes back, which the APIs would send
    without a zone (``2026-12-01T09:30:00``, read by browsers as local time): every model
    column of a moment uses this type (``tests/migrations`` checks it)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)

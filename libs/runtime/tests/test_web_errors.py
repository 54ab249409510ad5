"""An infrastructure failure answers 503 with Retry-After and a French detail, logged
once with the trace id and without secrets; a bug stays a 500."""

from __future__ import annotations

import json
import logging
import smtplib
import sqlite3
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
import urllib3
from fastapi import APIRouter
from minio import Minio
from opentelemetry import trace

from certreg_runtime.bus.inprocess import InProcessBus
from certreg_runtime.db import create_db_engine
from certreg_runtime.service import ServiceDefinition, ServiceRunner
from certreg_runtime.settings import Settings
from certreg_runtime.telemetry import JsonFormatter, setup_tracing
from certreg_testing.infra import free_port
from certreg_testing.probe import metadata

SECRET = "s3cret-pw"
trace_ids: list[str] = []


def refused_database() -> None:
    engine = create_db_engine(f"postgresql+psycopg://certreg:{SECRET}@127.0.0.1:{free_port()}/filings")
    try:
        with engine.connect():
            pass
    finally:
        engine.dispose()


def exhausted_pool() -> None:
    engine = sa.create_engine("sqlite://", pool_size=1, max_overflow=0, pool_timeout=0.05, poolclass=sa.pool.QueuePool)
    with engine.connect(), engine.connect():
        pass


def too_many_clients() -> None:
    import psycopg

    raise sa_exc.OperationalError(
        "SELECT * FROM filings WHERE owner = %(o)s",
        {"o": "jeanne@example.fr"},
        psycopg.OperationalError(f"connection failed: FATAL:  sorry, too many clients already (postgresql://certreg:{SECRET}@db/x)"),
    )


def unreachable_s3() -> None:
    http = urllib3.PoolManager(retries=urllib3.Retry(total=0), timeout=urllib3.Timeout(connect=1, read=1))
    Minio(f"127.0.0.1:{free_port()}", access_key="k", secret_key=SECRET, http_client=http).bucket_exists("certreg-filings-documents")


def s3_connection_error() -> None:
    raise urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")  # type: ignore[arg-type]


def smtp_gone() -> None:
    raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def sqlite_locked() -> None:
    raise sa_exc.OperationalError("UPDATE filings …", {}, sqlite3.OperationalError("database is locked"))


KINDS = {
    "refused-database": (refused_database, "base de données"),
    "exhausted-pool": (exhausted_pool, "base de données"),
    "too-many-clients": (too_many_clients, "base de données"),
    "sqlite-locked": (sqlite_locked, "base de données"),
    "unreachable-s3": (unreachable_s3, "stockage"),
    "s3-connection-error": (s3_connection_error, "stockage"),
    "smtp-gone": (smtp_gone, "courriels"),
}


def _sqlite_violation(ddl: str, *inserts: str) -> None:
    engine = sa.create_engine("sqlite://")
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(ddl))
            for insert in inserts:
                conn.execute(sa.text(insert))
    finally:
        engine.dispose()


def sqlite_unique() -> None:
    _sqlite_violation("CREATE TABLE t (day TEXT UNIQUE)", "INSERT INTO t VALUES ('2027-01-04')", "INSERT INTO t VALUES ('2027-01-04')")


def sqlite_primary_key() -> None:
    _sqlite_violation("CREATE TABLE t (id INTEGER PRIMARY KEY)", "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (1)")


def sqlite_not_null() -> None:
    _sqlite_violation("CREATE TABLE t (day TEXT NOT NULL)", "INSERT INTO t VALUES (NULL)")


def postgres_unique() -> None:
    import psycopg.errors

    raise sa_exc.IntegrityError(
        "INSERT INTO sessions …", {}, psycopg.errors.UniqueViolation('duplicate key value violates unique constraint "sessions_date_key"')
    )


def postgres_foreign_key() -> None:
    import psycopg.errors

    raise sa_exc.IntegrityError(
        "INSERT INTO agenda …", {}, psycopg.errors.ForeignKeyViolation("insert or update violates foreign key constraint")
    )


INTEGRITY = {
    "sqlite-unique": (sqlite_unique, 409),
    "sqlite-primary-key": (sqlite_primary_key, 409),
    "postgres-unique": (postgres_unique, 409),
    "sqlite-not-null": (sqlite_not_null, 500),
    "postgres-foreign-key": (postgres_foreign_key, 500),
}

router = APIRouter()


@router.get("/fail/{kind}")
def fail(kind: str) -> None:
    trace_ids.append(format(trace.get_current_span().get_span_context().trace_id, "032x"))
    if kind == "bug":
        raise RuntimeError("a bug")
    if kind == "integrity":
        raise sa_exc.IntegrityError("INSERT …", {}, Exception("duplicate key value violates unique constraint"))
    if kind in INTEGRITY:
        INTEGRITY[kind][0]()
    if kind == "missing-file":
        Path("/nonexistent/certreg/file").read_bytes()
    KINDS[kind][0]()


@pytest.fixture
async def client(tmp_path):
    setup_tracing("test")
    definition = ServiceDefinition(name="probe", metadata=metadata, migrations=Path("/nonexistent"), routers=lambda ctx: [router])
    engine = create_db_engine(f"sqlite:///{tmp_path / 'probe.sqlite3'}")
    runner = ServiceRunner(
        definition,
        Settings(data_dir=tmp_path),
        InProcessBus(tmp_path / "bus.sqlite3"),
        engine=engine,
        jwks=lambda refresh=False: {"keys": []},
    )
    transport = httpx.ASGITransport(app=runner.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        yield client
    engine.dispose()


@pytest.mark.parametrize("kind", list(KINDS))
async def test_infrastructure_failure_answers_503_with_retry_after(kind, client, caplog) -> None:
    caplog.set_level(logging.INFO)
    trace_ids.clear()
    response = await client.get(f"/api/probe/fail/{kind}", params={"token": "secret-token"})
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    body = response.json()
    assert body["code"] == "unavailable"
    assert KINDS[kind][1] in body["detail"] and "momentanément indisponible" in body["detail"]

    logged = [r for r in caplog.records if r.name == "certreg_runtime.web"]
    assert len(logged) == 1, [r.getMessage() for r in caplog.records]
    line = JsonFormatter("probe").format(logged[0])
    assert logged[0].levelno == logging.WARNING
    assert trace_ids[0] in line  # the request's trace id
    assert json.loads(line)["msg"].startswith("503 on GET /api/probe/fail/")
    ours = [r for r in caplog.records if r.name != "httpx"]  # the test client logs its own URL
    every_line = "\n".join(JsonFormatter("probe").format(r) for r in ours)
    assert SECRET not in every_line and "jeanne@example.fr" not in every_line and "secret-token" not in every_line


@pytest.mark.parametrize("kind", ["bug", "integrity", "missing-file"])
async def test_a_bug_stays_a_500(kind, client) -> None:
    response = await client.get(f"/api/probe/fail/{kind}")
    assert response.status_code == 500


@pytest.mark.parametrize("kind", list(INTEGRITY))
async def test_a_unique_violation_is_a_409_any_other_integrity_error_a_500(kind, client) -> None:
    """Two requests that both found no row and both inserted one (issue 15: two sessions
    on one date): the database refuses the second, which answers 409 ``concurrent_update``
    — on SQLite and PostgreSQL alike; a foreign key or NOT NULL violation is a bug."""
    response = await client.get(f"/api/probe/fail/{kind}")
    assert response.status_code == INTEGRITY[kind][1], response.text
    if response.status_code == 409:
        assert response.json()["code"] == "concurrent_update"
        assert "au même moment" in response.json()["detail"]


async def test_a_server_refusing_connections_answers_503_not_500(postgres, tmp_path) -> None:
    """Issue 16, the connection budget: a real PostgreSQL that refuses a connection for
    want of slots (SQLSTATE 53300, "too many clients already" / "too many connections
    for role": the role of this test may have none) answers 503 with Retry-After."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(postgres.create_database(f"full_{free_port()}"))
    role = f"certreg_full_{free_port()}"
    with psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{SECRET}' CONNECTION LIMIT 0")
    full = create_db_engine(url.set(username=role, password=SECRET).render_as_string(hide_password=False))
    router = APIRouter()

    @router.get("/count")
    def count() -> int:
        with full.connect() as conn:
            return int(conn.execute(sa.text("SELECT 1")).scalar_one())

    definition = ServiceDefinition(name="probe", metadata=metadata, migrations=Path("/nonexistent"), routers=lambda ctx: [router])
    runner = ServiceRunner(
        definition,
        Settings(data_dir=tmp_path),
        InProcessBus(tmp_path / "bus.sqlite3"),
        engine=create_db_engine(f"sqlite:///{tmp_path / 'probe.sqlite3'}"),
        jwks=lambda refresh=False: {"keys": []},
    )
    try:
        transport = httpx.ASGITransport(app=runner.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
            response = await client.get("/api/probe/count")
    finally:
        full.dispose()
        with psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True) as admin:
            admin.execute(f"DROP ROLE {role}")
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["code"] == "unavailable"

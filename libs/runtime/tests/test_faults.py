"""One classifier for every failure: transient (the infrastructure, for a while) or not.

Real errors where they are cheap to provoke (a refused port, an exhausted pool), built
ones otherwise."""

from __future__ import annotations

import errno
import smtplib
import socket
import sqlite3

import httpx
import pytest
import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
import urllib3
import urllib3.exceptions as u3
from minio import Minio
from minio.error import ServerError

from certreg_contracts import UnknownEvent
from certreg_runtime.db import create_db_engine
from certreg_runtime.errors import Conflict, Invalid, Unavailable
from certreg_runtime.faults import PermanentError, TransientError, dependency_of, describe, is_transient, redact
from certreg_testing.infra import free_port


def _raised(fn) -> BaseException:
    try:
        fn()
    except BaseException as exc:
        return exc
    raise AssertionError("did not raise")


def test_refused_database_is_transient() -> None:
    engine = create_db_engine(f"postgresql+psycopg://certreg:s3cret-pw@127.0.0.1:{free_port()}/nowhere")
    exc = _raised(lambda: engine.connect())
    assert isinstance(exc, sa_exc.OperationalError)
    assert is_transient(exc)
    assert dependency_of(exc) == "database"
    assert "s3cret-pw" not in describe(exc)


def test_exhausted_pool_is_transient(tmp_path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}", pool_size=1, max_overflow=0, pool_timeout=0.05)
    with engine.connect():
        exc = _raised(lambda: engine.connect())
    assert isinstance(exc, sa_exc.TimeoutError)
    assert is_transient(exc)


def _sa_error(cls: type[sa_exc.DBAPIError], orig: Exception, **kwargs) -> sa_exc.DBAPIError:
    return cls("SELECT secret FROM t WHERE email = %(e)s", {"e": "jeanne@example.fr"}, orig, **kwargs)


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (_sa_error(sa_exc.OperationalError, Exception("FATAL:  sorry, too many clients already")), True),
        (_sa_error(sa_exc.InterfaceError, Exception("connection already closed")), True),
        (_sa_error(sa_exc.DBAPIError, Exception("server closed the connection"), connection_invalidated=True), True),
        (_sa_error(sa_exc.OperationalError, sqlite3.OperationalError("database is locked")), True),
        (_sa_error(sa_exc.OperationalError, sqlite3.OperationalError("no such table: filings")), False),
        (_sa_error(sa_exc.IntegrityError, Exception("duplicate key value violates unique constraint")), False),
        (_sa_error(sa_exc.ProgrammingError, Exception("syntax error at or near")), False),
    ],
    ids=["too-many-clients", "interface", "invalidated", "sqlite-locked", "sqlite-no-table", "integrity", "programming"],
)
def test_database_errors(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient
    # Logged without the statement's parameters (personal data).
    assert "jeanne@example.fr" not in describe(error)


def test_unreachable_s3_is_transient() -> None:
    port = free_port()
    http = urllib3.PoolManager(retries=urllib3.Retry(total=0), timeout=urllib3.Timeout(connect=1, read=1))
    client = Minio(f"127.0.0.1:{port}", access_key="k", secret_key="s", secure=False, http_client=http)
    exc = _raised(lambda: client.bucket_exists("certreg-x-documents"))
    assert isinstance(exc, u3.MaxRetryError)
    assert is_transient(exc)
    assert dependency_of(exc) == "storage"


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (u3.ProtocolError("Connection aborted.", ConnectionResetError(errno.ECONNRESET, "reset")), True),
        (u3.ReadTimeoutError(None, "/b", "read timed out"), True),  # type: ignore[arg-type]
        (ServerError("server failed", 503), True),
        (ServerError("not implemented", 501), True),
        (httpx.ConnectError("refused"), True),
        (httpx.ReadTimeout("slow"), True),
    ],
)
def test_http_errors(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient


def test_refused_smtp_is_transient() -> None:
    exc = _raised(lambda: smtplib.SMTP("127.0.0.1", free_port(), timeout=2))
    assert is_transient(exc)


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), True),
        (smtplib.SMTPConnectError(421, b"Service not available"), True),
        (smtplib.SMTPDataError(451, b"Requested action aborted: local error"), True),
        (smtplib.SMTPRecipientsRefused({"a@x.fr": (450, b"mailbox busy")}), True),
        (smtplib.SMTPRecipientsRefused({"a@x.fr": (550, b"no such user")}), False),
        (smtplib.SMTPDataError(554, b"Transaction failed"), False),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), False),
    ],
)
def test_smtp_errors(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient
    assert dependency_of(error) == "mail"


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), True),
        (ConnectionResetError(errno.ECONNRESET, "reset"), True),
        (TimeoutError("timed out"), True),
        (socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"), True),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), True),
        (OSError(errno.ENOSPC, "No space left on device"), True),
        (FileNotFoundError(errno.ENOENT, "No such file"), False),
        (PermissionError(errno.EACCES, "Permission denied"), False),
    ],
)
def test_os_errors(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient


def test_explicit_classes_and_domain_errors() -> None:
    assert is_transient(TransientError("the registry does not answer"))
    assert is_transient(Unavailable())
    for permanent in (PermanentError("unknown filing"), Conflict("déjà fait"), Invalid([]), UnknownEvent("x.y.z")):
        assert not is_transient(permanent)
    for bug in (ValueError("bad"), KeyError("x"), RuntimeError("boom"), AssertionError()):
        assert not is_transient(bug)


def test_explicit_cause_counts_not_the_context() -> None:
    outage = _sa_error(sa_exc.OperationalError, Exception("connection refused"))

    def wrapped() -> None:
        raise RuntimeError("could not load the case") from outage

    def refused() -> None:
        raise PermanentError("unknown filing") from outage

    def bug_in_except_block() -> None:
        try:
            raise outage
        except sa_exc.OperationalError:
            raise KeyError("a bug in the except block") from None

    assert is_transient(_raised(wrapped))
    assert not is_transient(_raised(refused)), "a permanent error wins over its cause"
    assert not is_transient(_raised(bug_in_except_block))


def test_redact_removes_secrets() -> None:
    text = (
        "could not connect to postgresql+psycopg://certreg:hunter2@db:5432/filings "
        "(host=db password=hunter2 user=certreg) "
        "GET /b/k?X-Amz-Credential=AKIA%2F123&X-Amz-Signature=abcdef&x=1"
    )
    clean = redact(text)
    assert "hunter2" not in clean
    assert "certreg:***@db" in clean
    assert "password=***" in clean
    assert "abcdef" not in clean and "AKIA" not in clean
    assert "x=1" in clean

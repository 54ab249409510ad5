"""pytest fixtures for the real infrastructure (see ``certreg_testing.infra``).

Register with ``pytest_plugins = ["certreg_testing.plugin"]`` in the root conftest.py.
All fixtures are session-scoped; a missing dependency fails its tests with a message
saying which variable to set or what to install.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from certreg_testing import infra

T = TypeVar("T")


def _resolve(resolve: Callable[..., T], *args: object) -> T:
    try:
        return resolve(*args)
    except infra.InfraUnavailable as exc:
        message = str(exc)
    pytest.fail(message, pytrace=False)  # outside `except`: no chained traceback


@pytest.fixture(scope="session")
def postgres() -> Iterator[infra.PostgresServer]:
    """The PostgreSQL server; databases made through it are dropped at the end of the session."""
    server = _resolve(infra.resolve_postgres)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    """The URL of a RabbitMQ broker; isolate each test with ``infra.unique_namespace()``."""
    server = _resolve(infra.resolve_amqp)
    _amqp_for_cleanup.append(server.url)
    try:
        yield server.url
    finally:
        infra.delete_namespaces(server.url, infra.ISSUED_NAMESPACES)
        infra.ISSUED_NAMESPACES.clear()
        _amqp_for_cleanup.clear()
        server.close()


_amqp_for_cleanup: list[str] = []


@pytest.fixture(autouse=True)
def _delete_the_tests_namespaces() -> Iterator[None]:
    """After each test, delete the RabbitMQ queues of the namespaces it was given
    (session fixtures' namespaces, issued before, stay until the session ends)."""
    before = len(infra.ISSUED_NAMESPACES)
    yield
    issued = [ns for ns in infra.ISSUED_NAMESPACES[before:] if ns not in infra.SESSION_NAMESPACES]
    if issued and _amqp_for_cleanup:
        infra.ISSUED_NAMESPACES[before:] = [ns for ns in infra.ISSUED_NAMESPACES[before:] if ns in infra.SESSION_NAMESPACES]
        infra.delete_namespaces(_amqp_for_cleanup[0], issued)


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[infra.S3Server]:
    """An S3-compatible server: $CERTREG_TEST_S3_*, a MinIO container, or ``weed mini``."""
    workdir: Path = tmp_path_factory.mktemp("s3")
    server = _resolve(infra.resolve_s3, workdir)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[infra.SmtpSink]:
    """An in-process SMTP server on 127.0.0.1 that keeps every mail it receives."""
    sink = infra.SmtpSink().start()
    try:
        yield sink
    finally:
        sink.close()

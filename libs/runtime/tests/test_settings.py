"""CERTREG_ENVIRONMENT: development and test accept the embedded defaults; production
refuses what would be unsafe or wrong there, naming the variable and why."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from certreg_runtime.bus.inprocess import InProcessBus
from certreg_runtime.service import ServiceRunner
from certreg_runtime.settings import Settings, UnsafeSettings
from certreg_testing.probe import ProbeBehaviour, probe_definition

# What a production service is given (docker-compose.yml, deploy/k8s).
PRODUCTION: dict[str, Any] = {
    "environment": "production",
    "public_url": "https://certreg.example.org",
    "database_url": "postgresql+psycopg://certreg:secret@postgres:5432/certreg_{service}",
    "amqp_url": "amqp://certreg:secret@rabbitmq:5672/",
    "s3_endpoint": "minio:9000",
}


@pytest.fixture(autouse=True)
def _no_certreg_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("CERTREG_"):
            monkeypatch.delenv(name)


def refusal(**values: Any) -> str:
    with pytest.raises(ValidationError) as raised:
        Settings(**values)
    return str(raised.value)


def test_the_environment_is_one_of_three() -> None:
    assert Settings().environment == "development"
    assert Settings(environment="test").environment == "test"
    assert "environment" in refusal(environment="staging")


@pytest.mark.parametrize("environment", ["development", "test"])
def test_development_and_test_accept_the_embedded_defaults(environment: str, tmp_path: Path) -> None:
    settings = Settings(environment=environment, clock_offset_file=tmp_path / "offset", public_url="http://certreg.test")
    assert settings.database_url_for("filings").startswith("sqlite:")
    settings.check_service("filings", stores_blobs=True)


def test_a_production_configuration_passes() -> None:
    settings = Settings(**PRODUCTION)
    for service in ("identity", "filings"):
        settings.check_service(service, stores_blobs=service == "filings")


def test_production_refuses_a_movable_clock(tmp_path: Path) -> None:
    message = refusal(**PRODUCTION, clock_offset_file=tmp_path / "offset")
    assert "CERTREG_CLOCK_OFFSET_FILE is set" in message and "real time" in message


@pytest.mark.parametrize("url", ["http://localhost:8000", "http://127.0.0.1:8000", "http://[::1]:8000", "http://certreg.localhost"])
def test_production_accepts_http_on_a_loopback_address(url: str) -> None:
    assert Settings(**{**PRODUCTION, "public_url": url}).public_url == url


@pytest.mark.parametrize("url", ["http://certreg.example.org", "http://10.0.0.5:8000", "ftp://localhost", "certreg.example.org"])
def test_production_refuses_a_public_url_without_https(url: str) -> None:
    message = refusal(**{**PRODUCTION, "public_url": url})
    assert f"CERTREG_PUBLIC_URL='{url}' is not https" in message and "tokens" in message


def test_production_refuses_sqlite_wherever_it_is_named() -> None:
    message = refusal(**{**PRODUCTION, "database_url": "sqlite:////tmp/{service}.sqlite3"})
    assert "CERTREG_DATABASE_URL is SQLite" in message
    message = refusal(**PRODUCTION, review_database_url="sqlite+pysqlite:///review.db")
    assert "CERTREG_REVIEW_DATABASE_URL is SQLite" in message and "PostgreSQL" in message


def test_production_names_every_problem_at_once(tmp_path: Path) -> None:
    message = refusal(environment="production", public_url="http://certreg.example.org", clock_offset_file=tmp_path / "offset")
    assert "CERTREG_PUBLIC_URL" in message and "CERTREG_CLOCK_OFFSET_FILE" in message


def test_a_production_service_needs_its_database_broker_and_object_store() -> None:
    gateway = Settings(environment="production", public_url="https://certreg.example.org")  # the gateway needs none of them
    with pytest.raises(UnsafeSettings) as raised:
        gateway.check_service("filings", stores_blobs=True)
    problems = raised.value.problems
    assert len(problems) == 3
    assert "CERTREG_DATABASE_URL nor CERTREG_FILINGS_DATABASE_URL is set" in problems[0] and "SQLite" in problems[0]
    assert "CERTREG_AMQP_URL is not set" in problems[1] and "in-process bus" in problems[1]
    assert "CERTREG_S3_ENDPOINT is not set" in problems[2] and "replicas" in problems[2]


def test_a_service_without_buckets_needs_no_object_store() -> None:
    settings = Settings(**{**PRODUCTION, "s3_endpoint": None})
    settings.check_service("review", stores_blobs=False)
    with pytest.raises(UnsafeSettings, match="CERTREG_S3_ENDPOINT"):
        settings.check_service("filings", stores_blobs=True)


def test_one_service_database_is_enough() -> None:
    settings = Settings(**{**PRODUCTION, "database_url": None, "review_database_url": "postgresql+psycopg://db/review"})
    settings.check_service("review", stores_blobs=False)
    with pytest.raises(UnsafeSettings, match="CERTREG_FILINGS_DATABASE_URL"):
        settings.check_service("filings", stores_blobs=False)


def test_the_runner_refuses_to_start_a_production_service_on_the_embedded_defaults(tmp_path: Path) -> None:
    settings = Settings(environment="production", public_url="https://certreg.example.org", data_dir=tmp_path)
    with pytest.raises(UnsafeSettings, match="CERTREG_AMQP_URL"):
        ServiceRunner(probe_definition(ProbeBehaviour()), settings, InProcessBus())
    assert list(tmp_path.iterdir()) == []  # refused before any database file was made


def test_the_log_level_is_a_setting() -> None:
    assert Settings().log_level == "INFO"
    assert Settings(log_level="debug").log_level == "DEBUG"
    assert "log_level" in refusal(log_level="verbose")

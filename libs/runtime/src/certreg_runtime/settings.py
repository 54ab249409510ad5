"""Configuration from the environment: the names of DESIGN.md section 6, everywhere."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """What every service reads. A service's own settings live in its ``config.py``
    (``ServiceDefinition.config``); values given here for them (``Settings(smtp_host=…)``
    in a test) are kept as extras and handed to that service's settings."""

    model_config = SettingsConfigDict(env_prefix="CERTREG_", extra="allow")

    # Where the embedded mode keeps its files (SQLite, blobs, mail outbox, bus).
    data_dir: Path = Path("./var")
    # "development" enables conveniences (demo administrator, console mail); anything
    # else refuses unsafe defaults.
    environment: str = "development"

    # SQLAlchemy URL template; "{service}" is replaced by the service name.
    database_url: str | None = None
    identity_database_url: str | None = None
    entities_database_url: str | None = None
    filings_database_url: str | None = None
    review_database_url: str | None = None
    notifier_database_url: str | None = None
    # Run migrations when a service starts (the embedded mode always does).
    auto_migrate: bool = False

    # RabbitMQ; unset means the in-process bus.
    amqp_url: str | None = None
    # Prefix of the exchange and queues (tests isolate themselves with it).
    bus_namespace: str = "certreg"
    # A handler is tried this many times (with back-off) before its event is parked.
    bus_max_attempts: int = Field(default=5, ge=1)
    bus_retry_backoff_seconds: float = Field(default=0.2, ge=0)
    bus_prefetch: int = Field(default=16, ge=1)
    outbox_poll_seconds: float = Field(default=1.0, gt=0)

    # S3-compatible storage (MinIO); unset endpoint means a local folder.
    s3_endpoint: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_secure: bool = False
    s3_region: str | None = None
    bucket_prefix: str = "certreg"
    max_upload_bytes: int = Field(default=250 * 1024 * 1024, gt=0)

    public_url: str = "http://127.0.0.1:8000"

    # Where the gateway (and the services, for JWKS) find each service when distributed.
    identity_url: str | None = None
    entities_url: str | None = None
    filings_url: str | None = None
    review_url: str | None = None
    notifier_url: str | None = None

    # Access tokens are short-lived.
    access_token_ttl_seconds: int = Field(default=900, gt=0)
    # The issuer and audience of every token.
    jwt_issuer: str = "certreg-identity"
    jwt_audience: str = "certreg"

    # Tests may move a service's clock: a file holding an offset in seconds. Never set
    # in production.
    clock_offset_file: Path | None = None

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def database_url_for(self, service: str) -> str:
        override: str | None = getattr(self, f"{service}_database_url", None)
        if override:
            return override
        if self.database_url:
            return self.database_url.replace("{service}", service)
        return f"sqlite:///{(self.data_dir / f'{service}.sqlite3').resolve()}"

    def service_url(self, service: str) -> str | None:
        url: str | None = getattr(self, f"{service}_url", None)
        return url

    def bucket(self, service: str, purpose: str = "documents") -> str:
        return f"{self.bucket_prefix}-{service}-{purpose}"


S = TypeVar("S", bound=BaseSettings)


def service_config(cls: type[S], settings: Settings) -> S:
    """A service's own settings: the environment (``CERTREG_*``), overridden by what was
    given to the shared ``settings`` for its fields."""
    given = {k: v for k, v in (settings.model_extra or {}).items() if k in cls.model_fields}
    return cls(**given)


def load_settings() -> Settings:
    """The settings of this process (its environment), with its data folder made."""
    settings = Settings()
    os.makedirs(settings.data_dir, exist_ok=True)
    return settings

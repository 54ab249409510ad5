"""Configuration from the environment: the names of DESIGN.md section 6, everywhere."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from certreg_contracts.types import SERVICES
from certreg_runtime.clients import Network, parse_networks

Environment = Literal["development", "test", "production"]


class UnsafeSettings(ValueError):
    """The settings would be unsafe or wrong in production; the message says which
    variable and why."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("refused in production (CERTREG_ENVIRONMENT=production):\n- " + "\n- ".join(problems))


class Settings(BaseSettings):
    """What every service reads. A service's own settings live in its ``config.py``
    (``ServiceDefinition.config``); values given here for them (``Settings(smtp_host=…)``
    in a test) are kept as extras and handed to that service's settings."""

    model_config = SettingsConfigDict(env_prefix="CERTREG_", extra="allow")

    # Where the embedded mode keeps its files (SQLite, blobs, mail outbox, bus).
    data_dir: Path = Path("./var")
    # "production" refuses what would be unsafe or wrong there (``production_problems``,
    # and for a service ``check_service``); "development" and "test" accept the embedded
    # defaults (SQLite, in-process bus, local folders) and a movable clock.
    environment: Environment = "development"

    # SQLAlchemy URL template; "{service}" is replaced by the service name.
    database_url: str | None = None
    identity_database_url: str | None = None
    entities_database_url: str | None = None
    filings_database_url: str | None = None
    review_database_url: str | None = None
    notifier_database_url: str | None = None
    # Run migrations when a service starts (the embedded mode always does).
    auto_migrate: bool = False

    # Threads and connections (deploy/README.md, "Threads and the connection budget"). A thread holds at
    # most one connection at a time and never across a hand-off to another thread (routes
    # open their unit of work in their body), so a pool at least as large as the threads
    # that may use it never makes one wait. ``http_threads``: the worker threads of sync
    # routes, per process (None: 16 when every database of the process is SQLite, else
    # ``db_pool_size - background_threads``). ``background_threads``: those of event
    # handlers, relays and jobs, per process. ``db_pool_size``: the PostgreSQL connections
    # of a service per process (SQLite: http_threads + background_threads, always).
    http_threads: int | None = Field(default=None, ge=1)
    background_threads: int = Field(default=6, ge=2)
    db_pool_size: int = Field(default=16, ge=4)
    # Server-side prepared statements (psycopg prepares a statement run five times): only
    # with a direct connection to PostgreSQL, never behind PgBouncer in transaction
    # pooling (deploy/README.md, "Threads and the connection budget").
    db_prepared_statements: bool = False
    # How long a request waits for a pooled connection before it is answered 503.
    db_pool_timeout_seconds: float = Field(default=10.0, gt=0)
    # Admission (``certreg_runtime.admission``): the requests one service process takes at
    # once, reads (GET, HEAD, OPTIONS) and writes counted apart — what it gets through in
    # ``admission_wait_seconds``, measured, at most these caps; one more is answered 503
    # ``busy`` with ``Retry-After``. None: derived from the threads (``admission_for``).
    admission_reads: int | None = Field(default=None, ge=1)
    admission_writes: int | None = Field(default=None, ge=1)
    admission_wait_seconds: float = Field(default=1.0, gt=0)

    # RabbitMQ; unset means the in-process bus.
    amqp_url: str | None = None
    # Prefix of the exchange and queues (tests isolate themselves with it).
    bus_namespace: str = "certreg"
    # A handler is tried this many times (with back-off) before its event is parked.
    bus_max_attempts: int = Field(default=5, ge=1)
    bus_retry_backoff_seconds: float = Field(default=0.2, ge=0)
    # A transient failure (database, S3, SMTP unreachable) is retried for as long as it
    # lasts, the wait doubling up to this (it does not count against bus_max_attempts).
    bus_transient_backoff_max_seconds: float = Field(default=10.0, gt=0)
    bus_prefetch: int = Field(default=16, ge=1)
    # Deliveries of one service handled together in one transaction, at most (those
    # that arrived while the previous batch ran), and such batches at once, each in a
    # worker thread with one connection (counted in background_threads).
    bus_handler_batch: int = Field(default=32, ge=1)
    bus_handler_workers: int = Field(default=2, ge=1)
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    # /readyz answers within this: a dependency slower than that is not ready.
    readiness_timeout_seconds: float = Field(default=2.0, gt=0)

    # S3-compatible storage (MinIO); unset endpoint means a local folder.
    s3_endpoint: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_secure: bool = False
    s3_region: str | None = None
    bucket_prefix: str = "certreg"
    max_upload_bytes: int = Field(default=250 * 1024 * 1024, gt=0)
    # What the pieces of one dossier (an entity application, a filing: every version
    # kept) may hold in storage together (issue 11, point 17).
    max_dossier_bytes: int = Field(default=1024 * 1024 * 1024, gt=0)
    # Objects no row names (a process killed between an upload's object and its row) are
    # deleted once older than the grace period, by a sweep of each service's buckets.
    orphan_grace_seconds: float = Field(default=3600, gt=0)
    orphan_sweep_seconds: float = Field(default=3600, gt=0)

    # CERTREG_RENEWAL_WINDOW_MONTHS: a registration's renewal may be filed from this many months
    # before its end date, not earlier (filings checks it, review's reminders say when it opens).
    # No legal opening date was found (France compétences asks for renewals at least 7 months
    # before the end, see legal_dates.RENEWAL_REMINDER_MONTHS): 12 is the platform's default.
    renewal_window_months: int = Field(default=12, ge=7, le=60)

    public_url: str = "http://127.0.0.1:8000"
    # HTTP Strict Transport Security, sent by the gateway on every answer: unset means on
    # in production when CERTREG_PUBLIC_URL is https, off otherwise; true or false decides.
    hsts: bool | None = None
    hsts_max_age: int = Field(default=63072000, ge=0)  # two years, in seconds
    hsts_include_subdomains: bool = False
    # The proxies whose X-Forwarded-For is believed (certreg_runtime.clients): addresses or
    # networks, comma-separated. Empty: none, the peer is the client. The gateway names the
    # load balancer or ingress in front of it; a distributed service names the gateway's.
    trusted_proxies: str = ""

    # Where the gateway (and the services, for JWKS) find each service when distributed.
    identity_url: str | None = None
    entities_url: str | None = None
    filings_url: str | None = None
    review_url: str | None = None
    notifier_url: str | None = None

    # The issuer and audience of every token.
    jwt_issuer: str = "certreg-identity"
    jwt_audience: str = "certreg"

    # Of the JSON logs on stderr (certreg up, certreg serve).
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    # Tests may move a service's clock: a file holding an offset in seconds. Never set
    # in production.
    clock_offset_file: Path | None = None

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        parse_networks(value.split(","))
        return value

    @property
    def trusted_networks(self) -> tuple[Network, ...]:
        return parse_networks(self.trusted_proxies.split(","))

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _safe_in_production(self) -> Settings:
        if self.environment == "production" and (problems := self.production_problems()):
            raise UnsafeSettings(problems)
        return self

    def production_problems(self) -> list[str]:
        """What no process (the gateway included) may run with in production."""
        problems = []
        if self.clock_offset_file is not None:
            problems.append(
                "CERTREG_CLOCK_OFFSET_FILE is set: it moves the services' clock (a test device); deadlines must run on real time"
            )
        public = urlsplit(self.public_url)
        if public.scheme != "https" and not (public.scheme == "http" and _is_loopback(public.hostname)):
            problems.append(
                f"CERTREG_PUBLIC_URL={self.public_url!r} is not https: the links sent by mail carry one-time tokens "
                "(activation, password reset); http is accepted for a loopback address only"
            )
        for name in ("database_url", *(f"{s}_database_url" for s in SERVICES)):
            url = getattr(self, name)
            if url and _is_sqlite(url):
                problems.append(f"CERTREG_{name.upper()} is SQLite: production needs PostgreSQL (one database per service)")
        return problems

    def check_service(self, service: str, *, stores_blobs: bool) -> None:
        """In production, refuse to run ``service`` on the embedded defaults: its data
        would stay in the container and its events in the process."""
        if self.environment != "production":
            return
        problems = []
        if _is_sqlite(self.database_url_for(service)):
            problems.append(
                f"neither CERTREG_DATABASE_URL nor CERTREG_{service.upper()}_DATABASE_URL is set: {service} would write to "
                "a SQLite file in CERTREG_DATA_DIR; production needs PostgreSQL"
            )
        if not self.amqp_url:
            problems.append(f"CERTREG_AMQP_URL is not set: {service} would use the in-process bus, whose events no other process receives")
        if stores_blobs and not self.s3_endpoint:
            problems.append(
                f"CERTREG_S3_ENDPOINT is not set: {service} would keep its files in a local folder, "
                "lost with the container and not shared between replicas"
            )
        if problems:
            raise UnsafeSettings(problems)

    def hsts_header(self) -> str | None:
        """The ``Strict-Transport-Security`` value the gateway sends, or None."""
        enabled = self.hsts if self.hsts is not None else (self.environment == "production" and self.public_url.startswith("https://"))
        if not enabled:
            return None
        return f"max-age={self.hsts_max_age}" + ("; includeSubDomains" if self.hsts_include_subdomains else "")

    def database_url_for(self, service: str) -> str:
        override: str | None = getattr(self, f"{service}_database_url", None)
        if override:
            return override
        if self.database_url:
            return self.database_url.replace("{service}", service)
        return f"sqlite:///{(self.data_dir / f'{service}.sqlite3').resolve()}"

    def threads_for(self, services: Sequence[str]) -> int:
        """The worker threads of sync routes for a process running ``services``."""
        if self.http_threads is not None:
            return self.http_threads
        if all(self.database_url_for(s).startswith("sqlite") for s in services):
            # Every service in one process, one GIL: with 40 threads (Starlette's default)
            # reads at 200 connections waited p99 3.6 s, with 16 1.8 s, at a higher rate
            # (bench/README.md, "The filing journey at 500"). Threads waiting for a
            # SQLite write turn hold no GIL; more of them only make the others wait.
            return 16
        return max(2, self.db_pool_size - self.background_threads)

    def pool_size_for(self, service: str, threads: int) -> int:
        """Connections of ``service``'s engine: SQLite one per thread that may use it;
        PostgreSQL ``db_pool_size`` (the budget), never fewer than the threads."""
        if self.database_url_for(service).startswith("sqlite"):
            return threads + self.background_threads
        return self.db_pool_size

    def admission_for(self, service: str, threads: int) -> tuple[int, int]:
        """The most reads and writes ``service`` ever takes at once
        (``certreg_runtime.admission``; below them, what it gets through in
        ``admission_wait_seconds``, measured), ``threads`` being the worker threads of its
        process's sync routes. Reads twenty per thread (320 on SQLite; 200 for a PostgreSQL
        process of 10 threads), writes ten (160 on SQLite, 100 on PostgreSQL): the limit a
        new process starts with, before it has measured anything."""
        return self.admission_reads or 20 * threads, self.admission_writes or 10 * threads

    def service_url(self, service: str) -> str | None:
        url: str | None = getattr(self, f"{service}_url", None)
        return url

    def bucket(self, service: str, purpose: str = "documents") -> str:
        return f"{self.bucket_prefix}-{service}-{purpose}"


def _is_loopback(host: str | None) -> bool:
    """127.0.0.0/8, ::1, and ``localhost`` names (loopback by definition, RFC 6761)."""
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_sqlite(url: str) -> bool:
    return url.partition(":")[0].partition("+")[0] == "sqlite"


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

"""Running the platform in a test.

- ``embedded_platform``: the named services (all by default) inside the test process
  behind the gateway (SQLite and the durable in-process bus under a temporary folder,
  unless ``overrides`` name PostgreSQL/RabbitMQ/S3), with an httpx client on the gateway
  and the helpers every service's tests share (tokens, events, rows, mail, clock).
- ``start_platform``: distributed, for end-to-end tests: each service its own process
  (``certreg serve NAME``) behind the gateway, on real PostgreSQL, RabbitMQ, S3, SMTP."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import email
import email.policy
import functools
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from email.message import EmailMessage
from pathlib import Path
from typing import Any, ClassVar, TypeVar, overload

import httpx
import sqlalchemy as sa
from sqlmodel import select

from certreg.platform import Platform, definitions, embedded_app
from certreg_contracts import Envelope, Event
from certreg_contracts.calendar import PARIS, paris_date
from certreg_contracts.types import SERVICES
from certreg_runtime.auth import JwksSource
from certreg_runtime.bus import OutgoingMessage
from certreg_runtime.bus.base import ParkedMessage
from certreg_runtime.bus.inprocess import InProcessBus
from certreg_runtime.bus.rabbit import RabbitBus
from certreg_runtime.db import create_db_engine
from certreg_runtime.messaging import outbox_table
from certreg_runtime.migrations import upgrade
from certreg_runtime.service import Deps, ServiceContext, ServiceRunner
from certreg_runtime.settings import Settings
from certreg_runtime.tokens import SigningKey, issue_token, jwks
from certreg_testing.infra import free_port, unique_namespace

D = TypeVar("D", bound=Deps)
T = TypeVar("T")


def write_clock_offset(path: Path, seconds: float) -> None:
    """Replace the offset file at once: a service reading it never sees it half-written."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(str(seconds))
    os.replace(partial, path)


@functools.cache
def test_key() -> SigningKey:
    """The key the tests sign access tokens with (one per process: RSA keys are slow to make).
    Every service of an embedded platform trusts it, besides identity's own keys."""
    return SigningKey.generate()


@dataclass
class TestPlatform:
    """The running services, the gateway's client, and what their tests share."""

    settings: Settings
    platform: Platform
    client: httpx.AsyncClient
    key: SigningKey = field(default_factory=test_key)
    app: Any = None  # the gateway (ASGI), for clients at other addresses

    @contextlib.asynccontextmanager
    async def client_at(self, address: str) -> AsyncIterator[httpx.AsyncClient]:
        """A client of the gateway whose peer address is ``address`` (another person,
        another network), as a TCP connection from there would be."""
        assert self.app is not None
        transport = httpx.ASGITransport(app=self.app, client=(address, 50000))
        async with httpx.AsyncClient(transport=transport, base_url=str(self.client.base_url), timeout=60) as client:
            yield client

    __test__ = False  # not a pytest test class

    # ------------------------------------------------------------------ services

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.platform.runners)

    def ctx(self, name: str) -> ServiceContext:
        return self.platform.runners[name].ctx

    @overload
    def deps(self, name: str) -> Deps: ...
    @overload
    def deps(self, name: str, kind: type[D]) -> D: ...
    def deps(self, name: str, kind: type[Deps] = Deps) -> Deps:
        """A service's dependency bundle (``kind``: its Deps subclass, checked)."""
        deps = self.ctx(name).deps
        assert isinstance(deps, kind), f"{name}'s deps are a {type(deps).__name__}, not a {kind.__name__}"
        return deps

    def now(self) -> datetime:
        """The platform's time (every service reads the same clock offset)."""
        return next(iter(self.platform.runners.values())).ctx.clock.now()

    def today(self) -> date:
        return paris_date(self.now())

    # ------------------------------------------------------------------ tokens

    def token(
        self,
        *,
        roles: Iterable[str] = ("depositor",),
        entity_id: uuid.UUID | str | None = None,
        account_id: uuid.UUID | None = None,
        name: str | None = None,
        email: str | None = None,
        scope: str = "access",
        ttl: timedelta = timedelta(hours=1),
    ) -> dict[str, str]:
        """Authorization headers of a token as identity would issue it, signed by the
        test key (which every service of the platform trusts)."""
        roles = tuple(roles)
        account_id = account_id or uuid.uuid4()
        token = issue_token(
            self.key,
            subject=account_id,
            issuer=self.settings.jwt_issuer,
            audience=self.settings.jwt_audience,
            ttl=ttl,
            scope=scope,
            roles=roles,
            entity_id=uuid.UUID(str(entity_id)) if entity_id else None,
            name=name if name is not None else f"Test {' '.join(roles) or scope}",
            email=email if email is not None else f"{account_id.hex[:8]}@example.test",
        )
        return {"Authorization": f"Bearer {token}"}

    def depositor(self, entity_id: uuid.UUID | str | None, account_id: uuid.UUID | None = None) -> dict[str, str]:
        return self.token(roles=("depositor",), entity_id=entity_id, account_id=account_id)

    def staff(self, role: str = "reviewer", account_id: uuid.UUID | None = None) -> dict[str, str]:
        return self.token(roles=(role,), account_id=account_id)

    async def login(self, email_address: str, password: str) -> dict[str, str]:
        """Headers of a token identity issued (identity must be running)."""
        response = await self.client.post("/api/identity/token", data={"username": email_address, "password": password})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    # ------------------------------------------------------------------ events

    async def publish(self, event: Event | Envelope, producer: str | None = None, *, settle: bool = True) -> Envelope:
        """Put a contract event on the bus as its producer's relay would (``producer``:
        by default the service its routing key names), then wait until it is handled.
        An Envelope is published as it is (a redelivery)."""
        if isinstance(event, Envelope):
            envelope = event
        else:
            envelope = Envelope.wrap(event, producer=producer or event.routing_key.split(".")[0])
        await self.platform.bus.publish([OutgoingMessage(envelope)])
        if settle:
            await self.settle()
        return envelope

    def emitted(self, name: str, routing_key: str, **match: Any) -> list[dict[str, Any]]:
        """Payloads of the events service ``name`` committed with that key (its outbox),
        oldest first; ``match``: fields the payload must have (compared as strings)."""
        ctx = self.ctx(name)
        outbox = outbox_table(ctx.metadata)
        query = sa.select(outbox.c.body).where(outbox.c.routing_key == routing_key).order_by(outbox.c.id)
        with ctx.engine.connect() as conn:
            payloads = [Envelope.from_bytes(body).payload for (body,) in conn.execute(query)]
        return [p for p in payloads if all(str(p.get(k)) == str(v) for k, v in match.items())]

    async def parked(self, consumer: str | None = None) -> list[ParkedMessage]:
        return await self.platform.bus.parked(consumer)

    async def settle(self, timeout: float = 15) -> None:
        """Wait until every committed event is published and handled.

        The services are checked one after the other, so an event can move from a place
        not yet checked to one already checked; "settled" is therefore nothing pending
        twice in a row with no event written or handled in between. On RabbitMQ, the
        messages still in the queues or being handled count as pending too."""
        deadline = time.monotonic() + timeout
        previous: tuple[int, int] | None = None
        bus = self.platform.bus
        while time.monotonic() < deadline:
            state = await asyncio.to_thread(self._pending_and_activity)
            if isinstance(bus, RabbitBus):
                state = (state[0] + await bus.pending(), state[1])
            if state[0] == 0 and state == previous:
                return
            previous = state
            await asyncio.sleep(0.05)
        raise AssertionError(f"events still pending after {timeout}s")

    def _pending_and_activity(self) -> tuple[int, int]:
        """(events not yet handled, events ever written or handled) across the platform."""
        pending = activity = 0
        for runner in self.platform.runners.values():
            with runner.ctx.engine.connect() as conn:
                for table in (runner.ctx.metadata.tables["outbox"], runner.ctx.metadata.tables["inbox"]):
                    activity += conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            pending += runner.ctx.relay.pending()
        if isinstance(self.platform.bus, InProcessBus):
            pending += self.platform.bus.pending()
        return pending, activity

    # ------------------------------------------------------------------ state

    def rows(self, name: str, table: type[T], **where: Any) -> list[T]:
        """Rows of one of service ``name``'s tables (``where``: column == value)."""
        with self.ctx(name).uow() as uow:
            query = select(table)
            for column, value in where.items():
                query = query.where(getattr(table, column) == value)
            found = list(uow.session.exec(query).all())
            uow.session.expunge_all()  # keep their loaded state past the session
            return found

    @property
    def clock_file(self) -> Path:
        assert self.settings.clock_offset_file is not None
        return self.settings.clock_offset_file

    def advance_clock(self, *, days: float = 0, seconds: float = 0) -> None:
        """Move every service's clock forward (they read the same offset file)."""
        current = float(self.clock_file.read_text() or 0) if self.clock_file.exists() else 0.0
        write_clock_offset(self.clock_file, current + days * 86400 + seconds)

    def advance_clock_to(self, day: date) -> None:
        """Move the clock forward to noon of ``day`` in Paris. Legal dates are Paris dates:
        whole days of 86,400 s land an hour off across a change of summer time."""
        noon, now = datetime.combine(day, clock_time(12), tzinfo=PARIS), self.now()
        assert noon >= now, f"the clock only moves forward ({now} is past {noon})"
        self.advance_clock(seconds=(noon - now).total_seconds())

    def mails(self, to: str | None = None) -> list[EmailMessage]:
        """Mail written by the notifier to the embedded outbox folder, oldest first."""
        folder = self.settings.data_dir / "mail"
        found: list[EmailMessage] = []
        for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if to is None or to.lower() in str(msg["To"]).lower():
                found.append(msg)
        return found

    async def wait_for_mail(self, to: str, subject_contains: str = "", timeout: float = 15) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for msg in self.mails(to)[::-1]:
                if subject_contains.lower() in str(msg["Subject"]).lower():
                    return msg
            await asyncio.sleep(0.05)
        subjects = [str(m["Subject"]) for m in self.mails(to)]
        raise AssertionError(f"no mail to {to} with {subject_contains!r}; received: {subjects}")


@dataclass
class ServiceHarness:
    """Base of one service's test helpers (``service``: the one under test): what every
    service's conftest would otherwise write again. Subclass it with the service's own
    journeys."""

    p: TestPlatform
    service: ClassVar[str]

    __test__ = False

    @property
    def client(self) -> httpx.AsyncClient:
        return self.p.client

    @property
    def settings(self) -> Settings:
        return self.p.settings

    @property
    def runner(self) -> ServiceRunner:
        return self.p.platform.runners[self.service]

    @property
    def ctx(self) -> ServiceContext:
        return self.p.ctx(self.service)

    def today(self) -> date:
        return self.p.today()

    async def publish(self, event: Event | Envelope, *, settle: bool = True) -> Envelope:
        return await self.p.publish(event, settle=settle)

    async def settle(self, timeout: float = 15) -> None:
        await self.p.settle(timeout)

    def emitted(self, routing_key: str, **match: Any) -> list[dict[str, Any]]:
        """Payloads of the events the service committed with that key, oldest first."""
        return self.p.emitted(self.service, routing_key, **match)

    def rows(self, table: type[T], **where: Any) -> list[T]:
        return self.p.rows(self.service, table, **where)


def trust_test_key(platform: Platform, key: SigningKey) -> None:
    """Every service of ``platform`` accepts tokens signed by ``key``; identity's own
    keys too when identity runs (without it, nothing else signs tokens)."""
    test_keys = jwks([key])["keys"]
    with_identity = "identity" in platform.runners
    for runner in platform.runners.values():
        own: JwksSource | None = runner.ctx.verifier.jwks if with_identity else None

        def source(refresh: bool = False, own: JwksSource | None = own) -> dict[str, Any]:
            return {"keys": [*test_keys, *(own(refresh=refresh)["keys"] if own else [])]}

        runner.ctx.verifier.jwks = source


_TEMPLATES: dict[str, Path] = {}


def _migrated_template(name: str) -> Path:
    """A SQLite database of service ``name`` migrated to head, made once per process:
    each platform starts from a copy instead of running every migration again."""
    if name not in _TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix="certreg-templates-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = folder / f"{name}.sqlite3"
        engine = create_db_engine(f"sqlite:///{path}")
        try:
            upgrade(definitions()[name], engine)
        finally:
            engine.dispose()
        _TEMPLATES[name] = path
    return _TEMPLATES[name]


def _copy_database(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


@asynccontextmanager
async def embedded_platform(data_dir: Path, *, names: Sequence[str] = SERVICES, **overrides: Any) -> AsyncIterator[TestPlatform]:
    """The services ``names`` (all by default) in this process behind the gateway, on the
    shared ``Settings`` with test-friendly defaults and ``overrides``. Tokens signed by
    the test key (``TestPlatform.token``) are accepted by every service."""
    unknown = set(names) - set(SERVICES)
    assert not unknown, f"unknown services: {sorted(unknown)}"
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "outbox_poll_seconds": 0.2,
        "bus_retry_backoff_seconds": 0.01,
        "bus_max_attempts": 3,
        "clock_offset_file": data_dir / "clock-offset",
        "public_url": "http://certreg.test",
        # Every test client shares one address: sign-ups are not throttled per address
        # (tests that check it give their own value, or use TestPlatform.client_at).
        "signups_per_client_per_hour": 100_000,
    }
    values.update(overrides)
    settings = Settings(**values)
    data_dir.mkdir(parents=True, exist_ok=True)
    ordered = [name for name in SERVICES if name in names]  # identity first: it signs tokens
    for name in ordered:
        url = settings.database_url_for(name)
        if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
            _copy_database(await asyncio.to_thread(_migrated_template, name), Path(url.removeprefix("sqlite:///")))
    platform = Platform(settings, ordered)
    key = test_key()
    trust_test_key(platform, key)
    app, platform = embedded_app(settings, platform=platform)
    async with platform.lifespan(migrate=True):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://certreg.test", timeout=60) as client:
            yield TestPlatform(settings, platform, client, key, app=app)


async def eventually(check: Callable[[], Any], timeout: float = 15, interval: float = 0.05) -> Any:
    """Poll ``check`` (sync or async) until it returns a truthy value or stops raising."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if asyncio.iscoroutine(result):
                result = await result
            if result:
                return result
        except AssertionError as exc:
            last = exc
        await asyncio.sleep(interval)
    if last:
        raise last
    raise AssertionError("condition not met in time")


# --- distributed: each service its own process ---------------------------------


@dataclass
class DistributedPlatform:
    base_url: str
    env: dict[str, str]
    workdir: Path
    clock_file: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    service_env: dict[str, dict[str, str]] = field(default_factory=dict)

    def launch(self, name: str) -> None:
        """Start process ``name`` (a service or the gateway) on its port, its output
        appended to ``<name>.log``."""
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - the process writes to it until stopped
        # A service believes the X-Forwarded-For of the gateway, on this machine; the
        # gateway believes nobody's (the tests are its clients).
        env = self.env if name == "gateway" else {**self.env, "CERTREG_TRUSTED_PROXIES": "127.0.0.1/32,::1/128"}
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "certreg", "serve", name, "--host", "127.0.0.1", "--port", str(self.ports[name])],
            env={**env, **self.service_env.get(name, {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, names: list[str] | None = None, timeout: float = 90) -> None:
        """Until each process answers its ``/readyz`` 200 (or one exits: RuntimeError)."""
        deadline = time.monotonic() + timeout
        waiting = set(names or self.ports)
        while waiting and time.monotonic() < deadline:
            for name in sorted(waiting):
                proc = self.processes[name]
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.log_tail(name)}")
                try:
                    if httpx.get(f"http://127.0.0.1:{self.ports[name]}/readyz", timeout=2).status_code == 200:
                        waiting.discard(name)
                except httpx.HTTPError:
                    pass
            time.sleep(0.3)
        if waiting:
            tails = "\n".join(f"--- {n}\n{self.log_tail(n)}" for n in sorted(waiting))
            raise RuntimeError(f"not ready after {timeout:g} s: {sorted(waiting)}\n{tails}")

    def kill(self, name: str) -> None:
        """``kill -9`` of process ``name`` (no shutdown of any kind), reaped."""
        proc = self.processes[name]
        proc.kill()
        proc.wait(15)

    def log_tail(self, name: str, lines: int = 60) -> str:
        path = self.workdir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def advance_clock(self, *, days: float = 0, seconds: float = 0) -> None:
        write_clock_offset(self.clock_file, float(self.clock_file.read_text() or 0) + days * 86400 + seconds)

    def stop(self) -> None:
        for proc in self.processes.values():
            proc.terminate()
        for proc in self.processes.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


def start_platform(
    workdir: Path,
    *,
    database_url_template: str,
    amqp_url: str,
    s3_env: dict[str, str],
    smtp_env: dict[str, str],
    service_env: dict[str, dict[str, str]] | None = None,
    ready_timeout: float | None = None,
) -> DistributedPlatform:
    """Migrate, then start every service and the gateway, each its own process, and wait
    until all are ready. ``service_env``: variables of one process only (a service's
    database reached through a proxy the caller can cut…)."""
    namespace = unique_namespace()
    ports = {name: free_port() for name in (*SERVICES, "gateway")}
    base_url = f"http://127.0.0.1:{ports['gateway']}"
    clock_file = workdir / "clock-offset"
    clock_file.write_text("0")
    env = {
        **os.environ,
        "CERTREG_DATA_DIR": str(workdir / "data"),
        "CERTREG_ENVIRONMENT": "test",
        "CERTREG_DATABASE_URL": database_url_template,
        "CERTREG_AMQP_URL": amqp_url,
        "CERTREG_BUS_NAMESPACE": namespace,
        "CERTREG_BUS_RETRY_BACKOFF_SECONDS": "0.05",
        "CERTREG_OUTBOX_POLL_SECONDS": "0.3",
        "CERTREG_BUCKET_PREFIX": namespace,
        "CERTREG_PUBLIC_URL": base_url,
        "CERTREG_CLOCK_OFFSET_FILE": str(clock_file),
        "CERTREG_REVIEW_SWEEP_SECONDS": "1",
        "CERTREG_LOG_LEVEL": "INFO",
        "CERTREG_SIGNUPS_PER_CLIENT_PER_HOUR": "100000",
        **s3_env,
        **smtp_env,
        **{f"CERTREG_{name.upper()}_URL": f"http://127.0.0.1:{ports[name]}" for name in SERVICES},
    }
    platform = DistributedPlatform(base_url, env, workdir, clock_file, ports=ports, service_env=service_env or {})
    migrate = subprocess.run([sys.executable, "-m", "certreg", "migrate"], env=env, capture_output=True, text=True, timeout=300)
    if migrate.returncode != 0:
        raise RuntimeError(f"certreg migrate failed:\n{migrate.stdout}\n{migrate.stderr}")
    for name in ports:
        platform.launch(name)
    # CERTREG_TEST_READY_SECONDS: how long the services may take to answer /readyz (180 s; more
    # on a machine shared by many test runs, where six interpreters start on two cores).
    if ready_timeout is None:
        ready_timeout = float(os.environ.get("CERTREG_TEST_READY_SECONDS", "180"))
    try:
        platform.wait_ready(timeout=ready_timeout)
    except RuntimeError:
        platform.stop()
        raise
    return platform

"""Running the whole platform in a test.

- ``embedded_platform``: every service inside the test process behind the gateway
  (SQLite and the durable in-process bus under a temporary folder, unless ``overrides``
  name PostgreSQL/RabbitMQ/S3), with an httpx client on the gateway.
- ``start_platform``: distributed, for end-to-end tests: each service its own process
  (``certreg serve NAME``) behind the gateway, on real PostgreSQL, RabbitMQ, S3, SMTP."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from certreg.platform import Platform, embedded_app
from certreg_contracts.types import SERVICES
from certreg_runtime.bus.inprocess import InProcessBus
from certreg_runtime.settings import Settings
from certreg_testing.infra import free_port, unique_namespace


def write_clock_offset(path: Path, seconds: float) -> None:
    """Replace the offset file at once: a service reading it never sees it half-written."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(str(seconds))
    os.replace(partial, path)


@dataclass
class TestPlatform:
    settings: Settings
    platform: Platform
    client: httpx.AsyncClient

    __test__ = False  # not a pytest test class

    @property
    def clock_file(self) -> Path:
        assert self.settings.clock_offset_file is not None
        return self.settings.clock_offset_file

    def advance_clock(self, *, days: float = 0, seconds: float = 0) -> None:
        """Move every service's clock forward (they read the same offset file)."""
        current = float(self.clock_file.read_text() or 0) if self.clock_file.exists() else 0.0
        write_clock_offset(self.clock_file, current + days * 86400 + seconds)

    async def settle(self, timeout: float = 15) -> None:
        """Wait until every committed event is published and handled.

        The services are checked one after the other, so an event can move from a place
        not yet checked to one already checked; "settled" is therefore nothing pending
        twice in a row with no event written or handled in between."""
        deadline = time.monotonic() + timeout
        previous: tuple[int, int] | None = None
        while time.monotonic() < deadline:
            state = await asyncio.to_thread(self._pending_and_activity)
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

    async def login(self, email_address: str, password: str) -> dict[str, str]:
        response = await self.client.post("/api/identity/token", data={"username": email_address, "password": password})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


@asynccontextmanager
async def embedded_platform(data_dir: Path, **overrides: Any) -> AsyncIterator[TestPlatform]:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "outbox_poll_seconds": 0.2,
        "bus_retry_backoff_seconds": 0.01,
        "bus_max_attempts": 3,
        "clock_offset_file": data_dir / "clock-offset",
        "public_url": "http://certreg.test",
    }
    values.update(overrides)
    settings = Settings(**values)
    data_dir.mkdir(parents=True, exist_ok=True)
    app, platform = embedded_app(settings)
    async with platform.lifespan(migrate=True):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://certreg.test", timeout=60) as client:
            yield TestPlatform(settings, platform, client)


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
    workdir: Path, *, database_url_template: str, amqp_url: str, s3_env: dict[str, str], smtp_env: dict[str, str]
) -> DistributedPlatform:
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
        **s3_env,
        **smtp_env,
        **{f"CERTREG_{name.upper()}_URL": f"http://127.0.0.1:{ports[name]}" for name in SERVICES},
    }
    platform = DistributedPlatform(base_url, env, workdir, clock_file)
    migrate = subprocess.run([sys.executable, "-m", "certreg", "migrate"], env=env, capture_output=True, text=True, timeout=300)
    if migrate.returncode != 0:
        raise RuntimeError(f"certreg migrate failed:\n{migrate.stdout}\n{migrate.stderr}")
    for name, port in ports.items():
        log = open(workdir / f"{name}.log", "wb")  # noqa: SIM115 - the process writes to it until stopped
        platform.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "certreg", "serve", name, "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 90
    waiting = set(ports)
    while waiting and time.monotonic() < deadline:
        for name in sorted(waiting):
            proc = platform.processes[name]
            if proc.poll() is not None:
                platform.stop()
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{platform.log_tail(name)}")
            try:
                if httpx.get(f"http://127.0.0.1:{ports[name]}/readyz", timeout=2).status_code == 200:
                    waiting.discard(name)
            except httpx.HTTPError:
                pass
        time.sleep(0.3)
    if waiting:
        tails = "\n".join(f"--- {n}\n{platform.log_tail(n)}" for n in sorted(waiting))
        platform.stop()
        raise RuntimeError(f"not ready after 90 s: {sorted(waiting)}\n{tails}")
    return platform

"""Running the whole platform inside a test: every service in this process behind the
gateway, SQLite files and the durable in-process bus under a temporary folder (or the
PostgreSQL/RabbitMQ/S3 given in ``overrides``), and an HTTP client on the gateway."""

from __future__ import annotations

import asyncio
import email
import email.policy
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from certreg_runtime.bus.inprocess import InProcessBus
from certreg_runtime.settings import Settings

from certreg.platform import Platform, embedded_app


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
        self.clock_file.write_text(str(current + days * 86400 + seconds))

    async def settle(self, timeout: float = 15) -> None:
        """Wait until every committed event is published and handled."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pending = sum([await asyncio.to_thread(r.ctx.relay.pending) for r in self.platform.runners.values()])
            if isinstance(self.platform.bus, InProcessBus):
                pending += self.platform.bus.pending()
            if pending == 0:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"events still pending after {timeout}s")

    def mails(self, to: str | None = None) -> list[EmailMessage]:
        """Mail written by the notifier to the embedded outbox folder, oldest first."""
        folder = self.settings.data_dir / "mail"
        found = []
        for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if to is None or to.lower() in str(msg["To"]).lower():
                found.append(msg)
        return found  # type: ignore[return-value]

    async def wait_for_mail(self, to: str, subject_contains: str = "", timeout: float = 15) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for msg in reversed(self.mails(to)):
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

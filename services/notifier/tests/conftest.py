"""The notifier running alone on its bus: events are published as their producers would
publish them, the API is called with tokens signed by a key whose JWKS the service is
given (identity's role in these tests)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from certreg_contracts import Envelope, Event
from certreg_runtime.bus import Bus, OutgoingMessage, create_bus
from certreg_runtime.bus.inprocess import InProcessBus
from certreg_runtime.service import ServiceRunner
from certreg_runtime.settings import Settings
from certreg_runtime.storage import create_blob_store
from certreg_runtime.tokens import SigningKey, issue_token, jwks
from notifier.adapters.tables import Mail, Notification
from notifier.service import definition

_KEY = SigningKey.generate()


@dataclass
class Harness:
    settings: Settings
    runner: ServiceRunner
    bus: Bus
    client: httpx.AsyncClient

    __test__ = False

    async def publish(self, event: Event, producer: str | None = None) -> Envelope:
        envelope = Envelope.wrap(event, producer=producer or event.routing_key.split(".")[0])
        await self.redeliver(envelope)
        return envelope

    async def redeliver(self, envelope: Envelope) -> None:
        await self.bus.publish([OutgoingMessage(envelope)])

    async def settle(self, timeout: float = 20) -> None:
        """Every published event handled (in-process bus) and nothing parked."""
        deadline = time.monotonic() + timeout
        assert isinstance(self.bus, InProcessBus), "settle() needs the in-process bus; poll with eventually()"
        while self.bus.pending():
            if time.monotonic() > deadline:
                raise AssertionError("events still pending")
            await asyncio.sleep(0.02)
        parked = await self.bus.parked()
        assert not parked, [p.error for p in parked]

    def session(self) -> Session:
        return Session(self.runner.ctx.engine)

    def mail_rows(self, to: str | None = None) -> list[Mail]:
        with self.session() as s:
            query = select(Mail).order_by(col(Mail.created_at))
            if to:
                query = query.where(Mail.to_addr == to)
            return list(s.exec(query).all())

    def notifications(self, account_id: uuid.UUID) -> list[Notification]:
        with self.session() as s:
            return list(s.exec(select(Notification).where(Notification.account_id == account_id)).all())

    def eml(self, to: str | None = None) -> list[EmailMessage]:
        folder = self.settings.data_dir / "mail"
        found = []
        for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if to is None or to.lower() in str(msg["To"]).lower():
                found.append(msg)
        return found

    def advance_clock(self, seconds: float) -> None:
        path = self.settings.clock_offset_file
        assert path is not None
        current = float(path.read_text() or 0) if path.exists() else 0.0
        path.write_text(str(current + seconds))

    @staticmethod
    def auth(
        account_id: uuid.UUID | None = None, *, roles: tuple[str, ...] = ("depositor",), entity_id: uuid.UUID | None = None
    ) -> dict[str, str]:
        token = issue_token(
            _KEY,
            subject=account_id or uuid.uuid4(),
            issuer="certreg-identity",
            audience="certreg",
            ttl=timedelta(minutes=5),
            email="someone@example.org",
            roles=roles,
            entity_id=entity_id,
        )
        return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def running_notifier(data_dir: Path, **overrides: Any) -> AsyncIterator[Harness]:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "public_url": "http://certreg.test",
        "bus_retry_backoff_seconds": 0.01,
        "bus_max_attempts": 2,
        "clock_offset_file": data_dir / "clock-offset",
    }
    values.update(overrides)
    settings = Settings(**values)
    data_dir.mkdir(parents=True, exist_ok=True)
    bus = create_bus(settings)
    keys = jwks([_KEY])
    runner = ServiceRunner(definition(), settings, bus, blobs=create_blob_store(settings), jwks=lambda refresh=False: keys)
    await bus.start()
    try:
        await runner.start(migrate=True)
        try:
            transport = httpx.ASGITransport(app=runner.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://certreg.test") as client:
                yield Harness(settings, runner, bus, client)
        finally:
            await runner.stop()
    finally:
        await bus.close()


@pytest.fixture
def notifier_factory(tmp_path: Path) -> Callable[..., Any]:
    return lambda **overrides: running_notifier(tmp_path / "notifier", **overrides)


async def eventually(check: Callable[[], Any], timeout: float = 20, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except AssertionError as exc:
            last = exc
        await asyncio.sleep(interval)
    if last:
        raise last
    raise AssertionError("condition not met in time")


@pytest.fixture
def wait() -> Callable[..., Any]:
    return eventually


@pytest.fixture
def auth() -> Callable[..., dict[str, str]]:
    """Authorization headers of a token the test services accept (see ``trust_test_tokens``)."""
    return Harness.auth


def trust_test_tokens(runner: ServiceRunner) -> None:
    """Make a runner of the embedded platform accept the tests' tokens."""
    keys = jwks([_KEY])
    runner.ctx.verifier.jwks = lambda refresh=False: keys


@pytest.fixture
def trust() -> Callable[[ServiceRunner], None]:
    return trust_test_tokens

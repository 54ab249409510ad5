"""The notifier's service tests: the notifier alone behind the gateway
(``certreg_testing.platform``); events are published as their producers would publish
them, the API is called with tokens signed by the shared test key."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlmodel import Session, col, select

from certreg_contracts import Envelope, Event
from certreg_testing.platform import ServiceHarness, embedded_platform, eventually
from notifier.adapters.tables import Mail, Notification


@dataclass
class Harness(ServiceHarness):
    service: ClassVar[str] = "notifier"

    async def publish(self, event: Event | Envelope, *, settle: bool = False) -> Envelope:
        """On the bus as its producer's relay would put it (not waited for: see ``settle``)."""
        return await self.p.publish(event, settle=settle)

    async def redeliver(self, envelope: Envelope) -> None:
        await self.p.publish(envelope, settle=False)

    async def settle(self, timeout: float = 20) -> None:
        """Every published event handled and nothing parked."""
        await self.p.settle(timeout)
        parked = await self.p.parked()
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
        return self.p.mails(to)

    def advance_clock(self, seconds: float) -> None:
        self.p.advance_clock(seconds=seconds)

    def auth(
        self, account_id: uuid.UUID | None = None, *, roles: tuple[str, ...] = ("depositor",), entity_id: uuid.UUID | None = None
    ) -> dict[str, str]:
        return self.p.token(roles=roles, account_id=account_id, entity_id=entity_id, email="someone@example.org")


@asynccontextmanager
async def running_notifier(data_dir: Path, **overrides: Any) -> AsyncIterator[Harness]:
    async with embedded_platform(data_dir, names=["notifier"], **{"bus_max_attempts": 2, **overrides}) as p:
        yield Harness(p)


@pytest.fixture
def notifier_factory(tmp_path: Path) -> Callable[..., Any]:
    return lambda **overrides: running_notifier(tmp_path / "notifier", **overrides)


@pytest.fixture
def wait() -> Callable[..., Any]:
    return partial(eventually, timeout=20)

"""The entities service running for real behind the gateway, with a test JWKS: the
tests mint the tokens identity would issue and publish the events identity would emit.

Only the entities service runs (the other services are other teams' work in progress);
everything else is the production composition: ServiceRunner, migrations, the durable
bus, the blob store (local folder, or S3 when given), the gateway.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import select

import entities.service
from certreg_contracts import Envelope, Event
from certreg_runtime.bus import OutgoingMessage, create_bus
from certreg_runtime.bus.inprocess import InProcessBus
from certreg_runtime.messaging import outbox_table
from certreg_runtime.service import ServiceContext, ServiceRunner
from certreg_runtime.settings import Settings
from certreg_runtime.storage import LocalBlobStore, S3BlobStore, create_blob_store
from certreg_runtime.tokens import SigningKey, issue_token, jwks
from gateway.app import create_gateway

T = TypeVar("T")

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class EntitiesHarness:
    settings: Settings
    runner: ServiceRunner
    client: httpx.AsyncClient
    key: SigningKey

    __test__ = False

    @property
    def ctx(self) -> ServiceContext:
        return self.runner.ctx

    # ------------------------------------------------------------------ tokens

    def _token(self, account_id: uuid.UUID, scope: str, **claims: Any) -> dict[str, str]:
        token = issue_token(
            self.key,
            subject=account_id,
            issuer=self.settings.jwt_issuer,
            audience=self.settings.jwt_audience,
            ttl=timedelta(minutes=30),
            scope=scope,
            **claims,
        )
        return {"Authorization": f"Bearer {token}"}

    def onboarding(self, account_id: uuid.UUID | None = None, email: str | None = None) -> tuple[uuid.UUID, dict[str, str]]:
        """A new applicant: their account id and the onboarding token identity gives at sign-up."""
        account_id = account_id or uuid.uuid4()
        return account_id, self._token(account_id, "onboarding", email=email or f"{account_id.hex[:8]}@example.fr")

    def access(
        self, account_id: uuid.UUID | None = None, *, roles: tuple[str, ...] = ("depositor",), entity_id: Any = None
    ) -> dict[str, str]:
        account_id = account_id or uuid.uuid4()
        entity = uuid.UUID(str(entity_id)) if entity_id else None
        return self._token(account_id, "access", email=f"{account_id.hex[:8]}@example.fr", roles=roles, entity_id=entity)

    # ------------------------------------------------------------------ events

    async def publish(self, event: Event) -> Envelope:
        """What identity's relay would do: the event on the bus, then wait until handled."""
        envelope = Envelope.wrap(event, producer="identity")
        await self.runner.ctx.bus.publish([OutgoingMessage(envelope)])
        await self.settle()
        return envelope

    async def settle(self, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pending = await asyncio.to_thread(self.ctx.relay.pending)
            if isinstance(self.ctx.bus, InProcessBus):
                pending += self.ctx.bus.pending()
            if pending == 0:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"events still pending after {timeout}s")

    def emitted(self, routing_key: str) -> list[dict[str, Any]]:
        """The payloads of the events this service wrote to its outbox."""
        outbox = outbox_table(self.ctx.metadata)
        with self.ctx.engine.connect() as conn:
            rows = conn.execute(sa.select(outbox.c.body).where(outbox.c.routing_key == routing_key).order_by(outbox.c.id)).all()
        return [Envelope.from_bytes(r.body).payload for r in rows]

    # ------------------------------------------------------------------ state

    def rows(self, table: type[T], **where: Any) -> list[T]:
        with self.ctx.uow() as uow:
            query = select(table)
            for name, value in where.items():
                query = query.where(getattr(table, name) == value)
            found = list(uow.session.exec(query).all())
            uow.session.expunge_all()  # keep their loaded state past the rollback
            return found

    def stored_keys(self, prefix: str = "") -> list[str]:
        """The objects in the documents bucket (under ``prefix``)."""
        blobs = self.ctx.blobs
        bucket = self.ctx.bucket("documents")
        if isinstance(blobs, S3BlobStore):
            return sorted(o.object_name for o in blobs.client.list_objects(bucket, prefix=prefix, recursive=True))
        assert isinstance(blobs, LocalBlobStore)
        root = blobs.root / bucket
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and str(p.relative_to(root)).startswith(prefix))

    # ------------------------------------------------------------------ journeys

    async def apply(self, headers: dict[str, str], **body: Any) -> httpx.Response:
        return await self.client.post("/api/entities/applications", json=body, headers=headers)

    async def upload(
        self,
        headers: dict[str, str],
        application_id: Any,
        doc_type: str,
        content: bytes = PDF,
        *,
        filename: str = "piece.pdf",
        **params: Any,
    ) -> httpx.Response:
        return await self.client.put(
            f"/api/entities/applications/{application_id}/documents/{doc_type}",
            params=params,
            files={"file": (filename, content, "application/pdf")},
            headers=headers,
        )


@asynccontextmanager
async def entities_harness(data_dir: Path, **overrides: Any) -> AsyncIterator[EntitiesHarness]:
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
    key = SigningKey.generate()
    public = jwks([key])
    bus = create_bus(settings)
    runner = ServiceRunner(
        entities.service.definition(), settings, bus, blobs=create_blob_store(settings), jwks=lambda refresh=False: public
    )

    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        await bus.start()
        await runner.start(migrate=True)
        try:
            yield
        finally:
            await runner.stop()
            await bus.close()

    app = create_gateway({"entities": runner.app})
    async with lifespan(None):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://certreg.test", timeout=60) as client:
            yield EntitiesHarness(settings, runner, client, key)


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[EntitiesHarness]:
    async with entities_harness(tmp_path, max_upload_bytes=64 * 1024) as h:
        yield h


@pytest.fixture
def make_harness() -> Callable[..., Any]:
    return entities_harness

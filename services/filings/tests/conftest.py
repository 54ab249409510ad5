"""The filings tests' harness: the whole platform in-process, with access tokens signed
by a key of the test (filings verifies them against its JWKS), and small helpers."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from certreg_contracts import Envelope, Event
from certreg_contracts.calendar import paris_date
from certreg_runtime.bus import OutgoingMessage
from certreg_runtime.service import ServiceContext
from certreg_runtime.tokens import SigningKey, issue_token, jwks
from certreg_testing.platform import TestPlatform, embedded_platform

PDF = b"%PDF-1.4\n% certreg test piece\n"


@dataclass
class Harness:
    p: TestPlatform
    key: SigningKey
    entity_id: uuid.UUID = field(default_factory=uuid.uuid4)

    __test__ = False

    @property
    def client(self) -> httpx.AsyncClient:
        return self.p.client

    @property
    def ctx(self) -> ServiceContext:
        return self.p.platform.runners["filings"].ctx

    def token(self, *, roles: list[str], entity_id: uuid.UUID | None = None, account_id: uuid.UUID | None = None) -> dict[str, str]:
        settings = self.p.settings
        token = issue_token(
            self.key,
            subject=account_id or uuid.uuid4(),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl=dt.timedelta(minutes=10),
            roles=roles,
            entity_id=entity_id,
            email="someone@example.org",
            name="Camille Durand",
        )
        return {"Authorization": f"Bearer {token}"}

    def depositor(self, entity_id: uuid.UUID | None = None) -> dict[str, str]:
        return self.token(roles=["depositor"], entity_id=entity_id or self.entity_id)

    def staff(self, role: str = "reviewer") -> dict[str, str]:
        return self.token(roles=[role])

    def today(self) -> dt.date:
        return paris_date(self.ctx.clock.now())

    async def create(self, headers: dict[str, str], **body: Any) -> dict[str, Any]:
        payload = {
            "repertoire": "rncp",
            "title": "Technicien de maintenance des éoliennes",
            "qualification_level": 4,
            "is_cqp": False,
            "rests_on_standards": False,
            "summary": "Maintenance préventive et corrective des parcs éoliens.",
            "activities": ["Maintenance préventive"],
            "competences": ["Diagnostiquer une panne"],
            "competence_blocks": [{"code": "B1", "title": "Maintenance", "competences": ["Diagnostiquer une panne"]}],
            "assessment_methods": ["Mise en situation professionnelle"],
            **body,
        }
        response = await self.client.post("/api/filings", json=payload, headers=headers)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def upload(
        self,
        headers: dict[str, str],
        filing_id: str,
        doc_type: str,
        content: bytes = PDF,
        document_date: dt.date | None = None,
        filename: str = "piece.pdf",
    ) -> httpx.Response:
        params = {"filename": filename}
        if document_date is not None:
            params["document_date"] = document_date.isoformat()
        return await self.client.post(f"/api/filings/{filing_id}/documents/{doc_type}", params=params, content=content, headers=headers)

    async def complete(self, headers: dict[str, str], filing: dict[str, Any]) -> None:
        """Upload every required piece of the filing's checklist (dated ones dated today)."""
        for line in filing["requirements"]:
            if line["required"]:
                response = await self.upload(
                    headers, filing["filing_id"], line["doc_type"], document_date=self.today() if line["dated"] else None
                )
                assert response.status_code == 201, response.text

    async def publish(self, event: Event, producer: str = "review") -> Envelope:
        envelope = Envelope.wrap(event, producer=producer)
        await self.p.platform.bus.publish([OutgoingMessage(envelope)])
        await self.p.settle()
        return envelope

    def outbox(self, routing_key: str) -> list[dict[str, Any]]:
        """The events filings committed with this routing key, oldest first (payloads)."""
        table = self.ctx.metadata.tables["outbox"]
        with self.ctx.engine.connect() as conn:
            rows = conn.execute(sa.select(table.c.body).where(table.c.routing_key == routing_key).order_by(table.c.id)).all()
        return [Envelope.from_bytes(r.body).payload for r in rows]


def use_test_key(p: TestPlatform) -> SigningKey:
    """Filings verifies tokens against a key of the test (identity's keys are its own)."""
    key = SigningKey.generate()
    document = jwks([key])
    p.platform.runners["filings"].ctx.verifier.jwks = lambda refresh=False: document
    return key


@asynccontextmanager
async def filings_platform(data_dir: Path, **overrides: Any) -> AsyncIterator[Harness]:
    async with embedded_platform(data_dir, **overrides) as p:
        yield Harness(p, use_test_key(p))


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with filings_platform(tmp_path) as harness:
        yield harness


@pytest.fixture
def make_platform():
    """``async with make_platform(tmp_path, **settings) as h``: the harness on other settings."""
    return filings_platform

"""Filings' API tests: filings alone behind the gateway (``certreg_testing.platform``);
the tests publish what review would say and sign tokens with the shared test key."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from certreg_testing.platform import ServiceHarness, embedded_platform
from certreg_testing.samples import PDF, RNCP_FILING


@dataclass
class Harness(ServiceHarness):
    service: ClassVar[str] = "filings"
    entity_id: uuid.UUID = field(default_factory=uuid.uuid4)

    def token(self, *, roles: list[str], entity_id: uuid.UUID | None = None) -> dict[str, str]:
        return self.p.token(roles=roles, entity_id=entity_id)

    def depositor(self, entity_id: uuid.UUID | None = None) -> dict[str, str]:
        return self.p.depositor(entity_id or self.entity_id)

    def staff(self, role: str = "reviewer") -> dict[str, str]:
        return self.p.staff(role)

    outbox = ServiceHarness.emitted  # the events filings committed, oldest first (payloads)

    async def create(self, headers: dict[str, str], **body: Any) -> dict[str, Any]:
        payload = {**RNCP_FILING, **body}
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

    async def submitted(self, headers: dict[str, str], **body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """A filing created, completed and submitted, whatever review says about the
        submission settled first; with the fields every review event about it names."""
        filing = await self.create(headers, **body)
        await self.complete(headers, filing)
        response = await self.client.post(f"/api/filings/{filing['filing_id']}/submit", json={"sworn_statement": True}, headers=headers)
        assert response.status_code == 202, response.text
        await self.p.settle()
        about = {key: filing[key] for key in ("filing_id", "repertoire", "title")}
        return filing, {**about, "entity_id": self.entity_id}


@asynccontextmanager
async def filings_platform(data_dir: Path, **overrides: Any) -> AsyncIterator[Harness]:
    async with embedded_platform(data_dir, names=["filings"], **overrides) as p:
        yield Harness(p)


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with filings_platform(tmp_path) as harness:
        yield harness


@pytest.fixture
def make_platform():
    """``async with make_platform(tmp_path, **settings) as h``: the harness on other settings."""
    return filings_platform


@pytest.fixture(params=["embedded", "infra"])
async def both_modes(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Harness]:
    """The harness twice: embedded (SQLite), then on the test PostgreSQL (marked ``infra``)."""
    overrides: dict[str, Any] = {}
    if request.param == "infra":
        request.applymarker(pytest.mark.infra)
        overrides["database_url"] = request.getfixturevalue("postgres").database_url_template()
    async with filings_platform(tmp_path, **overrides) as harness:
        yield harness

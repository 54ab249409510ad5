"""Entities' API tests: entities alone behind the gateway (``certreg_testing.platform``);
the tests sign the tokens identity would issue (with the shared test key) and publish
the events identity would emit."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from certreg_runtime.storage import LocalBlobStore, S3BlobStore
from certreg_testing.platform import ServiceHarness, embedded_platform
from certreg_testing.samples import PDF


@dataclass
class EntitiesHarness(ServiceHarness):
    service: ClassVar[str] = "entities"

    def onboarding(self, account_id: uuid.UUID | None = None, email: str | None = None) -> tuple[uuid.UUID, dict[str, str]]:
        """A new applicant: their account id and the onboarding token identity gives at sign-up."""
        account_id = account_id or uuid.uuid4()
        return account_id, self.p.token(scope="onboarding", roles=(), account_id=account_id, email=email)

    def access(
        self, account_id: uuid.UUID | None = None, *, roles: tuple[str, ...] = ("depositor",), entity_id: Any = None
    ) -> dict[str, str]:
        return self.p.token(roles=roles, account_id=account_id, entity_id=entity_id)

    def stored_keys(self, prefix: str = "") -> list[str]:
        """The objects in the documents bucket (under ``prefix``)."""
        blobs = self.ctx.blobs
        bucket = self.ctx.bucket("documents")
        if isinstance(blobs, S3BlobStore):
            return sorted(o.object_name for o in blobs.client.list_objects(bucket, prefix=prefix, recursive=True))
        assert isinstance(blobs, LocalBlobStore)
        root = blobs.root / bucket
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and str(p.relative_to(root)).startswith(prefix))

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
    async with embedded_platform(data_dir, names=["entities"], **overrides) as p:
        yield EntitiesHarness(p)


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[EntitiesHarness]:
    async with entities_harness(tmp_path, max_upload_bytes=64 * 1024) as h:
        yield h


@pytest.fixture
def make_harness() -> Callable[..., Any]:
    return entities_harness

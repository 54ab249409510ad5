"""A process killed between an upload's object and its row (a piece, a proof of
submission) leaves an object no row names: the sweep deletes it once past the grace
period and keeps every object a row names (local folder and SQLite; S3 and PostgreSQL)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

from certreg_runtime.storage import BlobStore
from certreg_testing.infra import unique_namespace
from filings.adapters.tables import Document, Receipt
from filings.app import commands
from services.filings.tests.conftest import Harness, filings_platform

T = TypeVar("T")
GRACE_SECONDS = 3.0  # S3 dates objects to the second


class Killed(Exception):
    """The process died here: nothing after the object's write ran."""


def put_then_die(blobs: BlobStore, bucket: str, key: str, path: Path, content_type: str, record: Callable[[], T]) -> T:
    blobs.put_file(bucket, key, path, content_type)
    raise Killed(key)


@asynccontextmanager
async def platform(tmp_path: Path, mode: str, request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    overrides: dict[str, Any] = {"orphan_grace_seconds": GRACE_SECONDS}
    if mode == "distributed":
        postgres, s3 = request.getfixturevalue("postgres"), request.getfixturevalue("s3")
        # buckets of its own: the sweep judges every object of a bucket against this database
        overrides |= {"database_url": postgres.database_url_template(), "bucket_prefix": unique_namespace(), **s3.settings()}
    async with filings_platform(tmp_path, **overrides) as h:
        yield h


def objects(h: Harness, purpose: str) -> set[str]:
    blobs = h.ctx.blobs
    assert blobs is not None
    return {o.key for o in blobs.list_objects(h.ctx.bucket(purpose))}


@pytest.mark.parametrize("mode", ["embedded", "distributed"])
async def test_objects_left_by_a_crash_before_their_row_are_swept(tmp_path, mode, request, monkeypatch) -> None:
    async with platform(tmp_path, mode, request) as h:
        dep = h.depositor()
        kept = await h.create(dep)
        await h.complete(dep, kept)
        submitted = await h.client.post(f"/api/filings/{kept['filing_id']}/submit", json={"sworn_statement": True}, headers=dep)
        assert submitted.status_code == 202, submitted.text
        named_documents, named_receipts = objects(h, "documents"), objects(h, "receipts")
        assert len(named_documents) >= 5 and len(named_receipts) == 1

        crashed = await h.create(dep)
        await h.complete(dep, crashed)
        monkeypatch.setattr(commands, "store_then_record", put_then_die)
        with pytest.raises(Killed):
            await h.upload(dep, crashed["filing_id"], "criminal_record", document_date=h.today())
        with pytest.raises(Killed):
            await h.client.post(f"/api/filings/{crashed['filing_id']}/submit", json={"sworn_statement": True}, headers=dep)
        monkeypatch.undo()
        orphan_documents = objects(h, "documents") - named_documents - {d.object_key for d in h.p.rows("filings", Document)}
        orphan_receipts = objects(h, "receipts") - named_receipts
        assert len(orphan_documents) == 1 and len(orphan_receipts) == 1  # as after a kill -9 between object and row

        runner = h.p.platform.runners["filings"]
        young = await asyncio.to_thread(runner.sweep_orphans)
        assert [s.deleted for s in young] == [[], []]  # within the grace period: maybe an upload in flight
        await asyncio.sleep(GRACE_SECONDS + 1.5)
        swept = await asyncio.to_thread(runner.sweep_orphans)
        assert [sorted(s.deleted) for s in swept] == [sorted(orphan_documents), sorted(orphan_receipts)]
        print(f"\n[{mode}] swept: " + ", ".join(f"{s.bucket}: listed {s.listed}, named {s.named}, deleted {len(s.deleted)}" for s in swept))

        # every object a row names is still there, and still served
        assert objects(h, "documents") == {d.object_key for d in h.p.rows("filings", Document)}
        assert objects(h, "receipts") == {r.object_key for r in h.p.rows("filings", Receipt)} == named_receipts
        pieces = (await h.client.get(f"/api/filings/{kept['filing_id']}/documents", headers=dep)).json()["items"]
        first = pieces[0]["versions"][0]
        content = await h.client.get(f"/api/filings/{kept['filing_id']}/documents/{first['document_id']}/content", headers=dep)
        assert content.status_code == 200
        # the crashed filing can be completed and submitted as if nothing happened
        again = await h.client.post(f"/api/filings/{crashed['filing_id']}/submit", json={"sworn_statement": True}, headers=dep)
        assert again.status_code == 202, again.text
        assert uuid.UUID(again.json()["filing_id"]) == uuid.UUID(crashed["filing_id"])

"""A process killed between a piece's object and its row leaves an object no row names:
the sweep deletes it once past the grace period, and keeps the pieces a row names
(local folder and SQLite; S3 and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

from certreg_runtime.storage import BlobStore
from certreg_testing.infra import unique_namespace
from entities.adapters.tables import Document
from entities.app import commands
from services.entities.tests.api.test_applications import company
from services.entities.tests.conftest import EntitiesHarness, entities_harness

T = TypeVar("T")
GRACE_SECONDS = 3.0  # S3 dates objects to the second


class Killed(Exception):
    """The process died here: nothing after the object's write ran."""


def put_then_die(blobs: BlobStore, bucket: str, key: str, path: Path, content_type: str, record: Callable[[], T]) -> T:
    blobs.put_file(bucket, key, path, content_type)
    raise Killed(key)


@asynccontextmanager
async def harness_in(tmp_path: Path, mode: str, request: pytest.FixtureRequest) -> AsyncIterator[EntitiesHarness]:
    overrides: dict[str, Any] = {"orphan_grace_seconds": GRACE_SECONDS}
    if mode == "distributed":
        postgres, s3 = request.getfixturevalue("postgres"), request.getfixturevalue("s3")
        overrides |= {"database_url": postgres.database_url_template(), "bucket_prefix": unique_namespace(), **s3.settings()}
    async with entities_harness(tmp_path, **overrides) as h:
        yield h


@pytest.mark.parametrize("mode", ["embedded", "distributed"])
async def test_a_piece_left_by_a_crash_before_its_row_is_swept(tmp_path, mode, request, monkeypatch) -> None:
    async with harness_in(tmp_path, mode, request) as h:
        _, onboarding = h.onboarding()
        created = await h.client.post("/api/entities/applications", json=company(), headers=onboarding)
        app_id = created.json()["application_id"]
        assert (await h.upload(onboarding, app_id, "legal_existence")).status_code == 201
        named = set(h.stored_keys())
        monkeypatch.setattr(commands, "store_then_record", put_then_die)
        with pytest.raises(Killed):
            await h.upload(onboarding, app_id, "legal_existence")
        monkeypatch.undo()
        [orphan] = set(h.stored_keys()) - named

        runner = h.p.platform.runners["entities"]
        assert [s.deleted for s in await asyncio.to_thread(runner.sweep_orphans)] == [[]]  # within the grace period
        await asyncio.sleep(GRACE_SECONDS + 1.5)
        [swept] = await asyncio.to_thread(runner.sweep_orphans)
        assert swept.deleted == [orphan] and swept.named == len(named)
        assert set(h.stored_keys()) == named == {d.object_key for d in h.rows(Document)}

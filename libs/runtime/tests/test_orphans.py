"""Objects no row names (``certreg_runtime.orphans``): deleted once older than the grace
period, on the local folder, in memory and on S3; named ones and recent ones are kept;
a service with buckets must say which columns name their objects."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from certreg_runtime.bus.inprocess import InProcessBus
from certreg_runtime.messaging import add_messaging_tables
from certreg_runtime.orphans import sweep_bucket
from certreg_runtime.service import ServiceDefinition, ServiceRunner
from certreg_runtime.settings import Settings
from certreg_runtime.storage import BlobStore, LocalBlobStore, S3BlobStore
from certreg_testing.unit import MemoryBlobStore, memory_engine

metadata = sa.MetaData()
add_messaging_tables(metadata)
pieces = sa.Table("pieces", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("object_key", sa.String(200)))
proofs = sa.Table("proofs", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("object_key", sa.String(200)))
GRACE = timedelta(hours=1)


def store(blobs: BlobStore, bucket: str, key: str, tmp_path: Path) -> None:
    path = tmp_path / "object"
    path.write_bytes(b"%PDF-1.4 " + key.encode())
    blobs.put_file(bucket, key, path, "application/pdf")


@pytest.fixture(params=["local", "memory", "s3"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    if request.param == "memory":
        return MemoryBlobStore()
    s3 = request.getfixturevalue("s3")
    return S3BlobStore(s3.endpoint, s3.access_key, s3.secret_key)


def test_objects_no_row_names_are_deleted_once_past_the_grace_period(blobs: BlobStore, tmp_path: Path) -> None:
    bucket = f"orphans-{uuid.uuid4().hex[:10]}"
    blobs.ensure_bucket(bucket)
    engine = memory_engine(metadata)
    named, proof, orphan = "f1/doc-a", "f1/proof.pdf", "f1/doc-killed-before-its-row"
    for key in (named, proof, orphan):
        store(blobs, bucket, key, tmp_path)
    with engine.begin() as conn:
        conn.execute(pieces.insert().values(object_key=named))
        conn.execute(proofs.insert().values(object_key=proof))
    columns = [pieces.c.object_key, proofs.c.object_key]

    young = sweep_bucket(engine, blobs, bucket, columns, grace=GRACE)
    assert young.listed == 3 and young.recent == 3 and young.deleted == []  # maybe uploads in flight

    later = datetime.now(UTC) + GRACE + timedelta(seconds=5)
    swept = sweep_bucket(engine, blobs, bucket, columns, grace=GRACE, now=later)
    assert swept.deleted == [orphan] and swept.named == 2
    assert sorted(o.key for o in blobs.list_objects(bucket)) == [named, proof]
    assert sweep_bucket(engine, blobs, bucket, columns, grace=GRACE, now=later).deleted == []


def test_a_partial_file_left_by_a_crash_is_swept(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    blobs.ensure_bucket("b")
    (tmp_path / "blobs" / "b" / "f1").mkdir()
    (tmp_path / "blobs" / "b" / "f1" / "doc.partial").write_bytes(b"half")
    swept = sweep_bucket(memory_engine(metadata), blobs, "b", [pieces.c.object_key], grace=GRACE, now=datetime.now(UTC) + 2 * GRACE)
    assert swept.deleted == ["f1/doc.partial"] and list(blobs.list_objects("b")) == []


def test_a_service_with_buckets_says_which_columns_name_their_objects(tmp_path: Path) -> None:
    def definition(**rows: list[sa.Column[str]]) -> ServiceDefinition:
        return ServiceDefinition(
            name="probe", metadata=metadata, migrations=Path("/nonexistent"), routers=lambda ctx: [], buckets=("documents",), blob_rows=rows
        )

    def runner(d: ServiceDefinition) -> ServiceRunner:
        return ServiceRunner(
            d,
            Settings(data_dir=tmp_path),
            InProcessBus(tmp_path / "bus.sqlite3"),
            blobs=MemoryBlobStore(),
            engine=memory_engine(metadata),
            jwks=lambda refresh=False: {"keys": []},
        )

    with pytest.raises(ValueError, match="documents"):
        runner(definition())
    with pytest.raises(ValueError, match="letters"):
        runner(definition(documents=[pieces.c.object_key], letters=[proofs.c.object_key]))
    ok = runner(definition(documents=[pieces.c.object_key]))
    assert [s.bucket for s in ok.sweep_orphans()] == ["certreg-probe-documents"]

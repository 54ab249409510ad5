"""Fakes for unit tests of use cases: a service's commands run against an in-memory
SQLite database holding its tables (and outbox), a fixed clock and an in-memory blob
store, in milliseconds and without the platform.

    u = unit(Deps, "filings", metadata, clock=FixedClock(...))
    view = commands.create_filing(u.deps, user, FilingIn(...))
    assert [e.type for e in u.emitted()] == ["filings.filing.created"]
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from certreg_contracts import Envelope
from certreg_runtime.clock import Clock, FixedClock
from certreg_runtime.messaging import UnitOfWork, outbox_table
from certreg_runtime.service import Deps
from certreg_runtime.settings import Settings
from certreg_runtime.storage import CHUNK, BlobStore, StoredObject

D = TypeVar("D", bound=Deps)


class MemoryBlobStore(BlobStore):
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], tuple[bytes, str]] = {}
        self.modified: dict[tuple[str, str], datetime] = {}
        self.buckets: set[str] = set()

    def ensure_bucket(self, bucket: str) -> None:
        self.buckets.add(bucket)

    def put_file(self, bucket: str, key: str, path: Path, content_type: str) -> None:
        self.objects[(bucket, key)] = (Path(path).read_bytes(), content_type)
        self.modified[(bucket, key)] = datetime.now(UTC)

    def iter_chunks(self, bucket: str, key: str, chunk_size: int = CHUNK) -> Iterator[bytes]:
        data = io.BytesIO(self.objects[(bucket, key)][0])
        while chunk := data.read(chunk_size):
            yield chunk

    def delete(self, bucket: str, key: str) -> None:
        self.objects.pop((bucket, key), None)

    def exists(self, bucket: str, key: str) -> bool:
        return (bucket, key) in self.objects

    def ping(self, bucket: str) -> bool:
        return True

    def list_objects(self, bucket: str) -> Iterator[StoredObject]:
        for b, key in list(self.objects):
            if b == bucket:
                yield StoredObject(key, self.modified.get((b, key), datetime.now(UTC)))


def memory_engine(metadata: sa.MetaData) -> sa.Engine:
    """One in-memory SQLite database shared by every session of the test."""
    engine = sa.create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    metadata.create_all(engine)
    return engine


@dataclass
class Unit(Generic[D]):
    """A service's dependency bundle on fakes, and the in-memory database behind it."""

    deps: D
    engine: sa.Engine
    metadata: sa.MetaData

    def emitted(self) -> list[Envelope]:
        """The events the commands committed so far (the outbox, oldest first)."""
        outbox = outbox_table(self.metadata)
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(outbox.c.body).order_by(outbox.c.id)).all()
        return [Envelope.model_validate_json(body) for (body,) in rows]


def unit(
    deps_class: type[D],
    service: str,
    metadata: sa.MetaData,
    *,
    clock: Clock | None = None,
    blobs: BlobStore | None = None,
    settings: Settings | None = None,
    **extra: Any,
) -> Unit[D]:
    """``deps_class`` (``Deps`` or a service's subclass; ``extra`` fills its own fields)
    built on an in-memory database, a fixed clock and an in-memory blob store."""
    engine = memory_engine(metadata)
    deps = deps_class(
        service=service,
        settings=settings or Settings(),
        clock=clock or FixedClock(datetime(2026, 11, 30, 9, 0, tzinfo=UTC)),
        blobs=blobs if blobs is not None else MemoryBlobStore(),
        uow_factory=partial(UnitOfWork, engine, metadata, service),
        **extra,
    )
    return Unit(deps, engine, metadata)


__all__ = ["MemoryBlobStore", "Unit", "memory_engine", "unit"]

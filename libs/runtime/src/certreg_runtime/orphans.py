"""Objects no row names, deleted once old enough.

An upload's object is written before its row commits (``storage.store_then_record``: a
row never names a missing object), so a process killed between the two leaves an object
no row refers to; so does a delete whose row went but whose object could not be removed
(``delete_quietly``). Each service says, per bucket, which columns hold the keys of its
objects (``ServiceDefinition.blob_rows``); the runner sweeps its buckets every
``orphan_sweep_seconds`` (1 h): an object no row names and written more than
``orphan_grace_seconds`` ago (1 h; an upload takes seconds between its object and its
row) is deleted. Replicas may sweep at once: deleting an object twice is harmless."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped

from certreg_runtime.storage import BlobStore, StoredObject

log = logging.getLogger(__name__)

KeyColumn = sa.ColumnElement[Any] | Mapped[Any]
BlobRows = Mapping[str, Sequence[KeyColumn]]
"""Bucket purpose → the columns whose values are keys of that bucket's objects."""

BATCH = 500


@dataclass
class Sweep:
    """What one sweep of one bucket found."""

    bucket: str
    listed: int = 0
    named: int = 0  # by a row
    recent: int = 0  # nameless but younger than the grace period: maybe an upload in flight
    deleted: list[str] = field(default_factory=list)


def _batches(objects: Iterator[StoredObject], size: int) -> Iterator[list[StoredObject]]:
    while batch := list(islice(objects, size)):
        yield batch


def named_keys(engine: sa.Engine, columns: Sequence[KeyColumn], keys: Sequence[str]) -> set[str]:
    """Those of ``keys`` that a row names (in any of ``columns``)."""
    found: set[str] = set()
    with engine.connect() as conn:
        for column in columns:
            found.update(conn.execute(sa.select(column).where(column.in_(list(keys)))).scalars())
    return found


def sweep_bucket(
    engine: sa.Engine,
    blobs: BlobStore,
    bucket: str,
    columns: Sequence[KeyColumn],
    *,
    grace: timedelta,
    now: datetime | None = None,
) -> Sweep:
    """Delete the objects of ``bucket`` no row names, written before ``now - grace``."""
    cutoff = (now or datetime.now(UTC)) - grace
    sweep = Sweep(bucket)
    for batch in _batches(blobs.list_objects(bucket), BATCH):
        sweep.listed += len(batch)
        old = [o for o in batch if o.modified < cutoff]
        sweep.recent += len(batch) - len(old)
        if not old:
            continue
        named = named_keys(engine, columns, [o.key for o in old])
        sweep.named += len(named)
        for orphan in (o for o in old if o.key not in named):
            blobs.delete(bucket, orphan.key)
            sweep.deleted.append(orphan.key)
            log.warning(
                "orphan object deleted: %s/%s (written %s, no row names it)",
                bucket,
                orphan.key,
                orphan.modified.isoformat(timespec="seconds"),
            )
    return sweep


__all__ = ["BATCH", "BlobRows", "Sweep", "named_keys", "sweep_bucket"]

"""The audit chain in the database: append an entry, read a case's timeline, read every
chain for the check (``review.jobs.audit_check``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from certreg_runtime.clock import as_utc
from review.adapters.tables import AuditEntry
from review.domain.actor import Actor
from review.domain.audit import GENESIS, canonical_json, entry_hash


def last_seq(session: Session, filing_id: uuid.UUID) -> int:
    """The number of the case's latest audit entry (what ``sequence`` in events refers to)."""
    return session.exec(select(sa.func.max(AuditEntry.seq)).where(AuditEntry.filing_id == str(filing_id))).one() or 0


def append(
    session: Session,
    filing_id: uuid.UUID,
    at: datetime,
    actor: Actor,
    action: str,
    *,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the case's chain. The caller holds the case's row lock."""
    last = session.exec(
        select(AuditEntry).where(AuditEntry.filing_id == str(filing_id)).order_by(col(AuditEntry.seq).desc()).limit(1)
    ).first()
    fields: dict[str, Any] = {
        "filing_id": str(filing_id),
        "seq": (last.seq + 1) if last else 1,
        "at": as_utc(at).astimezone(UTC).isoformat(),
        "actor_id": str(actor.id) if actor.id else None,
        "actor_role": actor.role,
        "actor_name": actor.name or "",
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "reason": reason,
        "details": canonical_json(details or {}).decode(),
        "prev_hash": last.hash if last else GENESIS,
    }
    entry = AuditEntry(**fields, hash=entry_hash(fields))
    session.add(entry)
    session.flush()
    return entry


def timeline(session: Session, filing_id: uuid.UUID) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry).where(AuditEntry.filing_id == str(filing_id)).order_by(col(AuditEntry.seq))).all())


def chains(conn: sa.Connection) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Every case's entries in order, one case at a time (streamed, not all in memory)."""
    table = sa.inspect(AuditEntry).local_table
    current: str | None = None
    batch: list[dict[str, Any]] = []
    rows = conn.execution_options(yield_per=2000).execute(sa.select(table).order_by(table.c.filing_id, table.c.seq))
    for row in rows.mappings():
        if row["filing_id"] != current:
            if current is not None:
                yield current, batch
            current, batch = row["filing_id"], []
        batch.append(dict(row))
    if current is not None:
        yield current, batch

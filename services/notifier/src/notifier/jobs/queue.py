"""What the notifier's two jobs share: rows of a table used as a work queue (``status``
pending, due at ``next_attempt_at``, owned by one replica until ``claimed_until``), and
the loop that works through them."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from certreg_runtime.aio import Wakeup
from notifier.adapters.tables import Letter, Mail
from notifier.config import NotifierConfig

log = logging.getLogger(__name__)


def claim_due(
    session: Session, model: type[Mail] | type[Letter], now: datetime, config: NotifierConfig, *where: sa.ColumnElement[bool]
) -> list[uuid.UUID]:
    """Take a batch of due rows for ``job_claim_seconds`` (locked while claiming, skipped
    by other replicas), so that two replicas never work on one row together."""
    t = sa.inspect(model).local_table
    rows = session.execute(
        sa.select(t.c.id)
        .where(
            t.c.status == "pending",
            t.c.next_attempt_at <= now,
            sa.or_(t.c.claimed_until.is_(None), t.c.claimed_until < now),
            *where,
        )
        .order_by(t.c.created_at)
        .limit(config.job_batch)
        .with_for_update(skip_locked=True)
    ).all()
    ids = [r.id for r in rows]
    if ids:
        session.execute(t.update().where(t.c.id.in_(ids)).values(claimed_until=now + timedelta(seconds=config.job_claim_seconds)))
    return ids


def record_failure(row: Mail | Letter, error: str, now: datetime, config: NotifierConfig) -> None:
    """Tried once more: the error kept, the row due again after the back-off (forever: a
    mail or a letter is never dropped)."""
    row.attempts += 1
    row.last_error = error[:2000]
    row.claimed_until = None
    row.next_attempt_at = now + config.retry_delay(row.attempts)


async def run_rounds(name: str, one_round: Callable[[], Awaitable[int]], wakeup: Wakeup, config: NotifierConfig) -> None:
    """Rounds until cancelled: another at once after a full batch, else when woken or
    after ``job_poll_seconds``. A failed round is logged and tried again."""
    wakeup.bind()
    while True:
        try:
            done = await one_round()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s: a round failed; retrying", name)
            done = 0
        if done < config.job_batch:
            await wakeup.wait(config.job_poll_seconds)

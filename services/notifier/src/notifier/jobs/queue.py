"""What the notifier's two jobs share: rows of a table used as a work queue (``status``
pending, due at ``next_attempt_at``, owned by one replica — ``claimed_by`` — until
``claimed_until``), and the loop that works through them.

A claim is given back when the notifier stops (``release``); after a crash (kill -9)
what it held waits until ``claimed_until`` (``job_claim_seconds``, 60 s by default)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from certreg_runtime.aio import Wakeup
from notifier.adapters.tables import Letter, Mail
from notifier.config import NotifierConfig

log = logging.getLogger(__name__)

OWNER = f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
"""This process, as the owner of the rows its jobs claim (a restart is a new owner)."""

# How long a stopping job lets the row in hand finish before it gives back its claims.
STOP_GRACE_SECONDS = 5.0


def claim_due(
    session: Session,
    model: type[Mail] | type[Letter],
    now: datetime,
    config: NotifierConfig,
    *where: sa.ColumnElement[bool],
    owner: str = OWNER,
) -> list[uuid.UUID]:
    """Take a batch of due rows for ``job_claim_seconds`` (locked while claiming, skipped
    by other replicas), so that two replicas never work on one row together. Rows this
    owner claimed in a round that failed (its database gone) are taken again at once."""
    t = sa.inspect(model).local_table
    rows = session.execute(
        sa.select(t.c.id)
        .where(
            t.c.status == "pending",
            t.c.next_attempt_at <= now,
            sa.or_(t.c.claimed_until.is_(None), t.c.claimed_until < now, t.c.claimed_by == owner),
            *where,
        )
        .order_by(t.c.created_at)
        .limit(config.job_batch)
        .with_for_update(skip_locked=True)
    ).all()
    ids = [r.id for r in rows]
    if ids:
        session.execute(
            t.update().where(t.c.id.in_(ids)).values(claimed_until=now + timedelta(seconds=config.job_claim_seconds), claimed_by=owner)
        )
    return ids


def release(session: Session, model: type[Mail] | type[Letter], ids: Sequence[uuid.UUID], owner: str = OWNER) -> int:
    """Give back the claims ``owner`` still holds on these rows (those still pending):
    another replica, or this one restarted, takes them at once."""
    if not ids:
        return 0
    t = sa.inspect(model).local_table
    done = session.execute(
        t.update()
        .where(t.c.id.in_(list(ids)), t.c.claimed_by == owner, t.c.status == "pending")
        .values(claimed_until=None, claimed_by=None)
        .returning(t.c.id)
    )
    return len(done.all())


def record_failure(row: Mail | Letter, error: str, now: datetime, config: NotifierConfig, *, counted: bool = False) -> None:
    """Tried once more (``counted``: the try was already counted when it began): the error
    kept, the claim given back, the row due again after the back-off (forever: a mail or
    a letter is never dropped)."""
    if not counted:
        row.attempts += 1
    row.last_error = error[:2000]
    row.claimed_until = None
    row.claimed_by = None
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

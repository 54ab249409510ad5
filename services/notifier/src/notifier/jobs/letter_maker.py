"""The letter maker: renders the decision letters the handlers recorded as pending,
stores each in the ``letters`` bucket and marks it ready, outside any transaction; the
mails of the decision are then sent with it. A failure is recorded on the row and
retried later with back-off: a letter is never lost."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import tempfile
import threading
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import col

from certreg_contracts import Envelope
from certreg_contracts.calendar import paris_date
from certreg_runtime.storage import store_then_record
from notifier.adapters import letters
from notifier.adapters.facts import letter_facts
from notifier.adapters.tables import Letter
from notifier.app.deps import NotifierDeps
from notifier.jobs.queue import OWNER, STOP_GRACE_SECONDS, claim_due, record_failure, release, run_rounds

log = logging.getLogger(__name__)


class AlreadyMade(Exception):
    """Another replica marked the letter ready first."""


async def run(deps: NotifierDeps) -> None:
    await run_rounds("letter maker", lambda: one_round(deps), deps.letters_due, deps.config)


async def one_round(deps: NotifierDeps, owner: str = OWNER) -> int:
    """``make_due`` in a thread; stopped (cancelled), the letter in hand is given
    ``STOP_GRACE_SECONDS`` to finish and the other claims are given back."""
    stopping = threading.Event()
    job = asyncio.ensure_future(asyncio.to_thread(make_due, deps, owner, stopping))
    try:
        return await asyncio.shield(job)
    except asyncio.CancelledError:
        stopping.set()
        finished, _ = await asyncio.wait({job}, timeout=STOP_GRACE_SECONDS)
        if not finished:
            log.warning("letter maker: stopping; the letter in hand did not finish within %gs", STOP_GRACE_SECONDS)
        raise


def make_due(deps: NotifierDeps, owner: str = OWNER, stopping: threading.Event | None = None) -> int:
    """Make the letters that are due; returns how many were tried. When ``stopping``
    is set, the claims of the letters not begun are given back."""
    with deps.uow() as uow:
        ids = claim_due(uow.session, Letter, deps.clock.now(), deps.config, owner=owner)
        uow.commit()
    for done, letter_id in enumerate(ids):
        if stopping is not None and stopping.is_set():
            _give_back(deps, ids[done:], owner)
            break
        try:
            make(deps, letter_id)
        except Exception as exc:
            log.warning("letter %s not made (%s); will retry", letter_id, type(exc).__name__, exc_info=True)
            mark_failed(deps, letter_id, f"{type(exc).__name__}: {exc}")
    return len(ids)


def _give_back(deps: NotifierDeps, ids: list[uuid.UUID], owner: str) -> None:
    try:
        with deps.uow() as uow:
            given = release(uow.session, Letter, ids, owner)
            uow.commit()
        log.info("letter maker: stopping; %d claim(s) given back", given)
    except Exception as exc:
        log.warning("letter maker: stopping; could not give back %d claim(s) (%s)", len(ids), type(exc).__name__)


def make(deps: NotifierDeps, letter_id: uuid.UUID) -> None:
    """Render and store one pending letter, then mark it ready (and wake the sender).

    Each try stores its own object: when two replicas race (a claim that expired), the
    first to mark the row wins and the other deletes its object, so the row always
    describes the object it names."""
    with deps.uow() as uow:
        letter = uow.session.get(Letter, letter_id)
        if letter is None or letter.status != "pending" or letter.source is None:
            return
        kind, source, filing_id, event_id = letter.kind, letter.source, letter.filing_id, letter.event_id
        c = deps.config
        signatory = letters.Signatory(c.signatory_first_name, c.signatory_last_name, c.signatory_capacity)
        known = dataclasses.replace(letter_facts(uow.session, filing_id, letter.entity_id), signatory=signatory)
    envelope = Envelope.model_validate_json(source)
    known = dataclasses.replace(known, dated=paris_date(envelope.occurred_at))
    event = letters.decision(kind, envelope.open())
    key = f"{filing_id}/{kind}-{event_id}-{uuid.uuid4().hex[:8]}.pdf"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "letter.pdf"
        letters.render(event, path, known)
        digest, size = _sha256(path), path.stat().st_size

        def mark_ready() -> None:
            with deps.uow() as uow:
                done = uow.session.execute(
                    sa.update(Letter)
                    .where(col(Letter.id) == letter_id, col(Letter.status) == "pending")
                    .values(status="ready", object_key=key, sha256=digest, size=size, claimed_until=None, claimed_by=None, last_error=None)
                    .returning(col(Letter.id))
                )
                if done.first() is None:
                    raise AlreadyMade(str(letter_id))
                uow.commit()

        try:
            store_then_record(deps.storage, deps.letters_bucket, key, path, "application/pdf", mark_ready)
        except AlreadyMade:
            return
    deps.mails_due.set()


def mark_failed(deps: NotifierDeps, letter_id: uuid.UUID, error: str) -> None:
    with deps.uow() as uow:
        letter = uow.session.get(Letter, letter_id)
        if letter is None or letter.status != "pending":
            return
        record_failure(letter, error, deps.clock.now(), deps.config)
        uow.session.add(letter)
        uow.commit()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 16):
            digest.update(chunk)
    return digest.hexdigest()

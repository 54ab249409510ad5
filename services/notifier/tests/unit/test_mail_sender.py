"""The mail sender's claims and tries, and the letters' objects, without the platform: a try is recorded before
the message leaves, a sender that lost its claim sends nothing, a stopped sender gives
its claims back, and after a crash the claims wait ``job_claim_seconds``."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from certreg_runtime.clock import FixedClock
from certreg_runtime.orphans import sweep_bucket
from certreg_testing.unit import Unit
from notifier.adapters.tables import Letter, Mail
from notifier.app.deps import LETTERS, NotifierDeps
from notifier.config import NotifierConfig
from notifier.jobs import letter_maker, mail_sender
from notifier.service import definition
from services.notifier.tests.samples import registration
from services.notifier.tests.unit.test_handlers import blobs, deliver, member, notifier_unit, rows


class Recording:
    """A transport that records what it was given; ``gate``, when set, holds each
    delivery until it opens."""

    leaves_platform = True

    def __init__(self, gate: asyncio.Event | None = None, check: Callable[[uuid.UUID], None] | None = None) -> None:
        self.sent: list[tuple[uuid.UUID, EmailMessage]] = []
        self.started: list[uuid.UUID] = []
        self.gate = gate
        self.check = check

    async def deliver(self, mail_id: uuid.UUID, message: EmailMessage) -> None:
        self.started.append(mail_id)
        if self.check is not None:
            self.check(mail_id)
        if self.gate is not None:
            await self.gate.wait()
        self.sent.append((mail_id, message))


def three_mails() -> tuple[Unit[NotifierDeps], list[uuid.UUID]]:
    u = notifier_unit()
    entity = uuid.uuid4()
    for who in ("a", "b", "c"):
        member(u, f"{who}@example.org", entity)
    return u, [m.id for m in sorted(rows(u, Mail), key=lambda m: m.created_at)]


def test_the_claim_is_short_and_outlasts_an_smtp_exchange() -> None:
    config = NotifierConfig()
    assert config.job_claim_seconds == 60 and config.job_claim_seconds >= 2 * config.smtp_timeout_seconds
    with pytest.raises(ValueError, match="at least twice"):
        NotifierConfig(job_claim_seconds=30, smtp_timeout_seconds=30)


async def test_each_try_is_recorded_before_the_message_leaves() -> None:
    u, [first, *_] = three_mails()
    seen: list[tuple[int, object, object]] = []

    def check(mail_id: uuid.UUID) -> None:
        [row] = [m for m in rows(u, Mail) if m.id == mail_id]
        seen.append((row.attempts, row.attempted_at, row.claimed_by))

    outbox = Recording(check=check)
    assert await mail_sender.send_due(u.deps, outbox, owner="me") == 3
    assert all(attempts == 1 and attempted is not None and owner == "me" for attempts, attempted, owner in seen)
    assert {m.status for m in rows(u, Mail)} == {"sent"} and {m.attempts for m in rows(u, Mail)} == {1}
    assert {m.claimed_by for m in rows(u, Mail)} == {None}
    assert next(mail_id for mail_id, _ in outbox.sent) == first


async def test_a_sender_whose_claim_was_taken_over_sends_nothing() -> None:
    u, ids = three_mails()
    clock = u.deps.clock
    assert isinstance(clock, FixedClock)
    assert mail_sender.claim(u.deps, owner="slow replica") == ids
    clock.advance(seconds=61)  # its claim expired: another replica takes the mails
    assert mail_sender.claim(u.deps, owner="other replica") == ids
    slow = Recording()
    for mail_id in ids:
        await mail_sender.send_one(u.deps, slow, mail_id, owner="slow replica")
    assert slow.started == []
    assert {m.claimed_by for m in rows(u, Mail)} == {"other replica"} and {m.attempts for m in rows(u, Mail)} == {0}


async def test_a_stopped_sender_finishes_the_mail_in_hand_and_gives_back_the_other_claims() -> None:
    u, [first, second, third] = three_mails()
    gate = asyncio.Event()
    outbox = Recording(gate)
    sending = asyncio.create_task(mail_sender.send_due(u.deps, outbox, owner="stopping"))
    while not outbox.started:
        await asyncio.sleep(0.01)
    sending.cancel()  # the notifier stops while the first mail is with the SMTP server
    await asyncio.sleep(0.1)
    gate.set()  # the server answers within the grace given
    with pytest.raises(asyncio.CancelledError):
        await sending

    assert [mail_id for mail_id, _ in outbox.sent] == [first]
    by_id = {m.id: m for m in rows(u, Mail)}
    assert by_id[first].status == "sent"
    for mail_id in (second, third):
        assert by_id[mail_id].status == "pending" and by_id[mail_id].claimed_until is None and by_id[mail_id].claimed_by is None
    # another replica (or this one restarted) takes them at once, not after the claim's time
    assert mail_sender.claim(u.deps, owner="next") == [second, third]


async def test_after_a_crash_the_claims_wait_job_claim_seconds() -> None:
    u, ids = three_mails()
    clock = u.deps.clock
    assert isinstance(clock, FixedClock)
    assert mail_sender.claim(u.deps, owner="killed") == ids  # then kill -9: nothing given back
    assert mail_sender.begin_attempt(u.deps, ids[0], owner="killed")  # a try had begun
    assert mail_sender.claim(u.deps, owner="next") == []
    clock.advance(seconds=59)
    assert mail_sender.claim(u.deps, owner="next") == []
    clock.advance(seconds=2)
    assert mail_sender.claim(u.deps, owner="next") == ids
    outbox = Recording()
    await mail_sender.send_due(u.deps, outbox, owner="next")
    # the mail whose try had begun goes again, with the same Message-ID as its first try
    assert next(m["Message-ID"] for _, m in outbox.sent) == f"<{ids[0]}@certreg.localhost>"
    assert {m.id: m.attempts for m in rows(u, Mail)} == {ids[0]: 2, ids[1]: 1, ids[2]: 1}


async def test_a_round_cut_short_by_the_database_is_taken_again_by_the_same_sender() -> None:
    u, ids = three_mails()
    assert mail_sender.claim(u.deps, owner="me") == ids  # a round that then failed
    assert mail_sender.claim(u.deps, owner="other") == []
    assert mail_sender.claim(u.deps, owner="me") == ids  # not 60 s later


# --- letters: an object stored before its row was marked, then a crash ------------------


def test_a_letter_left_by_a_crash_before_its_row_is_swept(monkeypatch: pytest.MonkeyPatch) -> None:
    u = notifier_unit()
    deliver(u, registration(entity_id=uuid.uuid4()))
    [letter] = rows(u, Letter)

    class Killed(Exception):
        pass

    def put_then_die(blobs: Any, bucket: str, key: str, path: Path, content_type: str, record: Any) -> None:
        blobs.put_file(bucket, key, path, content_type)
        raise Killed(key)

    monkeypatch.setattr(letter_maker, "store_then_record", put_then_die)
    with pytest.raises(Killed):
        letter_maker.make(u.deps, letter.id)
    monkeypatch.undo()
    letter_maker.make(u.deps, letter.id)  # the next try makes it, under a key of its own
    [made] = rows(u, Letter)
    bucket = u.deps.letters_bucket
    assert made.status == "ready" and len(blobs(u).objects) == 2

    swept = sweep_bucket(
        u.engine, blobs(u), bucket, definition().blob_rows[LETTERS], grace=timedelta(hours=1), now=datetime.now(UTC) + timedelta(hours=2)
    )
    assert len(swept.deleted) == 1 and swept.deleted[0] != made.object_key
    assert [key for _, key in blobs(u).objects] == [made.object_key]

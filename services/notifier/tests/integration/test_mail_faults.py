"""The mail sender on PostgreSQL and a real SMTP server, when things fail around it:
the database cut right after the server accepted a mail (the mail is marked sent once
the database is back, and not sent again), and a notifier stopped while it holds
claims (they are given back: another notifier sends the mails at once)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from certreg_runtime.db import create_db_engine
from certreg_testing.infra import SmtpSink
from certreg_testing.tcp_proxy import TcpProxy
from services.notifier.tests.samples import sample_event

pytestmark = pytest.mark.infra

DB_CUT_SECONDS = 4.0
CLAIM_SECONDS = 2  # short, so that a second sending would show within the test


class CuttingSink(SmtpSink):
    """An SMTP sink that, as it accepts its first message, has the database cut."""

    def __init__(self, cut: Callable[[], None]) -> None:
        super().__init__()
        self._cut = cut
        self.cut_done = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        answer = await super().handle_DATA(server, session, envelope)
        if not self.cut_done.is_set():
            self._cut()  # the message is in; the database goes before the notifier hears "250"
            self.cut_done.set()
        return answer


class SlowSink(SmtpSink):
    """An SMTP sink that takes ``delay`` seconds to accept each message."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.accepting = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook
        self.accepting.set()
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


def mail_rows(engine: sa.Engine, to: str | None = None) -> list[Any]:
    with engine.connect() as conn:
        query = "SELECT id, to_addr, status, attempts, claimed_until, claimed_by, sent_at FROM mails"
        found = conn.execute(sa.text(query)).all()
    return [r for r in found if to is None or r.to_addr == to]


async def until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := await asyncio.to_thread(check)):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g}s")
        await asyncio.sleep(0.1)
    return result


async def test_a_mail_accepted_as_the_database_fails_is_marked_sent_and_not_sent_again(
    notifier_factory, postgres, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="notifier.jobs.mail_sender")
    url = make_url(postgres.create_database(f"notifier_cut_{uuid.uuid4().hex[:10]}"))
    direct = create_db_engine(url.render_as_string(hide_password=False))
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    loop = asyncio.get_running_loop()
    sink = CuttingSink(lambda: asyncio.run_coroutine_threadsafe(proxy.stop(), loop).result(10))
    sink.start()
    to = f"cut.{uuid.uuid4().hex[:8]}@example.org"
    try:
        async with notifier_factory(
            database_url=url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False),
            **sink.settings(),
            job_claim_seconds=CLAIM_SECONDS,
            smtp_timeout_seconds=1,
            job_poll_seconds=0.2,
        ) as n:
            await n.publish(sample_event("identity.account.registered", email=to))
            await until(sink.cut_done.is_set, 30, "the mail accepted by the SMTP server")
            cut_at = time.monotonic()
            await asyncio.sleep(DB_CUT_SECONDS)  # longer than the claim: a second sender round would resend
            await proxy.start()
            [row] = await until(lambda: [r for r in mail_rows(direct, to) if r.status == "sent"], 30, "the mail marked sent")
            marked_after = time.monotonic() - cut_at
            await asyncio.sleep(CLAIM_SECONDS + 2)  # what a second sending would need
            received = sink.messages(to)
            print(
                f"\ndatabase cut {DB_CUT_SECONDS:g}s after the SMTP server accepted the mail: "
                f"marked sent {marked_after:.1f}s after the cut; received {len(received)}"
            )
            assert [m["Message-ID"] for m in received] == [f"<{row.id}@certreg.localhost>"]
            assert row.attempts == 1 and row.claimed_by is None
            lines = [r.getMessage() for r in caplog.records]
            assert any("not yet marked sent" in line and "retrying the marking only" in line for line in lines), lines
            assert any("marked sent after" in line for line in lines), lines
    finally:
        sink.close()
        await proxy.stop()
        direct.dispose()


async def test_a_stopped_notifier_gives_back_its_claims(notifier_factory, postgres) -> None:
    url = postgres.create_database(f"notifier_stop_{uuid.uuid4().hex[:10]}")
    direct = create_db_engine(url)
    sink = SlowSink(delay=0.5)
    sink.start()
    people = [f"stop{i}.{uuid.uuid4().hex[:6]}@example.org" for i in range(5)]
    try:
        settings = {"database_url": url, **sink.settings(), "job_poll_seconds": 0.2}
        async with notifier_factory(**settings) as n:
            for person in people:
                await n.publish(sample_event("identity.account.registered", email=person))
            await until(lambda: len(mail_rows(direct)) == 5, 30, "five mails written")
            await until(sink.accepting.is_set, 30, "a mail being sent")
        # stopped (gracefully) while it held the claims of the five mails
        after_stop = mail_rows(direct)
        sent_before_stop = [r for r in after_stop if r.status == "sent"]
        still_claimed = [r for r in after_stop if r.status == "pending" and r.claimed_until is not None]
        assert still_claimed == [] and len(sent_before_stop) < 5
        started = time.monotonic()
        async with notifier_factory(**settings):  # the next notifier sends the rest at once
            await until(lambda: all(r.status == "sent" for r in mail_rows(direct)), 30, "every mail sent")
        took = time.monotonic() - started
        print(f"\nstopped with {5 - len(sent_before_stop)} mail(s) claimed and unsent: all sent {took:.1f}s after the restart")
        assert took < 20  # not after a claim's time (it was 300 s)
        for person in people:
            assert len(sink.messages(person)) == 1
    finally:
        sink.close()
        direct.dispose()

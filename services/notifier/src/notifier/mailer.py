"""The mail sender: takes pending rows of the ``mails`` outbox, sends them (SMTP, or
``.eml`` files in the embedded mode), marks them sent. A failure is recorded on the row
and retried later with back-off: a mail is never lost, never dropped."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import uuid
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path

import aiosmtplib
import sqlalchemy as sa
from opentelemetry.trace import SpanKind
from sqlmodel import Session, select
from tenacity import AsyncRetrying, stop_after_attempt, wait_exponential

from certreg_runtime import telemetry
from certreg_runtime.aio import wait_event
from certreg_runtime.service import ServiceContext
from notifier.adapters.tables import Letter, Mail
from notifier.letters import BUCKET

log = logging.getLogger(__name__)

CLAIM_SECONDS = 300
BATCH = 20
IDLE_POLL_SECONDS = 1.0
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 3600


def next_retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min… at most an hour between tries, forever."""
    return timedelta(seconds=min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)))


# Mails carrying a one-time link (activation, reset, set-password): once delivered over
# SMTP, the stored copy loses its links, so that the outbox never keeps usable tokens.
SECRET_KINDS = frozenset({"account_registered", "account_activation_requested", "password_reset", "staff_created"})
_LINK = re.compile(r"https?://[^\s<>\"']+")
REDACTED = "[lien masqué]"


def redact_links(text: str) -> str:
    return _LINK.sub(REDACTED, text)


def mail_domain(mail_from: str) -> str:
    address = parseaddr(mail_from)[1]
    return address.rpartition("@")[2] or "certreg.localhost"


def message_id(mail_id: uuid.UUID, mail_from: str) -> str:
    """Stable per mail row: a resend after a crash carries the same Message-ID."""
    return f"<{mail_id}@{mail_domain(mail_from)}>"


class MailSender:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    # -- waking up ------------------------------------------------------------------
    def wake(self) -> None:
        """After a commit that wrote mails (from any thread)."""
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        while True:
            try:
                sent = await self.send_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("mail sender: a round failed; retrying")
                sent = 0
            if sent == BATCH:
                continue
            self._wake.clear()
            await wait_event(self._wake, IDLE_POLL_SECONDS)

    # -- one round --------------------------------------------------------------------
    async def send_due(self) -> int:
        """Send the mails that are due; returns how many were tried."""
        ids = await asyncio.to_thread(self.claim)
        for mail_id in ids:
            try:
                message = await asyncio.to_thread(self.build, mail_id)
                with telemetry.tracer("certreg.notifier").start_as_current_span(
                    "send mail",
                    context=telemetry.context_from_headers(await asyncio.to_thread(self.trace_headers, mail_id)),
                    kind=SpanKind.CLIENT,
                    attributes={"certreg.mail.kind": str(message["X-Certreg-Kind"]), "certreg.mail.id": str(mail_id)},
                ):
                    async for attempt in AsyncRetrying(
                        stop=stop_after_attempt(3), wait=wait_exponential(multiplier=0.2, max=2), reraise=True
                    ):
                        with attempt:
                            await self.deliver(mail_id, message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("mail %s not sent (%s); will retry", mail_id, type(exc).__name__)
                await asyncio.to_thread(self.mark_failed, mail_id, f"{type(exc).__name__}: {exc}")
            else:
                await asyncio.to_thread(self.mark_sent, mail_id)
        return len(ids)

    def claim(self) -> list[uuid.UUID]:
        """Take a batch of due mails for ``CLAIM_SECONDS`` (rows locked while claiming,
        skipped by other replicas), so that two senders never send one mail together."""
        now = self.ctx.clock.now()
        t = Mail.__table__  # type: ignore[attr-defined]
        with self.ctx.engine.begin() as conn:
            rows = conn.execute(
                sa.select(t.c.id)
                .where(
                    t.c.status == "pending",
                    t.c.next_attempt_at <= now,
                    sa.or_(t.c.claimed_until.is_(None), t.c.claimed_until < now),
                )
                .order_by(t.c.created_at)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            ).all()
            ids = [r.id for r in rows]
            if ids:
                conn.execute(t.update().where(t.c.id.in_(ids)).values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS)))
        return ids

    def mark_sent(self, mail_id: uuid.UUID) -> None:
        with Session(self.ctx.engine) as session:
            mail = session.get(Mail, mail_id)
            if mail is None:
                return
            mail.status, mail.sent_at, mail.claimed_until = "sent", self.ctx.clock.now(), None
            mail.attempts += 1
            if mail.kind in SECRET_KINDS and self.ctx.settings.smtp_host:
                # Delivered for real: keep no usable one-time link (the embedded outbox,
                # whose viewer is how a developer follows them, keeps them).
                mail.text_body, mail.html_body = redact_links(mail.text_body), redact_links(mail.html_body)
            session.add(mail)
            session.commit()

    def mark_failed(self, mail_id: uuid.UUID, error: str) -> None:
        with Session(self.ctx.engine) as session:
            mail = session.get(Mail, mail_id)
            if mail is None:
                return
            mail.attempts += 1
            mail.last_error = error[:2000]
            mail.claimed_until = None
            mail.next_attempt_at = self.ctx.clock.now() + next_retry_delay(mail.attempts)
            session.add(mail)
            session.commit()

    def trace_headers(self, mail_id: uuid.UUID) -> dict[str, str]:
        with Session(self.ctx.engine) as session:
            mail = session.get(Mail, mail_id)
            return json.loads(mail.trace_headers or "{}") if mail else {}

    # -- the message ------------------------------------------------------------------
    def build(self, mail_id: uuid.UUID) -> EmailMessage:
        settings = self.ctx.settings
        with Session(self.ctx.engine) as session:
            mail = session.get(Mail, mail_id)
            assert mail is not None
            letter_ids = [uuid.UUID(i) for i in json.loads(mail.attachments or "[]")]
            letters = session.exec(select(Letter).where(Letter.id.in_(letter_ids))).all() if letter_ids else []  # type: ignore[attr-defined]
        msg = EmailMessage()
        msg["From"] = settings.mail_from
        msg["To"] = formataddr((mail.to_name, mail.to_addr)) if mail.to_name else mail.to_addr
        msg["Subject"] = mail.subject
        msg["Date"] = format_datetime(mail.created_at)
        msg["Message-ID"] = message_id(mail.id, settings.mail_from)
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Certreg-Kind"] = mail.kind
        msg.set_content(mail.text_body)
        msg.add_alternative(mail.html_body, subtype="html")
        for letter in letters:
            assert self.ctx.blobs is not None
            data = b"".join(self.ctx.blobs.iter_chunks(self.ctx.bucket(BUCKET), letter.object_key))
            msg.add_attachment(data, maintype="application", subtype="pdf", filename=letter.filename)
        return msg

    async def deliver(self, mail_id: uuid.UUID, message: EmailMessage) -> None:
        settings = self.ctx.settings
        if settings.smtp_host:
            await aiosmtplib.send(
                message,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=settings.smtp_password,
                start_tls=bool(settings.smtp_starttls),
                use_tls=settings.smtp_port == 465,
                timeout=30,
            )
        else:
            await asyncio.to_thread(self.write_eml, mail_id, message)

    def write_eml(self, mail_id: uuid.UUID, message: EmailMessage) -> Path:
        """The embedded mode's outbox: one ``.eml`` file per mail, named so that the
        names sort by time; written once (a retry after a crash finds it)."""
        folder = self.ctx.settings.data_dir / "mail"
        folder.mkdir(parents=True, exist_ok=True)
        existing = sorted(folder.glob(f"*-{mail_id}.eml"))
        if existing:
            return existing[0]
        stamp = self.ctx.clock.now().strftime("%Y%m%dT%H%M%S%f")
        target = folder / f"{stamp}-{mail_id}.eml"
        partial = target.with_name(target.name + ".partial")
        partial.write_bytes(message.as_bytes())
        os.replace(partial, target)
        return target


def sender_of(ctx: ServiceContext) -> MailSender:
    """The service's one sender, shared by the handlers (to wake it) and the background."""
    sender = ctx.extras.get("mail_sender")
    if sender is None:
        sender = ctx.extras["mail_sender"] = MailSender(ctx)
    return sender


__all__ = ["MailSender", "message_id", "next_retry_delay", "sender_of"]

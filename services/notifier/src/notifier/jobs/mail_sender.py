"""The mail sender: takes pending rows of the ``mails`` outbox, sends them (SMTP, or
``.eml`` files in the embedded mode), marks them sent. A failure is recorded on the row
and retried later with back-off: a mail is never lost, never dropped. The mails of a
decision wait until its letter is ready (they carry it)."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from email.message import EmailMessage

import sqlalchemy as sa
from opentelemetry.trace import SpanKind
from sqlmodel import col, select
from tenacity import AsyncRetrying, stop_after_attempt, wait_exponential

from certreg_runtime import telemetry
from notifier.adapters import mailer
from notifier.adapters.tables import Letter, Mail
from notifier.app.deps import NotifierDeps
from notifier.jobs.queue import claim_due, record_failure, run_rounds

log = logging.getLogger(__name__)


class LetterNotReady(RuntimeError):
    pass


async def run(deps: NotifierDeps, transport: mailer.Transport | None = None) -> None:
    sender = transport or mailer.transport(deps.config, deps.settings.data_dir, deps.clock)
    await run_rounds("mail sender", lambda: send_due(deps, sender), deps.mails_due, deps.config)


async def send_due(deps: NotifierDeps, transport: mailer.Transport) -> int:
    """Send the mails that are due; returns how many were tried."""
    ids = await asyncio.to_thread(claim, deps)
    for mail_id in ids:
        try:
            message, trace_headers = await asyncio.to_thread(prepare, deps, mail_id)
            with telemetry.tracer("certreg.notifier").start_as_current_span(
                "send mail",
                context=telemetry.context_from_headers(trace_headers),
                kind=SpanKind.CLIENT,
                attributes={"certreg.mail.kind": str(message["X-Certreg-Kind"]), "certreg.mail.id": str(mail_id)},
            ):
                async for attempt in AsyncRetrying(stop=stop_after_attempt(3), wait=wait_exponential(multiplier=0.2, max=2), reraise=True):
                    with attempt:
                        await transport.deliver(mail_id, message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("mail %s not sent (%s); will retry", mail_id, type(exc).__name__)
            await asyncio.to_thread(mark_failed, deps, mail_id, f"{type(exc).__name__}: {exc}")
        else:
            await asyncio.to_thread(mark_sent, deps, mail_id, transport.leaves_platform)
    return len(ids)


def claim(deps: NotifierDeps) -> list[uuid.UUID]:
    """The due mails, except those whose decision letter is not ready yet."""
    letter_pending = sa.exists().where(col(Letter.event_id) == col(Mail.event_id), col(Letter.status) != "ready")
    with deps.uow() as uow:
        ids = claim_due(uow.session, Mail, deps.clock.now(), deps.config, ~letter_pending)
        uow.commit()
    return ids


def prepare(deps: NotifierDeps, mail_id: uuid.UUID) -> tuple[EmailMessage, dict[str, str]]:
    """The message to send (with its letters) and the trace it continues."""
    with deps.uow() as uow:
        mail = uow.session.get(Mail, mail_id)
        if mail is None:
            raise LookupError(f"no mail {mail_id}")
        letter_ids = [uuid.UUID(i) for i in json.loads(mail.attachments or "[]")]
        letters = uow.session.exec(select(Letter).where(col(Letter.id).in_(letter_ids))).all() if letter_ids else []
        uow.session.expunge_all()  # read: usable after the session closes
    if any(letter.status != "ready" for letter in letters):
        raise LetterNotReady(f"mail {mail_id}: its letter is not ready")
    attachments = [
        mailer.Attachment(letter.filename, b"".join(deps.storage.iter_chunks(deps.letters_bucket, letter.object_key))) for letter in letters
    ]
    message = mailer.build_message(mail, attachments, deps.config.mail_from)
    return message, json.loads(mail.trace_headers or "{}")


def mark_sent(deps: NotifierDeps, mail_id: uuid.UUID, left_platform: bool) -> None:
    with deps.uow() as uow:
        mail = uow.session.get(Mail, mail_id)
        if mail is None:
            return
        mail.status, mail.sent_at, mail.claimed_until = "sent", deps.clock.now(), None
        mail.attempts += 1
        if mail.kind in mailer.SECRET_KINDS and left_platform:
            # Delivered for real: keep no usable one-time link (the embedded outbox,
            # whose viewer is how a developer follows them, keeps them).
            mail.text_body, mail.html_body = mailer.redact_links(mail.text_body), mailer.redact_links(mail.html_body)
        uow.session.add(mail)
        uow.commit()


def mark_failed(deps: NotifierDeps, mail_id: uuid.UUID, error: str) -> None:
    with deps.uow() as uow:
        mail = uow.session.get(Mail, mail_id)
        if mail is None:
            return
        record_failure(mail, error, deps.clock.now(), deps.config)
        uow.session.add(mail)
        uow.commit()

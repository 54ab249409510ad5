"""The mail sender: takes pending rows of the ``mails`` outbox, sends them (SMTP, or
``.eml`` files in the embedded mode), marks them sent. A failure is recorded on the row
and retried later with back-off: a mail is never lost, never dropped. The mails of a
decision wait until its letter is ready (they carry it).

Sent once, as far as an SMTP server and a database allow:
1. each try is recorded (and committed) before the message is handed to the server —
   ``attempts`` + 1, ``attempted_at``, the claim renewed — and only by the replica that
   still owns the row's claim: no try without its record, never two replicas on a mail;
2. once the server has accepted the message, only the marking is retried, for as long
   as the database fails (the message is not sent again);
3. when the notifier stops, the mail in hand is given ``STOP_GRACE_SECONDS`` to be sent
   and marked, and the claims not used are given back.
The one window left is a crash (kill -9, power loss) after the server accepted a message
and before the database recorded it: after ``job_claim_seconds`` the mail is sent
again, with the same ``Message-ID`` (receivers may recognise it)."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Coroutine
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from opentelemetry.trace import SpanKind
from sqlmodel import col, select

from certreg_runtime import telemetry
from certreg_runtime.faults import describe, is_transient
from notifier.adapters import mailer
from notifier.adapters.tables import Letter, Mail
from notifier.app.deps import NotifierDeps
from notifier.jobs.queue import OWNER, STOP_GRACE_SECONDS, claim_due, record_failure, release, run_rounds

log = logging.getLogger(__name__)

SMTP_TRIES = 3  # in a row, before the row's back-off
MARK_BACKOFF_MAX_SECONDS = 5.0


class LetterNotReady(RuntimeError):
    pass


async def run(deps: NotifierDeps, transport: mailer.Transport | None = None) -> None:
    sender = transport or mailer.transport(deps.config, deps.settings.data_dir, deps.clock)
    await run_rounds("mail sender", lambda: send_due(deps, sender), deps.mails_due, deps.config)


async def send_due(deps: NotifierDeps, transport: mailer.Transport, owner: str = OWNER) -> int:
    """Send the mails that are due; returns how many were tried. Stopped (cancelled),
    it lets the mail in hand finish for a moment and gives back the other claims."""
    ids = await asyncio.to_thread(claim, deps, owner)
    left = list(ids)
    try:
        while left:
            await _finish_when_stopped(send_one(deps, transport, left[0], owner), f"mail {left[0]}")
            left.pop(0)
    except asyncio.CancelledError:
        await _give_back(deps, left, owner)
        raise
    return len(ids)


async def _finish_when_stopped(work: Coroutine[Any, Any, None], what: str) -> None:
    """Run ``work``; if cancelled meanwhile, let it finish for ``STOP_GRACE_SECONDS``
    (then cancel it), and propagate the cancellation."""
    job = asyncio.ensure_future(work)
    try:
        await asyncio.shield(job)
    except asyncio.CancelledError:
        if not job.done():
            log.info("%s: stopping; letting it finish (at most %gs)", what, STOP_GRACE_SECONDS)
            finished, _ = await asyncio.wait({job}, timeout=STOP_GRACE_SECONDS)
            if not finished:
                job.cancel()
                await asyncio.wait({job})
        raise


async def _give_back(deps: NotifierDeps, ids: list[uuid.UUID], owner: str) -> None:
    if not ids:
        return
    try:
        given = await asyncio.to_thread(release_claims, deps, ids, owner)
        log.info("mail sender: stopping; %d claim(s) given back", given)
    except Exception as exc:
        log.warning(
            "mail sender: stopping; could not give back %d claim(s) (%s): they are free again after %ss",
            len(ids),
            describe(exc),
            deps.config.job_claim_seconds,
        )


async def send_one(deps: NotifierDeps, transport: mailer.Transport, mail_id: uuid.UUID, owner: str = OWNER) -> None:
    """One mail: up to ``SMTP_TRIES`` tries, each recorded before it is made; a
    failure of the database while recording one aborts the round (the row stays this
    owner's, and is taken again at the next round)."""
    try:
        message, trace_headers = await asyncio.to_thread(prepare, deps, mail_id)
    except Exception as exc:
        log.warning("mail %s not prepared (%s); will retry", mail_id, describe(exc))
        await asyncio.to_thread(mark_failed, deps, mail_id, f"{type(exc).__name__}: {exc}", counted=False)
        return
    with telemetry.tracer("certreg.notifier").start_as_current_span(
        "send mail",
        context=telemetry.context_from_headers(trace_headers),
        kind=SpanKind.CLIENT,
        attributes={"certreg.mail.kind": str(message["X-Certreg-Kind"]), "certreg.mail.id": str(mail_id)},
    ):
        for attempt in range(1, SMTP_TRIES + 1):
            if not await asyncio.to_thread(begin_attempt, deps, mail_id, owner):
                log.info("mail %s: sent meanwhile, or claimed by another sender; left to it", mail_id)
                return
            try:
                await transport.deliver(mail_id, message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if attempt < SMTP_TRIES:
                    await asyncio.sleep(min(2.0, 0.2 * 2 ** (attempt - 1)))
                    continue
                log.warning("mail %s not sent (%s); will retry", mail_id, describe(exc))
                await asyncio.to_thread(mark_failed, deps, mail_id, f"{type(exc).__name__}: {exc}", counted=True)
                return
            await confirm_sent(deps, mail_id, transport.leaves_platform)
            return


async def confirm_sent(deps: NotifierDeps, mail_id: uuid.UUID, left_platform: bool) -> None:
    """The server accepted the mail: mark it sent, retrying only that (never the
    sending) for as long as the database fails."""
    delay, failing_since = 0.2, None
    loop = asyncio.get_running_loop()
    while True:
        try:
            await asyncio.to_thread(mark_sent, deps, mail_id, left_platform)
        except asyncio.CancelledError:
            if failing_since is not None:
                log.error(
                    "mail %s was accepted by the mail server but could not be marked sent before the stop: "
                    "it will be sent again (same Message-ID) after %ss",
                    mail_id,
                    deps.config.job_claim_seconds,
                )
            raise
        except Exception as exc:
            if not is_transient(exc):
                raise
            if failing_since is None:
                failing_since = loop.time()
                log.warning("mail %s sent, but not yet marked sent (%s); retrying the marking only", mail_id, describe(exc))
            await asyncio.sleep(delay)
            delay = min(MARK_BACKOFF_MAX_SECONDS, delay * 2)
            continue
        if failing_since is not None:
            log.warning("mail %s marked sent after %.1fs of database failure", mail_id, loop.time() - failing_since)
        return


def claim(deps: NotifierDeps, owner: str = OWNER) -> list[uuid.UUID]:
    """The due mails, except those whose decision letter is not ready yet."""
    letter_pending = sa.exists().where(col(Letter.event_id) == col(Mail.event_id), col(Letter.status) != "ready")
    with deps.uow() as uow:
        ids = claim_due(uow.session, Mail, deps.clock.now(), deps.config, ~letter_pending, owner=owner)
        uow.commit()
    return ids


def release_claims(deps: NotifierDeps, ids: list[uuid.UUID], owner: str = OWNER) -> int:
    with deps.uow() as uow:
        given = release(uow.session, Mail, ids, owner)
        uow.commit()
    return given


def begin_attempt(deps: NotifierDeps, mail_id: uuid.UUID, owner: str = OWNER) -> bool:
    """Record a try (committed before the message leaves), if ``owner`` still holds the
    mail's claim and it is still pending; the claim is renewed for the try."""
    now = deps.clock.now()
    with deps.uow() as uow:
        done = uow.session.execute(
            sa.update(Mail)
            .where(col(Mail.id) == mail_id, col(Mail.status) == "pending", col(Mail.claimed_by) == owner)
            .values(
                attempts=col(Mail.attempts) + 1,
                attempted_at=now,
                claimed_until=now + timedelta(seconds=deps.config.job_claim_seconds),
            )
            .returning(col(Mail.id))
        ).first()
        uow.commit()
    return done is not None


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
    message = mailer.build_message(mail, attachments, deps.config.mail_from, deps.contacts.service_name)
    return message, json.loads(mail.trace_headers or "{}")


def mark_sent(deps: NotifierDeps, mail_id: uuid.UUID, left_platform: bool) -> None:
    with deps.uow() as uow:
        mail = uow.session.get(Mail, mail_id)
        if mail is None:
            return
        mail.status, mail.sent_at, mail.claimed_until, mail.claimed_by = "sent", deps.clock.now(), None, None
        if mail.kind in mailer.SECRET_KINDS and left_platform:
            # Delivered for real: keep no usable one-time link (the embedded outbox,
            # whose viewer is how a developer follows them, keeps them).
            mail.text_body, mail.html_body = mailer.redact_links(mail.text_body), mailer.redact_links(mail.html_body)
        uow.session.add(mail)
        uow.commit()


def mark_failed(deps: NotifierDeps, mail_id: uuid.UUID, error: str, *, counted: bool) -> None:
    """``counted``: the failed try was recorded when it began (``begin_attempt``)."""
    with deps.uow() as uow:
        mail = uow.session.get(Mail, mail_id)
        if mail is None:
            return
        record_failure(mail, error, deps.clock.now(), deps.config, counted=counted)
        uow.session.add(mail)
        uow.commit()

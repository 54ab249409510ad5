"""One handler for every consumed event: learn (directory, case followers), then plan
with the routing table and write the in-app notifications, the letters and the mails
of the outbox, all in the handler's transaction (with the inbox record)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from certreg_contracts import Envelope, Event
from certreg_contracts.subscriptions import CONSUMERS
from certreg_runtime import telemetry
from certreg_runtime.messaging import UnitOfWork
from certreg_runtime.service import EventHandler, ServiceContext
from notifier import templating
from notifier.adapters.tables import Letter, Mail, Notification
from notifier.directory import SqlDirectory, follow, learn
from notifier.domain.rules import ROUTES, plan
from notifier.letters import store_letter
from notifier.mailer import sender_of


def notify(ctx: ServiceContext, uow: UnitOfWork, event: Event, envelope: Envelope) -> None:
    session = uow.session
    now = ctx.clock.now()
    learn(session, event, now)
    follow(session, event, now)
    session.flush()
    letters: dict[str, Letter] = {}
    wrote_mail = False
    for planned in plan(envelope.type, event, SqlDirectory(session)):
        rule = planned.rule
        letter = None
        if rule.letter:
            letter = letters.get(rule.letter) or store_letter(ctx, session, rule.letter, event, envelope, now)
            letters[rule.letter] = letter
        extra: dict[str, Any] = {"letter_filename": letter.filename if letter else ""}
        for recipient in planned.recipients:
            rendered = templating.render(
                rule.template,
                templating.context(event, recipient, public_url=ctx.settings.public_url, today=now.date(), **extra),
            )
            filing_id = getattr(event, "filing_id", None)
            if rule.in_app and recipient.account_id is not None:
                session.add(
                    Notification(
                        account_id=recipient.account_id,
                        kind=rule.template,
                        title=rendered.subject,
                        body=rendered.summary,
                        link=f"/dossiers/{filing_id}" if filing_id else None,
                        filing_id=filing_id,
                        event_id=envelope.event_id,
                        created_at=now,
                    )
                )
            if rule.email:
                session.add(
                    Mail(
                        event_id=envelope.event_id,
                        kind=rule.template,
                        to_addr=recipient.email,
                        to_name=recipient.name,
                        subject=rendered.subject,
                        text_body=rendered.text,
                        html_body=rendered.html,
                        attachments=json.dumps([str(letter.id)] if letter else []),
                        next_attempt_at=now,
                        created_at=now,
                        trace_headers=json.dumps(telemetry.current_trace_headers()),
                    )
                )
                wrote_mail = True
    if wrote_mail:
        sender = sender_of(ctx)
        sa.event.listen(session, "after_commit", lambda _s: sender.wake(), once=True)


def handlers(ctx: ServiceContext) -> dict[str, EventHandler]:
    """Exactly the keys of ``CONSUMERS["notifier"]``, each with its routing rules."""
    missing = set(CONSUMERS["notifier"]) - set(ROUTES)
    if missing:
        raise RuntimeError(f"no notification rule for {sorted(missing)}")

    def handle(uow: UnitOfWork, event: Event, envelope: Envelope) -> None:
        notify(ctx, uow, event, envelope)

    return dict.fromkeys(CONSUMERS["notifier"], handle)

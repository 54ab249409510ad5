"""One handler for every consumed event: learn (directory, case followers), then plan
with the routing table and write the in-app notifications, the mails of the outbox and
the letters to make, all in the handler's transaction (with the inbox record). Nothing
slow here: the jobs send the mails and make the letters after the commit."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from certreg_contracts import Envelope, Event
from certreg_contracts.calendar import paris_date
from certreg_contracts.events import entities as en
from certreg_contracts.events import filings as fi
from certreg_contracts.events import identity as idn
from certreg_contracts.events import review as rv
from certreg_runtime import telemetry
from certreg_runtime.db import is_postgres
from certreg_runtime.handlers import Handlers
from certreg_runtime.messaging import UnitOfWork
from notifier.adapters import facts, letters, templating
from notifier.adapters.directory import SqlDirectory, follow, learn
from notifier.adapters.tables import Letter, Mail, Notification
from notifier.app.deps import NotifierDeps
from notifier.domain.rules import plan

handlers = Handlers[NotifierDeps]("notifier")

# What the notifier hears of (the routing table, ``domain.rules.ROUTES``, says whom it tells).
CONSUMED: tuple[type[Event], ...] = (
    idn.AccountRegistered,
    idn.AccountActivationRequested,
    idn.AccountActivated,
    idn.AccountValidationRequested,
    idn.AccountApproved,
    idn.AccountRejected,
    idn.PasswordResetRequested,
    idn.AccountUnlockRequested,
    idn.AccountRolesChanged,
    idn.StaffCreated,
    en.EntityVerified,
    fi.FilingSubmitted,
    rv.CaseOpened,
    rv.CaseStatusChanged,
    rv.CaseCompletenessChecked,
    rv.CaseAdmissibilityDecided,
    rv.CaseInstructorAssigned,
    rv.RequestOpened,
    rv.RequestAnswered,
    rv.RequestReminderDue,
    rv.RenewalReminderDue,
    rv.RequestOverdue,
    rv.CaseAbandoned,
    rv.CaseAdmissibilityWithdrawn,
    rv.CaseReadyForCommission,
    rv.SessionCreated,
    rv.CaseScheduled,
    rv.CaseOpinionGiven,
    rv.CaseReturnedToCommission,
    rv.CaseRegistered,
    rv.CaseRefused,
    rv.CaseWithdrawn,
    rv.CaseWithdrawalRefused,
    rv.CaseSubmissionRefused,
    rv.MessagePosted,
)


def _new_to(
    session: Session, account_id: uuid.UUID, filing_id: uuid.UUID | None, rendered: templating.Rendered, bell: set[uuid.UUID]
) -> bool:
    """Whether the bell rings for this account: once per event, and never for what it
    already shows unread about the same dossier (issue 13, point 12: no duplicates)."""
    if account_id in bell:
        return False
    bell.add(account_id)
    if is_postgres(session.get_bind()):  # two deliveries at once: one checks after the other commits
        key = int.from_bytes(account_id.bytes[:8], "big", signed=True)
        session.execute(sa.text("SELECT pg_advisory_xact_lock(CAST(:key AS bigint))"), {"key": key})
    same = session.exec(
        select(Notification.id).where(
            Notification.account_id == account_id,
            col(Notification.filing_id).is_(None) if filing_id is None else Notification.filing_id == filing_id,
            Notification.title == rendered.subject,
            Notification.body == rendered.summary,
            col(Notification.read_at).is_(None),
        )
    ).first()
    return same is None


@handlers.on(*CONSUMED)
def notify(deps: NotifierDeps, uow: UnitOfWork, event: Event) -> None:
    envelope = uow.cause
    if envelope is None:
        raise RuntimeError("notify() handles an event: its unit of work needs the envelope as cause")
    session = uow.session
    now = deps.clock.now()
    learn(session, event, now)
    follow(session, event, now)
    facts.remember(session, event, now)
    session.flush()
    letter: Letter | None = None
    wrote_mail = False
    bell: set[uuid.UUID] = set()  # the accounts this event already rang
    filing_id = getattr(event, "filing_id", None)
    number = facts.reference(session, filing_id)  # the dossier's number the mails and the bell give
    for planned in plan(envelope.type, event, SqlDirectory(session)):
        rule = planned.rule
        if rule.letter and letter is None:
            letter = _letter_to_make(rule.letter, event, envelope, now)
            session.add(letter)
        extra = {"letter_filename": letter.filename if letter else ""}
        for recipient in planned.recipients:
            rendered = templating.render(
                rule.template,
                templating.context(
                    event,
                    recipient,
                    public_url=deps.settings.public_url,
                    today=paris_date(now),
                    contacts=deps.contacts,
                    reference=number,
                    **extra,
                ),
            )
            if rule.in_app and recipient.account_id is not None and _new_to(session, recipient.account_id, filing_id, rendered, bell):
                session.add(
                    Notification(
                        account_id=recipient.account_id,
                        kind=rule.template,
                        title=rendered.subject,
                        body=rendered.summary,
                        link=templating.filing_link("", recipient, filing_id) if filing_id else None,
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
    if letter is not None:
        _after_commit(uow, deps.letters_due.set)
    elif wrote_mail:
        _after_commit(uow, deps.mails_due.set)


def _letter_to_make(kind: str, event: Event, envelope: Envelope, now: datetime) -> Letter:
    """The decision's letter, pending: the letter maker renders and stores it (one per
    decision event: ``letters.event_id`` is unique)."""
    decision = letters.decision(kind, event)
    return Letter(
        filing_id=decision.filing_id,
        entity_id=decision.entity_id,
        kind=kind,
        title=letters.TITLES[kind],
        filename=letters.filename(decision),
        event_id=envelope.event_id,
        created_at=now,
        status="pending",
        source=envelope.model_dump_json(),
        next_attempt_at=now,
    )


def _after_commit(uow: UnitOfWork, wake: Callable[[], None]) -> None:
    sa.event.listen(uow.session, "after_commit", lambda _session: wake(), once=True)

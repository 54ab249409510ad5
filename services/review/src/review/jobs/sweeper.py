"""The deadline sweeper: requests past due become overdue, reminders before a deadline,
adjourned dossiers whose deadline passed go back to the commission as they are, and
decisions nobody consulted are notified 15 days after they were made available (their
appeal deadline fixed with it), registrations past their end date become ``expired`` in the
registry (with their entry in the registry's change feed), and registrations ending in 9, then
7 months remind their certifier to file the renewal (``review.app.renewals.remind``, once each).

Each item is handled in its own transaction, re-checked under the case's row lock, so
that several review processes may sweep at once and a crash loses nothing; an item that
no longer qualifies when its turn comes (a domain error) is logged and skipped, the others
go on. Tests call ``sweep(deps)`` directly; the background loop runs it every
``CERTREG_REVIEW_SWEEP_SECONDS`` (``ReviewConfig.review_sweep_seconds``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import col, select

from certreg_contracts import legal_dates
from certreg_contracts.calendar import paris_date
from certreg_contracts.events import review as ev
from certreg_runtime.errors import DomainError
from review.adapters import audit_log, registry_feed
from review.adapters.tables import Case, Decision, InfoRequest, RegistryRecord
from review.app import renewals
from review.app.commission import next_session, schedule
from review.app.decisions import fix_notification
from review.app.deps import ReviewDeps
from review.app.transitions import case_fields, get_case, move
from review.domain import rules
from review.domain.actor import SYSTEM_ACTOR

log = logging.getLogger(__name__)


@dataclass
class SweepReport:
    overdue: list[uuid.UUID] = field(default_factory=list)  # request ids
    reminders: list[tuple[uuid.UUID, int]] = field(default_factory=list)  # (request id, days left)
    returned: list[uuid.UUID] = field(default_factory=list)  # filing ids
    notified: list[uuid.UUID] = field(default_factory=list)  # filing ids whose decision got notified
    expired: list[str] = field(default_factory=list)  # registration numbers
    renewal_reminders: list[tuple[str, int]] = field(default_factory=list)  # (registration number, months before its end)
    skipped: list[uuid.UUID] = field(default_factory=list)  # request or filing ids refused on the way

    @property
    def total(self) -> int:
        return (
            len(self.overdue)
            + len(self.reminders)
            + len(self.returned)
            + len(self.notified)
            + len(self.expired)
            + len(self.renewal_reminders)
        )


def sweep(deps: ReviewDeps, batch: int = 500) -> SweepReport:
    report = SweepReport()
    today = paris_date(deps.clock.now())
    horizon = today.toordinal() + max(rules.REMINDER_DAYS)
    with deps.uow() as uow:
        candidates = uow.session.exec(
            select(InfoRequest.id)
            .where(InfoRequest.status == "open", col(InfoRequest.overdue) == sa.false())
            .order_by(col(InfoRequest.due_date))
            .limit(batch)
        ).all()
        adjourned = uow.session.exec(
            select(Case.filing_id).where(Case.status == "adjourned", col(Case.due_date) < today).limit(batch)
        ).all()
        # made available at least 15 days ago (the exact day is the legal calendar's, under the lock)
        unnotified = uow.session.exec(
            select(Decision.filing_id)
            .where(col(Decision.notified_on).is_(None))
            .where(col(Decision.made_available_at) <= deps.clock.now() - timedelta(days=legal_dates.NOTIFICATION_AFTER_DAYS - 1))
            .limit(batch)
        ).all()
    for filing_id in unnotified:
        try:
            _notify(deps, filing_id, report)
        except DomainError as exc:
            _skipped(report, filing_id, exc)
    for request_id in candidates:
        try:
            _sweep_request(deps, request_id, horizon, report)
        except DomainError as exc:
            _skipped(report, request_id, exc)
    for filing_id in adjourned:
        try:
            return_to_commission(deps, filing_id, report)
        except DomainError as exc:
            _skipped(report, filing_id, exc)
    _expire_registrations(deps, today, batch, report)
    report.renewal_reminders.extend(renewals.remind(deps, today, batch))
    if report.total:
        log.info(
            "sweep: %d overdue, %d reminders, %d returned to commission, %d decisions notified, %d registrations expired, "
            "%d renewal reminders",
            len(report.overdue),
            len(report.reminders),
            len(report.returned),
            len(report.notified),
            len(report.expired),
            len(report.renewal_reminders),
        )
    return report


def _skipped(report: SweepReport, item: uuid.UUID, exc: DomainError) -> None:
    """The item changed under the sweep (its transaction rolled back): the next sweep sees it again."""
    log.warning("sweep: %s skipped: %s (%s)", item, exc.detail, exc.code)
    report.skipped.append(item)


def _sweep_request(deps: ReviewDeps, request_id: uuid.UUID, horizon: int, report: SweepReport) -> None:
    with deps.uow() as uow:
        now = deps.clock.now()
        today = paris_date(now)
        request = uow.session.get(InfoRequest, request_id)
        if request is None or request.due_date.toordinal() > horizon:
            return
        case = get_case(uow.session, request.filing_id, lock=True)
        uow.session.refresh(request)
        if case is None or request.status != "open" or request.overdue:
            return
        if rules.is_overdue(today, request.due_date):
            request.overdue = True
            case.overdue = True
            uow.session.add_all([request, case])
            audit_log.append(
                uow.session,
                case.filing_id,
                now,
                SYSTEM_ACTOR,
                "request_overdue",
                reason=f"Date limite du {rules.fr_date(request.due_date)} dépassée.",
                details={"request_id": str(request.id)},
            )
            uow.emit(
                ev.RequestOverdue(
                    **case_fields(case),
                    request_id=request.id,
                    due_date=request.due_date,
                    opened_by=request.opened_by,
                    kind=request_kind(request.kind),
                )
            )
            uow.commit()
            report.overdue.append(request.id)
            return
        sent = {int(d) for d in request.reminders_sent.split(",") if d}
        days, covered = rules.reminder_to_send(today, request.due_date, sent)
        if days is None:
            return
        request.reminders_sent = ",".join(str(d) for d in sorted(sent | covered))
        uow.session.add(request)
        days_left = (request.due_date - today).days
        uow.emit(
            ev.RequestReminderDue(
                **case_fields(case), request_id=request.id, due_date=request.due_date, days_left=days_left, kind=request_kind(request.kind)
            )
        )
        uow.commit()
        report.reminders.append((request.id, days_left))


def return_to_commission(deps: ReviewDeps, filing_id: uuid.UUID, report: SweepReport) -> None:
    with deps.uow() as uow:
        now = deps.clock.now()
        today = paris_date(now)
        case = get_case(uow.session, filing_id, lock=True)
        if case is None or case.status != "adjourned" or case.due_date is None or not rules.is_overdue(today, case.due_date):
            return
        previous_due = case.due_date
        move(
            uow,
            case,
            "return_to_commission",
            SYSTEM_ACTOR,
            now,
            reason=f"Aucun dossier amélioré reçu au {rules.fr_date(previous_due)} : le dossier est présenté de nouveau en l'état.",
            details={"previous_due": previous_due.isoformat()},
        )
        session = next_session(uow.session, today)
        if session is not None:
            schedule(uow, case, SYSTEM_ACTOR, now, session)
        uow.emit(ev.CaseReturnedToCommission(**case_fields(case), previous_due=previous_due, session_id=session.id if session else None))
        uow.commit()
        report.returned.append(case.filing_id)


def _notify(deps: ReviewDeps, filing_id: uuid.UUID, report: SweepReport) -> None:
    with deps.uow() as uow:
        case = get_case(uow.session, filing_id, lock=True)
        decision = uow.session.get(Decision, filing_id)
        if case is None or decision is None:
            return
        uow.session.refresh(decision)
        if fix_notification(uow, case, decision, SYSTEM_ACTOR, deps.clock.now()):
            uow.commit()
            report.notified.append(filing_id)


def request_kind(value: str) -> ev.RequestKind:
    if value == "completeness":
        return "completeness"
    return "request"


async def run_forever(deps: ReviewDeps) -> None:
    while True:
        try:
            await asyncio.to_thread(sweep, deps)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("deadline sweep failed")
        await asyncio.sleep(deps.config.review_sweep_seconds)


def _expire_registrations(deps: ReviewDeps, today: date, batch: int, report: SweepReport) -> None:
    """Every active registration whose end date has passed becomes ``expired``, each in its
    own transaction under the record's row lock (two sweepers expire it once)."""
    with deps.uow() as uow:
        numbers = uow.session.exec(
            select(RegistryRecord.number)
            .where(RegistryRecord.status == "active", col(RegistryRecord.registration_end) < today)
            .order_by(col(RegistryRecord.registration_end))
            .limit(batch)
        ).all()
    for number in numbers:
        with deps.uow() as uow:
            now = deps.clock.now()
            record = uow.session.exec(select(RegistryRecord).where(RegistryRecord.number == number).with_for_update()).first()
            if record is None or record.status != "active" or paris_date(now) <= record.registration_end:
                continue
            record.status = "expired"
            registry_feed.record_change(uow.session, record, "expired", now)
            uow.commit()
            report.expired.append(number)

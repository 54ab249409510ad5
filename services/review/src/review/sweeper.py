"""The deadline sweeper: requests past due become overdue, reminders before a deadline,
adjourned dossiers whose deadline passed go back to the commission as they are.

Each item is handled in its own transaction, re-checked under the case's row lock, so
that several review processes may sweep at once and a crash loses nothing. Tests call
``sweep(ctx)`` directly; the background loop runs it every
``CERTREG_REVIEW_SWEEP_SECONDS`` (60 s by default).
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from dataclasses import dataclass, field

from sqlmodel import select

from certreg_contracts.events import review as ev
from certreg_runtime.service import ServiceContext
from review import cases
from review.adapters.tables import Case, InfoRequest
from review.domain import rules

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_SECONDS = 60.0


def interval_seconds() -> float:
    try:
        value = float(os.environ.get("CERTREG_REVIEW_SWEEP_SECONDS", DEFAULT_INTERVAL_SECONDS))
    except ValueError:
        return DEFAULT_INTERVAL_SECONDS
    return value if value > 0 else DEFAULT_INTERVAL_SECONDS


@dataclass
class SweepReport:
    overdue: list[uuid.UUID] = field(default_factory=list)  # request ids
    reminders: list[tuple[uuid.UUID, int]] = field(default_factory=list)  # (request id, days left)
    returned: list[uuid.UUID] = field(default_factory=list)  # filing ids

    @property
    def total(self) -> int:
        return len(self.overdue) + len(self.reminders) + len(self.returned)


def sweep(ctx: ServiceContext, batch: int = 500) -> SweepReport:
    report = SweepReport()
    today = rules.local_today(ctx.clock.now())
    horizon = today.toordinal() + max(rules.REMINDER_DAYS)
    with ctx.uow() as uow:
        candidates = uow.session.exec(
            select(InfoRequest.id)
            .where(InfoRequest.status == "open", InfoRequest.overdue == False)  # noqa: E712
            .order_by(InfoRequest.due_date)
            .limit(batch)  # type: ignore[arg-type]
        ).all()
        adjourned = uow.session.exec(
            select(Case.filing_id).where(Case.status == "adjourned", Case.due_date < today).limit(batch)  # type: ignore[operator]
        ).all()
    for request_id in candidates:
        _sweep_request(ctx, request_id, horizon, report)
    for filing_id in adjourned:
        _return_to_commission(ctx, filing_id, report)
    if report.total:
        log.info(
            "sweep: %d overdue, %d reminders, %d returned to commission", len(report.overdue), len(report.reminders), len(report.returned)
        )
    return report


def _sweep_request(ctx: ServiceContext, request_id: uuid.UUID, horizon: int, report: SweepReport) -> None:
    with ctx.uow() as uow:
        now = ctx.clock.now()
        today = rules.local_today(now)
        request = uow.session.get(InfoRequest, request_id)
        if request is None or request.due_date.toordinal() > horizon:
            return
        case = cases.get_case(uow.session, request.filing_id, lock=True)
        uow.session.refresh(request)
        if case is None or request.status != "open" or request.overdue:
            return
        if rules.is_overdue(today, request.due_date):
            request.overdue = True
            case.overdue = True
            uow.session.add_all([request, case])
            cases.append_audit(
                uow.session,
                case.filing_id,
                now,
                cases.SYSTEM_ACTOR,
                "request_overdue",
                reason=f"Date limite du {cases.fr_date(request.due_date)} dépassée.",
                details={"request_id": str(request.id)},
            )
            uow.emit(
                ev.RequestOverdue(**cases.case_fields(case), request_id=request.id, due_date=request.due_date, opened_by=request.opened_by)
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
        uow.emit(ev.RequestReminderDue(**cases.case_fields(case), request_id=request.id, due_date=request.due_date, days_left=days_left))
        uow.commit()
        report.reminders.append((request.id, days_left))


def _return_to_commission(ctx: ServiceContext, filing_id: uuid.UUID, report: SweepReport) -> None:
    with ctx.uow() as uow:
        now = ctx.clock.now()
        today = rules.local_today(now)
        case = cases.get_case(uow.session, filing_id, lock=True)
        if case is None or case.status != "adjourned" or case.due_date is None or not rules.is_overdue(today, case.due_date):
            return
        previous_due = case.due_date
        cases.move(
            uow,
            case,
            "return_to_commission",
            cases.SYSTEM_ACTOR,
            now,
            reason=f"Aucun dossier amélioré reçu au {cases.fr_date(previous_due)} : le dossier est présenté de nouveau en l'état.",
            details={"previous_due": previous_due.isoformat()},
        )
        session = cases.next_session(uow.session, today)
        if session is not None:
            cases.schedule(uow, case, cases.SYSTEM_ACTOR, now, session)
        uow.emit(
            ev.CaseReturnedToCommission(**cases.case_fields(case), previous_due=previous_due, session_id=session.id if session else None)
        )
        uow.commit()
        report.returned.append(case.filing_id)


async def run_forever(ctx: ServiceContext) -> None:
    while True:
        try:
            await asyncio.to_thread(sweep, ctx)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("deadline sweep failed")
        await asyncio.sleep(interval_seconds())

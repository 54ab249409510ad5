"""Renewals on review's side (issue 14): a case naming the registration it renews shows the
differences from the registered fiche and the recommendations made when that registration
was examined; its publication links the new record and the former both ways; the sweeper
reminds the certifier 9 and 7 months before a registration ends."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from certreg_contracts import legal_dates
from certreg_contracts.calendar import add_months, paris_date
from certreg_contracts.events import review as ev
from review.adapters import audit_log, certifiers
from review.adapters.tables import Case, Decision, RegistryRecord, RenewalReminder
from review.app.deps import ReviewDeps
from review.app.transitions import case_fields, get_case
from review.domain import renewal, rules
from review.domain.audit import parse_details

log = logging.getLogger(__name__)

# A renewal under way: every state but those that ended it without a registration.
ENDED_WITHOUT_REGISTRATION = ("withdrawn", "refused", "abandoned", "admissibility_withdrawn", "inadmissible_by_right")


@dataclass(frozen=True)
class Recommendation:
    source: str  # admissibility | opinion | decision
    at: date | None
    text: str
    criterion: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class Renewal:
    renews: str
    former: RegistryRecord | None
    changes: list[renewal.Change]
    recommendations: list[Recommendation]
    follow_up: str | None = None  # how the certifier says it followed them (the filing's text)


def record_content(record: RegistryRecord) -> dict[str, Any]:
    return {
        "title": record.title,
        "qualification_level": record.qualification_level,
        "summary": record.summary,
        "activities": record.activities,
        "competences": record.competences,
        "competence_blocks": record.competence_blocks,
        "assessment_methods": record.assessment_methods,
        **renewal.fiche_content(record.fiche),
    }


def case_content(session: Session, case: Case) -> dict[str, Any]:
    """The renewal request's side, its co-certifiers named as its publication would name them
    (``certifiers.co_certifiers``, as the registered side was): a certifier who renews with the
    same certifiers changed nothing, whatever name was typed for a known one."""
    snap = case.snapshot or {}
    return {
        "title": case.title,
        "qualification_level": case.qualification_level,
        "summary": case.summary,
        "activities": snap.get("activities", []),
        "competences": snap.get("competences", []),
        "competence_blocks": snap.get("competence_blocks", []),
        "assessment_methods": snap.get("assessment_methods", []),
        **renewal.fiche_content(certifiers.co_certifiers(session, snap.get("fiche") or {})),
    }


def renewal_of(session: Session, case: Case) -> Renewal | None:
    """What the review page shows of a renewal: the registration renewed, the differences,
    the recommendations made at its examination."""
    if not case.renews:
        return None
    follow_up = (case.snapshot or {}).get("recommendations_follow_up") or None
    former = session.get(RegistryRecord, case.renews)
    if former is None:
        return Renewal(case.renews, None, [], [], follow_up)
    return Renewal(
        case.renews,
        former,
        renewal.diff(record_content(former), case_content(session, case)),
        recommendations_of(session, former.filing_id),
        follow_up,
    )


def recommendations_of(session: Session, filing_id: uuid.UUID) -> list[Recommendation]:
    """The recommendations made when a registered filing was examined: those of its
    admissibility, the commission's reasons and the director general's motivation."""
    found: list[Recommendation] = []
    for entry in audit_log.timeline(session, filing_id):
        text = parse_details(entry.details).get("recommendations")
        if entry.action == "admissibility" and text:
            found.append(Recommendation("admissibility", date.fromisoformat(entry.at[:10]), str(text)))
    from review.app.queries import latest_opinion  # queries imports this module

    opinion = latest_opinion(session, filing_id)
    case = get_case(session, filing_id)
    for reason in opinion.reasons if opinion else []:
        criterion = reason.get("criterion")
        label = rules.criterion_label(case.repertoire, criterion, case.opened_at) if case and criterion else None
        found.append(Recommendation("opinion", opinion.given_at.date() if opinion else None, reason.get("text", ""), criterion, label))
    decision = session.get(Decision, filing_id)
    if decision is not None and decision.motivation.strip():
        found.append(Recommendation("decision", decision.decision_date, decision.motivation))
    return found


def link(session: Session, record: RegistryRecord, renews: str | None) -> RegistryRecord | None:
    """A new record publishing a renewal: linked to the former (which stays readable, now
    pointing to it); the former, changed, for the caller's feed entry."""
    if not renews:
        return None
    former = session.exec(select(RegistryRecord).where(RegistryRecord.number == renews).with_for_update()).first()
    if former is None:
        log.warning("renewal of unknown registration %s", renews)
        return None
    record.renews = former.number
    former.renewed_by = record.number
    session.add(former)
    return former


# ---------------------------------------------------------------- reminders


def remind(deps: ReviewDeps, today: date, batch: int) -> list[tuple[str, int]]:
    """Reminders due: each registration in force is reminded 9 and 7 months before its end,
    once each (a row per reminder; a late sweep sends only the nearest), unless a renewal of
    it is under way. One transaction per registration, under its case's row lock."""
    due_any = []
    for months in legal_dates.RENEWAL_REMINDER_MONTHS:
        # Ending within ``months`` months (a few days' margin for the months' lengths: the
        # exact day is legal_dates.renewal_reminders', checked under the lock) and not reminded.
        horizon = add_months(today, months) + timedelta(days=3)
        reminded = select(RenewalReminder.number).where(
            RenewalReminder.number == RegistryRecord.number, RenewalReminder.months_before == months
        )
        due_any.append(sa.and_(col(RegistryRecord.registration_end) <= horizon, ~reminded.exists()))
    with deps.uow() as uow:
        candidates = uow.session.exec(
            select(RegistryRecord.number)
            .where(
                RegistryRecord.status == "active", col(RegistryRecord.registration_end) >= today, col(RegistryRecord.renewed_by).is_(None)
            )
            .where(sa.or_(*due_any))
            .order_by(col(RegistryRecord.registration_end))
            .limit(batch)
        ).all()
    sent: list[tuple[str, int]] = []
    for number in candidates:
        done = _remind_one(deps, number)
        if done is not None:
            sent.append((number, done))
    return sent


def _remind_one(deps: ReviewDeps, number: str) -> int | None:
    with deps.uow() as uow:
        now = deps.clock.now()
        today = paris_date(now)
        record = uow.session.get(RegistryRecord, number)
        if record is None:
            return None
        case = get_case(uow.session, record.filing_id, lock=True)  # one sweeper at a time
        uow.session.refresh(record)
        if case is None or record.status != "active" or record.renewed_by or today > record.registration_end:
            return None
        already = {r.months_before for r in uow.session.exec(select(RenewalReminder).where(RenewalReminder.number == number))}
        due = [
            months
            for months, day in zip(legal_dates.RENEWAL_REMINDER_MONTHS, legal_dates.renewal_reminders(record.registration_end), strict=True)
            if day.day <= today and months not in already
        ]
        if not due:
            return None
        # A late sweep sends only the nearest reminder and records the others as covered.
        months = min(due)
        for m in due:
            uow.session.add(RenewalReminder(number=number, months_before=m, sent_at=now, sent=m == months))
        if _renewal_under_way(uow.session, number):
            uow.commit()
            return None
        opens_on = add_months(record.registration_end, -deps.settings.renewal_window_months)
        uow.emit(
            ev.RenewalReminderDue(
                **case_fields(case),
                registration_number=number,
                registration_end=record.registration_end,
                months_before=months,
                renewal_opens_on=opens_on,
            )
        )
        uow.commit()
        return months


def _renewal_under_way(session: Session, number: str) -> bool:
    return (
        session.exec(
            select(Case.filing_id).where(Case.renews == number, col(Case.status).not_in(ENDED_WITHOUT_REGISTRATION)).limit(1)
        ).first()
        is not None
    )

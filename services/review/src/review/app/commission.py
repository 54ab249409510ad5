"""The commission: sessions (about monthly, never in August), their agenda, the opinions.

Adjourned dossiers whose deadline passed are put back on the next session's agenda by the
sweeper (``review.jobs.sweeper``) with ``schedule``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from certreg_contracts import legal_dates
from certreg_contracts.calendar import paris_date
from certreg_contracts.events import review as ev
from certreg_runtime.auth import Principal
from certreg_runtime.errors import conflict, field_error, invalid, not_found
from certreg_runtime.messaging import UnitOfWork
from review.adapters.tables import AgendaItem, Case, CommissionSession, Opinion
from review.api.schemas import AgendaIn, OpinionCorrectionIn, OpinionIn, SessionIn
from review.app import queries
from review.app.deps import ReviewDeps
from review.app.queries import CaseDetail, SessionSummary
from review.app.transitions import case_fields, load_case, move
from review.domain import procedure, rules
from review.domain.actor import Actor


def create_session(deps: ReviewDeps, user: Principal, body: SessionIn) -> SessionSummary:
    now = deps.clock.now()
    day = body.date
    if day.month in rules.NO_SESSION_MONTHS:
        raise invalid(field_error("date", "La commission ne siège pas en août.", "no_session_in_august"))
    if day < paris_date(now):
        raise invalid(field_error("date", "La date de séance ne peut pas être passée.", "past"))
    with deps.uow() as uow:
        if uow.session.exec(select(CommissionSession).where(CommissionSession.date == day)).first():
            raise conflict("Une séance existe déjà à cette date.", code="session_exists")
        session = CommissionSession(date=day, created_by=user.account_id, created_at=now)
        uow.session.add(session)
        uow.session.flush()
        uow.emit(ev.SessionCreated(session_id=session.id, date=day, created_by=user.account_id))
        uow.commit()
        return queries.session_summary(uow.session, session)


def next_session(session: Session, today: date) -> CommissionSession | None:
    """The first session after today (the sweeper's destination for adjourned dossiers)."""
    return session.exec(
        select(CommissionSession).where(col(CommissionSession.date) > today).order_by(col(CommissionSession.date)).limit(1)
    ).first()


def opinion_in_session(session: Session, session_id: uuid.UUID, filing_id: uuid.UUID) -> Opinion | None:
    """The opinion the session gave on the case, if any (a session examines a case once)."""
    return session.exec(select(Opinion).where(Opinion.session_id == session_id, Opinion.filing_id == filing_id)).first()


def _check_destination(uow: UnitOfWork, case: Case, now: datetime, sess: CommissionSession) -> None:
    if sess.date < paris_date(now):
        raise conflict("Cette séance est passée.", code="session_past", state=case.status)
    if opinion_in_session(uow.session, sess.id, case.filing_id):
        raise conflict(
            "La commission a déjà rendu un avis sur ce dossier lors de cette séance : choisissez une autre séance.",
            code="opinion_given_in_session",
            state=case.status,
        )


def schedule(uow: UnitOfWork, case: Case, actor: Actor, now: datetime, sess: CommissionSession) -> None:
    """Put a case ready for the commission on a session's agenda (never one that already
    gave its opinion on the case: an improved dossier goes to another session)."""
    procedure.transition("schedule", case.status, actor.roles, track=case.registration_type)
    _check_destination(uow, case, now, sess)
    move(
        uow,
        case,
        "schedule",
        actor,
        now,
        details={"session_id": str(sess.id), "session_date": sess.date.isoformat()},
        banner_extra=f"Séance du {rules.fr_date(sess.date)}.",
    )
    case.session_id = sess.id
    uow.session.add(case)
    uow.session.merge(AgendaItem(session_id=sess.id, filing_id=case.filing_id, added_by=actor.id, added_at=now))
    uow.emit(ev.CaseScheduled(**case_fields(case), session_id=sess.id, session_date=sess.date, scheduled_by=actor.id))


def reschedule(uow: UnitOfWork, case: Case, actor: Actor, now: datetime, sess: CommissionSession) -> None:
    """Move a scheduled case to another session's agenda. It leaves the former agenda,
    unless that session gave an opinion on it (an adjourned round stays in its minutes)."""
    procedure.transition("reschedule", case.status, actor.roles, track=case.registration_type)
    former = case.session_id
    if former == sess.id:
        raise conflict("Ce dossier est déjà inscrit à l'ordre du jour de cette séance.", code="already_on_agenda", state=case.status)
    _check_destination(uow, case, now, sess)
    former_date = None
    if former is not None:
        former_session = uow.session.get(CommissionSession, former)
        former_date = former_session.date.isoformat() if former_session else None
        item = uow.session.get(AgendaItem, (former, case.filing_id))
        if item is not None and opinion_in_session(uow.session, former, case.filing_id) is None:
            uow.session.delete(item)
    move(
        uow,
        case,
        "reschedule",
        actor,
        now,
        details={
            "session_id": str(sess.id),
            "session_date": sess.date.isoformat(),
            "former_session_id": str(former) if former else None,
            "former_session_date": former_date,
        },
        banner_extra=f"Séance du {rules.fr_date(sess.date)}.",
        announce=True,
    )
    case.session_id = sess.id
    uow.session.add(case)
    uow.session.merge(AgendaItem(session_id=sess.id, filing_id=case.filing_id, added_by=actor.id, added_at=now))
    uow.emit(ev.CaseScheduled(**case_fields(case), session_id=sess.id, session_date=sess.date, scheduled_by=actor.id))


def add_to_agenda(deps: ReviewDeps, user: Principal, session_id: uuid.UUID, body: AgendaIn) -> CaseDetail:
    """Put a case on the session's agenda; a case already scheduled moves to this session."""
    now = deps.clock.now()
    with deps.uow() as uow:
        sess = queries.load_session(uow.session, session_id)
        case = load_case(uow, body.filing_id)
        if case.status == "scheduled":
            reschedule(uow, case, Actor.of(user, "reschedule"), now, sess)
        else:
            schedule(uow, case, Actor.of(user, "schedule"), now, sess)
        uow.commit()
        return queries.case_detail(uow.session, case)


def validate_reasons(case: Case, reasons: Sequence[ev.Reason], *, required: bool) -> None:
    """Reasons name the registration criteria of the case's repertoire, each with a text."""
    criteria = rules.criteria_in_force(case.repertoire, case.opened_at).headings()
    errors = [
        field_error(["reasons", i, "criterion"], f"Critère inconnu : {r.criterion}. Critères : {', '.join(criteria)}.", "unknown_criterion")
        for i, r in enumerate(reasons)
        if r.criterion not in criteria
    ]
    errors += [field_error(["reasons", i, "text"], "Le motif est vide.", "missing") for i, r in enumerate(reasons) if not r.text.strip()]
    if required and not reasons:
        errors.append(field_error("reasons", "Motivez l'avis au regard des critères d'enregistrement.", "missing"))
    if errors:
        raise invalid(*errors)


@dataclass(frozen=True)
class OpinionGiven:
    case: Case
    opinion: Opinion
    session_date: date


def _check_opinion(case: Case, body: OpinionIn | OpinionCorrectionIn, today: date) -> None:
    opinion, resubmission_due = body.opinion, body.resubmission_due
    if (opinion == "adjourned") != (resubmission_due is not None):
        msg = (
            "La date limite de dépôt d'un dossier amélioré est obligatoire pour un ajournement."
            if opinion == "adjourned"
            else "Une date limite de dépôt ne se donne qu'avec un ajournement."
        )
        raise invalid(field_error("resubmission_due", msg, "missing" if opinion == "adjourned" else "not_allowed"))
    if resubmission_due is not None and resubmission_due <= today:
        raise invalid(field_error("resubmission_due", "La date limite doit être postérieure à aujourd'hui.", "past"))
    validate_reasons(case, body.reasons, required=opinion != "favourable")


def _announce_opinion(
    uow: UnitOfWork,
    case: Case,
    action: str,
    actor: Actor,
    now: datetime,
    record: Opinion,
    reasons: Sequence[ev.Reason],
    *,
    reason: str | None,
    details: dict[str, Any],
    due_explanation: str | None = None,
) -> None:
    """The case's move to the opinion's state and ``review.case.opinion_given``."""
    due = record.resubmission_due
    move(
        uow,
        case,
        action,
        actor,
        now,
        outcome=record.opinion,
        reason=reason,
        details={
            **details,
            "session_id": str(record.session_id),
            "opinion": record.opinion,
            "resubmission_due": due.isoformat() if due else None,
        },
        editable=procedure.editable_items(record.opinion),
        due_date=due,
        due_explanation=due_explanation,
        banner_extra=f"Date limite : {rules.fr_date(due)}." if due else None,
        announce=True,
    )
    uow.emit(
        ev.CaseOpinionGiven(
            **case_fields(case),
            session_id=record.session_id,
            opinion=procedure.opinion(record.opinion),
            reasons=[r.model_copy(update={"label": rules.criterion_label(case.repertoire, r.criterion, case.opened_at)}) for r in reasons],
            resubmission_due=due,
            given_by=actor.account_id,
        )
    )


def _resubmission_deadline(day: date | None) -> legal_dates.LegalDate | None:
    """An adjourned dossier's deadline: the day the commission chose, or the next working day
    when it is a Saturday, a Sunday or a public holiday (legal_dates.deadline_on)."""
    return None if day is None else legal_dates.deadline_on(day, kind="adjournment")


def _reasons_text(reasons: Sequence[ev.Reason]) -> str | None:
    return "; ".join(f"{r.label or r.criterion} : {r.text}" for r in reasons) or None


def give_opinion(deps: ReviewDeps, user: Principal, session_id: uuid.UUID, body: OpinionIn) -> OpinionGiven:
    """The commission's opinion on a case of the session's agenda, once the session has
    been held: favourable, unfavourable (motivated) or adjourned (motivated, with a deadline
    for an improved dossier)."""
    now = deps.clock.now()
    today = paris_date(now)
    with deps.uow() as uow:
        sess = queries.load_session(uow.session, session_id)
        case = load_case(uow, body.filing_id)
        if opinion_in_session(uow.session, sess.id, case.filing_id):
            raise conflict("L'avis de la commission sur ce dossier est déjà rendu.", code="opinion_already_given", state=case.status)
        _check_opinion(case, body, today)
        actor = Actor.of(user, "opinion")
        procedure.transition("opinion", case.status, actor.roles, body.opinion, track=case.registration_type)
        on_agenda = uow.session.get(AgendaItem, (sess.id, case.filing_id))
        if on_agenda is None or case.session_id != sess.id:
            raise conflict("Ce dossier n'est pas inscrit à l'ordre du jour de cette séance.", code="not_on_agenda", state=case.status)
        if today < sess.date:
            raise conflict("La séance n'a pas encore eu lieu.", code="session_not_held", state=case.status)
        record = Opinion(
            session_id=sess.id,
            filing_id=case.filing_id,
            opinion=body.opinion,
            reasons=[r.model_dump() for r in body.reasons],
            resubmission_due=deadline.day if (deadline := _resubmission_deadline(body.resubmission_due)) else None,
            given_by=actor.account_id,
            given_at=now,
        )
        uow.session.add(record)
        _announce_opinion(
            uow,
            case,
            "opinion",
            actor,
            now,
            record,
            body.reasons,
            reason=_reasons_text(body.reasons),
            details={},
            due_explanation=deadline.explanation if deadline else None,
        )
        uow.commit()
        return OpinionGiven(case, record, sess.date)


def correct_opinion(
    deps: ReviewDeps, user: Principal, session_id: uuid.UUID, filing_id: uuid.UUID, body: OpinionCorrectionIn
) -> OpinionGiven:
    """The commission corrects the opinion it gave at a session, as long as the director
    has not decided and the depositor has not answered an adjournment: the opinion is
    replaced, the audit entry keeps the former one and the reason of the correction."""
    now = deps.clock.now()
    with deps.uow() as uow:
        sess = queries.load_session(uow.session, session_id)
        case = load_case(uow, filing_id)
        record = opinion_in_session(uow.session, sess.id, case.filing_id)
        if record is None:
            raise not_found("opinion")
        actor = Actor.of(user, "correct_opinion")
        procedure.transition("correct_opinion", case.status, actor.roles, body.opinion, track=case.registration_type)
        latest = queries.latest_opinion(uow.session, case.filing_id)
        if latest is None or latest.id != record.id or case.status != record.opinion:
            raise conflict("Seul le dernier avis rendu sur le dossier se corrige.", code="opinion_superseded", state=case.status)
        _check_opinion(case, body, paris_date(now))
        if not body.correction_reason.strip():
            raise invalid(field_error("correction_reason", "Indiquez le motif de la correction de l'avis.", "missing"))
        former_due = record.resubmission_due
        former = {
            "former_opinion": record.opinion,
            "former_reasons": record.reasons,
            "former_resubmission_due": former_due.isoformat() if former_due else None,
        }
        record.opinion = body.opinion
        record.reasons = [r.model_dump() for r in body.reasons]
        deadline = _resubmission_deadline(body.resubmission_due)
        record.resubmission_due = deadline.day if deadline else None
        uow.session.add(record)
        _announce_opinion(
            uow,
            case,
            "correct_opinion",
            actor,
            now,
            record,
            body.reasons,
            reason=body.correction_reason.strip(),
            details={**former, "reasons": [r.model_dump() for r in body.reasons]},
            due_explanation=deadline.explanation if deadline else None,
        )
        uow.commit()
        return OpinionGiven(case, record, sess.date)

"""The commission: sessions (about monthly, never in August), their agenda, the opinions.

Adjourned dossiers whose deadline passed are put back on the next session's agenda by the
sweeper (``review.jobs.sweeper``) with ``schedule``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from certreg_contracts.calendar import paris_date
from certreg_contracts.events import review as ev
from certreg_runtime.auth import Principal
from certreg_runtime.errors import conflict, field_error, invalid
from certreg_runtime.messaging import UnitOfWork
from review.adapters.tables import AgendaItem, Case, CommissionSession, Opinion
from review.api.schemas import AgendaIn, OpinionIn, SessionIn
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


def schedule(uow: UnitOfWork, case: Case, actor: Actor, now: datetime, sess: CommissionSession) -> None:
    """Put a case ready for the commission on a session's agenda."""
    procedure.transition("schedule", case.status, actor.roles)
    if sess.date < paris_date(now):
        raise conflict("Cette séance est passée.", code="session_past", state=case.status)
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


def add_to_agenda(deps: ReviewDeps, user: Principal, session_id: uuid.UUID, body: AgendaIn) -> CaseDetail:
    now = deps.clock.now()
    with deps.uow() as uow:
        sess = queries.load_session(uow.session, session_id)
        case = load_case(uow, body.filing_id)
        schedule(uow, case, Actor.of(user, "schedule"), now, sess)
        uow.commit()
        return queries.case_detail(uow.session, case)


def validate_reasons(case: Case, reasons: Sequence[ev.Reason], *, required: bool) -> None:
    """Reasons name the registration criteria of the case's repertoire, each with a text."""
    criteria = rules.CRITERIA[case.repertoire]
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


def give_opinion(deps: ReviewDeps, user: Principal, session_id: uuid.UUID, body: OpinionIn) -> OpinionGiven:
    """The commission's opinion on a case of the session's agenda, once the session has
    been held: favourable, unfavourable (motivated) or adjourned (motivated, with a deadline
    for an improved dossier)."""
    now = deps.clock.now()
    today = paris_date(now)
    opinion, reasons, resubmission_due = body.opinion, body.reasons, body.resubmission_due
    with deps.uow() as uow:
        sess = queries.load_session(uow.session, session_id)
        case = load_case(uow, body.filing_id)
        if uow.session.exec(select(Opinion).where(Opinion.session_id == sess.id, Opinion.filing_id == case.filing_id)).first():
            raise conflict("L'avis de la commission sur ce dossier est déjà rendu.", code="opinion_already_given", state=case.status)
        if (opinion == "adjourned") != (resubmission_due is not None):
            msg = (
                "La date limite de dépôt d'un dossier amélioré est obligatoire pour un ajournement."
                if opinion == "adjourned"
                else "Une date limite de dépôt ne se donne qu'avec un ajournement."
            )
            raise invalid(field_error("resubmission_due", msg, "missing" if opinion == "adjourned" else "not_allowed"))
        if resubmission_due is not None and resubmission_due <= today:
            raise invalid(field_error("resubmission_due", "La date limite doit être postérieure à aujourd'hui.", "past"))
        validate_reasons(case, reasons, required=opinion != "favourable")
        actor = Actor.of(user, "opinion")
        procedure.transition("opinion", case.status, actor.roles, opinion)
        on_agenda = uow.session.get(AgendaItem, (sess.id, case.filing_id))
        if on_agenda is None or case.session_id != sess.id:
            raise conflict("Ce dossier n'est pas inscrit à l'ordre du jour de cette séance.", code="not_on_agenda", state=case.status)
        if today < sess.date:
            raise conflict("La séance n'a pas encore eu lieu.", code="session_not_held", state=case.status)
        record = Opinion(
            session_id=sess.id,
            filing_id=case.filing_id,
            opinion=opinion,
            reasons=[r.model_dump() for r in reasons],
            resubmission_due=resubmission_due,
            given_by=actor.account_id,
            given_at=now,
        )
        uow.session.add(record)
        summary = "; ".join(f"{r.criterion} : {r.text}" for r in reasons) or None
        move(
            uow,
            case,
            "opinion",
            actor,
            now,
            outcome=opinion,
            reason=summary,
            details={
                "session_id": str(sess.id),
                "opinion": opinion,
                "resubmission_due": resubmission_due.isoformat() if resubmission_due else None,
            },
            editable=procedure.editable_items(opinion),
            due_date=resubmission_due,
            banner_extra=f"Date limite : {rules.fr_date(resubmission_due)}." if resubmission_due else None,
        )
        uow.emit(
            ev.CaseOpinionGiven(
                **case_fields(case),
                session_id=sess.id,
                opinion=opinion,
                reasons=reasons,
                resubmission_due=resubmission_due,
                given_by=actor.account_id,
            )
        )
        uow.commit()
        return OpinionGiven(case, record, sess.date)

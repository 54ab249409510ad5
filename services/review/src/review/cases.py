"""The procedure's service layer: each command or event handled in one unit of work
(state change, audit entry and outbox events together)."""

from __future__ import annotations

import json
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from certreg_contracts.events import filings as fe
from certreg_contracts.events import review as ev
from certreg_runtime.auth import Principal
from certreg_runtime.db import is_postgres
from certreg_runtime.errors import ApiError, conflict, field_error, invalid
from certreg_runtime.messaging import UnitOfWork
from review import certifiers
from review.adapters.tables import (
    AgendaItem,
    AuditEntry,
    Case,
    CommissionSession,
    Decision,
    InfoRequest,
    Message,
    NumberCounter,
    Opinion,
    RegistryRecord,
)
from review.domain import procedure, rules
from review.domain.audit import GENESIS, canonical_json, entry_hash

log = logging.getLogger(__name__)

STAFF_CASE_ROLES = ("reviewer", "instructor", "commission", "director")
DEPOSITOR_ROLES = ("depositor", "entity_manager")


@dataclass(frozen=True)
class Actor:
    """Who makes a transition: an account with roles, the depositor (through filings'
    events) or the system (the sweeper)."""

    id: uuid.UUID | None
    roles: frozenset[str]
    role: str
    name: str = ""

    @classmethod
    def of(cls, user: Principal, action: str | None = None) -> Actor:
        roles = set(user.roles)
        if roles & set(DEPOSITOR_ROLES):
            roles.add(procedure.DEPOSITOR)
        allowed = procedure.roles_for(action) & roles if action else set()
        role = sorted(allowed)[0] if allowed else sorted(user.roles)[0] if user.roles else "unknown"
        return cls(user.account_id, frozenset(roles), role, user.name)

    @classmethod
    def depositor(cls, account_id: uuid.UUID) -> Actor:
        return cls(account_id, frozenset({procedure.DEPOSITOR}), procedure.DEPOSITOR)


SYSTEM_ACTOR = Actor(None, frozenset({procedure.SYSTEM}), procedure.SYSTEM, "")


def appeal_court() -> str:
    return os.environ.get("CERTREG_APPEAL_COURT", rules.DEFAULT_APPEAL_COURT)


def fr_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


# ---------------------------------------------------------------- persistence helpers


def get_case(session: Session, filing_id: uuid.UUID, *, lock: bool = False) -> Case | None:
    query = select(Case).where(Case.filing_id == filing_id)
    if lock:
        query = query.with_for_update()
    return session.exec(query).first()


def open_request_of(session: Session, filing_id: uuid.UUID) -> InfoRequest | None:
    return session.exec(select(InfoRequest).where(InfoRequest.filing_id == filing_id, InfoRequest.status == "open")).first()


def case_fields(case: Case) -> dict[str, Any]:
    return {"filing_id": case.filing_id, "entity_id": case.entity_id, "repertoire": case.repertoire, "title": case.title}


def last_audit_seq(session: Session, filing_id: uuid.UUID) -> int:
    """The number of the case's latest audit entry (what ``sequence`` in events refers to)."""
    return session.exec(select(sa.func.max(AuditEntry.seq)).where(AuditEntry.filing_id == str(filing_id))).one() or 0


def append_audit(
    session: Session,
    filing_id: uuid.UUID,
    at: datetime,
    actor: Actor,
    action: str,
    *,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the case's chain. The caller holds the case's row lock."""
    last = session.exec(
        select(AuditEntry).where(AuditEntry.filing_id == str(filing_id)).order_by(AuditEntry.seq.desc()).limit(1)  # type: ignore[attr-defined]
    ).first()
    fields: dict[str, Any] = {
        "filing_id": str(filing_id),
        "seq": (last.seq + 1) if last else 1,
        "at": _utc(at).astimezone(UTC).isoformat(),
        "actor_id": str(actor.id) if actor.id else None,
        "actor_role": actor.role,
        "actor_name": actor.name or "",
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "reason": reason,
        "details": canonical_json(details or {}).decode(),
        "prev_hash": last.hash if last else GENESIS,
    }
    entry = AuditEntry(**fields, hash=entry_hash(fields))
    session.add(entry)
    session.flush()
    return entry


def audit_dict(entry: AuditEntry) -> dict[str, Any]:
    return {
        "filing_id": entry.filing_id,
        "seq": entry.seq,
        "at": entry.at,
        "actor_id": entry.actor_id,
        "actor_role": entry.actor_role,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "from_state": entry.from_state,
        "to_state": entry.to_state,
        "reason": entry.reason,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def timeline(session: Session, filing_id: uuid.UUID) -> list[AuditEntry]:
    return list(
        session.exec(select(AuditEntry).where(AuditEntry.filing_id == str(filing_id)).order_by(AuditEntry.seq)).all()  # type: ignore[arg-type]
    )


def _banner(state: str, extra: str | None = None) -> str:
    base = procedure.BANNERS[state]
    return f"{base} {extra.strip()}" if extra and extra.strip() else base


def move(
    uow: UnitOfWork,
    case: Case,
    action: str,
    actor: Actor,
    now: datetime,
    *,
    outcome: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    editable: list[str] | None = None,
    due_date: date | None = None,
    banner_extra: str | None = None,
    open_request_id: uuid.UUID | None = None,
) -> procedure.Transition:
    """Make a transition of the state machine: state, audit entry, status_changed."""
    tr = procedure.transition(action, case.status, actor.roles, outcome)
    previous = case.status
    case.status = tr.target
    case.updated_at = now
    if tr.target != previous:
        case.due_date = due_date
        case.overdue = False
    uow.session.add(case)
    entry = append_audit(
        uow.session, case.filing_id, now, actor, action, from_state=previous, to_state=tr.target, reason=reason, details=details
    )
    if tr.target != previous:
        uow.emit(
            ev.CaseStatusChanged(
                **case_fields(case),
                status=tr.target,  # type: ignore[arg-type]
                previous_status=previous,  # type: ignore[arg-type]
                editable_items=editable or [],
                banner=_banner(tr.target, banner_extra),
                open_request_id=open_request_id,
                due_date=due_date,
                changed_by=actor.id,
                reason=reason,
                sequence=entry.seq,
            )
        )
    return tr


def _close_open_request(uow: UnitOfWork, case: Case, now: datetime, status: str) -> InfoRequest | None:
    request = open_request_of(uow.session, case.filing_id)
    if request is not None:
        request.status = status
        request.closed_at = now
        uow.session.add(request)
    return request


# ---------------------------------------------------------------- events from filings


def _snapshot(event: fe.FilingSubmitted) -> dict[str, Any]:
    return {
        "activities": list(event.activities),
        "competences": list(event.competences),
        "competence_blocks": [b.model_dump(mode="json") for b in event.competence_blocks],
        "assessment_methods": list(event.assessment_methods),
        "documents": [d.model_dump(mode="json") for d in event.documents],
    }


def search_text(*parts: str | None) -> str:
    return " ".join(p.lower() for p in parts if p)[:1200]


def _apply_filing(case: Case, event: fe.FilingSubmitted) -> None:
    case.title = event.title
    case.repertoire = event.repertoire
    case.qualification_level = event.qualification_level
    case.is_cqp = event.is_cqp
    case.cqp_filed_by = event.cqp_filed_by
    case.rests_on_standards = event.rests_on_standards
    case.summary = event.summary
    case.snapshot = _snapshot(event)
    case.submission_round = event.submission_round
    case.submitted_by = event.submitted_by
    case.search = search_text(event.title, case.registration_number, str(event.filing_id))


def on_filing_submitted(uow: UnitOfWork, event: fe.FilingSubmitted, now: datetime) -> None:
    session = uow.session
    case = get_case(session, event.filing_id, lock=True)
    depositor = Actor.depositor(event.submitted_by)
    if case is None:
        case = Case(
            filing_id=event.filing_id,
            entity_id=event.entity_id,
            repertoire=event.repertoire,
            title=event.title,
            snapshot={},
            submitted_by=event.submitted_by,
            status="received",
            opened_at=now,
            updated_at=now,
        )
        _apply_filing(case, event)
        session.add(case)
        session.flush()
        entry = append_audit(
            session,
            case.filing_id,
            now,
            depositor,
            "open",
            to_state="received",
            details={"submission_round": event.submission_round},
        )
        uow.emit(ev.CaseOpened(**case_fields(case), submitted_at=event.submitted_at))
        uow.emit(
            ev.CaseStatusChanged(
                **case_fields(case),
                status="received",
                previous_status=None,
                editable_items=[],
                banner=_banner("received"),
                changed_by=event.submitted_by,
                sequence=entry.seq,
            )
        )
        return
    if event.submission_round <= case.submission_round:
        log.warning("stale submission ignored", extra={"filing_id": str(case.filing_id), "round": event.submission_round})
        return
    state = case.status
    if state not in ("awaiting_complement", "incomplete", "inadmissible", "adjourned"):
        log.warning("submission ignored in state %s", state, extra={"filing_id": str(case.filing_id)})
        return
    _apply_filing(case, event)
    details = {"submission_round": event.submission_round}
    if state == "awaiting_complement":
        request = _close_open_request(uow, case, now, "answered")
        move(uow, case, "answer", depositor, now, details={**details, "request_id": str(request.id) if request else None})
        if request is not None:
            uow.emit(ev.RequestAnswered(**case_fields(case), request_id=request.id, opened_by=request.opened_by))
    elif state == "adjourned":
        move(uow, case, "improve", depositor, now, details=details)
    else:
        case.missing = None
        move(uow, case, "resubmit", depositor, now, details=details)


def on_filing_withdrawn(uow: UnitOfWork, event: fe.FilingWithdrawn, now: datetime) -> None:
    case = get_case(uow.session, event.filing_id, lock=True)
    if case is None:
        return  # a draft never submitted: no case
    if case.status not in procedure.BEFORE_DECISION:
        log.warning("withdrawal ignored in state %s", case.status, extra={"filing_id": str(case.filing_id)})
        return
    _close_open_request(uow, case, now, "closed")
    move(uow, case, "withdraw", Actor.depositor(event.withdrawn_by), now, reason=event.reason)


# ---------------------------------------------------------------- formal control


def check_completeness(
    uow: UnitOfWork,
    case: Case,
    actor: Actor,
    now: datetime,
    *,
    complete: bool,
    missing: list[str],
    message: str,
    due_date: date | None,
) -> None:
    today = rules.local_today(now)
    errors = []
    if complete and missing:
        errors.append(field_error("missing", "Une demande complète ne peut pas lister d'éléments manquants.", "not_empty"))
    if not complete:
        if not missing:
            errors.append(field_error("missing", "Indiquez au moins un élément manquant.", "missing"))
        unknown = [m for m in missing if m not in procedure.EVERYTHING]
        if unknown:
            errors.append(field_error("missing", f"Éléments inconnus : {', '.join(unknown)}.", "unknown_item"))
        if not message.strip():
            errors.append(field_error("message", "Le message au déposant est obligatoire.", "missing"))
    if due_date is not None and due_date <= today:
        errors.append(field_error("due_date", "La date limite doit être postérieure à aujourd'hui.", "past"))
    if errors:
        raise invalid(*errors)
    outcome = "complete" if complete else "incomplete"
    procedure.transition("completeness", case.status, actor.roles, outcome)
    missing = list(dict.fromkeys(missing))
    case.missing = missing or None
    move(
        uow,
        case,
        "completeness",
        actor,
        now,
        outcome=outcome,
        reason=message or None,
        details={"missing": missing},
        editable=procedure.editable_items(case.status if complete else "incomplete", missing=missing),
        due_date=None if complete else due_date,
        banner_extra=None if complete else message,
    )
    uow.emit(
        ev.CaseCompletenessChecked(
            **case_fields(case),
            complete=complete,
            missing=missing,
            message=message,
            due_date=due_date if not complete else None,
            checked_by=actor.id,  # type: ignore[arg-type]
        )
    )


def decide_admissibility(
    uow: UnitOfWork,
    case: Case,
    actor: Actor,
    now: datetime,
    *,
    admissible: bool,
    reasons: str | None,
    recommendations: str | None,
) -> None:
    if not admissible and not (recommendations or "").strip():
        raise invalid(field_error("recommendations", "Indiquez les modifications recommandées au déposant.", "missing"))
    outcome = "admissible" if admissible else "inadmissible"
    move(
        uow,
        case,
        "admissibility",
        actor,
        now,
        outcome=outcome,
        reason=reasons,
        details={"recommendations": recommendations} if recommendations else None,
        editable=procedure.editable_items("admissible" if admissible else "inadmissible"),
        banner_extra=None if admissible else recommendations,
    )
    uow.emit(
        ev.CaseAdmissibilityDecided(
            **case_fields(case),
            admissible=admissible,
            reasons=reasons,
            recommendations=recommendations,
            decided_by=actor.id,  # type: ignore[arg-type]
        )
    )


# ---------------------------------------------------------------- instruction


def assign(uow: UnitOfWork, case: Case, actor: Actor, now: datetime, instructor_id: uuid.UUID) -> None:
    keep_due = case.due_date
    move(uow, case, "assign", actor, now, details={"instructor_id": str(instructor_id)}, editable=[])
    if case.status == "awaiting_complement":
        case.due_date = keep_due
    case.assignee_id = instructor_id
    uow.session.add(case)
    uow.emit(ev.CaseInstructorAssigned(**case_fields(case), instructor_id=instructor_id, assigned_by=actor.id))  # type: ignore[arg-type]


def check_assignee(case: Case, user: Principal) -> None:
    """An instructor acts on the cases assigned to them."""
    if "director" not in user.roles and case.assignee_id != user.account_id:
        raise ApiError(403, "Ce dossier n'est pas attribué à votre compte.", code="not_assignee")


def open_request(
    uow: UnitOfWork, case: Case, actor: Actor, now: datetime, *, items: list[ev.RequestItem], message: str, due_date: date
) -> InfoRequest:
    today = rules.local_today(now)
    errors = []
    if due_date <= today:
        errors.append(field_error("due_date", "La date limite doit être postérieure à aujourd'hui.", "past"))
    if not message.strip():
        errors.append(field_error("message", "Le message au déposant est obligatoire.", "missing"))
    if errors:
        raise invalid(*errors)
    procedure.transition("request", case.status, actor.roles)
    request = InfoRequest(
        filing_id=case.filing_id,
        items=[i.model_dump(mode="json") for i in items],
        message=message,
        due_date=due_date,
        opened_by=actor.id,  # type: ignore[arg-type]
        opened_at=now,
        reminders_sent=",".join(str(d) for d in sorted(rules.reminders_already_due(today, due_date))),
    )
    uow.session.add(request)
    uow.session.flush()
    requested = [i.doc_type for i in items if i.doc_type]
    move(
        uow,
        case,
        "request",
        actor,
        now,
        reason=message,
        details={"request_id": str(request.id), "due_date": due_date.isoformat()},
        editable=procedure.editable_items("awaiting_complement", requested=requested),
        due_date=due_date,
        banner_extra=f"{message} (date limite : {fr_date(due_date)})",
        open_request_id=request.id,
    )
    uow.emit(
        ev.RequestOpened(
            **case_fields(case),
            request_id=request.id,
            items=items,
            message=message,
            due_date=due_date,
            opened_by=actor.id,
            sequence=last_audit_seq(uow.session, case.filing_id),  # type: ignore[arg-type]
        )
    )
    return request


def abandon(uow: UnitOfWork, case: Case, actor: Actor, now: datetime, reason: str | None) -> None:
    procedure.transition("abandon", case.status, actor.roles)
    request = open_request_of(uow.session, case.filing_id)
    today = rules.local_today(now)
    if request is None or not (request.overdue or rules.is_overdue(today, request.due_date)):
        raise conflict(
            "L'abandon n'est possible qu'une fois la date limite d'une demande dépassée.",
            code="request_not_overdue",
            state=case.status,
        )
    why = (
        reason or ""
    ).strip() or f"Demande du {fr_date(rules.local_today(_utc(request.opened_at)))} restée sans réponse au {fr_date(request.due_date)}."
    _close_open_request(uow, case, now, "closed")
    move(uow, case, "abandon", actor, now, reason=why, details={"request_id": str(request.id)})
    uow.emit(ev.CaseAbandoned(**case_fields(case), decided_by=actor.id, reason=why))  # type: ignore[arg-type]


def withdraw_admissibility(uow: UnitOfWork, case: Case, actor: Actor, now: datetime, reason: str) -> None:
    if not reason.strip():
        raise invalid(field_error("reason", "Le motif du retrait est obligatoire.", "missing"))
    procedure.transition("withdraw_admissibility", case.status, actor.roles)
    _close_open_request(uow, case, now, "closed")
    move(uow, case, "withdraw_admissibility", actor, now, reason=reason)
    uow.emit(ev.CaseAdmissibilityWithdrawn(**case_fields(case), decided_by=actor.id, reason=reason))  # type: ignore[arg-type]


def mark_ready(uow: UnitOfWork, case: Case, actor: Actor, now: datetime) -> None:
    move(uow, case, "ready", actor, now)
    uow.emit(ev.CaseReadyForCommission(**case_fields(case), marked_by=actor.id))  # type: ignore[arg-type]


# ---------------------------------------------------------------- commission


def create_session(uow: UnitOfWork, actor: Actor, now: datetime, day: date) -> CommissionSession:
    today = rules.local_today(now)
    if day.month in rules.NO_SESSION_MONTHS:
        raise invalid(field_error("date", "La commission ne siège pas en août.", "no_session_in_august"))
    if day < today:
        raise invalid(field_error("date", "La date de séance ne peut pas être passée.", "past"))
    if uow.session.exec(select(CommissionSession).where(CommissionSession.date == day)).first():
        raise conflict("Une séance existe déjà à cette date.", code="session_exists")
    session = CommissionSession(date=day, created_by=actor.id, created_at=now)  # type: ignore[arg-type]
    uow.session.add(session)
    uow.session.flush()
    uow.emit(ev.SessionCreated(session_id=session.id, date=day, created_by=actor.id))  # type: ignore[arg-type]
    return session


def next_session(session: Session, today: date) -> CommissionSession | None:
    return session.exec(
        select(CommissionSession).where(CommissionSession.date > today).order_by(CommissionSession.date).limit(1)  # type: ignore[arg-type]
    ).first()


def schedule(uow: UnitOfWork, case: Case, actor: Actor, now: datetime, sess: CommissionSession) -> None:
    today = rules.local_today(now)
    procedure.transition("schedule", case.status, actor.roles)
    if sess.date < today:
        raise conflict("Cette séance est passée.", code="session_past", state=case.status)
    move(
        uow,
        case,
        "schedule",
        actor,
        now,
        details={"session_id": str(sess.id), "session_date": sess.date.isoformat()},
        banner_extra=f"Séance du {fr_date(sess.date)}.",
    )
    case.session_id = sess.id
    uow.session.add(case)
    uow.session.merge(AgendaItem(session_id=sess.id, filing_id=case.filing_id, added_by=actor.id, added_at=now))
    uow.emit(ev.CaseScheduled(**case_fields(case), session_id=sess.id, session_date=sess.date, scheduled_by=actor.id))


def validate_reasons(case: Case, reasons: list[ev.Reason], *, required: bool) -> None:
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


def give_opinion(
    uow: UnitOfWork,
    case: Case,
    actor: Actor,
    now: datetime,
    sess: CommissionSession,
    *,
    opinion: str,
    reasons: list[ev.Reason],
    resubmission_due: date | None,
) -> Opinion:
    today = rules.local_today(now)
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
        given_by=actor.id,
        given_at=now,  # type: ignore[arg-type]
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
        banner_extra=f"Date limite : {fr_date(resubmission_due)}." if resubmission_due else None,
    )
    uow.emit(
        ev.CaseOpinionGiven(
            **case_fields(case),
            session_id=sess.id,
            opinion=opinion,  # type: ignore[arg-type]
            reasons=reasons,
            resubmission_due=resubmission_due,
            given_by=actor.id,  # type: ignore[arg-type]
        )
    )
    return record


def latest_opinion(session: Session, filing_id: uuid.UUID) -> Opinion | None:
    return session.exec(
        select(Opinion).where(Opinion.filing_id == filing_id).order_by(Opinion.given_at.desc()).limit(1)  # type: ignore[attr-defined]
    ).first()


# ---------------------------------------------------------------- decision and registry


def sequence_name(repertoire: str) -> str:
    return f"registration_number_{repertoire}"


def next_number(session: Session, repertoire: str) -> int:
    """The next registration number of the repertoire: a PostgreSQL sequence, or a
    counter row updated in the transaction elsewhere."""
    if repertoire not in rules.NUMBER_FORMAT:
        raise ValueError(repertoire)
    bind = session.get_bind()
    if is_postgres(bind):  # type: ignore[arg-type]
        return int(session.execute(sa.text(f"SELECT nextval('{sequence_name(repertoire)}')")).scalar_one())
    table = NumberCounter.__table__  # type: ignore[attr-defined]
    updated = session.execute(
        table.update().where(table.c.repertoire == repertoire).values(value=table.c.value + 1).returning(table.c.value)
    ).scalar()
    if updated is None:
        session.execute(table.insert().values(repertoire=repertoire, value=1))
        return 1
    return int(updated)


def decide(uow: UnitOfWork, case: Case, actor: Actor, now: datetime, *, register: bool, motivation: str, years: int | None) -> Decision:
    if not motivation.strip():
        raise invalid(field_error("motivation", "La décision doit être motivée.", "missing"))
    if years is not None and not register:
        raise invalid(field_error("years", "Une durée ne se donne qu'avec un enregistrement.", "not_allowed"))
    years = rules.DEFAULT_REGISTRATION_YEARS if years is None else years
    if register and not 1 <= years <= rules.MAX_REGISTRATION_YEARS:
        raise invalid(field_error("years", f"La durée d'enregistrement va de 1 à {rules.MAX_REGISTRATION_YEARS} ans.", "range"))
    action = "register" if register else "refuse"
    procedure.transition(action, case.status, actor.roles)
    today = rules.local_today(now)
    opinion = latest_opinion(uow.session, case.filing_id)
    reasons = [ev.Reason(**r) for r in (opinion.reasons if opinion else [])]
    decision = Decision(
        filing_id=case.filing_id,
        kind="registered" if register else "refused",
        motivation=motivation,
        reasons=[r.model_dump() for r in reasons],
        decision_date=today,
        decided_by=actor.id,
        notified_at=now,  # type: ignore[arg-type]
    )
    if register:
        value = next_number(uow.session, case.repertoire)
        number = rules.format_number(case.repertoire, value)
        decision.years = years
        decision.registration_number = number
        decision.registration_start = today
        decision.registration_end = rules.registration_end(today, years)
        case.registration_number = number
        case.search = search_text(case.title, number, str(case.filing_id))
        snap = case.snapshot or {}
        record = RegistryRecord(
            number=number,
            repertoire=case.repertoire,
            sequence_value=value,
            filing_id=case.filing_id,
            title=case.title,
            search=search_text(case.title, number),
            qualification_level=case.qualification_level,
            is_cqp=case.is_cqp,
            entity_id=case.entity_id,
            summary=case.summary,
            decision_date=today,
            registration_start=today,
            registration_end=decision.registration_end,
            activities=snap.get("activities", []),
            competences=snap.get("competences", []),
            competence_blocks=snap.get("competence_blocks", []),
            assessment_methods=snap.get("assessment_methods", []),
            published_at=now,
        )
        certifiers.fill(uow.session, record)
        uow.session.add(record)
        details = {"registration_number": number, "years": years, "registration_end": decision.registration_end.isoformat()}
    else:
        decision.appeal_deadline = rules.appeal_deadline(today)
        decision.appeal_court = appeal_court()
        details = {"appeal_deadline": decision.appeal_deadline.isoformat(), "appeal_court": decision.appeal_court}
    uow.session.add(decision)
    extra = (
        f"Numéro d'enregistrement : {decision.registration_number}."
        if register
        else f"Recours contentieux possible devant le {decision.appeal_court} jusqu'au {fr_date(decision.appeal_deadline)}."  # type: ignore[arg-type]
    )
    move(uow, case, action, actor, now, reason=motivation, details=details, banner_extra=extra)
    if register:
        uow.emit(
            ev.CaseRegistered(
                **case_fields(case),
                registration_number=decision.registration_number,
                decision_date=today,  # type: ignore[arg-type]
                registration_start=today,
                registration_end=decision.registration_end,  # type: ignore[arg-type]
                motivation=motivation,
                decided_by=actor.id,  # type: ignore[arg-type]
            )
        )
    else:
        uow.emit(
            ev.CaseRefused(
                **case_fields(case),
                motivation=motivation,
                reasons=reasons,
                decision_date=today,
                notified_at=now,
                appeal_deadline=decision.appeal_deadline,
                appeal_court=decision.appeal_court,  # type: ignore[arg-type]
                decided_by=actor.id,  # type: ignore[arg-type]
            )
        )
    return decision


def acknowledge(uow: UnitOfWork, case: Case, actor: Actor, now: datetime) -> Decision:
    decision = uow.session.get(Decision, case.filing_id)
    if decision is None:
        raise conflict("Aucune décision n'a encore été notifiée.", code="no_decision", state=case.status)
    if decision.acknowledged_at is None:
        decision.acknowledged_at = now
        decision.acknowledged_by = actor.id
        uow.session.add(decision)
        append_audit(uow.session, case.filing_id, now, actor, "acknowledge", reason=None)
    return decision


# ---------------------------------------------------------------- dialogue


def post_message(
    uow: UnitOfWork, case: Case, user: Principal, now: datetime, *, body: str, subject: str | None, document_ids: list[uuid.UUID]
) -> Message:
    if not body.strip():
        raise invalid(field_error("body", "Le message est vide.", "missing"))
    side = "staff" if user.has_any(*STAFF_CASE_ROLES) else "depositor"
    role = sorted(set(user.roles) & set(STAFF_CASE_ROLES if side == "staff" else DEPOSITOR_ROLES))[0]
    message = Message(
        filing_id=case.filing_id,
        author_id=user.account_id,
        author_side=side,
        author_role=role,
        author_name=user.name or "",
        subject=(subject or "").strip() or None,
        body=body,
        document_ids=[str(d) for d in document_ids],
        posted_at=now,
    )
    uow.session.add(message)
    uow.session.flush()
    actor = Actor(user.account_id, frozenset(user.roles), role, user.name)
    append_audit(
        uow.session,
        case.filing_id,
        now,
        actor,
        "message",
        reason=message.subject,
        details={"message_id": str(message.id), "attachments": len(document_ids)},
    )
    uow.emit(
        ev.MessagePosted(
            **case_fields(case),
            message_id=message.id,
            author_id=user.account_id,
            author_side=side,  # type: ignore[arg-type]
            subject=message.subject,
            excerpt=body[:200],
            attachment_count=len(document_ids),
        )
    )
    return message


def details_of(entry: AuditEntry) -> dict[str, Any]:
    try:
        return json.loads(entry.details or "{}")
    except ValueError:
        return {}

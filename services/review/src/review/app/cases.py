"""Formal control and instruction: completeness, admissibility, assignment, requests for
documents or precisions, abandonment, withdrawal of admissibility, end of instruction.

Each command takes the case under its row lock, checks and moves it, and returns the case
as its page shows it."""

from __future__ import annotations

import uuid

from certreg_contracts import legal_dates
from certreg_contracts.calendar import paris_date
from certreg_contracts.events import review as ev
from certreg_contracts.types import DOC_TYPES
from certreg_runtime.auth import Principal
from certreg_runtime.errors import Forbidden, conflict, field_error, invalid
from review.adapters import audit_log, staff
from review.adapters.tables import Case, InfoRequest
from review.api.schemas import AbandonIn, AdmissibilityIn, AssignmentIn, CompletenessIn, ReasonIn, RequestIn, SuspensionIn
from review.app import queries
from review.app.deps import ReviewDeps
from review.app.queries import CaseDetail
from review.app.transitions import case_fields, close_open_request, load_case, move, open_request_of
from review.domain import procedure, rules
from review.domain.actor import Actor


def check_completeness(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID, body: CompletenessIn) -> CaseDetail:
    """The reviewer's completeness check: complete, or incomplete with what is missing (the
    depositor may then change those items) and an optional deadline."""
    now = deps.clock.now()
    with deps.uow() as uow:
        case = load_case(uow, filing_id)
        errors = []
        if body.complete and body.missing:
            errors.append(field_error("missing", "Une demande complète ne peut pas lister d'éléments manquants.", "not_empty"))
        if not body.complete:
            if not body.missing:
                errors.append(field_error("missing", "Indiquez au moins un élément manquant.", "missing"))
            unknown = [m for m in body.missing if m not in procedure.EVERYTHING]
            if unknown:
                errors.append(field_error("missing", f"Éléments inconnus : {', '.join(unknown)}.", "unknown_item"))
            if not body.message.strip():
                errors.append(field_error("message", "Le message au déposant est obligatoire.", "missing"))
        if body.due_date is not None and body.due_date <= paris_date(now):
            errors.append(field_error("due_date", "La date limite doit être postérieure à aujourd'hui.", "past"))
        if errors:
            raise invalid(*errors)
        actor = Actor.of(user, "completeness")
        outcome = "complete" if body.complete else "incomplete"
        procedure.transition("completeness", case.status, actor.roles, outcome, track=case.registration_type)
        missing = list(dict.fromkeys(body.missing))
        # a deadline on a Saturday, a Sunday or a public holiday moves to the next working day
        deadline = None if body.complete or body.due_date is None else legal_dates.deadline_on(body.due_date, kind="completeness")
        due_date = deadline.day if deadline else None
        due_explanation = deadline.explanation if deadline else None
        case.missing = missing or None
        move(
            uow,
            case,
            "completeness",
            actor,
            now,
            outcome=outcome,
            reason=body.message or None,
            details={"missing": missing},
            editable=procedure.editable_items(case.status if body.complete else "incomplete", missing=missing),
            due_date=due_date,
            due_explanation=due_explanation,
            banner_extra=None if body.complete else body.message,
        )
        if due_date is not None:
            # the deadline behaves like a request's: reminders, overdue, abandonment after it
            today = paris_date(now)
            uow.session.add(
                InfoRequest(
                    filing_id=case.filing_id,
                    kind="completeness",
                    items=[{"doc_type": m} if m in DOC_TYPES else {"question": f"Compléter : {m}"} for m in missing],
                    message=body.message,
                    due_date=due_date,
                    due_explanation=due_explanation,
                    opened_by=actor.account_id,
                    opened_at=now,
                    reminders_sent=",".join(str(d) for d in sorted(rules.reminders_already_due(today, due_date))),
                )
            )
        uow.emit(
            ev.CaseCompletenessChecked(
                **case_fields(case),
                complete=body.complete,
                missing=missing,
                message=body.message,
                due_date=due_date,
                checked_by=actor.account_id,
                registration_type=procedure.track_of(case.registration_type),
            )
        )
        uow.commit()
        return queries.case_detail(uow.session, case)


def decide_admissibility(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID, body: AdmissibilityIn) -> CaseDetail:
    """Admissible (on to instruction) or inadmissible with the recommended changes (the
    depositor may change everything and submit again)."""
    now = deps.clock.now()
    with deps.uow() as uow:
        case = load_case(uow, filing_id)
        if not body.admissible and not (body.recommendations or "").strip():
            raise invalid(field_error("recommendations", "Indiquez les modifications recommandées au déposant.", "missing"))
        actor = Actor.of(user, "admissibility")
        move(
            uow,
            case,
            "admissibility",
            actor,
            now,
            outcome="admissible" if body.admissible else "inadmissible",
            reason=body.reasons,
            details={"recommendations": body.recommendations} if body.recommendations else None,
            editable=procedure.editable_items("admissible" if body.admissible else "inadmissible"),
            banner_extra=None if body.admissible else body.recommendations,
        )
        uow.emit(
            ev.CaseAdmissibilityDecided(
                **case_fields(case),
                admissible=body.admissible,
                reasons=body.reasons,
                recommendations=body.recommendations,
                decided_by=actor.account_id,
            )
        )
        uow.commit()
        return queries.case_detail(uow.session, case)


def assign_instructor(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID, body: AssignmentIn) -> CaseDetail:
    """Give the case to an instructor (or to another one, keeping a pending request's deadline)."""
    now = deps.clock.now()
    with deps.uow() as uow:
        case = load_case(uow, filing_id)
        actor = Actor.of(user, "assign")
        if not staff.is_active_instructor(uow.session, body.instructor_id):
            raise invalid(
                field_error(
                    "instructor_id",
                    "Ce compte n'est pas celui d'un instructeur actif : choisissez un instructeur dans la liste des agents.",
                    "not_an_instructor",
                )
            )
        keep_due, keep_why = case.due_date, case.due_explanation
        move(uow, case, "assign", actor, now, details={"instructor_id": str(body.instructor_id)}, editable=[])
        if case.status == "awaiting_complement":
            case.due_date, case.due_explanation = keep_due, keep_why
        case.assignee_id = body.instructor_id
        uow.session.add(case)
        uow.emit(ev.CaseInstructorAssigned(**case_fields(case), instructor_id=body.instructor_id, assigned_by=actor.account_id))
        uow.commit()
        return queries.case_detail(uow.session, case)


def check_assignee(case: Case, user: Principal) -> None:
    """An instructor acts on the cases assigned to them."""
    if "director" not in user.roles and case.assignee_id != user.account_id:
        raise Forbidden("Ce dossier n'est pas attribué à votre compte.", code="not_assignee")


def open_request(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID, body: RequestIn) -> InfoRequest:
    """The instructor asks for documents or precisions before a deadline; the depositor may
    then change the requested pieces and answer."""
    now = deps.clock.now()
    today = paris_date(now)
    with deps.uow() as uow:
        case = load_case(uow, filing_id)
        check_assignee(case, user)
        errors = []
        if body.due_date <= today:
            errors.append(field_error("due_date", "La date limite doit être postérieure à aujourd'hui.", "past"))
        if not body.message.strip():
            errors.append(field_error("message", "Le message au déposant est obligatoire.", "missing"))
        if errors:
            raise invalid(*errors)
        actor = Actor.of(user, "request")
        procedure.transition("request", case.status, actor.roles, track=case.registration_type)
        # a deadline on a Saturday, a Sunday or a public holiday moves to the next working day
        deadline = legal_dates.deadline_on(body.due_date, kind="request")
        due_date = deadline.day
        request = InfoRequest(
            filing_id=case.filing_id,
            items=[i.model_dump(mode="json") for i in body.items],
            message=body.message,
            due_date=due_date,
            due_explanation=deadline.explanation,
            opened_by=actor.account_id,
            opened_at=now,
            reminders_sent=",".join(str(d) for d in sorted(rules.reminders_already_due(today, due_date))),
        )
        uow.session.add(request)
        uow.session.flush()
        requested: list[str] = [i.doc_type for i in body.items if i.doc_type]
        move(
            uow,
            case,
            "request",
            actor,
            now,
            reason=body.message,
            details={"request_id": str(request.id), "due_date": due_date.isoformat()},
            editable=procedure.editable_items("awaiting_complement", requested=requested),
            due_date=due_date,
            due_explanation=deadline.explanation,
            banner_extra=f"{body.message} (date limite : {rules.fr_date(due_date)})",
            opened_request=request,
        )
        uow.emit(
            ev.RequestOpened(
                **case_fields(case),
                request_id=request.id,
                items=body.items,
                message=body.message,
                due_date=due_date,
                due_explanation=deadline.explanation,
                opened_by=actor.account_id,
                sequence=audit_log.last_seq(uow.session, case.filing_id),
            )
        )
        uow.commit()
        return request


def abandon(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID, body: AbandonIn | None) -> CaseDetail:
    """The director declares the case abandoned, once the deadline of a request or of an
    incomplete dossier has passed."""
    now = deps.clock.now()
    with deps.uow() as uow:
        case = load_case(uow, filing_id)
        actor = Actor.of(user, "abandon")
        procedure.transition("abandon", case.status, actor.roles, track=case.registration_type)
        request = open_request_of(uow.session, case.filing_id)
        if request is None or not (request.overdue or rules.is_overdue(paris_date(now), request.due_date)):
            raise conflict(
                "L'abandon n'est possible qu'une fois la date limite d'une demande dépassée.",
                code="request_not_overdue",
                state=case.status,
            )
        why = (body.reason if body else None) or ""
        why = why.strip() or (
            f"Dossier incomplet, non complété au {rules.fr_date(request.due_date)}."
            if request.kind == "completeness"
            else f"Demande du {rules.fr_date(paris_date(request.opened_at))} restée sans réponse au {rules.fr_date(request.due_date)}."
        )
        close_open_request(uow, case, now, "closed")
        move(uow, case, "abandon", actor, now, reason=why, details={"request_id": str(request.id)})
        uow.emit(ev.CaseAbandoned(**case_fields(case), decided_by=actor.account_id, reason=why))
        uow.commit()
        return queries.case_detail(uow.session, case)


def withdraw_admissibility(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID, body: ReasonIn) -> CaseDetail:
    """The director withdraws a case's admissibility (falsified data), at any time before the decision."""
    now = deps.clock.now()
    with deps.uow() as uow:
        case = load_case(uow, filing_id)
        if not body.reason.strip():
            raise invalid(field_error("reason", "Le motif du retrait est obligatoire.", "missing"))
        actor = Actor.of(user, "withdraw_admissibility")
        procedure.transition("withdraw_admissibility", case.status, actor.roles, track=case.registration_type)
        close_open_request(uow, case, now, "closed")
        move(uow, case, "withdraw_admissibility", actor, now, reason=body.reason)
        uow.emit(ev.CaseAdmissibilityWithdrawn(**case_fields(case), decided_by=actor.account_id, reason=body.reason))
        uow.commit()
        return queries.case_detail(uow.session, case)


def mark_ready(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID) -> CaseDetail:
    """The instructor has finished: the case waits for a commission session."""
    now = deps.clock.now()
    with deps.uow() as uow:
        case = load_case(uow, filing_id)
        check_assignee(case, user)
        actor = Actor.of(user, "ready")
        move(uow, case, "ready", actor, now)
        uow.emit(ev.CaseReadyForCommission(**case_fields(case), marked_by=actor.account_id))
        uow.commit()
        return queries.case_detail(uow.session, case)


# Sanctions of article 5 of the arrêté du 4 janvier 2019 (NOR MTRD1835660A; DESIGN.md, step 2).
SANCTION_GROUND = "article 5 de l'arrêté du 4 janvier 2019 fixant les informations permettant l'enregistrement d'une certification"


def suspend(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID, body: SuspensionIn) -> CaseDetail:
    """Erroneous or incomplete information: the request is suspended; the depositor is told
    why and what to send (those items become editable); their next submission resumes it
    in the state it had."""
    now = deps.clock.now()
    with deps.uow() as uow:
        case = load_case(uow, filing_id)
        errors = []
        unknown = [m for m in body.missing if m not in procedure.EVERYTHING]
        if unknown:
            errors.append(field_error("missing", f"Éléments inconnus : {', '.join(unknown)}.", "unknown_item"))
        if not body.message.strip():
            errors.append(field_error("message", "Indiquez au déposant ce qui est erroné ou incomplet.", "missing"))
        if errors:
            raise invalid(*errors)
        actor = Actor.of(user, "suspend")
        previous = case.status
        missing = list(dict.fromkeys(body.missing))
        move(
            uow,
            case,
            "suspend",
            actor,
            now,
            reason=body.message,
            details={"missing": missing, "ground": SANCTION_GROUND},
            editable=procedure.editable_items("suspended", requested=missing),
            banner_extra=body.message,
        )
        case.suspended_from, case.missing = previous, missing
        uow.session.add(case)
        uow.commit()
        return queries.case_detail(uow.session, case)


def declare_inadmissible(deps: ReviewDeps, user: Principal, filing_id: uuid.UUID, body: ReasonIn) -> CaseDetail:
    """A false declaration: the request is inadmissible by right, for good (no resubmission);
    the depositor is told with the legal ground."""
    now = deps.clock.now()
    with deps.uow() as uow:
        case = load_case(uow, filing_id)
        if not body.reason.strip():
            raise invalid(field_error("reason", "Indiquez la fausse déclaration constatée.", "missing"))
        actor = Actor.of(user, "declare_inadmissible")
        close_open_request(uow, case, now, "closed")
        move(
            uow,
            case,
            "declare_inadmissible",
            actor,
            now,
            reason=body.reason,
            details={"ground": SANCTION_GROUND},
            banner_extra=f"Motif : {body.reason.strip()}",
        )
        case.suspended_from = None
        uow.session.add(case)
        uow.commit()
        return queries.case_detail(uow.session, case)

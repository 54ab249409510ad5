"""What review does when filings (the dossiers) or entities (the certifiers' names and
SIRETs) tell it something. Registered for exactly ``CONSUMERS["review"]``.

Review owns the procedure's state: what the depositor does in filings that would change
it (a withdrawal, an answer, an improved dossier) reaches review as a request, and review
arbitrates under the case's row lock, against what its staff may have decided meanwhile.
A request that no longer fits the case is refused with an event
(``review.case.withdrawal_refused``, ``review.case.submission_refused``) that filings
shows and the notifier tells the depositor: never parked, never silently dropped. A
stale round (a redelivery) is only logged."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from certreg_contracts.events import entities as ee
from certreg_contracts.events import filings as fe
from certreg_contracts.events import identity as idn
from certreg_contracts.events import review as ev
from certreg_runtime.handlers import Handlers
from certreg_runtime.messaging import UnitOfWork
from review.adapters import audit_log, certifiers, staff
from review.adapters.tables import Case, EarlyWithdrawal
from review.app.deps import ReviewDeps
from review.app.transitions import banner, case_fields, close_open_request, get_case, move
from review.domain import procedure
from review.domain.actor import Actor
from review.domain.audit import parse_details

log = logging.getLogger(__name__)

handlers = Handlers[ReviewDeps]("review")

# The states a new submission round answers: a request, an incomplete or inadmissible
# filing, an adjourned dossier.
RESUBMITTABLE = ("awaiting_complement", "incomplete", "inadmissible", "adjourned", "suspended")


def _snapshot(event: fe.FilingSubmitted) -> dict[str, Any]:
    return {
        "activities": list(event.activities),
        "competences": list(event.competences),
        "competence_blocks": [b.model_dump(mode="json") for b in event.competence_blocks],
        "assessment_methods": list(event.assessment_methods),
        "documents": [d.model_dump(mode="json") for d in event.documents],
        "fiche": event.fiche.model_dump(mode="json"),
        # What the registry's NSF and ROME filters index at publication.
        "nsf_codes": list(event.fiche.nsf_codes),
        "rome_codes": list(event.fiche.rome_codes),
        # A renewal: how the certifier followed the former registration's recommendations.
        "recommendations_follow_up": event.recommendations_follow_up,
    }


def _choose_path(case: Case, event: fe.FilingSubmitted) -> None:
    """The case's path (on request, or by right: no commission), from the fiche. Chosen when the
    case opens, and again only when it starts over from ``received`` (a resubmission after an
    incomplete or inadmissible round): a round answering a request, an adjournment or a
    suspension continues the path the case is on."""
    case.registration_type = event.fiche.registration_type
    case.by_right_basis = event.fiche.by_right_basis if event.fiche.registration_type == "by_right" else None


def _apply_filing(session: Session, case: Case, event: fe.FilingSubmitted) -> None:
    case.title = event.title
    case.repertoire = event.repertoire
    case.qualification_level = event.qualification_level
    case.is_cqp = event.is_cqp
    case.cqp_filed_by = event.cqp_filed_by
    case.rests_on_standards = event.rests_on_standards
    case.summary = event.summary
    case.renews = event.renews
    # Every piece ever submitted with the filing: what a message may point to.
    before = case.snapshot or {}
    known = set(before.get("known_documents", [])) | {str(d.get("document_id")) for d in before.get("documents", [])}
    case.snapshot = {**_snapshot(event), "known_documents": sorted(known | {str(d.document_id) for d in event.documents})}
    case.submission_round = event.submission_round
    case.submitted_by = event.submitted_by
    case.reference = event.reference or case.reference
    case.search = certifiers.search_of(session, case)


@handlers.on(fe.FilingSubmitted)
def filing_submitted(deps: ReviewDeps, uow: UnitOfWork, event: fe.FilingSubmitted) -> None:
    """A first submission opens the case; a later round answers what the case waits for."""
    now = deps.clock.now()
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
        _choose_path(case, event)
        _apply_filing(session, case, event)
        session.add(case)
        session.flush()
        entry = audit_log.append(
            session, case.filing_id, now, depositor, "open", to_state="received", details={"submission_round": event.submission_round}
        )
        uow.emit(ev.CaseOpened(**case_fields(case), submitted_at=event.submitted_at))
        uow.emit(
            ev.CaseStatusChanged(
                **case_fields(case),
                status="received",
                previous_status=None,
                editable_items=[],
                banner=banner("received", track=case.registration_type),
                changed_by=event.submitted_by,
                sequence=entry.seq,
            )
        )
        early = session.get(EarlyWithdrawal, event.filing_id)
        if early is not None:
            asked = early.requested_at if early.requested_at.tzinfo else early.requested_at.replace(tzinfo=UTC)  # SQLite: naive
            _withdraw(uow, case, now, early.requested_by, asked, early.reason)
            session.delete(early)
        return
    if event.submission_round <= case.submission_round:
        log.warning("stale submission ignored", extra={"filing_id": str(case.filing_id), "round": event.submission_round})
        return
    state = case.status
    if state not in RESUBMITTABLE:
        _refuse_submission(uow, case, now, event)
        return
    _apply_filing(session, case, event)
    details = {"submission_round": event.submission_round}
    if state == "awaiting_complement":
        request = close_open_request(uow, case, now, "answered")
        move(uow, case, "answer", depositor, now, details={**details, "request_id": str(request.id) if request else None})
        if request is not None:
            uow.emit(ev.RequestAnswered(**case_fields(case), request_id=request.id, opened_by=request.opened_by))
    elif state == "adjourned":
        move(uow, case, "improve", depositor, now, details=details)
    elif state == "suspended":  # the answer to a suspension: the examination resumes where it stood
        back = case.suspended_from or "received"
        case.suspended_from = None
        case.missing = None
        move(uow, case, "resume", depositor, now, outcome=back, details=details)
    else:
        case.missing = None
        if state == "incomplete":  # the completeness deadline is met
            close_open_request(uow, case, now, "answered")
        move(uow, case, "resubmit", depositor, now, details=details)
        _choose_path(case, event)  # back to ``received``: the path may change with the fiche


# Why a round came too late, by the state the case had reached (for the depositor).
_TOO_LATE = {
    "abandoned": "la demande avait déjà été déclarée abandonnée, faute de réponse dans le délai",
    "ready_for_commission": "le délai de dépôt d'un dossier amélioré était passé : le dossier a été présenté de nouveau "
    "à la commission en l'état",
    "scheduled": "le dossier était déjà inscrit à l'ordre du jour d'une commission",
    "admissibility_withdrawn": "la recevabilité de la demande avait été retirée",
    "awaiting_publication": "l'enregistrement de la certification avait déjà été décidé",
    "registered": "la certification avait déjà été enregistrée",
    "refused": "l'enregistrement avait déjà été refusé",
}


def _too_late(state: str) -> str:
    return _TOO_LATE.get(state, f"le dossier était à l'état « {procedure.STATE_LABELS.get(state, state)} »")


def _refused_already(uow: UnitOfWork, case: Case, submission_round: int) -> bool:
    return any(
        e.action == "submission_refused" and parse_details(e.details).get("submission_round") == submission_round
        for e in audit_log.timeline(uow.session, case.filing_id)
    )


def _refuse_submission(uow: UnitOfWork, case: Case, now: datetime, event: fe.FilingSubmitted) -> None:
    """A round the case no longer awaits: recorded in the audit chain and refused, so
    that filings and the depositor know it was not taken into account. After the
    depositor's own withdrawal there is nothing to tell."""
    log.warning("submission refused in state %s", case.status, extra={"filing_id": str(case.filing_id)})
    if case.status == "withdrawn" or _refused_already(uow, case, event.submission_round):
        return
    audit_log.append(
        uow.session,
        case.filing_id,
        now,
        Actor.depositor(event.submitted_by),
        "submission_refused",
        from_state=case.status,
        to_state=case.status,
        details={"submission_round": event.submission_round, "accepted_round": case.submission_round},
    )
    uow.emit(
        ev.CaseSubmissionRefused(
            **case_fields(case),
            status=procedure.case_status(case.status),
            submission_round=event.submission_round,
            accepted_round=case.submission_round,
            submitted_by=event.submitted_by,
            explanation=f"Votre dépôt n'a pas été pris en compte : {_too_late(case.status)}.",
        )
    )


def _withdraw(uow: UnitOfWork, case: Case, now: datetime, requested_by: uuid.UUID, requested_at: datetime, reason: str | None) -> None:
    """The case ends as withdrawn (the open request, if any, is closed)."""
    close_open_request(uow, case, now, "closed")
    move(uow, case, "withdraw", Actor.depositor(requested_by), now, reason=reason)
    uow.emit(ev.CaseWithdrawn(**case_fields(case), withdrawn_by=requested_by, requested_at=requested_at, reason=reason))


@handlers.on(fe.FilingWithdrawalRequested)
def withdrawal_requested(deps: ReviewDeps, uow: UnitOfWork, event: fe.FilingWithdrawalRequested) -> None:
    """The depositor asks to withdraw: granted if no decision ended the case first,
    refused otherwise; either way filings and the depositor are told."""
    now = deps.clock.now()
    case = get_case(uow.session, event.filing_id, lock=True)
    if case is None:
        # Before the submission that opens the case (reordered delivery): kept for it.
        if uow.session.get(EarlyWithdrawal, event.filing_id) is None:
            uow.session.add(
                EarlyWithdrawal(
                    filing_id=event.filing_id,
                    requested_by=event.requested_by,
                    requested_at=event.requested_at,
                    reason=event.reason,
                    received_at=now,
                )
            )
        return
    if case.status == "withdrawn":
        return  # already granted (a redelivery after the inbox was purged)
    if case.status in procedure.BEFORE_DECISION:
        _withdraw(uow, case, now, event.requested_by, event.requested_at, event.reason)
        return
    log.warning("withdrawal refused in state %s", case.status, extra={"filing_id": str(case.filing_id)})
    audit_log.append(
        uow.session,
        case.filing_id,
        now,
        Actor.depositor(event.requested_by),
        "withdrawal_refused",
        from_state=case.status,
        to_state=case.status,
        reason=event.reason,
    )
    uow.emit(
        ev.CaseWithdrawalRefused(
            **case_fields(case),
            status=procedure.case_status(case.status),
            requested_by=event.requested_by,
            requested_at=event.requested_at,
            explanation=f"Votre demande de retrait n'a pas pu être prise en compte : {_too_late(case.status)}.",
        )
    )


@handlers.on(idn.StaffChanged)
def staff_changed(deps: ReviewDeps, uow: UnitOfWork, event: idn.StaffChanged) -> None:
    """Whom a case may be assigned to (``review.adapters.staff``)."""
    staff.learn(uow.session, event)


@handlers.on(ee.EntityVerified)
def entity_verified(deps: ReviewDeps, uow: UnitOfWork, event: ee.EntityVerified) -> None:
    """The certifier's name and SIRET, for its published records."""
    certifiers.remember(uow.session, event.entity_id, event.denomination, event.siret, deps.clock.now())


@handlers.on(ee.EntityCorrected)
def entity_corrected(deps: ReviewDeps, uow: UnitOfWork, event: ee.EntityCorrected) -> None:
    """The SI administrator corrected the certifier's details: its name everywhere review shows it."""
    certifiers.remember(uow.session, event.entity_id, event.denomination, event.siret, deps.clock.now())

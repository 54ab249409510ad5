"""What review does when filings (the dossiers) or entities (the certifiers' names and
SIRETs) tell it something. Registered for exactly ``CONSUMERS["review"]``.

A submission or withdrawal that no longer fits the case (stale round, a state that does
not take it) is logged and ignored: it is news the case has moved past, not a poison
message to park."""

from __future__ import annotations

import logging
from typing import Any

from certreg_contracts.events import entities as ee
from certreg_contracts.events import filings as fe
from certreg_contracts.events import identity as idn
from certreg_contracts.events import review as ev
from certreg_runtime.handlers import Handlers
from certreg_runtime.messaging import UnitOfWork
from review.adapters import audit_log, certifiers, staff
from review.adapters.tables import Case, search_text
from review.app.deps import ReviewDeps
from review.app.transitions import banner, case_fields, close_open_request, get_case, move
from review.domain import procedure
from review.domain.actor import Actor

log = logging.getLogger(__name__)

handlers = Handlers[ReviewDeps]("review")

# The states a new submission round answers: a request, an incomplete or inadmissible
# filing, an adjourned dossier.
RESUBMITTABLE = ("awaiting_complement", "incomplete", "inadmissible", "adjourned")


def _snapshot(event: fe.FilingSubmitted) -> dict[str, Any]:
    return {
        "activities": list(event.activities),
        "competences": list(event.competences),
        "competence_blocks": [b.model_dump(mode="json") for b in event.competence_blocks],
        "assessment_methods": list(event.assessment_methods),
        "documents": [d.model_dump(mode="json") for d in event.documents],
    }


def _apply_filing(case: Case, event: fe.FilingSubmitted) -> None:
    case.title = event.title
    case.repertoire = event.repertoire
    case.qualification_level = event.qualification_level
    case.is_cqp = event.is_cqp
    case.cqp_filed_by = event.cqp_filed_by
    case.rests_on_standards = event.rests_on_standards
    case.summary = event.summary
    # Every piece ever submitted with the filing: what a message may point to.
    before = case.snapshot or {}
    known = set(before.get("known_documents", [])) | {str(d.get("document_id")) for d in before.get("documents", [])}
    case.snapshot = {**_snapshot(event), "known_documents": sorted(known | {str(d.document_id) for d in event.documents})}
    case.submission_round = event.submission_round
    case.submitted_by = event.submitted_by
    case.search = search_text(event.title, case.registration_number, str(event.filing_id))


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
        _apply_filing(case, event)
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
                banner=banner("received"),
                changed_by=event.submitted_by,
                sequence=entry.seq,
            )
        )
        return
    if event.submission_round <= case.submission_round:
        log.warning("stale submission ignored", extra={"filing_id": str(case.filing_id), "round": event.submission_round})
        return
    state = case.status
    if state not in RESUBMITTABLE:
        log.warning("submission ignored in state %s", state, extra={"filing_id": str(case.filing_id)})
        return
    _apply_filing(case, event)
    details = {"submission_round": event.submission_round}
    if state == "awaiting_complement":
        request = close_open_request(uow, case, now, "answered")
        move(uow, case, "answer", depositor, now, details={**details, "request_id": str(request.id) if request else None})
        if request is not None:
            uow.emit(ev.RequestAnswered(**case_fields(case), request_id=request.id, opened_by=request.opened_by))
    elif state == "adjourned":
        move(uow, case, "improve", depositor, now, details=details)
    else:
        case.missing = None
        move(uow, case, "resubmit", depositor, now, details=details)


@handlers.on(fe.FilingWithdrawn)
def filing_withdrawn(deps: ReviewDeps, uow: UnitOfWork, event: fe.FilingWithdrawn) -> None:
    """The depositor withdrew the request: the case ends, if no decision came first."""
    case = get_case(uow.session, event.filing_id, lock=True)
    if case is None:
        return  # a draft never submitted: no case
    if case.status not in procedure.BEFORE_DECISION:
        log.warning("withdrawal ignored in state %s", case.status, extra={"filing_id": str(case.filing_id)})
        return
    now = deps.clock.now()
    close_open_request(uow, case, now, "closed")
    move(uow, case, "withdraw", Actor.depositor(event.withdrawn_by), now, reason=event.reason)


@handlers.on(idn.StaffChanged)
def staff_changed(deps: ReviewDeps, uow: UnitOfWork, event: idn.StaffChanged) -> None:
    """Whom a case may be assigned to (``review.adapters.staff``)."""
    staff.learn(uow.session, event)


@handlers.on(ee.EntityVerified)
def entity_verified(deps: ReviewDeps, uow: UnitOfWork, event: ee.EntityVerified) -> None:
    """The certifier's name and SIRET, for its published records."""
    certifiers.remember(uow.session, event.entity_id, event.denomination, event.siret, deps.clock.now())

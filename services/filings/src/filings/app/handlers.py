"""What filings does with review's events (bound to exactly ``CONSUMERS["filings"]``).

Each handler runs in one transaction with the inbox record: a redelivered event does
nothing."""

from __future__ import annotations

from sqlmodel import select

from certreg_contracts.events.review import CaseRegistered, CaseStatusChanged, CaseSubmissionRefused, CaseWithdrawalRefused, RequestOpened
from certreg_runtime.errors import not_found
from certreg_runtime.handlers import Handlers
from certreg_runtime.messaging import UnitOfWork
from certreg_runtime.service import Deps
from filings.adapters.tables import Filing, RegisteredNumber
from filings.domain.status import SUBMITTED, WITHDRAWAL_REQUESTED, WITHDRAWN, is_final

handlers = Handlers[Deps]("filings")


def _filing(
    uow: UnitOfWork, event: CaseStatusChanged | RequestOpened | CaseWithdrawalRefused | CaseSubmissionRefused | CaseRegistered
) -> Filing:
    filing = uow.session.exec(select(Filing).where(Filing.id == event.filing_id).with_for_update()).first()
    if filing is None:
        raise not_found(f"unknown filing {event.filing_id}")
    return filing


@handlers.on(CaseStatusChanged)
def case_status_changed(deps: Deps, uow: UnitOfWork, event: CaseStatusChanged) -> None:
    filing = _filing(uow, event)
    if event.sequence and event.sequence <= filing.case_status_sequence:
        return  # an older status delivered late: the newer one is already shown
    filing.case_status_sequence = max(filing.case_status_sequence, event.sequence)
    filing.case_status = event.status
    filing.banner = event.banner
    filing.due_date = event.due_date
    filing.due_explanation = event.due_explanation if event.due_date else None
    filing.open_request_id = event.open_request_id
    if event.open_request_id is None:
        filing.open_request = None
    elif not filing.open_request or filing.open_request.get("request_id") != str(event.open_request_id):
        # The request comes whole with the status that opens it, whichever of this event and
        # review.request.opened arrives first (a depositor never sees a request without its
        # items, nor answers one). An event from before request_items: its items come with
        # review.request.opened.
        filing.open_request = {
            "request_id": str(event.open_request_id),
            "items": [item.model_dump(mode="json") for item in event.request_items],
            "message": event.request_message or event.banner,
            "due_date": event.due_date.isoformat() if event.due_date else None,
            "due_explanation": event.due_explanation,
            "opened_at": uow.cause.occurred_at.isoformat() if uow.cause and event.request_items else None,
        }
    if event.status == "withdrawn" and filing.status != WITHDRAWN:
        filing.status = WITHDRAWN
        filing.withdrawn_at = filing.withdrawn_at or deps.clock.now()
    elif filing.status == WITHDRAWAL_REQUESTED and is_final(filing.status, filing.case_status):
        # Review decided first: it will refuse the withdrawal (review.case.withdrawal_refused).
        filing.status = SUBMITTED
    # Only what review reopens becomes editable; a closed case reopens nothing.
    filing.editable_items = [] if is_final(filing.status, filing.case_status) else list(dict.fromkeys(event.editable_items))
    filing.updated_at = deps.clock.now()
    uow.session.add(filing)


@handlers.on(RequestOpened)
def request_opened(deps: Deps, uow: UnitOfWork, event: RequestOpened) -> None:
    filing = _filing(uow, event)
    if event.sequence and event.sequence < filing.case_status_sequence:
        return  # delivered after a newer status (the request may already be answered)
    filing.open_request_id = event.request_id
    filing.open_request = {
        "request_id": str(event.request_id),
        "items": [item.model_dump(mode="json") for item in event.items],
        "message": event.message,
        "due_date": event.due_date.isoformat(),
        "due_explanation": event.due_explanation,
        "opened_at": uow.cause.occurred_at.isoformat() if uow.cause else None,
    }
    filing.due_date = event.due_date
    filing.due_explanation = event.due_explanation
    filing.updated_at = deps.clock.now()
    uow.session.add(filing)


@handlers.on(CaseWithdrawalRefused)
def withdrawal_refused(deps: Deps, uow: UnitOfWork, event: CaseWithdrawalRefused) -> None:
    """Review had decided before the withdrawal reached it: the filing is submitted again
    (its final case status comes, or came, with ``review.case.status_changed``)."""
    filing = _filing(uow, event)
    if filing.status != WITHDRAWAL_REQUESTED:
        return
    filing.status = SUBMITTED
    filing.banner = event.explanation
    filing.updated_at = deps.clock.now()
    uow.session.add(filing)


@handlers.on(CaseSubmissionRefused)
def submission_refused(deps: Deps, uow: UnitOfWork, event: CaseSubmissionRefused) -> None:
    """Review did not take a round into account (the case had moved on): the filing says
    so until review's next status."""
    filing = _filing(uow, event)
    if filing.status == WITHDRAWN or filing.submission_round != event.submission_round:
        return
    filing.banner = event.explanation
    filing.updated_at = deps.clock.now()
    uow.session.add(filing)


@handlers.on(CaseRegistered)
def case_registered(deps: Deps, uow: UnitOfWork, event: CaseRegistered) -> None:
    """The number joins those a fiche may name (former certification, equivalence); the
    registered filing keeps its number and period, what its renewal is checked against
    (when it may be filed) and names."""
    if uow.session.get(RegisteredNumber, event.registration_number) is None:
        uow.session.add(
            RegisteredNumber(
                number=event.registration_number, repertoire=event.repertoire, filing_id=event.filing_id, registered_at=deps.clock.now()
            )
        )
    filing = uow.session.exec(select(Filing).where(Filing.id == event.filing_id).with_for_update()).first()
    if filing is not None:
        filing.registration_number = event.registration_number
        filing.registration_start = event.registration_start
        filing.registration_end = event.registration_end
        filing.updated_at = deps.clock.now()
        uow.session.add(filing)

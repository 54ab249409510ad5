"""Moving a case through the procedure: load it under its row lock, make a transition
(state, audit entry and ``review.case.status_changed`` in one unit of work)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from certreg_contracts.events import review as ev
from certreg_contracts.types import PUBLIC_ROLES
from certreg_runtime.auth import Principal
from certreg_runtime.errors import forbidden, not_found
from certreg_runtime.messaging import UnitOfWork
from review.adapters import audit_log
from review.adapters.tables import Case, InfoRequest
from review.domain import procedure
from review.domain.actor import CASE_STAFF_ROLES, Actor, may_see_case


def get_case(session: Session, filing_id: uuid.UUID, *, lock: bool = False) -> Case | None:
    query = select(Case).where(Case.filing_id == filing_id)
    if lock:
        query = query.with_for_update()
    return session.exec(query).first()


def load_case(uow: UnitOfWork, filing_id: uuid.UUID, *, lock: bool = True) -> Case:
    """The case, held under its row lock until commit (404 when unknown)."""
    case = get_case(uow.session, filing_id, lock=lock)
    if case is None:
        raise not_found("case")
    return case


def visible_case(uow: UnitOfWork, user: Principal, filing_id: uuid.UUID, *, lock: bool = False) -> Case:
    """The case if ``user`` may see it: case staff, or the depositor's entity (404 for
    another entity's case, never saying it exists)."""
    if not user.has_any(*CASE_STAFF_ROLES, *PUBLIC_ROLES):
        raise forbidden("Accès réservé aux agents de France compétences et au déposant.")
    case = get_case(uow.session, filing_id, lock=lock)
    if case is None or not may_see_case(user, case.entity_id):
        raise not_found("case")
    return case


def open_request_of(session: Session, filing_id: uuid.UUID) -> InfoRequest | None:
    return session.exec(select(InfoRequest).where(InfoRequest.filing_id == filing_id, InfoRequest.status == "open")).first()


def case_fields(case: Case) -> dict[str, Any]:
    """The fields every case event starts with."""
    return {"filing_id": case.filing_id, "entity_id": case.entity_id, "repertoire": case.repertoire, "title": case.title}


def banner(state: str, extra: str | None = None, track: str = "on_request") -> str:
    base = procedure.banner_of(state, track)
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
    due_explanation: str | None = None,
    banner_extra: str | None = None,
    opened_request: InfoRequest | None = None,
    announce: bool = False,
) -> procedure.Transition:
    """Make a transition of the state machine: state, audit entry, status_changed.

    A transition that keeps the state says nothing, unless ``announce`` (what the depositor
    sees changed all the same: another session, a corrected opinion). ``opened_request``:
    the request this transition opens, told whole with the status (its items and message),
    whichever of this event and ``review.request.opened`` a consumer gets first."""
    tr = procedure.transition(action, case.status, actor.roles, outcome, track=case.registration_type)
    previous = case.status
    case.status = tr.target
    case.updated_at = now
    changed = tr.target != previous or announce
    if changed:
        case.due_date = due_date
        case.due_explanation = due_explanation if due_date else None
        case.overdue = False
    uow.session.add(case)
    entry = audit_log.append(
        uow.session, case.filing_id, now, actor, action, from_state=previous, to_state=tr.target, reason=reason, details=details
    )
    if changed:
        uow.emit(
            ev.CaseStatusChanged(
                **case_fields(case),
                status=procedure.case_status(tr.target),
                previous_status=procedure.case_status(previous),
                editable_items=editable or [],
                banner=banner(tr.target, banner_extra, case.registration_type),
                open_request_id=opened_request.id if opened_request else None,
                request_items=opened_request.items if opened_request else [],
                request_message=opened_request.message if opened_request else None,
                due_date=due_date,
                due_explanation=due_explanation if due_date else None,
                changed_by=actor.id,
                reason=reason,
                sequence=entry.seq,
            )
        )
    return tr


def close_open_request(uow: UnitOfWork, case: Case, now: datetime, status: str) -> InfoRequest | None:
    request = open_request_of(uow.session, case.filing_id)
    if request is not None:
        request.status = status
        request.closed_at = now
        uow.session.add(request)
    return request

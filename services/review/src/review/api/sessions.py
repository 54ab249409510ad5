"""Commission sessions: their dates, their agenda, the opinions given there."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter

from certreg_runtime.paging import Offset, page_size
from review.api import views
from review.api.deps import Commission, DepsDep, Staff
from review.api.schemas import (
    AgendaIn,
    AgendaOut,
    CaseOut,
    OpinionCorrectionIn,
    OpinionGivenOut,
    OpinionIn,
    SessionIn,
    SessionListOut,
    SessionOut,
)
from review.app import commission, queries

router = APIRouter(tags=["sessions"])


@router.post("/sessions", status_code=201)
def create_session(body: SessionIn, user: Commission, deps: DepsDep) -> SessionOut:
    return views.session_out(commission.create_session(deps, user, body))


@router.get("/sessions")
def list_sessions(
    user: Staff,
    deps: DepsDep,
    upcoming: bool = False,
    limit: Annotated[int, page_size(200)] = 50,
    offset: Offset = 0,
    for_filing: uuid.UUID | None = None,
) -> SessionListOut:
    """``for_filing``: the sessions that case may be scheduled on or moved to."""
    found = queries.sessions(deps, upcoming=upcoming, limit=limit, offset=offset, for_filing=for_filing)
    return SessionListOut(items=[views.session_out(s) for s in found], limit=limit, offset=offset)


@router.get("/sessions/{session_id}/agenda")
def agenda(session_id: uuid.UUID, user: Staff, deps: DepsDep) -> AgendaOut:
    return views.agenda_out(queries.agenda(deps, session_id))


@router.post("/sessions/{session_id}/agenda", status_code=201, response_model_exclude_unset=True)
def add_to_agenda(session_id: uuid.UUID, body: AgendaIn, user: Commission, deps: DepsDep) -> CaseOut:
    """Schedule a case ready for the commission, or move a scheduled one to this session."""
    return views.case_out(commission.add_to_agenda(deps, user, session_id, body), user)


@router.post("/sessions/{session_id}/opinions", status_code=201)
def give_opinion(session_id: uuid.UUID, body: OpinionIn, user: Commission, deps: DepsDep) -> OpinionGivenOut:
    return views.opinion_given(commission.give_opinion(deps, user, session_id, body))


@router.put("/sessions/{session_id}/opinions/{filing_id}")
def correct_opinion(
    session_id: uuid.UUID, filing_id: uuid.UUID, body: OpinionCorrectionIn, user: Commission, deps: DepsDep
) -> OpinionGivenOut:
    """Correct the opinion given at the session, before the decision (audited)."""
    return views.opinion_given(commission.correct_opinion(deps, user, session_id, filing_id, body))

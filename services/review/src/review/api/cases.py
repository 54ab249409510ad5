"""Cases: the back office's list, one case's page, formal control and instruction."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Response

from certreg_contracts.calendar import paris_date
from certreg_runtime.api import CurrentUser
from certreg_runtime.paging import Offset, page_size
from certreg_runtime.web import json_answer
from review.api import views
from review.api.deps import Assigner, CaseFiltersDep, DepsDep, Director, Instructor, Reviewer, Staff
from review.api.schemas import (
    AbandonIn,
    AdmissibilityIn,
    AssignmentIn,
    CaseListOut,
    CaseOut,
    CompletenessIn,
    CriteriaOut,
    ReasonIn,
    SuspensionIn,
)
from review.app import cases, decisions, queries
from review.domain import rules

router = APIRouter(tags=["cases"])


@router.get("/cases", response_model=CaseListOut)
def list_cases(
    user: Staff,
    deps: DepsDep,
    filters: CaseFiltersDep,
    limit: Annotated[int, page_size(200)] = 50,
    offset: Offset = 0,
) -> Response:
    page = queries.case_page(deps, filters, limit=limit, offset=offset)
    today = paris_date(deps.clock.now())
    items = [views.case_summary_fields(r, today) for r in page.items]
    return json_answer(
        {"items": items, "total": page.total, "total_is_lower_bound": page.total_is_lower_bound, "limit": limit, "offset": offset}
    )


@router.get("/cases/{filing_id}", response_model_exclude_unset=True)
def get_case(filing_id: uuid.UUID, user: CurrentUser, deps: DepsDep) -> CaseOut:
    """The case's page. Opened by the depositor's side once a decision is made, it is the
    decision's consultation: the first one notifies it (``decision.notified_on``)."""
    decisions.consult(deps, user, filing_id)
    return views.case_out(queries.get_case(deps, user, filing_id), user)


@router.post("/cases/{filing_id}/completeness", response_model_exclude_unset=True)
def completeness(filing_id: uuid.UUID, body: CompletenessIn, user: Reviewer, deps: DepsDep) -> CaseOut:
    return views.case_out(cases.check_completeness(deps, user, filing_id, body), user)


@router.post("/cases/{filing_id}/admissibility", response_model_exclude_unset=True)
def admissibility(filing_id: uuid.UUID, body: AdmissibilityIn, user: Reviewer, deps: DepsDep) -> CaseOut:
    return views.case_out(cases.decide_admissibility(deps, user, filing_id, body), user)


@router.post("/cases/{filing_id}/assignment", response_model_exclude_unset=True)
def assignment(filing_id: uuid.UUID, body: AssignmentIn, user: Assigner, deps: DepsDep) -> CaseOut:
    return views.case_out(cases.assign_instructor(deps, user, filing_id, body), user)


@router.post("/cases/{filing_id}/abandon", response_model_exclude_unset=True)
def abandon(filing_id: uuid.UUID, user: Director, deps: DepsDep, body: AbandonIn | None = None) -> CaseOut:
    return views.case_out(cases.abandon(deps, user, filing_id, body), user)


@router.post("/cases/{filing_id}/withdraw-admissibility", response_model_exclude_unset=True)
def withdraw_admissibility(filing_id: uuid.UUID, body: ReasonIn, user: Director, deps: DepsDep) -> CaseOut:
    return views.case_out(cases.withdraw_admissibility(deps, user, filing_id, body), user)


@router.post("/cases/{filing_id}/suspend", response_model_exclude_unset=True)
def suspend(filing_id: uuid.UUID, body: SuspensionIn, user: Assigner, deps: DepsDep) -> CaseOut:
    """Erroneous or incomplete information (arrêté du 4 janvier 2019, art. 5): suspended until the depositor answers."""
    return views.case_out(cases.suspend(deps, user, filing_id, body), user)


@router.post("/cases/{filing_id}/declare-inadmissible", response_model_exclude_unset=True)
def declare_inadmissible(filing_id: uuid.UUID, body: ReasonIn, user: Director, deps: DepsDep) -> CaseOut:
    """A false declaration (arrêté du 4 janvier 2019, art. 5): inadmissible by right, final."""
    return views.case_out(cases.declare_inadmissible(deps, user, filing_id, body), user)


@router.post("/cases/{filing_id}/ready", response_model_exclude_unset=True)
def ready(filing_id: uuid.UUID, user: Instructor, deps: DepsDep) -> CaseOut:
    return views.case_out(cases.mark_ready(deps, user, filing_id), user)


@router.get("/criteria")
def criteria(user: CurrentUser) -> CriteriaOut:
    """The registration criteria of each repertoire, which the commission's reasons name."""
    return CriteriaOut(criteria=rules.CRITERIA)

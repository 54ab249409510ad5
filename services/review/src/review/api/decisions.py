"""The director general's decision on a case, and the depositor's acknowledgement of it."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from certreg_runtime.api import CurrentUser
from review.api import views
from review.api.deps import DepsDep, Director
from review.api.schemas import (
    AcknowledgedOut,
    CaseOut,
    DecisionIn,
    DecisionMadeOut,
    PublicationIn,
    PublicationsIn,
    PublishedListOut,
    PublishedOut,
)
from review.app import decisions, queries

router = APIRouter(tags=["decisions"])


@router.post("/cases/{filing_id}/decision", response_model_exclude_unset=True)
def decide(filing_id: uuid.UUID, body: DecisionIn, user: Director, deps: DepsDep) -> DecisionMadeOut:
    return views.decision_made(decisions.decide(deps, user, filing_id, body))


@router.post("/cases/{filing_id}/acknowledge")
def acknowledge(filing_id: uuid.UUID, user: CurrentUser, deps: DepsDep) -> AcknowledgedOut:
    return views.acknowledged(decisions.acknowledge(deps, user, filing_id))


@router.post("/cases/{filing_id}/publication", response_model_exclude_unset=True)
def record_publication(filing_id: uuid.UUID, body: PublicationIn, user: Director, deps: DepsDep) -> CaseOut:
    """The registration decision was published in the Journal officiel: the case becomes
    ``registered`` and its public record active from the effective date."""
    decisions.record_publication(deps, user, [filing_id], body)
    return views.case_out(queries.get_case(deps, user, filing_id), user)


@router.post("/publications")
def record_publications(body: PublicationsIn, user: Director, deps: DepsDep) -> PublishedListOut:
    """Several registration decisions published in the same Journal officiel: all or none."""
    done = decisions.record_publication(deps, user, body.filing_ids, body)
    return PublishedListOut(
        items=[PublishedOut(filing_id=p.case.filing_id, status=p.case.status, registration_number=p.case.registration_number) for p in done]
    )

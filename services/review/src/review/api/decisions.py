"""The director general's decision on a case, and the depositor's acknowledgement of it."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from certreg_runtime.api import CurrentUser
from review.api import views
from review.api.deps import DepsDep, Director
from review.api.schemas import AcknowledgedOut, DecisionIn, DecisionMadeOut
from review.app import decisions

router = APIRouter(tags=["decisions"])


@router.post("/cases/{filing_id}/decision", response_model_exclude_unset=True)
def decide(filing_id: uuid.UUID, body: DecisionIn, user: Director, deps: DepsDep) -> DecisionMadeOut:
    return views.decision_made(decisions.decide(deps, user, filing_id, body))


@router.post("/cases/{filing_id}/acknowledge")
def acknowledge(filing_id: uuid.UUID, user: CurrentUser, deps: DepsDep) -> AcknowledgedOut:
    return views.acknowledged(decisions.acknowledge(deps, user, filing_id))

"""Requests for documents or precisions, each with its deadline."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from review.api import views
from review.api.deps import DepsDep, Instructor
from review.api.schemas import RequestIn, RequestOut
from review.app import cases

router = APIRouter(tags=["requests"])


@router.post("/cases/{filing_id}/requests", status_code=201)
def open_request(filing_id: uuid.UUID, body: RequestIn, user: Instructor, deps: DepsDep) -> RequestOut:
    return views.request_out(cases.open_request(deps, user, filing_id, body), staff=True)

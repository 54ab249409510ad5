"""The proofs of submission (PDF), one per submission round."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from certreg_runtime.api import CurrentUser
from certreg_runtime.downloads import attachment
from filings.api import views
from filings.api.deps import DepsDep
from filings.api.schemas import ReceiptList
from filings.app import queries

router = APIRouter(tags=["receipts"])


@router.get("/{filing_id}/receipts")
def list_receipts(filing_id: uuid.UUID, user: CurrentUser, deps: DepsDep) -> ReceiptList:
    return views.receipt_list(queries.list_receipts(deps, user, filing_id))


@router.get(
    "/{filing_id}/receipts/{receipt_id}/content",
    response_class=StreamingResponse,
    responses={
        200: {"description": "The proof of submission", "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
    },
)
def download_receipt(filing_id: uuid.UUID, receipt_id: uuid.UUID, user: CurrentUser, deps: DepsDep) -> StreamingResponse:
    return attachment(queries.receipt_download(deps, user, filing_id, receipt_id))

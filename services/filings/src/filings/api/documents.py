"""A filing's pieces: streamed uploads, versions, downloads, removal."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from certreg_runtime.api import CurrentUser
from certreg_runtime.downloads import attachment
from certreg_runtime.uploads import receive_upload
from filings.api import views
from filings.api.deps import Depositor, DepsDep
from filings.api.schemas import DocumentOut, PieceList, UploadQuery
from filings.app import commands, queries

router = APIRouter(tags=["documents"])

BINARY = {"type": "string", "format": "binary"}


@router.post(
    "/{filing_id}/documents/{doc_type}",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": BINARY},
                "multipart/form-data": {"schema": {"type": "object", "properties": {"file": BINARY}}},
            },
        }
    },
)
async def upload_document(
    filing_id: uuid.UUID, doc_type: str, query: Annotated[UploadQuery, Query()], request: Request, user: Depositor, deps: DepsDep
) -> DocumentOut:
    """A piece, streamed (raw body with ``?filename=`` or a multipart ``file``); dated
    pieces take ``?document_date=YYYY-MM-DD``. Replacing a single piece keeps the
    previous one as an older version; several ``support_letter`` are allowed."""
    await run_in_threadpool(commands.check_upload, deps, user, filing_id, doc_type, query.document_date)
    with await receive_upload(request, max_bytes=deps.settings.max_upload_bytes) as received:
        document = await run_in_threadpool(commands.upload_document, deps, user, filing_id, doc_type, query.document_date, received)
    return views.document_out(document)


@router.get("/{filing_id}/documents")
def list_documents(filing_id: uuid.UUID, user: CurrentUser, deps: DepsDep) -> PieceList:
    """Every piece with its versions, newest first; ``current`` is the version in force."""
    return views.piece_list(queries.list_documents(deps, user, filing_id))


@router.get(
    "/{filing_id}/documents/{document_id}/content",
    response_class=StreamingResponse,
    responses={
        200: {"description": "The piece as uploaded (its sniffed type)", "content": {"application/octet-stream": {"schema": BINARY}}}
    },
)
def download_document(filing_id: uuid.UUID, document_id: uuid.UUID, user: CurrentUser, deps: DepsDep) -> StreamingResponse:
    return attachment(queries.document_download(deps, user, filing_id, document_id))


@router.delete("/{filing_id}/documents/{document_id}", status_code=204)
def delete_document(filing_id: uuid.UUID, document_id: uuid.UUID, user: Depositor, deps: DepsDep) -> None:
    """Removes a piece while it is editable. A version never submitted is erased; one
    that was part of a submission is only withdrawn from the filing (kept as history)."""
    commands.delete_document(deps, user, filing_id, document_id)

"""The staff's own writing on a case (issue 13, point 8): private annotations, the
instruction report the commission and the director read, external opinions with the
expert's report (a file in review's own bucket). Case staff only: the depositor's side
gets 403 on every route, and none of it is in the case's page or timeline."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from certreg_runtime.api import require_roles
from certreg_runtime.auth import Principal
from certreg_runtime.downloads import attachment
from certreg_runtime.errors import Invalid
from certreg_runtime.uploads import receive_upload
from certreg_runtime.validation import parse
from review.adapters.tables import CaseNote
from review.api.deps import DepsDep, Instructor, Staff
from review.api.schemas import (
    ExternalAnswerIn,
    ExternalDocumentOut,
    ExternalOpinionIn,
    ExternalOpinionListOut,
    ExternalOpinionOut,
    NoteIn,
    NoteListOut,
    NoteOut,
    ReportOut,
)
from review.app import notes

router = APIRouter(tags=["notes"])

# Who asks an external opinion and records its answer: the instructor, or the director.
ExpertiseAsker = Annotated[Principal, Depends(require_roles("instructor", "director"))]


def note_out(n: CaseNote) -> NoteOut:
    return NoteOut(
        id=n.id,
        kind=n.kind,
        body=n.body,
        author_id=n.author_id,
        author_role=n.author_role,
        author_name=n.author_name,
        created_at=n.created_at,
    )


def external_out(n: CaseNote) -> ExternalOpinionOut:
    return ExternalOpinionOut(
        id=n.id,
        expert=n.expert or "",
        question=n.body,
        asked_by=n.author_id,
        asked_by_name=n.author_name,
        asked_at=n.created_at,
        answer=n.answer,
        answered_at=n.answered_at,
        answered_by=n.answered_by,
        document=ExternalDocumentOut(
            filename=n.answer_filename or "",
            content_type=n.answer_content_type or "",
            size=n.answer_size or 0,
            sha256=n.answer_sha256 or "",
            download_url=f"/api/review/cases/{n.filing_id}/external-opinions/{n.id}/document",
        )
        if n.answer_object_key
        else None,
    )


def report_out(r: notes.Report) -> ReportOut:
    return ReportOut(current=note_out(r.current) if r.current else None, versions=[note_out(n) for n in r.versions])


@router.get("/cases/{filing_id}/annotations")
def list_annotations(filing_id: uuid.UUID, user: Staff, deps: DepsDep) -> NoteListOut:
    """The private annotations, newest first."""
    return NoteListOut(items=[note_out(n) for n in notes.list_annotations(deps, user, filing_id)])


@router.post("/cases/{filing_id}/annotations", status_code=201)
def annotate(filing_id: uuid.UUID, body: NoteIn, user: Staff, deps: DepsDep) -> NoteOut:
    return note_out(notes.annotate(deps, user, filing_id, body))


@router.get("/cases/{filing_id}/report")
def get_report(filing_id: uuid.UUID, user: Staff, deps: DepsDep) -> ReportOut:
    """The instruction report: the version in force and the older ones."""
    return report_out(notes.report(deps, user, filing_id))


@router.put("/cases/{filing_id}/report")
def write_report(filing_id: uuid.UUID, body: NoteIn, user: Instructor, deps: DepsDep) -> ReportOut:
    """A new version of the instruction report (the older ones are kept)."""
    return report_out(notes.write_report(deps, user, filing_id, body))


@router.get("/cases/{filing_id}/external-opinions")
def list_external_opinions(filing_id: uuid.UUID, user: Staff, deps: DepsDep) -> ExternalOpinionListOut:
    return ExternalOpinionListOut(items=[external_out(n) for n in notes.external_opinions(deps, user, filing_id)])


@router.post("/cases/{filing_id}/external-opinions", status_code=201)
def ask_external_opinion(filing_id: uuid.UUID, body: ExternalOpinionIn, user: ExpertiseAsker, deps: DepsDep) -> ExternalOpinionOut:
    return external_out(notes.ask_external_opinion(deps, user, filing_id, body))


BINARY = {"type": "string", "format": "binary"}


@router.post(
    "/cases/{filing_id}/external-opinions/{opinion_id}/answer",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": ExternalAnswerIn.model_json_schema()},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["answer", "file"],
                        "properties": {"answer": {"type": "string", "maxLength": 20000}, "file": BINARY},
                    }
                },
            },
        }
    },
)
async def record_external_answer(
    filing_id: uuid.UUID, opinion_id: uuid.UUID, request: Request, user: ExpertiseAsker, deps: DepsDep
) -> ExternalOpinionOut:
    """The expert's answer, recorded once (409 after): JSON ``{answer}``, or multipart
    ``answer`` with the expert's report as ``file`` (streamed, checked like a filing's
    pieces; 413/415/422 and nothing recorded when refused)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        try:
            data = await request.json()
        except (ValueError, RecursionError):  # RecursionError: nested too deep for the decoder
            raise Invalid([{"loc": ["body"], "msg": "JSON invalide.", "type": "json_invalid"}]) from None
        body = parse(ExternalAnswerIn, data)
        return external_out(await run_in_threadpool(notes.record_external_answer, deps, user, filing_id, opinion_id, body))
    await run_in_threadpool(notes.check_answerable, deps, user, filing_id, opinion_id)
    with await receive_upload(request, max_bytes=deps.settings.max_upload_bytes, text_fields=("answer",)) as received:
        body = parse(ExternalAnswerIn, received.fields)
        note = await run_in_threadpool(notes.record_external_answer, deps, user, filing_id, opinion_id, body, received)
    return external_out(note)


@router.get(
    "/cases/{filing_id}/external-opinions/{opinion_id}/document",
    response_class=StreamingResponse,
    responses={200: {"description": "The expert's report (its sniffed type)", "content": {"application/octet-stream": {"schema": BINARY}}}},
)
def download_external_document(filing_id: uuid.UUID, opinion_id: uuid.UUID, user: Staff, deps: DepsDep) -> StreamingResponse:
    """The expert's report filed with the answer: case staff only, never the depositor's side."""
    return attachment(notes.external_document(deps, user, filing_id, opinion_id))

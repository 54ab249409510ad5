"""The staff's own writing on a case (issue 13, point 8): private annotations, the
instruction report the commission and the director read, external opinions. Case staff
only: the depositor's side gets 403 on every route, and none of it is in the case's page
or timeline."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from certreg_runtime.api import require_roles
from certreg_runtime.auth import Principal
from review.adapters.tables import CaseNote
from review.api.deps import DepsDep, Instructor, Staff
from review.api.schemas import (
    ExternalAnswerIn,
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


@router.post("/cases/{filing_id}/external-opinions/{opinion_id}/answer")
def record_external_answer(
    filing_id: uuid.UUID, opinion_id: uuid.UUID, body: ExternalAnswerIn, user: ExpertiseAsker, deps: DepsDep
) -> ExternalOpinionOut:
    """The expert's answer, recorded once (409 after)."""
    return external_out(notes.record_external_answer(deps, user, filing_id, opinion_id, body))

"""The entities routes of API.md: lookup, applications with their pieces, submission,
the mandate template, the entity record and the downloads."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, StreamingResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from certreg_runtime.api import CurrentUser, IdempotencyKeyHeader, require_roles
from certreg_runtime.auth import Principal
from certreg_runtime.idempotency import answer_once
from certreg_runtime.paging import Offset, page_size
from certreg_runtime.text import ONE_LINE
from certreg_runtime.uploads import receive_upload, stored_filename
from entities.adapters.mandate_template import render_mandate_template
from entities.api.deps import AnyUser, Applicant, DepsDep
from entities.api.schemas import (
    ApplicationIn,
    ApplicationOut,
    ApplicationsOut,
    EntityCorrectionIn,
    EntityDetailOut,
    LookupOut,
    StoredDocumentOut,
    SubmittedOut,
    UploadLimitsOut,
)
from entities.api.views import application_out, applications_out, entity_detail_out, stored_document_out, submitted_out
from entities.app import commands, queries

router = APIRouter(tags=["entities"])

SiAdmin = Annotated[Principal, Depends(require_roles("si_admin"))]

BINARY = {"schema": {"type": "string", "format": "binary"}}


@router.get("/lookup")
def lookup(deps: DepsDep, siret: Annotated[str, Query(max_length=40), ONE_LINE]) -> LookupOut:
    """Is this SIRET already a registered entity? (SIRETs are public data.)"""
    entity = queries.lookup_entity(deps, siret)
    return LookupOut(entity_id=entity.id, denomination=entity.denomination, status=entity.status)


@router.post("/applications", status_code=201)
def create_application(deps: DepsDep, user: Applicant, body: ApplicationIn, idempotency_key: IdempotencyKeyHeader = None) -> ApplicationOut:
    """Declare the entity: a known SIRET joins it, otherwise a new entity is created.
    With an ``Idempotency-Key``, the same request again answers the first answer (the
    draft is not replaced by another)."""
    return answer_once(
        deps.uow,
        user,
        idempotency_key,
        "create_application",
        (body,),
        201,
        application_out,
        lambda once: commands.create_application(deps, user, body.declaration(), once),
    )


@router.get("/applications")
def list_applications(
    deps: DepsDep,
    user: CurrentUser,
    account_id: uuid.UUID | None = None,
    entity_id: uuid.UUID | None = None,
    status: str | None = None,
    limit: Annotated[int, page_size(200)] = 50,
    offset: Offset = 0,
) -> ApplicationsOut:
    """For the SI administrator (every application) and an entity manager (their entity's)."""
    page = queries.list_applications(deps, user, account_id=account_id, entity_id=entity_id, status=status, limit=limit, offset=offset)
    return applications_out(page, staff=user.is_staff)


@router.get("/applications/{application_id}")
def get_application(deps: DepsDep, user: AnyUser, application_id: uuid.UUID) -> ApplicationOut:
    """The application, its entity and its pieces: for the applicant, the SI
    administrator and the entity's manager."""
    return application_out(queries.get_application(deps, user, application_id), staff=user.is_staff)


@router.put("/applications/{application_id}/documents/{doc_type}", status_code=201)
async def upload_document(
    deps: DepsDep,
    user: Applicant,
    request: Request,
    application_id: uuid.UUID,
    doc_type: str,
    document_date: Annotated[str | None, Query(max_length=20)] = None,
) -> StoredDocumentOut:
    """A piece of the application, streamed (raw body or multipart ``file``). Sending
    the same doc_type again replaces the previous piece (a draft keeps one file per piece)."""
    day = await run_in_threadpool(commands.start_upload, deps, user, application_id, doc_type, document_date)
    with await receive_upload(request, max_bytes=deps.settings.max_upload_bytes) as received:
        document = await run_in_threadpool(commands.add_document, deps, user, application_id, doc_type, day, received)
    return stored_document_out(document)


@router.get(
    "/applications/{application_id}/documents/{document_id}",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": BINARY}, "description": "The piece, as it was sent."}},
)
def download_document(deps: DepsDep, user: AnyUser, application_id: uuid.UUID, document_id: uuid.UUID) -> StreamingResponse:
    """Streamed from storage: for the SI administrator, the entity's manager and the applicant."""
    document = queries.document_to_download(deps, user, application_id, document_id)
    return StreamingResponse(
        deps.storage.iter_chunks(deps.bucket(commands.BUCKET), document.object_key),
        media_type=document.content_type,
        headers={
            "Content-Length": str(document.size),
            "Content-Disposition": f'attachment; filename="{stored_filename(document.filename, document.content_type)}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/applications/{application_id}/submit", status_code=202)
def submit_application(
    deps: DepsDep, user: Applicant, application_id: uuid.UUID, idempotency_key: IdempotencyKeyHeader = None
) -> SubmittedOut:
    """Send the application for validation; 422 lists every missing or invalid piece.
    With an ``Idempotency-Key``, the same request again answers the first answer
    instead of a 409."""
    return answer_once(
        deps.uow,
        user,
        idempotency_key,
        "submit_application",
        (str(application_id),),
        202,
        submitted_out,
        lambda once: commands.submit_application(deps, user, application_id, once),
    )


@router.get("/entities/{entity_id}")
def get_entity(deps: DepsDep, user: CurrentUser, entity_id: uuid.UUID) -> EntityDetailOut:
    """The entity, its pieces with their versions and its members: for its members and staff."""
    return entity_detail_out(queries.get_entity(deps, user, entity_id), staff=user.is_staff)


@router.patch("/entities/{entity_id}")
def correct_entity(deps: DepsDep, user: SiAdmin, entity_id: uuid.UUID, body: EntityCorrectionIn) -> EntityDetailOut:
    """The SI administrator corrects the entity's denomination, legal form or address; the
    change is kept with its reason and shown in ``changes``."""
    commands.correct_entity(deps, user, entity_id, body)
    return entity_detail_out(queries.get_entity(deps, user, entity_id), staff=True)


@router.get("/upload-limits")
def upload_limits(deps: DepsDep) -> UploadLimitsOut:
    """The size limits of a piece and of a dossier, as the uploads enforce them (the account
    creation page shows them next to its file fields)."""
    return UploadLimitsOut(max_bytes=deps.settings.max_upload_bytes, max_dossier_bytes=deps.settings.max_dossier_bytes)


@router.get(
    "/mandate-template.pdf", response_class=FileResponse, responses={200: {"content": {"application/pdf": BINARY}, "description": "A PDF."}}
)
def mandate_template(
    denomination: Annotated[str | None, Query(max_length=300), ONE_LINE] = None,
    siret: Annotated[str | None, Query(max_length=20), ONE_LINE] = None,
    representative: Annotated[str | None, Query(max_length=200), ONE_LINE] = None,
    delegate: Annotated[str | None, Query(max_length=200), ONE_LINE] = None,
    delegate_role: Annotated[str | None, Query(max_length=200), ONE_LINE] = None,
) -> FileResponse:
    """The delegation of mandate naming the administrateur entité, filled in with what is given."""
    path = render_mandate_template(
        denomination=denomination, siret=siret, representative=representative, delegate=delegate, delegate_role=delegate_role
    )
    return FileResponse(
        path,
        media_type="application/pdf",
        filename="delegation-de-mandat.pdf",
        background=BackgroundTask(path.unlink, missing_ok=True),
    )

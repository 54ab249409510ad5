"""The entities routes of API.md: lookup, applications with their pieces, submission,
the mandate template, the entity record and the downloads."""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from certreg_contracts.events.entities import ApplicationSubmitted
from certreg_runtime.api import CtxDep, OnboardingUser, current_user
from certreg_runtime.auth import ACCESS_SCOPE, ONBOARDING_SCOPE, Principal, bearer_token
from certreg_runtime.errors import ApiError, Unauthenticated, field_error, forbidden, invalid, not_found
from certreg_runtime.service import ServiceContext
from certreg_runtime.uploads import ReceivedFile, receive_upload
from entities.adapters.tables import Application, Document, Entity
from entities.api.views import (
    application_view,
    check_may_read_application,
    check_may_see_entity,
    entity_detail_view,
    is_si_admin,
    load_application,
    own_application,
    provided_pieces,
    require_draft,
    required_for,
)
from entities.domain.rules import (
    APPLICATION_STATUSES,
    ENTITY_DOC_TYPES,
    Address,
    Declaration,
    Problem,
    completeness,
    document_date_problems,
    identification_problems,
    new_entity_problems,
    siret_problems,
)
from entities.mandate_template import render_mandate_template

log = logging.getLogger(__name__)

PARIS = ZoneInfo("Europe/Paris")


def today(ctx: ServiceContext) -> date:
    """The day in France, on the service's clock."""
    return ctx.clock.now().astimezone(PARIS).date()


def problems_error(problems: list[Problem], where: str = "body", **extra: Any) -> ApiError:
    error = invalid(*(field_error(list(p.field), p.msg, p.code, where=where) for p in problems))
    error.extra.update(extra)
    return error


def any_user(ctx: CtxDep, authorization: Annotated[str | None, Header()] = None) -> Principal:
    """An access token, or else the onboarding token of an applicant."""
    token = bearer_token(authorization)
    try:
        return ctx.verifier.verify(token, scope=ACCESS_SCOPE)
    except Unauthenticated:
        return ctx.verifier.verify(token, scope=ONBOARDING_SCOPE)


AnyUser = Annotated[Principal, Depends(any_user)]
AccessUser = Annotated[Principal, Depends(current_user)]


# --------------------------------------------------------------------------- bodies


class AddressIn(BaseModel):
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None


class ApplicationIn(BaseModel):
    kind: str | None = None
    legal_form: str | None = None
    # When left out, a given SIRET means "with SIRET".
    has_siret: bool | None = None
    siret: str | None = None
    denomination: str | None = None
    address: AddressIn | None = None
    named_on_legal_proof: bool = False

    def declaration(self) -> Declaration:
        def clean(value: str | None) -> str | None:
            return value.strip() if value is not None and value.strip() else None

        address = None
        if self.address is not None:
            address = Address(
                street=clean(self.address.street),
                postal_code=clean(self.address.postal_code),
                city=clean(self.address.city),
                country=clean(self.address.country),
            )
        has_siret = self.has_siret if self.has_siret is not None else bool(self.siret)
        return Declaration(
            kind=self.kind,
            legal_form=self.legal_form,
            has_siret=has_siret,
            # Never strip the SIRET: spaces inside it get their own message.
            siret=self.siret if self.siret else None,
            denomination=clean(self.denomination),
            address=address,
            named_on_legal_proof=self.named_on_legal_proof,
        )


# --------------------------------------------------------------------------- the work


def _live_entity_by_siret(session: Session, siret: str) -> Entity | None:
    return session.exec(select(Entity).where(Entity.siret == siret, Entity.status != "rejected")).first()


def _discard_drafts(session: Session, ctx: ServiceContext, account_id: uuid.UUID) -> list[str]:
    """A new declaration replaces the person's draft: its pieces, and the entity it
    created if nobody else applied to it. Returns the object keys to delete once committed."""
    keys: list[str] = []
    drafts = session.exec(select(Application).where(Application.account_id == account_id, Application.status == "draft")).all()
    for draft in drafts:
        for doc in session.exec(select(Document).where(Document.application_id == draft.id)).all():
            keys.append(doc.object_key)
            session.delete(doc)
        session.flush()
        session.delete(draft)
        session.flush()
        if draft.new_entity:
            others = session.exec(select(func.count()).select_from(Application).where(Application.entity_id == draft.entity_id)).one()
            entity = session.get(Entity, draft.entity_id)
            if not others and entity is not None and entity.status == "pending_verification":
                session.delete(entity)
                session.flush()
    return keys


def _create_application(ctx: ServiceContext, user: Principal, body: ApplicationIn) -> dict[str, Any]:
    decl = body.declaration()
    problems = identification_problems(decl)
    if problems:
        raise problems_error(problems)
    now = ctx.clock.now()
    for attempt in range(2):
        try:
            view, stale_keys = _create_application_once(ctx, user, decl, now)
        except IntegrityError:
            # Someone declared the same SIRET at the same moment: the retry joins it.
            if attempt:
                raise ApiError(409, "Conflit d'enregistrement, réessayez.", code="conflict") from None
            continue
        _delete_objects(ctx, stale_keys)
        return view
    raise AssertionError("unreachable")


def _create_application_once(ctx: ServiceContext, user: Principal, decl: Declaration, now: datetime) -> tuple[dict[str, Any], list[str]]:
    with ctx.uow() as uow:
        session = uow.session
        current = session.exec(
            select(Application).where(
                Application.account_id == user.account_id,
                Application.status.in_(("submitted", "approved")),  # type: ignore[attr-defined]
            )
        ).first()
        if current is not None:
            raise ApiError(
                409,
                "Une demande de rattachement a déjà été envoyée pour ce compte.",
                code="application_exists",
                state=current.status,
                application_id=str(current.id),
            )
        stale_keys = _discard_drafts(session, ctx, user.account_id)
        entity = _live_entity_by_siret(session, decl.siret) if decl.has_siret and decl.siret else None
        new_entity = entity is None
        if entity is None:
            problems = new_entity_problems(decl)
            if problems:
                raise problems_error(problems)
            address = decl.address or Address()
            entity = Entity(
                kind=decl.kind or "",
                legal_form=decl.legal_form or "",
                siret=decl.siret if decl.has_siret else None,
                denomination=(decl.denomination or "").strip(),
                street=address.street,
                postal_code=address.postal_code,
                city=address.city,
                country=address.country,
                status="pending_verification",
                created_by=user.account_id,
                created_at=now,
            )
            session.add(entity)
            session.flush()
        application = Application(
            entity_id=entity.id,
            account_id=user.account_id,
            email=user.email,
            new_entity=new_entity,
            # Joining an existing entity asks nothing more of the person.
            named_on_legal_proof=decl.named_on_legal_proof if new_entity else False,
            status="draft",
            created_at=now,
            updated_at=now,
        )
        session.add(application)
        session.flush()
        view = application_view(session, application, entity)
        uow.commit()
        return view, stale_keys


def _delete_objects(ctx: ServiceContext, keys: list[str]) -> None:
    assert ctx.blobs is not None
    for key in keys:
        try:
            ctx.blobs.delete(ctx.bucket("documents"), key)
        except Exception:
            log.warning("could not delete a replaced object", extra={"object_key": key}, exc_info=True)


def _parse_document_date(value: str | None) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise invalid(field_error("document_date", "Date invalide : format attendu AAAA-MM-JJ.", "date_format", where="query")) from None


def _check_upload_allowed(ctx: ServiceContext, user: Principal, application_id: uuid.UUID) -> None:
    with ctx.uow() as uow:
        require_draft(own_application(uow.session, user, application_id))


def _store_document(
    ctx: ServiceContext, user: Principal, application_id: uuid.UUID, doc_type: str, document_date: date | None, received: ReceivedFile
) -> dict[str, Any]:
    """The object first, then the row; if the row cannot be written, the object goes."""
    assert ctx.blobs is not None
    bucket = ctx.bucket("documents")
    document_id = uuid.uuid4()
    key = f"applications/{application_id}/{doc_type}/{document_id}"
    ctx.blobs.put_file(bucket, key, received.path, received.content_type)
    try:
        with ctx.uow() as uow:
            session = uow.session
            application = own_application(session, user, application_id, for_update=True)
            require_draft(application)
            last = session.exec(
                select(func.max(Document.version)).where(Document.application_id == application.id, Document.doc_type == doc_type)
            ).one()
            document = Document(
                id=document_id,
                application_id=application.id,
                entity_id=application.entity_id,
                doc_type=doc_type,
                version=(last or 0) + 1,
                object_key=key,
                sha256=received.sha256,
                size=received.size,
                content_type=received.content_type,
                filename=received.filename,
                document_date=document_date,
                uploaded_by=user.account_id,
                uploaded_at=ctx.clock.now(),
            )
            session.add(document)
            application.updated_at = ctx.clock.now()
            session.add(application)
            uow.commit()
    except BaseException:
        ctx.blobs.delete(bucket, key)
        raise
    return {
        "document_id": document.id,
        "doc_type": doc_type,
        "version": document.version,
        "sha256": document.sha256,
        "size": document.size,
        "content_type": document.content_type,
        "filename": document.filename,
        "document_date": document.document_date,
    }


def _submit(ctx: ServiceContext, user: Principal, application_id: uuid.UUID) -> dict[str, Any]:
    with ctx.uow() as uow:
        session = uow.session
        application = own_application(session, user, application_id, for_update=True)
        require_draft(application)
        entity = session.get(Entity, application.entity_id)
        if entity is None or entity.status == "rejected":
            raise ApiError(
                409, "L'entité de cette demande a été refusée : déclarez-la à nouveau.", code="entity_rejected", state="rejected"
            )
        required = required_for(application, entity)
        result = completeness(required, provided_pieces(session, application.id), today(ctx))
        if not result.complete:
            raise problems_error(result.problems, missing=result.missing, required_documents=required)
        now = ctx.clock.now()
        application.status = "submitted"
        application.submitted_at = now
        application.updated_at = now
        session.add(application)
        uow.emit(
            ApplicationSubmitted(
                application_id=application.id,
                entity_id=entity.id,
                account_id=application.account_id,
                new_entity=application.new_entity,
                denomination=entity.denomination,
                siret=entity.siret,
                kind=entity.kind,  # type: ignore[arg-type]
                legal_form=entity.legal_form,  # type: ignore[arg-type]
            )
        )
        uow.commit()
        return {"application_id": application.id, "entity_id": entity.id, "new_entity": application.new_entity, "status": "submitted"}


# --------------------------------------------------------------------------- routes


def build_router(ctx: ServiceContext) -> APIRouter:
    router = APIRouter(tags=["entities"])

    @router.get("/lookup")
    def lookup(ctx: CtxDep, siret: Annotated[str, Query(max_length=40)]) -> dict[str, Any]:
        """Is this SIRET already a registered entity? (SIRETs are public data.)"""
        problems = siret_problems(siret)
        if problems:
            raise problems_error(problems, where="query")
        with ctx.uow() as uow:
            entity = _live_entity_by_siret(uow.session, siret)
            if entity is None:
                raise not_found("entity")
            return {"entity_id": entity.id, "denomination": entity.denomination, "status": entity.status}

    @router.post("/applications", status_code=201)
    def create_application(ctx: CtxDep, user: OnboardingUser, body: ApplicationIn) -> dict[str, Any]:
        """Declare the entity: a known SIRET joins it, otherwise a new entity is created."""
        return _create_application(ctx, user, body)

    @router.get("/applications")
    def list_applications(
        ctx: CtxDep,
        user: AccessUser,
        account_id: uuid.UUID | None = None,
        entity_id: uuid.UUID | None = None,
        status: str | None = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        """For the SI administrator (every application) and an entity manager (their entity's)."""
        if is_si_admin(user):
            scope_entity = entity_id
        elif user.has_any("entity_manager") and user.entity_id is not None:
            if entity_id is not None and entity_id != user.entity_id:
                raise not_found("entity")
            scope_entity = user.entity_id
        else:
            raise forbidden("Réservé à l'administrateur SI et aux gestionnaires d'entité.")
        if status is not None and status not in APPLICATION_STATUSES:
            raise invalid(
                field_error(
                    "status", f"Statut inconnu : valeurs possibles {', '.join(APPLICATION_STATUSES)}.", "invalid_choice", where="query"
                )
            )
        with ctx.uow() as uow:
            session = uow.session
            conditions = []
            if scope_entity is not None:
                conditions.append(Application.entity_id == scope_entity)
            if account_id is not None:
                conditions.append(Application.account_id == account_id)
            if status is not None:
                conditions.append(Application.status == status)
            total = session.exec(select(func.count()).select_from(Application).where(*conditions)).one()
            rows = session.exec(
                select(Application, Entity)
                .join(Entity, Entity.id == Application.entity_id)  # type: ignore[arg-type]
                .where(*conditions)
                .order_by(sa.desc(Application.created_at), sa.asc(Application.id))
                .limit(limit)
                .offset(offset)
            ).all()
            items = [application_view(session, a, e) for a, e in rows]
        return {"items": items, "total": total, "limit": limit, "offset": offset}

    @router.get("/applications/{application_id}")
    def get_application(ctx: CtxDep, user: AnyUser, application_id: uuid.UUID) -> dict[str, Any]:
        """The application, its entity and its pieces: for the applicant, the SI
        administrator and the entity's manager."""
        with ctx.uow() as uow:
            application = load_application(uow.session, application_id)
            check_may_read_application(user, application)
            entity = uow.session.get(Entity, application.entity_id)
            assert entity is not None
            return application_view(uow.session, application, entity)

    @router.put("/applications/{application_id}/documents/{doc_type}", status_code=201)
    async def upload_document(
        ctx: CtxDep,
        user: OnboardingUser,
        request: Request,
        application_id: uuid.UUID,
        doc_type: str,
        document_date: Annotated[str | None, Query(max_length=20)] = None,
    ) -> dict[str, Any]:
        """A piece of the application, streamed (raw body or multipart ``file``). Sending
        the same doc_type again adds a version; the previous ones are kept."""
        if doc_type not in ENTITY_DOC_TYPES:
            raise invalid(
                field_error(
                    "doc_type", f"Pièce inconnue : valeurs possibles {', '.join(ENTITY_DOC_TYPES)}.", "invalid_choice", where="path"
                )
            )
        day = _parse_document_date(document_date)
        problems = document_date_problems(doc_type, day, today(ctx))
        if problems:
            raise problems_error(problems, where="query")
        await run_in_threadpool(_check_upload_allowed, ctx, user, application_id)
        received = await receive_upload(request, max_bytes=ctx.settings.max_upload_bytes)
        try:
            return await run_in_threadpool(_store_document, ctx, user, application_id, doc_type, day, received)
        finally:
            received.discard()

    @router.get("/applications/{application_id}/documents/{document_id}")
    def download_document(ctx: CtxDep, user: AnyUser, application_id: uuid.UUID, document_id: uuid.UUID) -> StreamingResponse:
        """Streamed from storage: for the SI administrator, the entity's manager and the applicant."""
        with ctx.uow() as uow:
            application = load_application(uow.session, application_id)
            check_may_read_application(user, application)
            document = uow.session.get(Document, document_id)
            if document is None or document.application_id != application.id:
                raise not_found("document")
            key, content_type, size, filename = document.object_key, document.content_type, document.size, document.filename
        assert ctx.blobs is not None
        return StreamingResponse(
            ctx.blobs.iter_chunks(ctx.bucket("documents"), key),
            media_type=content_type,
            headers={
                "Content-Length": str(size),
                "Content-Disposition": f'attachment; filename="{filename}"',
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
            },
        )

    @router.post("/applications/{application_id}/submit", status_code=202)
    def submit_application(ctx: CtxDep, user: OnboardingUser, application_id: uuid.UUID) -> dict[str, Any]:
        """Send the application for validation; 422 lists every missing or invalid piece."""
        return _submit(ctx, user, application_id)

    @router.get("/entities/{entity_id}")
    def get_entity(ctx: CtxDep, user: AccessUser, entity_id: uuid.UUID) -> dict[str, Any]:
        """The entity, its pieces with their versions and its members: for its members and staff."""
        check_may_see_entity(user, entity_id)
        with ctx.uow() as uow:
            entity = uow.session.get(Entity, entity_id)
            if entity is None:
                raise not_found("entity")
            return entity_detail_view(uow.session, entity)

    @router.get("/mandate-template.pdf", response_class=FileResponse)
    def mandate_template(
        denomination: Annotated[str | None, Query(max_length=300)] = None,
        siret: Annotated[str | None, Query(max_length=20)] = None,
        representative: Annotated[str | None, Query(max_length=200)] = None,
        delegate: Annotated[str | None, Query(max_length=200)] = None,
        delegate_role: Annotated[str | None, Query(max_length=200)] = None,
    ) -> FileResponse:
        """The delegation of mandate naming the administrateur entité, filled in with what is given."""
        fd, name = tempfile.mkstemp(prefix="mandate-", suffix=".pdf")
        os.close(fd)
        path = Path(name)
        try:
            render_mandate_template(
                path, denomination=denomination, siret=siret, representative=representative, delegate=delegate, delegate_role=delegate_role
            )
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return FileResponse(
            path,
            media_type="application/pdf",
            filename="delegation-de-mandat.pdf",
            background=BackgroundTask(path.unlink, missing_ok=True),
        )

    return router


__all__ = ["build_router", "today"]

"""The filings routes (API.md, "filings"): drafts, documents, submission, withdrawal,
proofs of submission. Depositors act on their own entity's filings; staff read all."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Body, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlmodel import Session, select

from certreg_contracts.events.filings import CompetenceBlock, DocumentRef, FilingCreated, FilingSubmitted, FilingWithdrawn
from certreg_contracts.types import PUBLIC_ROLES
from certreg_runtime.api import CtxDep, CurrentUser, roles
from certreg_runtime.auth import Principal
from certreg_runtime.errors import ApiError, conflict, field_error, forbidden, invalid
from certreg_runtime.service import ServiceContext
from certreg_runtime.uploads import DOCX, JPEG, ODT, PDF, PNG, ReceivedFile, receive_upload
from filings.adapters.tables import Document, Filing, Receipt
from filings.api.schemas import FilingCreate, FilingPatch, SubmitBody, WithdrawBody, body_schema, parse
from filings.domain import rules
from filings.domain.status import (
    CASE_LABELS,
    STATUSES,
    SUBMITTED,
    WITHDRAWN,
    may_edit,
    may_submit,
    may_withdraw,
    procedure_status,
)
from filings.receipts import render_receipt
from filings.views import document_view, filing_view, receipt_filename, receipt_view, summary_view

log = logging.getLogger(__name__)

DEPOSITOR_ROLES = tuple(sorted(PUBLIC_ROLES))
Depositor = roles(*DEPOSITOR_ROLES)
JsonBody = Annotated[Any, Body()]
NULLABLE = {"qualification_level", "cqp_filed_by", "summary"}
EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg", ODT: ".odt", DOCX: ".docx"}


# --------------------------------------------------------------------------- helpers


def _entity_of(user: Principal) -> uuid.UUID:
    if user.entity_id is None:
        raise forbidden("Votre compte n'est rattaché à aucune entité.")
    return user.entity_id


def _check_reader(user: Principal) -> None:
    if not (user.is_staff or (user.has_any(*DEPOSITOR_ROLES) and user.entity_id is not None)):
        raise forbidden("Accès réservé aux déposants d'une entité et aux agents de France compétences.")


def _not_found() -> ApiError:
    return ApiError(404, "Dossier introuvable.", code="not_found")


def _load(session: Session, filing_id: uuid.UUID, user: Principal, *, write: bool = False, lock: bool = False) -> Filing:
    """The filing if ``user`` may see it (write: only its own entity's), else 404."""
    stmt = select(Filing).where(Filing.id == filing_id)
    if lock:
        stmt = stmt.with_for_update()
    filing = session.exec(stmt).first()
    if filing is None:
        raise _not_found()
    if write:
        if str(filing.entity_id) != str(_entity_of(user)):
            raise _not_found()
    elif not (user.is_staff or (user.entity_id is not None and str(user.entity_id) == str(filing.entity_id))):
        raise _not_found()
    return filing


def _not_editable(filing: Filing, item: str | None = None) -> ApiError:
    label = procedure_status(filing.status, filing.case_status, filing.submission_round)
    what = f"« {item} » n'est pas modifiable" if item else "Le dossier n'est pas modifiable"
    return conflict(
        f"{what} : le dossier est « {label} ».",
        code="not_editable",
        state=filing.status,
        case_status=filing.case_status,
        editable_items=list(filing.editable_items or []),
    )


def _current_documents(session: Session, filing_id: uuid.UUID) -> list[Document]:
    order = {t: i for i, t in enumerate(rules.CATALOGUE)}
    docs = session.exec(
        select(Document).where(Document.filing_id == filing_id, Document.superseded_at.is_(None), Document.removed_at.is_(None))  # type: ignore[union-attr]
    ).all()
    return sorted(docs, key=lambda d: (order.get(d.doc_type, 99), d.aware("uploaded_at")))


def _fields(filing: Filing) -> dict[str, Any]:
    return {name: getattr(filing, name) for name in rules.EDITABLE_FIELDS}


def _coherence(filing: Filing) -> None:
    """The filing's own fields agree with each other (422 naming the field otherwise)."""
    errors = []
    if msg := rules.level_problem(filing.repertoire, filing.qualification_level):
        errors.append(field_error("qualification_level", msg, "level"))
    if msg := rules.cqp_problem(filing.is_cqp, filing.cqp_filed_by):
        errors.append(field_error("cqp_filed_by", msg, "cqp"))
    if filing.repertoire == "rs" and filing.competence_blocks:
        errors.append(field_error("competence_blocks", "Les blocs de compétences ne concernent que le RNCP.", "rncp_only"))
    if errors:
        raise invalid(*errors)


def _today(ctx: ServiceContext) -> dt.date:
    return rules.today(ctx.clock.now())


def _view(session: Session, filing: Filing, ctx: ServiceContext) -> dict[str, Any]:
    return filing_view(filing, _current_documents(session, filing.id), _today(ctx))


def _int_param(name: str, raw: str | None, default: int, lo: int, hi: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(field_error(name, "Nombre entier attendu.", "int_parsing", where="query")) from None
    if not lo <= value <= hi:
        raise invalid(field_error(name, f"Valeur entre {lo} et {hi} attendue.", "range", where="query"))
    return value


def _date_param(raw: str | None) -> dt.date | None:
    if raw is None or raw == "":
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise invalid(field_error("document_date", "Date attendue au format AAAA-MM-JJ.", "date_parsing", where="query")) from None


def _doc_type_param(filing: Filing, doc_type: str) -> rules.Piece:
    if doc_type not in rules.CATALOGUE:
        raise invalid(field_error("doc_type", "Type de pièce inconnu.", "unknown_doc_type", where="path"))
    piece = rules.piece_for(filing, doc_type)
    if piece is None:
        raise invalid(
            field_error(
                "doc_type",
                f"Cette pièce (« {rules.CATALOGUE[doc_type].label} ») n'est pas demandée pour ce dossier.",
                "not_expected",
                where="path",
            )
        )
    return piece


def _stream(ctx: ServiceContext, bucket: str, key: str) -> Iterator[bytes]:
    assert ctx.blobs is not None
    yield from ctx.blobs.iter_chunks(bucket, key)


def _attachment(filename: str, size: int, media_type: str, chunks: Iterator[bytes]) -> StreamingResponse:
    return StreamingResponse(
        chunks,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Length": str(size),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


def _delete_quietly(ctx: ServiceContext, bucket: str, key: str) -> None:
    try:
        assert ctx.blobs is not None
        ctx.blobs.delete(bucket, key)
    except Exception:
        log.exception("could not delete object %s/%s", bucket, key)


# --------------------------------------------------------------------------- routes


def build_router(ctx: ServiceContext) -> APIRouter:
    router = APIRouter(tags=["filings"])

    # ---------------------------------------------------------------- filings

    @router.post("", status_code=201, openapi_extra=body_schema(FilingCreate))
    def create_filing(user: Depositor, ctx: CtxDep, body: JsonBody = None) -> dict[str, Any]:
        entity_id = _entity_of(user)
        data = parse(FilingCreate, body)
        now = ctx.clock.now()
        values = data.model_dump()
        filing = Filing(entity_id=entity_id, created_by=user.account_id, created_at=now, updated_at=now, **values)
        _coherence(filing)
        with ctx.uow() as uow:
            uow.session.add(filing)
            uow.emit(
                FilingCreated(
                    filing_id=filing.id,
                    entity_id=entity_id,
                    repertoire=filing.repertoire,  # type: ignore[arg-type]
                    title=filing.title,
                    created_by=user.account_id,
                )
            )
            uow.commit()
            return _view(uow.session, filing, ctx)

    @router.get("")
    def list_filings(
        user: CurrentUser,
        ctx: CtxDep,
        status: str | None = None,
        repertoire: str | None = None,
        q: str | None = None,
        limit: str | None = None,
        offset: str | None = None,
    ) -> dict[str, Any]:
        _check_reader(user)
        size = _int_param("limit", limit, 20, 1, 100)
        skip = _int_param("offset", offset, 0, 0, 10**9)
        conditions = []
        if not user.is_staff:
            conditions.append(Filing.entity_id == _entity_of(user))
        if status:
            if status not in STATUSES and status not in CASE_LABELS:
                raise invalid(field_error("status", "Statut inconnu.", "unknown_status", where="query"))
            conditions.append(sa.or_(Filing.status == status, Filing.case_status == status))
        if repertoire:
            if repertoire not in rules.PIECES:
                raise invalid(field_error("repertoire", "Répertoire inconnu : rncp ou rs.", "unknown_repertoire", where="query"))
            conditions.append(Filing.repertoire == repertoire)
        if q and q.strip():
            conditions.append(sa.func.lower(Filing.title).contains(q.strip().lower(), autoescape=True))
        with ctx.uow() as uow:
            total = uow.session.exec(select(sa.func.count()).select_from(Filing).where(*conditions)).one()
            rows = uow.session.exec(
                select(Filing).where(*conditions).order_by(Filing.updated_at.desc(), Filing.id).offset(skip).limit(size)  # type: ignore[attr-defined]
            ).all()
            return {"items": [summary_view(f) for f in rows], "total": total, "limit": size, "offset": skip}

    @router.get("/{filing_id}")
    def get_filing(filing_id: uuid.UUID, user: CurrentUser, ctx: CtxDep) -> dict[str, Any]:
        _check_reader(user)
        with ctx.uow() as uow:
            return _view(uow.session, _load(uow.session, filing_id, user), ctx)

    @router.patch("/{filing_id}", openapi_extra=body_schema(FilingPatch))
    def patch_filing(filing_id: uuid.UUID, user: Depositor, ctx: CtxDep, body: JsonBody = None) -> dict[str, Any]:
        data = parse(FilingPatch, body)
        changes = {name: getattr(data, name) for name in data.model_fields_set}
        nulls = [name for name, value in changes.items() if value is None and name not in NULLABLE]
        if nulls:
            raise invalid(*(field_error(n, "Ce champ ne peut pas être vide.", "null") for n in nulls))
        with ctx.uow() as uow:
            filing = _load(uow.session, filing_id, user, write=True, lock=True)
            for name in changes:
                if not may_edit(filing.status, filing.case_status, filing.editable_items, name):
                    raise _not_editable(filing, name)
            dumped = data.model_dump(include=set(changes))
            for name, value in dumped.items():
                setattr(filing, name, value)
            _coherence(filing)
            filing.updated_at = ctx.clock.now()
            uow.session.add(filing)
            uow.commit()
            return _view(uow.session, filing, ctx)

    # ---------------------------------------------------------------- documents

    def check_upload(filing_id: uuid.UUID, doc_type: str, user: Principal, document_date: dt.date | None) -> None:
        """Everything that can be refused before reading the body."""
        with ctx.uow() as uow:
            filing = _load(uow.session, filing_id, user, write=True)
            piece = _doc_type_param(filing, doc_type)
            if not may_edit(filing.status, filing.case_status, filing.editable_items, doc_type):
                raise _not_editable(filing, doc_type)
            if piece.dated and (msg := rules.date_problem(document_date, _today(ctx))):
                raise invalid(field_error("document_date", msg, "document_date", where="query"))

    def store_upload(
        filing_id: uuid.UUID, doc_type: str, user: Principal, document_date: dt.date | None, received: ReceivedFile
    ) -> dict[str, Any]:
        """The object, then its row; if the row cannot be written the object goes too."""
        assert ctx.blobs is not None
        bucket = ctx.bucket("documents")
        document_id = uuid.uuid4()
        key = f"{filing_id}/{document_id}"
        ctx.blobs.put_file(bucket, key, received.path, received.content_type)
        try:
            return insert_document(filing_id, doc_type, user, document_date, received, document_id, key)
        except BaseException:
            _delete_quietly(ctx, bucket, key)
            raise

    def insert_document(
        filing_id: uuid.UUID,
        doc_type: str,
        user: Principal,
        document_date: dt.date | None,
        received: ReceivedFile,
        document_id: uuid.UUID,
        key: str,
    ) -> dict[str, Any]:
        now = ctx.clock.now()
        with ctx.uow() as uow:
            # Checked again under the filing's lock: the state may have moved during the upload.
            filing = _load(uow.session, filing_id, user, write=True, lock=True)
            piece = _doc_type_param(filing, doc_type)
            if not may_edit(filing.status, filing.case_status, filing.editable_items, doc_type):
                raise _not_editable(filing, doc_type)
            if piece.dated and (msg := rules.date_problem(document_date, _today(ctx))):
                raise invalid(field_error("document_date", msg, "document_date", where="query"))
            version = 1
            if not piece.multiple:
                same_type = uow.session.exec(select(Document).where(Document.filing_id == filing.id, Document.doc_type == doc_type)).all()
                version = max((d.version for d in same_type), default=0) + 1
                for previous in same_type:
                    if previous.is_current:
                        previous.superseded_at = now
                        uow.session.add(previous)
            filename = received.filename
            if filename == "document":  # no name given: at least the right extension
                filename += EXTENSIONS.get(received.content_type, "")
            document = Document(
                id=document_id,
                filing_id=filing.id,
                doc_type=doc_type,
                version=version,
                sha256=received.sha256,
                size=received.size,
                content_type=received.content_type,
                filename=filename,
                document_date=document_date if piece.dated else None,
                object_key=key,
                uploaded_by=user.account_id,
                uploaded_at=now,
            )
            uow.session.add(document)
            filing.updated_at = now
            uow.session.add(filing)
            uow.commit()
            return document_view(document)

    @router.post(
        "/{filing_id}/documents/{doc_type}",
        status_code=201,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                    "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}},
                },
            }
        },
    )
    async def upload_document(
        filing_id: uuid.UUID,
        doc_type: str,
        request: Request,
        user: Depositor,
        document_date: str | None = None,
    ) -> dict[str, Any]:
        """A piece, streamed (raw body with ``?filename=`` or a multipart ``file``); dated
        pieces take ``?document_date=YYYY-MM-DD``. Replacing a single piece keeps the
        previous one as an older version; several ``support_letter`` are allowed."""
        when = _date_param(document_date)
        await run_in_threadpool(check_upload, filing_id, doc_type, user, when)
        received = await receive_upload(request, max_bytes=ctx.settings.max_upload_bytes)
        try:
            return await run_in_threadpool(store_upload, filing_id, doc_type, user, when, received)
        finally:
            received.discard()

    @router.get("/{filing_id}/documents")
    def list_documents(filing_id: uuid.UUID, user: CurrentUser, ctx: CtxDep) -> dict[str, Any]:
        """Every piece with its versions, newest first; ``current`` is the version in force."""
        _check_reader(user)
        order = {t: i for i, t in enumerate(rules.CATALOGUE)}
        with ctx.uow() as uow:
            filing = _load(uow.session, filing_id, user)
            docs = uow.session.exec(select(Document).where(Document.filing_id == filing.id)).all()
            pieces: dict[str, list[Document]] = {}
            for doc in docs:
                multiple = rules.CATALOGUE.get(doc.doc_type, rules.Kind("")).multiple
                pieces.setdefault(f"{doc.doc_type}:{doc.id}" if multiple else doc.doc_type, []).append(doc)
            items = []
            for versions in pieces.values():
                versions.sort(key=lambda d: d.version, reverse=True)
                current = next((d for d in versions if d.is_current), None)
                first = versions[-1]
                items.append(
                    {
                        "doc_type": first.doc_type,
                        "label": rules.CATALOGUE[first.doc_type].label if first.doc_type in rules.CATALOGUE else first.doc_type,
                        "current": document_view(current) if current else None,
                        "versions": [document_view(d) for d in versions],
                        "_order": (order.get(first.doc_type, 99), first.aware("uploaded_at")),
                    }
                )
            items.sort(key=lambda i: i.pop("_order"))
            return {"items": items}

    @router.get("/{filing_id}/documents/{document_id}/content")
    def download_document(filing_id: uuid.UUID, document_id: uuid.UUID, user: CurrentUser, ctx: CtxDep) -> StreamingResponse:
        _check_reader(user)
        with ctx.uow() as uow:
            filing = _load(uow.session, filing_id, user)
            doc = uow.session.exec(select(Document).where(Document.id == document_id, Document.filing_id == filing.id)).first()
            if doc is None:
                raise ApiError(404, "Document introuvable.", code="not_found")
            return _attachment(doc.filename, doc.size, doc.content_type, _stream(ctx, ctx.bucket("documents"), doc.object_key))

    @router.delete("/{filing_id}/documents/{document_id}", status_code=204)
    def delete_document(filing_id: uuid.UUID, document_id: uuid.UUID, user: Depositor, ctx: CtxDep) -> Response:
        """Removes a piece while it is editable. A version never submitted is erased; one
        that was part of a submission is only withdrawn from the filing (kept as history)."""
        erase: str | None = None
        with ctx.uow() as uow:
            filing = _load(uow.session, filing_id, user, write=True, lock=True)
            doc = uow.session.exec(select(Document).where(Document.id == document_id, Document.filing_id == filing.id)).first()
            if doc is None:
                raise ApiError(404, "Document introuvable.", code="not_found")
            if not may_edit(filing.status, filing.case_status, filing.editable_items, doc.doc_type):
                raise _not_editable(filing, doc.doc_type)
            if not doc.is_current:
                raise conflict(
                    "Seule la version en vigueur d'une pièce peut être supprimée ; les versions antérieures restent dans l'historique.",
                    code="not_current",
                )
            now = ctx.clock.now()
            if doc.submitted_in_round is None:
                erase = doc.object_key
                uow.session.delete(doc)
            else:
                doc.removed_at = now
                uow.session.add(doc)
            filing.updated_at = now
            uow.session.add(filing)
            uow.commit()
        if erase:
            _delete_quietly(ctx, ctx.bucket("documents"), erase)
        return Response(status_code=204)

    # ---------------------------------------------------------------- submission

    @router.post("/{filing_id}/submit", status_code=202, openapi_extra=body_schema(SubmitBody))
    def submit_filing(filing_id: uuid.UUID, user: Depositor, ctx: CtxDep, body: JsonBody = None) -> dict[str, Any]:
        """With the sworn statement. 422 lists every missing or invalid item; on success
        the filing is locked, a proof of submission is issued and review is told."""
        data = parse(SubmitBody, body)
        if data.sworn_statement is not True:
            raise invalid(
                field_error(
                    "sworn_statement",
                    "La déclaration sur l'honneur est obligatoire : des informations fausses ou incomplètes "
                    "suspendent la demande, une fausse déclaration la rend irrecevable.",
                    "sworn_statement_required",
                )
            )
        assert ctx.blobs is not None
        now = ctx.clock.now()
        with ctx.uow() as uow:
            filing = _load(uow.session, filing_id, user, write=True, lock=True)
            if not may_submit(filing.status, filing.case_status, filing.editable_items):
                raise _not_editable(filing)
            current = _current_documents(uow.session, filing.id)
            problems = rules.submission_problems(filing, _fields(filing), current, rules.today(now))
            if problems:
                raise ApiError(
                    422,
                    [{"loc": ["filing", *p.loc], "msg": p.msg, "type": p.type} for p in problems],
                    code="incomplete",
                )
            round_ = filing.submission_round + 1
            manifest = [
                DocumentRef(
                    document_id=d.id,
                    doc_type=d.doc_type,  # type: ignore[arg-type]
                    version=d.version,
                    sha256=d.sha256,
                    size=d.size,
                    content_type=d.content_type,
                    filename=d.filename,
                    document_date=d.document_date,
                )
                for d in current
            ]
            receipt = Receipt(
                filing_id=filing.id,
                submission_round=round_,
                object_key="",
                sha256="",
                size=0,
                submitted_by=user.account_id,
                created_at=now,
            )
            receipt.object_key = f"{filing.id}/{receipt.id}.pdf"
            bucket = ctx.bucket("receipts")
            with tempfile.TemporaryDirectory(prefix="receipt-") as tmp:
                path = Path(tmp) / "receipt.pdf"
                render_receipt(
                    path,
                    filing_id=str(filing.id),
                    repertoire=filing.repertoire,
                    title=filing.title,
                    qualification_level=filing.qualification_level,
                    submission_round=round_,
                    submitted_at=now,
                    submitted_by=user.name or user.email,
                    documents=[m.model_dump(mode="json") for m in manifest],
                )
                content = path.read_bytes()
                receipt.sha256 = hashlib.sha256(content).hexdigest()
                receipt.size = len(content)
                ctx.blobs.put_file(bucket, receipt.object_key, path, "application/pdf")
            try:
                for d in current:
                    if d.submitted_in_round is None:
                        d.submitted_in_round = round_
                        uow.session.add(d)
                in_response_to = filing.open_request_id
                filing.status = SUBMITTED
                filing.submission_round = round_
                filing.submitted_at = now
                filing.updated_at = now
                # Locked until review says otherwise; the request is answered.
                filing.case_status = None
                filing.editable_items = []
                filing.banner = None
                filing.open_request = None
                filing.open_request_id = None
                filing.due_date = None
                uow.session.add(filing)
                uow.session.add(receipt)
                uow.emit(
                    FilingSubmitted(
                        filing_id=filing.id,
                        entity_id=filing.entity_id,
                        repertoire=filing.repertoire,  # type: ignore[arg-type]
                        title=filing.title,
                        qualification_level=filing.qualification_level,
                        is_cqp=filing.is_cqp,
                        cqp_filed_by=filing.cqp_filed_by,  # type: ignore[arg-type]
                        rests_on_standards=filing.rests_on_standards,
                        summary=filing.summary or "",
                        submission_round=round_,
                        in_response_to=in_response_to,
                        submitted_by=user.account_id,
                        submitted_at=now,
                        activities=list(filing.activities),
                        competences=list(filing.competences),
                        competence_blocks=[CompetenceBlock.model_validate(b) for b in filing.competence_blocks],
                        assessment_methods=list(filing.assessment_methods),
                        documents=manifest,
                    )
                )
                uow.commit()
            except BaseException:
                _delete_quietly(ctx, bucket, receipt.object_key)
                raise
            return {
                **_view(uow.session, filing, ctx),
                "receipt": receipt_view(receipt),
                "in_response_to": str(in_response_to) if in_response_to else None,
            }

    @router.post("/{filing_id}/withdraw", status_code=202, openapi_extra=body_schema(WithdrawBody))
    def withdraw_filing(filing_id: uuid.UUID, user: Depositor, ctx: CtxDep, body: JsonBody = None) -> dict[str, Any]:
        """At any time before the decision; review closes the case."""
        data = parse(WithdrawBody, body)
        now = ctx.clock.now()
        with ctx.uow() as uow:
            filing = _load(uow.session, filing_id, user, write=True, lock=True)
            if not may_withdraw(filing.status, filing.case_status):
                label = procedure_status(filing.status, filing.case_status, filing.submission_round)
                raise conflict(
                    f"Le dossier ne peut plus être retiré : il est « {label} ».",
                    code="not_withdrawable",
                    state=filing.status,
                    case_status=filing.case_status,
                )
            was_submitted = filing.submission_round > 0
            filing.status = WITHDRAWN
            filing.withdrawn_at = now
            filing.updated_at = now
            filing.editable_items = []
            uow.session.add(filing)
            if was_submitted:  # a draft was never known outside filings
                uow.emit(
                    FilingWithdrawn(
                        filing_id=filing.id,
                        entity_id=filing.entity_id,
                        repertoire=filing.repertoire,  # type: ignore[arg-type]
                        title=filing.title,
                        withdrawn_by=user.account_id,
                        withdrawn_at=now,
                        reason=data.reason or None,
                    )
                )
            uow.commit()
            return _view(uow.session, filing, ctx)

    # ---------------------------------------------------------------- receipts

    @router.get("/{filing_id}/receipts")
    def list_receipts(filing_id: uuid.UUID, user: CurrentUser, ctx: CtxDep) -> dict[str, Any]:
        """The proofs of submission, one per submission round."""
        _check_reader(user)
        with ctx.uow() as uow:
            filing = _load(uow.session, filing_id, user)
            rows = uow.session.exec(
                select(Receipt).where(Receipt.filing_id == filing.id).order_by(Receipt.submission_round)  # type: ignore[arg-type]
            ).all()
            return {"items": [receipt_view(r) for r in rows]}

    @router.get("/{filing_id}/receipts/{receipt_id}/content")
    def download_receipt(filing_id: uuid.UUID, receipt_id: uuid.UUID, user: CurrentUser, ctx: CtxDep) -> StreamingResponse:
        _check_reader(user)
        with ctx.uow() as uow:
            filing = _load(uow.session, filing_id, user)
            receipt = uow.session.exec(select(Receipt).where(Receipt.id == receipt_id, Receipt.filing_id == filing.id)).first()
            if receipt is None:
                raise ApiError(404, "Accusé de dépôt introuvable.", code="not_found")
            return _attachment(
                receipt_filename(receipt), receipt.size, "application/pdf", _stream(ctx, ctx.bucket("receipts"), receipt.object_key)
            )

    return router


__all__ = ["build_router"]

"""The use cases that change a filing: one function each, its own transaction.

A depositor acts on their own entity's filings only, and only on what is editable now
(everything of a draft; once submitted, what review reopened)."""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, select

from certreg_contracts.calendar import paris_date
from certreg_contracts.events.filings import (
    CompetenceBlock,
    DocumentRef,
    Fiche,
    FilingCreated,
    FilingSubmitted,
    FilingWithdrawalRequested,
)
from certreg_runtime.auth import Principal
from certreg_runtime.contacts import Contacts
from certreg_runtime.errors import Conflict, Invalid, conflict, field_error, invalid, not_found
from certreg_runtime.idempotency import Once
from certreg_runtime.service import Deps
from certreg_runtime.settings import service_config
from certreg_runtime.storage import delete_quietly, store_then_record
from certreg_runtime.uploads import ReceivedFile, check_dossier_quota
from filings.adapters.receipts import ReceiptContent, render_receipt
from filings.adapters.references import next_reference
from filings.adapters.tables import Document, Filing, Receipt, RegisteredNumber
from filings.api.schemas import FilingIn, FilingPatch, SubmitIn, WithdrawIn
from filings.app.queries import FilingRecord, current_documents, dated_reference, entity_of, load_filing, record_of
from filings.domain import rules
from filings.domain.changes import described
from filings.domain.status import SUBMITTED, WITHDRAWAL_REQUESTED, WITHDRAWN, may_edit, may_submit, may_withdraw, procedure_status

SWORN_STATEMENT = (
    "La déclaration sur l'honneur est obligatoire : des informations fausses ou incomplètes "
    "suspendent la demande, une fausse déclaration la rend irrecevable."
)


@dataclass(frozen=True)
class Submission:
    record: FilingRecord
    receipt: Receipt
    in_response_to: uuid.UUID | None


# --------------------------------------------------------------------------- checks


def _not_editable(filing: Filing, item: str | None = None) -> Conflict:
    label = procedure_status(filing.status, filing.case_status, filing.submission_round, (filing.fiche or {}).get("registration_type"))
    what = f"« {item} » n'est pas modifiable" if item else "Le dossier n'est pas modifiable"
    return conflict(
        f"{what} : le dossier est « {label} ».",
        code="not_editable",
        state=filing.status,
        case_status=filing.case_status,
        editable_items=list(filing.editable_items or []),
    )


def _check_editable(filing: Filing, item: str) -> None:
    if not may_edit(filing.status, filing.case_status, filing.editable_items, item):
        raise _not_editable(filing, item)


def _coherence(filing: Filing) -> None:
    """The filing's own fields agree with each other (422 naming the field otherwise)."""
    errors = []
    if msg := rules.level_problem(filing.repertoire, filing.qualification_level):
        errors.append(field_error("qualification_level", msg, "level"))
    if msg := rules.cqp_problem(filing.is_cqp, filing.cqp_filed_by):
        errors.append(field_error("cqp_filed_by", msg, "cqp"))
    if filing.repertoire == "rs" and filing.competence_blocks:
        errors.append(field_error("competence_blocks", "Les blocs de compétences ne concernent que le RNCP.", "rncp_only"))
    if msg := rules.by_right_problem(filing.repertoire, filing.fiche or {}):
        errors.append(field_error(["fiche", "by_right_basis"], msg, "by_right"))
    if (filing.recommendations_follow_up or "").strip() and not filing.renews:
        errors.append(
            field_error(
                "recommendations_follow_up",
                "Seule une demande de renouvellement dit comment les recommandations de l’enregistrement précédent ont été suivies.",
                "not_a_renewal",
            )
        )
    if errors:
        raise invalid(*errors)


def _numbers_exist(session: Session, filing: Filing) -> None:
    """The registry numbers the fiche names (the certifications it follows, its equivalences)
    were given by this registry (``review.case.registered``): else a 422 naming each."""
    fiche = filing.fiche or {}
    named: list[tuple[list[str | int], str]] = [
        (["fiche", "former_numbers", n], str(v)) for n, v in enumerate(fiche.get("former_numbers") or [])
    ]
    named += [
        (["fiche", "equivalences", n, "number"], str(e["number"])) for n, e in enumerate(fiche.get("equivalences") or []) if e.get("number")
    ]
    if not named:
        return
    wanted = {number for _, number in named}
    known = set(session.exec(select(RegisteredNumber.number).where(col(RegisteredNumber.number).in_(wanted))).all())
    errors = [
        field_error(loc, f"La fiche {number} n'existe pas au registre : vérifiez le numéro.", "unknown_number")
        for loc, number in named
        if number not in known
    ]
    if errors:
        raise invalid(*errors)


def _expected_piece(filing: Filing, doc_type: str) -> rules.Piece:
    if doc_type not in rules.CATALOGUE:
        raise invalid(field_error("doc_type", "Type de pièce inconnu.", "unknown_doc_type", where="path"))
    piece = rules.piece_for(filing, doc_type)
    if piece is None:
        label = rules.CATALOGUE[doc_type].label
        raise invalid(
            field_error("doc_type", f"Cette pièce (« {label} ») n'est pas demandée pour ce dossier.", "not_expected", where="path")
        )
    return piece


def _acceptable_piece(filing: Filing, doc_type: str, document_date: dt.date | None, today: dt.date) -> rules.Piece:
    """The piece ``doc_type`` of this filing, if it may be uploaded now with that date."""
    piece = _expected_piece(filing, doc_type)
    _check_editable(filing, doc_type)
    if piece.dated and (msg := rules.date_problem(document_date, today)):
        raise invalid(field_error("document_date", msg, "document_date", where="query"))
    return piece


# --------------------------------------------------------------------------- drafts


def create_filing(deps: Deps, user: Principal, body: FilingIn, once: Once[FilingRecord, Any] | None = None) -> FilingRecord:
    """A draft. The answer is built from what the transaction wrote, before its commit
    (kept there with the key when ``once`` is given): nothing read after the commit can
    turn a made draft into an error, which a client would retry into a second draft."""
    entity_id = entity_of(user)
    now = deps.clock.now()
    filing = Filing(entity_id=entity_id, created_by=user.account_id, created_at=now, updated_at=now, **body.model_dump())
    _coherence(filing)
    with deps.uow() as uow:
        _numbers_exist(uow.session, filing)
        filing.reference = next_reference(uow.session, paris_date(now).year)
        uow.session.add(filing)
        uow.emit(
            FilingCreated(
                filing_id=filing.id, entity_id=entity_id, repertoire=filing.repertoire, title=filing.title, created_by=user.account_id
            )
        )
        record = record_of(uow.session, filing, now)
        if once:
            once.keep(uow, record)
        uow.commit()
        return record


def patch_filing(deps: Deps, user: Principal, filing_id: uuid.UUID, body: FilingPatch) -> FilingRecord:
    """Changes the fields sent, each only if editable now."""
    changes = body.model_dump(include=set(body.model_fields_set))
    now = deps.clock.now()
    with deps.uow() as uow:
        filing = load_filing(uow.session, filing_id, user, write=True, lock=True)
        for name in changes:
            _check_editable(filing, name)
        for name, value in changes.items():
            setattr(filing, name, value)
        _coherence(filing)
        if "fiche" in changes:
            _numbers_exist(uow.session, filing)
        filing.updated_at = now
        uow.session.add(filing)
        record = record_of(uow.session, filing, now)
        uow.commit()
        return record


# --------------------------------------------------------------------------- documents


def check_upload(deps: Deps, user: Principal, filing_id: uuid.UUID, doc_type: str, document_date: dt.date | None) -> None:
    """Everything that can be refused before the body is read."""
    with deps.uow() as uow:
        filing = load_filing(uow.session, filing_id, user, write=True)
        _acceptable_piece(filing, doc_type, document_date, paris_date(deps.clock.now()))


def upload_document(
    deps: Deps, user: Principal, filing_id: uuid.UUID, doc_type: str, document_date: dt.date | None, received: ReceivedFile
) -> Document:
    """A piece: the object first, then its row (under the filing's lock, checked again:
    the filing may have moved during the upload); no row, no object. A single piece
    replaced keeps its previous version as history; ``support_letter`` may be several."""
    document_id = uuid.uuid4()
    key = f"{filing_id}/{document_id}"
    max_total = deps.settings.max_dossier_bytes
    with deps.uow() as uow:
        check_dossier_quota(_stored_bytes(uow.session, filing_id), received.size, max_total)

    def record() -> Document:
        now = deps.clock.now()
        with deps.uow() as uow:
            filing = load_filing(uow.session, filing_id, user, write=True, lock=True)
            piece = _acceptable_piece(filing, doc_type, document_date, paris_date(now))
            check_dossier_quota(_stored_bytes(uow.session, filing.id), received.size, max_total)
            version = 1
            if not piece.multiple:
                same_type = uow.session.exec(
                    select(Document).where(Document.filing_id == filing.id, Document.doc_type == piece.doc_type)
                ).all()
                version = max((d.version for d in same_type), default=0) + 1
                for previous in same_type:
                    if previous.is_current:
                        previous.superseded_at = now
                        uow.session.add(previous)
            document = Document(
                id=document_id,
                filing_id=filing.id,
                doc_type=piece.doc_type,
                version=version,
                sha256=received.sha256,
                size=received.size,
                content_type=received.content_type,
                filename=received.filename,
                document_date=document_date if piece.dated else None,
                object_key=key,
                uploaded_by=user.account_id,
                uploaded_at=now,
            )
            uow.session.add(document)
            filing.updated_at = now
            uow.session.add(filing)
            uow.commit()
            return document

    return store_then_record(deps.storage, deps.bucket("documents"), key, received.path, received.content_type, record)


def _stored_bytes(session: Session, filing_id: uuid.UUID) -> int:
    """What the filing's pieces hold in storage, every version (issue 11, point 17)."""
    return int(session.exec(select(func.coalesce(func.sum(Document.size), 0)).where(Document.filing_id == filing_id)).one())


def delete_document(deps: Deps, user: Principal, filing_id: uuid.UUID, document_id: uuid.UUID) -> None:
    """Removes the version in force of a piece while it is editable. A version never
    submitted is erased (its object too, after commit); one that was part of a
    submission is only withdrawn from the filing and kept as history."""
    erase: str | None = None
    now = deps.clock.now()
    with deps.uow() as uow:
        filing = load_filing(uow.session, filing_id, user, write=True, lock=True)
        doc = uow.session.exec(select(Document).where(Document.id == document_id, Document.filing_id == filing.id)).first()
        if doc is None:
            raise not_found("Document introuvable.")
        _check_editable(filing, doc.doc_type)
        if not doc.is_current:
            raise conflict(
                "Seule la version en vigueur d'une pièce peut être supprimée ; les versions antérieures restent dans l'historique.",
                code="not_current",
            )
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
        delete_quietly(deps.storage, deps.bucket("documents"), erase)


# --------------------------------------------------------------------------- submission


def submit_filing(
    deps: Deps, user: Principal, filing_id: uuid.UUID, body: SubmitIn, once: Once[Submission, Any] | None = None
) -> Submission:
    """With the sworn statement. ``Invalid`` lists every missing or invalid item; on
    success the filing is locked, a proof of submission is stored and review is told.

    The proof is rendered and stored before the filing is locked (no slow I/O under the
    row lock), then the filing is checked again under the lock: if it changed meanwhile
    the proof is deleted, and made again while the filing can still be submitted."""
    if body.sworn_statement is not True:
        raise invalid(field_error("sworn_statement", SWORN_STATEMENT, "sworn_statement_required"))
    for _ in range(3):
        now = deps.clock.now()
        with deps.uow() as uow:
            content = _receipt_content(uow.session, load_filing(uow.session, filing_id, user, write=True), user, now)
        try:
            return _issue(deps, user, content, once)
        except _Moved:
            continue
    raise conflict("Le dossier a été modifié pendant son dépôt : réessayez.", code="changed")


class _Moved(Exception):
    """The filing changed between the rendering of its proof and its lock."""


def _receipt_content(session: Session, filing: Filing, user: Principal, now: dt.datetime) -> ReceiptContent:
    """What the proof of the filing's next submission states, if it may be submitted now."""
    if not may_submit(filing.status, filing.case_status, filing.editable_items):
        raise _not_editable(filing)
    current = current_documents(session, filing.id)
    fields = {name: getattr(filing, name) for name in rules.EDITABLE_FIELDS}
    if problems := rules.submission_problems(filing, fields, current, dated_reference(session, filing, now)):
        raise Invalid([{"loc": ["filing", *p.loc], "msg": p.msg, "type": p.type} for p in problems], code="incomplete")
    return ReceiptContent(
        filing_id=filing.id,
        reference=filing.reference,
        repertoire=filing.repertoire,
        title=filing.title,
        qualification_level=filing.qualification_level,
        submission_round=filing.submission_round + 1,
        submitted_at=now,
        submitted_by=user.name or user.email,
        documents=tuple(
            DocumentRef(
                document_id=d.id,
                doc_type=d.doc_type,
                version=d.version,
                sha256=d.sha256,
                size=d.size,
                content_type=d.content_type,
                filename=d.filename,
                document_date=d.document_date,
            )
            for d in current
        ),
    )


def _issue(deps: Deps, user: Principal, content: ReceiptContent, once: Once[Submission, Any] | None) -> Submission:
    """The proof rendered and stored, then the submission recorded under the filing's
    lock if the filing is still what the proof states (else ``_Moved``, proof deleted)."""
    receipt = Receipt(
        filing_id=content.filing_id,
        submission_round=content.submission_round,
        object_key="",
        sha256="",
        size=0,
        submitted_by=user.account_id,
        created_at=content.submitted_at,
    )
    receipt.object_key = f"{content.filing_id}/{receipt.id}.pdf"

    def record() -> Submission:
        with deps.uow() as uow:
            filing = load_filing(uow.session, content.filing_id, user, write=True, lock=True)
            if _receipt_content(uow.session, filing, user, content.submitted_at) != content:
                raise _Moved
            event = _submitted_event(filing, content, user)
            receipt.described = described(filing)
            _mark_submitted(uow.session, filing, content)
            uow.session.add(receipt)
            uow.emit(event)
            submission = Submission(record_of(uow.session, filing, content.submitted_at), receipt, event.in_response_to)
            if once:
                once.keep(uow, submission)
            uow.commit()
            return submission

    with tempfile.TemporaryDirectory(prefix="receipt-") as tmp:
        path = Path(tmp) / "receipt.pdf"
        render_receipt(path, content, service=service_config(Contacts, deps.settings).service_name)
        data = path.read_bytes()
        receipt.sha256, receipt.size = hashlib.sha256(data).hexdigest(), len(data)
        return store_then_record(deps.storage, deps.bucket("receipts"), receipt.object_key, path, "application/pdf", record)


def _mark_submitted(session: Session, filing: Filing, content: ReceiptContent) -> None:
    """Locked until review says otherwise; the open request, if any, is answered."""
    round_, now = content.submission_round, content.submitted_at
    for d in current_documents(session, filing.id):
        if d.submitted_in_round is None:
            d.submitted_in_round = round_
            session.add(d)
    filing.status = SUBMITTED
    filing.submission_round = round_
    filing.submitted_at = now
    filing.updated_at = now
    filing.case_status = None
    filing.editable_items = []
    filing.banner = None
    filing.open_request = None
    filing.open_request_id = None
    filing.due_date = None
    session.add(filing)


def _submitted_event(filing: Filing, content: ReceiptContent, user: Principal) -> FilingSubmitted:
    """Made before ``_mark_submitted``: it answers the request still open."""
    return FilingSubmitted(
        filing_id=filing.id,
        reference=filing.reference,
        entity_id=filing.entity_id,
        repertoire=filing.repertoire,
        title=filing.title,
        qualification_level=filing.qualification_level,
        is_cqp=filing.is_cqp,
        cqp_filed_by=filing.cqp_filed_by,
        rests_on_standards=filing.rests_on_standards,
        summary=filing.summary or "",
        submission_round=content.submission_round,
        in_response_to=filing.open_request_id,
        submitted_by=user.account_id,
        submitted_at=content.submitted_at,
        activities=list(filing.activities),
        competences=list(filing.competences),
        competence_blocks=[CompetenceBlock.model_validate(b) for b in filing.competence_blocks],
        assessment_methods=list(filing.assessment_methods),
        documents=list(content.documents),
        fiche=Fiche.model_validate(filing.fiche or {}),
        renews=filing.renews,
        recommendations_follow_up=(filing.recommendations_follow_up or None) if filing.renews else None,
    )


# --------------------------------------------------------------------------- withdrawal


def withdraw_filing(deps: Deps, user: Principal, filing_id: uuid.UUID, body: WithdrawIn) -> FilingRecord:
    """A draft was never known outside filings: it is withdrawn at once and tells nobody.
    A submitted filing's procedure is review's: the withdrawal becomes a request
    (``withdrawal_requested``, nothing editable meanwhile) that review grants if no
    decision ended the case first, or refuses (``review.case.withdrawal_refused``)."""
    now = deps.clock.now()
    with deps.uow() as uow:
        filing = load_filing(uow.session, filing_id, user, write=True, lock=True)
        if not may_withdraw(filing.status, filing.case_status):
            label = procedure_status(
                filing.status, filing.case_status, filing.submission_round, (filing.fiche or {}).get("registration_type")
            )
            raise conflict(
                f"Le dossier ne peut plus être retiré : il est « {label} ».",
                code="not_withdrawable",
                state=filing.status,
                case_status=filing.case_status,
            )
        if filing.submission_round > 0:
            filing.status = WITHDRAWAL_REQUESTED
            filing.withdrawal_requested_at = now
            uow.emit(
                FilingWithdrawalRequested(
                    filing_id=filing.id,
                    entity_id=filing.entity_id,
                    repertoire=filing.repertoire,
                    title=filing.title,
                    requested_by=user.account_id,
                    requested_at=now,
                    reason=body.reason or None,
                )
            )
        else:
            filing.status = WITHDRAWN
            filing.withdrawn_at = now
            filing.editable_items = []
        filing.updated_at = now
        uow.session.add(filing)
        record = record_of(uow.session, filing, now)
        uow.commit()
        return record

"""What the API shows of the rows (never a table as such)."""

from __future__ import annotations

from collections.abc import Iterable

from certreg_runtime.clock import as_utc
from certreg_runtime.uploads import stored_filename
from entities.adapters.tables import Application, Document, Entity
from entities.api.schemas import (
    AddressOut,
    ApplicationOut,
    ApplicationsOut,
    DocumentOut,
    EntityChangeOut,
    EntityDetailOut,
    EntityOut,
    MemberOut,
    PieceOut,
    StoredDocumentOut,
    SubmittedOut,
)
from entities.app.queries import ApplicationRecord, ApplicationsPage, EntityRecord
from entities.domain.rules import DOC_TYPE_LABELS


def stored_document_out(doc: Document) -> StoredDocumentOut:
    return StoredDocumentOut(
        document_id=doc.id,
        doc_type=doc.doc_type,
        version=doc.version,
        sha256=doc.sha256,
        size=doc.size,
        content_type=doc.content_type,
        filename=stored_filename(doc.filename, doc.content_type),
        document_date=doc.document_date,
    )


def document_out(doc: Document) -> DocumentOut:
    return DocumentOut(
        **stored_document_out(doc).model_dump(),
        application_id=doc.application_id,
        uploaded_by=doc.uploaded_by,
        uploaded_at=as_utc(doc.uploaded_at),
        download_url=f"/api/entities/applications/{doc.application_id}/documents/{doc.id}",
    )


def pieces_out(docs: Iterable[Document]) -> list[PieceOut]:
    """One entry per doc_type, its versions newest first."""
    by_type: dict[str, list[Document]] = {}
    for doc in docs:
        by_type.setdefault(doc.doc_type, []).append(doc)
    pieces = []
    for doc_type in sorted(by_type):
        versions = sorted(by_type[doc_type], key=lambda d: (d.version, d.uploaded_at), reverse=True)
        pieces.append(
            PieceOut(
                doc_type=doc_type,
                label=DOC_TYPE_LABELS.get(doc_type, doc_type),
                latest_version=versions[0].version,
                versions=[document_out(d) for d in versions],
            )
        )
    return pieces


def entity_out(entity: Entity, *, staff: bool = False) -> EntityOut:
    """``staff``: the viewer is France compétences' (only they see which agent verified it)."""
    address = None
    if any((entity.street, entity.postal_code, entity.city, entity.country)):
        address = AddressOut(street=entity.street, postal_code=entity.postal_code, city=entity.city, country=entity.country)
    return EntityOut(
        entity_id=entity.id,
        kind=entity.kind,
        legal_form=entity.legal_form,
        siret=entity.siret,
        denomination=entity.denomination,
        address=address,
        status=entity.status,
        created_at=as_utc(entity.created_at),
        verified_by=entity.verified_by if staff else None,
        verified_at=as_utc(entity.verified_at),
    )


def application_out(record: ApplicationRecord, *, staff: bool = False) -> ApplicationOut:
    """``staff``: the viewer is France compétences' (only they see which account decided)."""
    application = record.application
    return ApplicationOut(
        application_id=application.id,
        entity_id=application.entity_id,
        account_id=application.account_id,
        email=application.email,
        new_entity=application.new_entity,
        named_on_legal_proof=application.named_on_legal_proof,
        status=application.status,
        required_documents=record.required,
        missing_documents=record.missing,
        documents=pieces_out(record.documents),
        entity=entity_out(record.entity, staff=staff),
        created_at=as_utc(application.created_at),
        updated_at=as_utc(application.updated_at),
        submitted_at=as_utc(application.submitted_at),
        decided_at=as_utc(application.decided_at),
        decided_by=application.decided_by if staff else None,
        rejection_reason=application.rejection_reason,
    )


def applications_out(page: ApplicationsPage, *, staff: bool = False) -> ApplicationsOut:
    items = [application_out(r, staff=staff) for r in page.items]
    return ApplicationsOut(items=items, total=page.total, limit=page.limit, offset=page.offset)


def submitted_out(application: Application) -> SubmittedOut:
    return SubmittedOut(
        application_id=application.id, entity_id=application.entity_id, new_entity=application.new_entity, status="submitted"
    )


def entity_detail_out(record: EntityRecord, *, staff: bool = False) -> EntityDetailOut:
    return EntityDetailOut(
        **entity_out(record.entity, staff=staff).model_dump(),
        documents=pieces_out(record.documents),
        members=[
            MemberOut(
                account_id=m.account_id,
                email=m.email,
                first_name=m.first_name,
                last_name=m.last_name,
                role=m.role,
                since=as_utc(m.since),
            )
            for m in record.members
        ],
        changes=[
            EntityChangeOut(changed_by=c.changed_by, changed_at=as_utc(c.changed_at), before=c.before, after=c.after, reason=c.reason)
            for c in record.changes
        ]
        if staff
        else None,
    )

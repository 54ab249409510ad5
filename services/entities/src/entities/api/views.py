"""What the API shows of the tables (never a table as such) and the access rules of
each object."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from certreg_runtime.auth import ACCESS_SCOPE, Principal
from certreg_runtime.errors import ApiError, forbidden, not_found
from entities.adapters.tables import Application, Document, Entity, Membership
from entities.domain.rules import DOC_TYPE_LABELS, ProvidedPiece, required_documents


def aware(value: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes: they were written in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- access


def _is_access(user: Principal) -> bool:
    return user.scope == ACCESS_SCOPE


def is_si_admin(user: Principal) -> bool:
    return _is_access(user) and user.has_any("si_admin")


def is_manager_of(user: Principal, entity_id: uuid.UUID) -> bool:
    return _is_access(user) and user.has_any("entity_manager") and user.entity_id is not None and user.entity_id == entity_id


def check_may_read_application(user: Principal, application: Application) -> None:
    """The applicant, the SI administrator and the entity's manager. Someone of another
    entity (or with no entity) gets 404; staff or a member without the role get 403."""
    if user.account_id == application.account_id or is_si_admin(user) or is_manager_of(user, application.entity_id):
        return
    if _is_access(user) and (user.is_staff or user.entity_id == application.entity_id):
        raise forbidden("Réservé à l'administrateur SI et au gestionnaire de l'entité.")
    raise not_found("application")


def check_may_see_entity(user: Principal, entity_id: uuid.UUID) -> None:
    """Members of the entity and staff."""
    if _is_access(user) and user.may_see_entity(entity_id):
        return
    raise not_found("entity")


# --------------------------------------------------------------------------- queries


def latest_documents(session: Session, application_id: uuid.UUID) -> dict[str, Document]:
    docs = session.exec(select(Document).where(Document.application_id == application_id)).all()
    latest: dict[str, Document] = {}
    for doc in docs:
        if doc.doc_type not in latest or doc.version > latest[doc.doc_type].version:
            latest[doc.doc_type] = doc
    return latest


def provided_pieces(session: Session, application_id: uuid.UUID) -> dict[str, ProvidedPiece]:
    return {t: ProvidedPiece(t, d.document_date) for t, d in latest_documents(session, application_id).items()}


def required_for(application: Application, entity: Entity) -> list[str]:
    return required_documents(
        new_entity=application.new_entity, legal_form=entity.legal_form, named_on_legal_proof=application.named_on_legal_proof
    )


# --------------------------------------------------------------------------- views


def document_view(doc: Document) -> dict[str, Any]:
    return {
        "document_id": doc.id,
        "application_id": doc.application_id,
        "doc_type": doc.doc_type,
        "version": doc.version,
        "sha256": doc.sha256,
        "size": doc.size,
        "content_type": doc.content_type,
        "filename": doc.filename,
        "document_date": doc.document_date,
        "uploaded_by": doc.uploaded_by,
        "uploaded_at": aware(doc.uploaded_at),
        "download_url": f"/api/entities/applications/{doc.application_id}/documents/{doc.id}",
    }


def pieces_view(docs: Iterable[Document]) -> list[dict[str, Any]]:
    """One entry per doc_type, its versions newest first."""
    by_type: dict[str, list[Document]] = {}
    for doc in docs:
        by_type.setdefault(doc.doc_type, []).append(doc)
    pieces = []
    for doc_type in sorted(by_type):
        versions = sorted(by_type[doc_type], key=lambda d: (d.version, d.uploaded_at), reverse=True)
        pieces.append(
            {
                "doc_type": doc_type,
                "label": DOC_TYPE_LABELS.get(doc_type, doc_type),
                "latest_version": versions[0].version,
                "versions": [document_view(d) for d in versions],
            }
        )
    return pieces


def entity_view(entity: Entity) -> dict[str, Any]:
    address = None
    if any((entity.street, entity.postal_code, entity.city, entity.country)):
        address = {"street": entity.street, "postal_code": entity.postal_code, "city": entity.city, "country": entity.country}
    return {
        "entity_id": entity.id,
        "kind": entity.kind,
        "legal_form": entity.legal_form,
        "siret": entity.siret,
        "denomination": entity.denomination,
        "address": address,
        "status": entity.status,
        "created_at": aware(entity.created_at),
        "verified_by": entity.verified_by,
        "verified_at": aware(entity.verified_at),
    }


def application_view(session: Session, application: Application, entity: Entity) -> dict[str, Any]:
    docs = session.exec(select(Document).where(Document.application_id == application.id)).all()
    required = required_for(application, entity)
    provided = {d.doc_type for d in docs}
    return {
        "application_id": application.id,
        "entity_id": application.entity_id,
        "account_id": application.account_id,
        "email": application.email,
        "new_entity": application.new_entity,
        "named_on_legal_proof": application.named_on_legal_proof,
        "status": application.status,
        "required_documents": required,
        "missing_documents": [t for t in required if t not in provided],
        "documents": pieces_view(docs),
        "entity": entity_view(entity),
        "created_at": aware(application.created_at),
        "updated_at": aware(application.updated_at),
        "submitted_at": aware(application.submitted_at),
        "decided_at": aware(application.decided_at),
        "decided_by": application.decided_by,
        "rejection_reason": application.rejection_reason,
    }


def entity_detail_view(session: Session, entity: Entity) -> dict[str, Any]:
    docs = session.exec(select(Document).where(Document.entity_id == entity.id)).all()
    members = session.exec(select(Membership).where(Membership.entity_id == entity.id).order_by(sa.asc(Membership.since))).all()
    return {
        **entity_view(entity),
        "documents": pieces_view(docs),
        "members": [
            {
                "account_id": m.account_id,
                "email": m.email,
                "first_name": m.first_name,
                "last_name": m.last_name,
                "role": m.role,
                "since": aware(m.since),
            }
            for m in members
        ],
    }


def load_application(session: Session, application_id: uuid.UUID, *, for_update: bool = False) -> Application:
    query = select(Application).where(Application.id == application_id)
    if for_update:
        query = query.with_for_update()
    application = session.exec(query).first()
    if application is None:
        raise not_found("application")
    return application


def own_application(session: Session, user: Principal, application_id: uuid.UUID, *, for_update: bool = False) -> Application:
    """The applicant's own application; anyone else's is unknown to them (404)."""
    application = load_application(session, application_id, for_update=for_update)
    if application.account_id != user.account_id:
        raise not_found("application")
    return application


def require_draft(application: Application) -> None:
    if application.status != "draft":
        raise ApiError(
            409,
            f"La demande est déjà {STATUS_LABELS.get(application.status, application.status)} : elle ne peut plus être modifiée.",
            code="application_not_draft",
            state=application.status,
        )


STATUS_LABELS = {"draft": "en brouillon", "submitted": "envoyée", "approved": "acceptée", "rejected": "refusée"}

"""The read side: what the entities service answers, as rows read in one short session
(the API turns them into its answers). The loaders shared with the commands live here."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlmodel import Session, col, func, select

from certreg_runtime.auth import Principal
from certreg_runtime.errors import field_error, invalid, not_found
from certreg_runtime.service import Deps
from entities.adapters.tables import Application, Document, Entity, EntityChange, Membership
from entities.domain.access import applications_scope, check_may_read_application, check_may_see_entity
from entities.domain.rules import APPLICATION_STATUSES, VERIFIED, ProvidedPiece, as_invalid, required_documents, siret_problems


@dataclass(frozen=True)
class ApplicationRecord:
    """An application with its entity, every version of its pieces and the pieces it needs."""

    application: Application
    entity: Entity
    documents: list[Document]
    required: list[str]

    @property
    def missing(self) -> list[str]:
        provided = {d.doc_type for d in self.documents}
        return [t for t in self.required if t not in provided]


@dataclass(frozen=True)
class ApplicationsPage:
    items: list[ApplicationRecord]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class EntityRecord:
    """An entity with every version of its pieces and its members."""

    entity: Entity
    documents: list[Document]
    members: list[Membership]
    changes: list[EntityChange] = field(default_factory=list)  # the SI administrator's corrections, newest first


# --------------------------------------------------------------------------- loaders


@contextmanager
def reading(deps: Deps) -> Iterator[Session]:
    """A session for reading whose rows stay readable once it is closed (the closing
    rollback of the unit of work would expire them)."""
    with deps.uow() as uow:
        yield uow.session
        uow.session.expunge_all()


def verified_entity_by_siret(session: Session, siret: str) -> Entity | None:
    """The entity of this SIRET that the SI administrator verified: the only one that
    exists for anyone but its applicant (a candidate is nobody else's business)."""
    return session.exec(select(Entity).where(Entity.siret == siret, Entity.status == VERIFIED)).first()


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


def required_for(application: Application, entity: Entity) -> list[str]:
    return required_documents(
        new_entity=application.new_entity, legal_form=entity.legal_form, named_on_legal_proof=application.named_on_legal_proof
    )


def provided_pieces(session: Session, application_id: uuid.UUID) -> dict[str, ProvidedPiece]:
    """The latest version of each piece."""
    latest: dict[str, Document] = {}
    for doc in session.exec(select(Document).where(Document.application_id == application_id)).all():
        if doc.doc_type not in latest or doc.version > latest[doc.doc_type].version:
            latest[doc.doc_type] = doc
    return {t: ProvidedPiece(t, d.document_date) for t, d in latest.items()}


def application_records(session: Session, pairs: list[tuple[Application, Entity]]) -> list[ApplicationRecord]:
    """The records of these applications, their pieces read in one query."""
    ids = [application.id for application, _ in pairs]
    by_application: dict[uuid.UUID, list[Document]] = {i: [] for i in ids}
    if ids:
        for doc in session.exec(select(Document).where(col(Document.application_id).in_(ids))).all():
            by_application[doc.application_id].append(doc)
    return [ApplicationRecord(a, e, by_application[a.id], required_for(a, e)) for a, e in pairs]


def application_record(session: Session, application: Application, entity: Entity) -> ApplicationRecord:
    [record] = application_records(session, [(application, entity)])
    return record


# --------------------------------------------------------------------------- queries


def lookup_entity(deps: Deps, siret: str) -> Entity:
    """The verified entity with this SIRET (SIRETs are public data); a candidate, draft
    or submitted, is not found."""
    problems = siret_problems(siret)
    if problems:
        raise as_invalid(problems, where="query")
    with reading(deps) as session:
        entity = verified_entity_by_siret(session, siret)
    if entity is None:
        raise not_found("entity")
    return entity


def list_applications(
    deps: Deps,
    user: Principal,
    *,
    account_id: uuid.UUID | None = None,
    entity_id: uuid.UUID | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> ApplicationsPage:
    """Every application for the SI administrator, their entity's for an entity manager;
    newest first."""
    scope_entity = applications_scope(user, entity_id)
    if status is not None and status not in APPLICATION_STATUSES:
        raise invalid(
            field_error("status", f"Statut inconnu : valeurs possibles {', '.join(APPLICATION_STATUSES)}.", "invalid_choice", where="query")
        )
    conditions = []
    if scope_entity is not None:
        conditions.append(col(Application.entity_id) == scope_entity)
    if account_id is not None:
        conditions.append(col(Application.account_id) == account_id)
    if status is not None:
        conditions.append(col(Application.status) == status)
    with reading(deps) as session:
        total = session.exec(select(func.count()).select_from(Application).where(*conditions)).one()
        rows = session.exec(
            select(Application, Entity)
            .join(Entity, col(Entity.id) == col(Application.entity_id))
            .where(*conditions)
            .order_by(col(Application.created_at).desc(), col(Application.id).asc())
            .limit(limit)
            .offset(offset)
        ).all()
        items = application_records(session, [(a, e) for a, e in rows])
    return ApplicationsPage(items, total, limit, offset)


def get_application(deps: Deps, user: Principal, application_id: uuid.UUID) -> ApplicationRecord:
    """For the applicant, the SI administrator and the entity's manager."""
    with reading(deps) as session:
        application = load_application(session, application_id)
        check_may_read_application(user, account_id=application.account_id, entity_id=application.entity_id)
        entity = session.get(Entity, application.entity_id)
        if entity is None:
            raise not_found("entity")
        record = application_record(session, application, entity)
    return record


def document_to_download(deps: Deps, user: Principal, application_id: uuid.UUID, document_id: uuid.UUID) -> Document:
    """A piece of an application, for those who may read the application."""
    with reading(deps) as session:
        application = load_application(session, application_id)
        check_may_read_application(user, account_id=application.account_id, entity_id=application.entity_id)
        document = session.get(Document, document_id)
        if document is None or document.application_id != application.id:
            raise not_found("document")
    return document


def get_entity(deps: Deps, user: Principal, entity_id: uuid.UUID) -> EntityRecord:
    """For the entity's members and staff."""
    check_may_see_entity(user, entity_id)
    with reading(deps) as session:
        entity = session.get(Entity, entity_id)
        if entity is None:
            raise not_found("entity")
        documents = session.exec(select(Document).where(Document.entity_id == entity.id)).all()
        members = session.exec(select(Membership).where(Membership.entity_id == entity.id).order_by(col(Membership.since).asc())).all()
        changes = session.exec(
            select(EntityChange).where(EntityChange.entity_id == entity.id).order_by(col(EntityChange.changed_at).desc())
        ).all()
    return EntityRecord(entity, list(documents), list(members), list(changes))

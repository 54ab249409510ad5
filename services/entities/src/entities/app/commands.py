"""The entities service's use cases: declare the entity (create or join it), add a
piece, submit the application. Each opens and commits its own unit of work."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from certreg_contracts.calendar import paris_date
from certreg_contracts.events.entities import ApplicationSubmitted, EntityCorrected
from certreg_runtime.auth import Principal
from certreg_runtime.errors import conflict, field_error, invalid, not_found
from certreg_runtime.idempotency import Once
from certreg_runtime.service import Deps
from certreg_runtime.storage import delete_quietly, store_then_record
from certreg_runtime.uploads import ReceivedFile, check_dossier_quota
from entities.adapters.tables import Application, Document, Entity, EntityChange
from entities.api.schemas import EntityCorrectionIn
from entities.app.queries import (
    ApplicationRecord,
    application_record,
    own_application,
    provided_pieces,
    required_for,
    verified_entity_by_siret,
)
from entities.domain.rules import (
    ENTITY_DOC_TYPES,
    PENDING_VERIFICATION,
    Address,
    Declaration,
    as_invalid,
    completeness,
    document_date_problems,
    identification_problems,
    is_kind,
    is_legal_form,
    new_entity_problems,
    require_draft,
)

BUCKET = "documents"


# --------------------------------------------------------------------------- declaring


def create_application(
    deps: Deps, user: Principal, decl: Declaration, once: Once[ApplicationRecord, Any] | None = None
) -> ApplicationRecord:
    """A SIRET the SI administrator verified joins its entity; otherwise the person
    declares a new entity of their own — a candidate, even when others are declaring the
    same SIRET (competing applications, each with its pieces, all before the SI
    administrator). The person's draft, if any, is replaced. The answer is built before
    the commit (and kept there with the key when ``once`` is given)."""
    problems = identification_problems(decl)
    if problems:
        raise as_invalid(problems)
    for attempt in range(2):
        try:
            record, stale_keys = _create_application_once(deps, user, decl, once)
        except IntegrityError:
            # The same person declared twice at the same moment: the retry replaces it.
            if attempt:
                raise conflict("Conflit d'enregistrement, réessayez.") from None
            continue
        for key in stale_keys:
            delete_quietly(deps.storage, deps.bucket(BUCKET), key)
        return record
    raise AssertionError("unreachable")


def _create_application_once(
    deps: Deps, user: Principal, decl: Declaration, once: Once[ApplicationRecord, Any] | None
) -> tuple[ApplicationRecord, list[str]]:
    now = deps.clock.now()
    with deps.uow() as uow:
        session = uow.session
        current = session.exec(
            select(Application).where(Application.account_id == user.account_id, col(Application.status).in_(("submitted", "approved")))
        ).first()
        if current is not None:
            raise conflict(
                "Une demande de rattachement a déjà été envoyée pour ce compte.",
                code="application_exists",
                state=current.status,
                application_id=str(current.id),
            )
        stale_keys = _discard_drafts(session, user.account_id)
        entity = verified_entity_by_siret(session, decl.siret) if decl.has_siret and decl.siret else None
        new_entity = entity is None
        if entity is None:
            problems = new_entity_problems(decl)
            kind, legal_form = decl.kind, decl.legal_form
            if problems or not is_kind(kind) or not is_legal_form(legal_form):
                raise as_invalid(problems)
            address = decl.address or Address()
            entity = Entity(
                kind=kind,
                legal_form=legal_form,
                siret=decl.siret if decl.has_siret else None,
                denomination=(decl.denomination or "").strip(),
                street=address.street,
                postal_code=address.postal_code,
                city=address.city,
                country=address.country,
                status=PENDING_VERIFICATION,
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
        record = application_record(session, application, entity)
        if once:
            once.keep(uow, record)
        uow.commit()
        return record, stale_keys


def _discard_drafts(session: Session, account_id: uuid.UUID) -> list[str]:
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
            if not others and entity is not None and entity.status == PENDING_VERIFICATION:
                session.delete(entity)
                session.flush()
    return keys


def expire_drafts(deps: Deps, ttl: timedelta) -> int:
    """Delete the draft applications unchanged for ``ttl``, their pieces and the
    candidate entity each declared (issue 11, point 1: a draft holds nothing for ever).
    How many were deleted."""
    cutoff = deps.clock.now() - ttl
    with deps.uow() as uow:
        session = uow.session
        stale = session.exec(
            select(Application.account_id).where(Application.status == "draft", col(Application.updated_at) < cutoff).distinct()
        ).all()
        keys: list[str] = []
        for account_id in stale:
            keys += _discard_drafts(session, account_id)
        uow.commit()
    for key in keys:
        delete_quietly(deps.storage, deps.bucket(BUCKET), key)
    return len(stale)


# --------------------------------------------------------------------------- pieces


def start_upload(deps: Deps, user: Principal, application_id: uuid.UUID, doc_type: str, document_date: str | None) -> date | None:
    """What is checked before the body is read: a known piece, its date (returned) and
    the applicant's own draft."""
    if doc_type not in ENTITY_DOC_TYPES:
        raise invalid(
            field_error("doc_type", f"Pièce inconnue : valeurs possibles {', '.join(ENTITY_DOC_TYPES)}.", "invalid_choice", where="path")
        )
    day = _parse_date(document_date)
    problems = document_date_problems(doc_type, day, paris_date(deps.clock.now()))
    if problems:
        raise as_invalid(problems, where="query")
    with deps.uow() as uow:
        require_draft(own_application(uow.session, user, application_id).status)
    return day


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise invalid(field_error("document_date", "Date invalide : format attendu AAAA-MM-JJ.", "date_format", where="query")) from None


def add_document(
    deps: Deps, user: Principal, application_id: uuid.UUID, doc_type: str, document_date: date | None, received: ReceivedFile
) -> Document:
    """The piece stored, then its row. The application is a draft (nobody examined its
    pieces yet): the same doc_type again replaces the previous piece, row and object, so
    that a draft holds at most one file per piece (issue 11, point 17); and every piece
    of the application together stays within ``CERTREG_MAX_DOSSIER_BYTES``. The
    application is checked again under its lock, since it may have been submitted while
    the body was read; then the object is deleted."""
    document_id = uuid.uuid4()
    key = f"applications/{application_id}/{doc_type}/{document_id}"
    max_total = deps.settings.max_dossier_bytes
    with deps.uow() as uow:
        check_dossier_quota(_kept_bytes(uow.session, application_id, doc_type), received.size, max_total)
    replaced: list[str] = []

    def record() -> Document:
        with deps.uow() as uow:
            session = uow.session
            application = own_application(session, user, application_id, for_update=True)
            require_draft(application.status)
            check_dossier_quota(_kept_bytes(session, application.id, doc_type), received.size, max_total)
            previous = session.exec(select(Document).where(Document.application_id == application.id, Document.doc_type == doc_type)).all()
            last = max((d.version for d in previous), default=0)
            for old in previous:
                replaced.append(old.object_key)
                session.delete(old)
            session.flush()
            now = deps.clock.now()
            document = Document(
                id=document_id,
                application_id=application.id,
                entity_id=application.entity_id,
                doc_type=doc_type,
                version=last + 1,
                object_key=key,
                sha256=received.sha256,
                size=received.size,
                content_type=received.content_type,
                filename=received.filename,
                document_date=document_date,
                uploaded_by=user.account_id,
                uploaded_at=now,
            )
            session.add(document)
            application.updated_at = now
            session.add(application)
            uow.commit()
            return document

    document = store_then_record(deps.storage, deps.bucket(BUCKET), key, received.path, received.content_type, record)
    for old_key in replaced:
        delete_quietly(deps.storage, deps.bucket(BUCKET), old_key)
    return document


def _kept_bytes(session: Session, application_id: uuid.UUID, replaced_type: str) -> int:
    """What the application's pieces will hold besides the one being replaced."""
    total = session.exec(
        select(func.coalesce(func.sum(Document.size), 0)).where(
            Document.application_id == application_id, Document.doc_type != replaced_type
        )
    ).one()
    return int(total)


# --------------------------------------------------------------------------- submission


def submit_application(deps: Deps, user: Principal, application_id: uuid.UUID, once: Once[Application, Any] | None = None) -> Application:
    """Send the application for validation, every required piece present and valid
    today; the refusal lists every missing or invalid piece."""
    now = deps.clock.now()
    with deps.uow() as uow:
        session = uow.session
        application = own_application(session, user, application_id, for_update=True)
        require_draft(application.status)
        entity = session.get(Entity, application.entity_id)
        if entity is None or entity.status == "rejected":
            raise conflict("L'entité de cette demande a été refusée : déclarez-la à nouveau.", code="entity_rejected", state="rejected")
        required = required_for(application, entity)
        result = completeness(required, provided_pieces(session, application.id), paris_date(now))
        if not result.complete:
            raise as_invalid(result.problems, missing=result.missing, required_documents=required)
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
                kind=entity.kind,
                legal_form=entity.legal_form,
            )
        )
        if once:
            once.keep(uow, application)
        uow.commit()
        return application


CORRECTED_FIELDS = ("denomination", "legal_form", "street", "postal_code", "city", "country")


def correct_entity(deps: Deps, user: Principal, entity_id: uuid.UUID, body: EntityCorrectionIn) -> EntityChange:
    """The SI administrator corrects an entity's details (denomination, legal form,
    address): the change is kept with its reason (``entity_changes``) and review learns the
    new name (``entities.entity.corrected``). Nothing changed: 422."""
    now = deps.clock.now()
    with deps.uow() as uow:
        entity = uow.session.get(Entity, entity_id, with_for_update=True)
        if entity is None:
            raise not_found("entity")
        if entity.status in ("rejected", "superseded"):
            raise conflict(
                "Cet organisme n'est plus actif : ses informations ne se corrigent plus.", code="illegal_transition", state=entity.status
            )
        wanted: dict[str, str | None] = {}
        if body.denomination is not None:
            if not body.denomination.strip():
                raise invalid(field_error("denomination", "La dénomination ne peut pas être vide.", "missing"))
            wanted["denomination"] = body.denomination.strip()
        if body.legal_form is not None:
            wanted["legal_form"] = body.legal_form
        if body.address is not None:
            for part in ("street", "postal_code", "city", "country"):
                value = getattr(body.address, part)
                if value is not None:
                    wanted[part] = value.strip() or None
        before = {k: getattr(entity, k) for k in CORRECTED_FIELDS}
        changed = {k: v for k, v in wanted.items() if before[k] != v}
        if not changed:
            raise invalid(field_error("denomination", "Aucune information n'est modifiée.", "unchanged"))
        for k, v in changed.items():
            setattr(entity, k, v)
        uow.session.add(entity)
        change = EntityChange(
            entity_id=entity.id,
            changed_by=user.account_id,
            changed_at=now,
            before={k: before[k] for k in changed},
            after=changed,
            reason=body.reason,
        )
        uow.session.add(change)
        uow.emit(
            EntityCorrected(
                entity_id=entity.id,
                denomination=entity.denomination,
                siret=entity.siret,
                legal_form=entity.legal_form,
                corrected_by=user.account_id,
            )
        )
        uow.commit()
        uow.session.refresh(change)
        return change

"""What the entities service does with identity's decisions on account requests.

Each handler runs in one transaction with its inbox record (a redelivery does nothing).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlmodel import col, func, select

from certreg_contracts.events.entities import ApplicationSubmitted, EntityVerified
from certreg_contracts.events.identity import AccountApproved, AccountRejected, AccountRolesChanged, AccountWithdrawn
from certreg_runtime.errors import not_found
from certreg_runtime.handlers import Handlers
from certreg_runtime.messaging import UnitOfWork
from certreg_runtime.service import Deps
from entities.adapters.tables import Application, ClosedAccount, Entity, Membership
from entities.app.queries import verified_entity_by_siret
from entities.domain.rules import PENDING_VERIFICATION, SUPERSEDED, VERIFIED

log = logging.getLogger(__name__)

handlers = Handlers[Deps]("entities")

OPEN = ("draft", "submitted")


def _open_application(uow: UnitOfWork, account_id: uuid.UUID, entity_id: uuid.UUID | None) -> Application | None:
    """A submitted application before a draft, then the newest."""
    query = select(Application).where(Application.account_id == account_id, col(Application.status).in_(OPEN))
    if entity_id is not None:
        query = query.where(Application.entity_id == entity_id)
    query = query.order_by((col(Application.status) == "submitted").desc(), col(Application.created_at).desc())
    return uow.session.exec(query).first()


@handlers.on(AccountApproved)
def account_approved(deps: Deps, uow: UnitOfWork, event: AccountApproved) -> None:
    """The account is a member of its entity; its application is approved; the account
    made manager of an entity not yet verified (a new entity's first account, or an
    orphaned request the SI administrator decided) verifies the entity, and every
    competing candidate for its SIRET becomes a request to join it."""
    session = uow.session
    entity = session.get(Entity, event.entity_id)
    if entity is None:
        raise not_found(f"account {event.account_id} approved for an unknown entity {event.entity_id}")
    application = _open_application(uow, event.account_id, event.entity_id)
    if application is not None:
        application.status = "approved"
        application.decided_at = event.decided_at
        application.decided_by = event.decided_by
        application.updated_at = event.decided_at
        session.add(application)
    role = "entity_manager" if "entity_manager" in event.roles else "depositor"
    membership = session.get(Membership, (event.entity_id, event.account_id))
    if membership is None:
        membership = Membership(entity_id=event.entity_id, account_id=event.account_id, role=role, since=event.decided_at)
    membership.role = role
    membership.email = event.email
    membership.first_name = event.first_name
    membership.last_name = event.last_name
    session.add(membership)
    if role == "entity_manager" and entity.status == PENDING_VERIFICATION:
        if entity.siret and verified_entity_by_siret(session, entity.siret) is not None:
            # identity refuses to approve a second candidate for a verified SIRET.
            log.warning("candidate entity not verified: its SIRET already is", extra={"entity_id": str(entity.id)})
            return
        entity.status = VERIFIED
        entity.verified_by = event.decided_by
        entity.verified_at = event.decided_at
        session.add(entity)
        session.flush()
        uow.emit(EntityVerified(entity_id=entity.id, denomination=entity.denomination, siret=entity.siret, verified_by=event.decided_by))
        if entity.siret:
            _supersede_competitors(uow, entity, event.decided_at)


def _supersede_competitors(uow: UnitOfWork, verified: Entity, now: datetime) -> None:
    """The other candidates for the verified entity's SIRET are superseded: their open
    applications now ask to join it (their pieces stay with their candidate). Identity
    is told again of those already submitted, and moves them to the entity's manager."""
    session = uow.session
    rows = session.exec(
        select(Application, Entity)
        .join(Entity, col(Entity.id) == col(Application.entity_id))
        .where(
            Entity.siret == verified.siret,
            Entity.status == PENDING_VERIFICATION,
            col(Entity.id) != verified.id,
            col(Application.status).in_(OPEN),
        )
    ).all()
    for application, candidate in rows:
        candidate.status = SUPERSEDED
        session.add(candidate)
        application.entity_id = verified.id
        application.new_entity = False
        application.named_on_legal_proof = False
        application.updated_at = now
        session.add(application)
        if application.status == "submitted":
            uow.emit(
                ApplicationSubmitted(
                    application_id=application.id,
                    entity_id=verified.id,
                    account_id=application.account_id,
                    new_entity=False,
                    denomination=verified.denomination,
                    siret=verified.siret,
                    kind=verified.kind,
                    legal_form=verified.legal_form,
                )
            )


def _close_account(uow: UnitOfWork, account_id: uuid.UUID, reason: str, at: datetime) -> None:
    """The account's onboarding token stops working (``api.deps.applicant``)."""
    if uow.session.get(ClosedAccount, account_id) is None:
        uow.session.add(ClosedAccount(account_id=account_id, reason=reason, closed_at=at))


@handlers.on(AccountRejected)
def account_rejected(deps: Deps, uow: UnitOfWork, event: AccountRejected) -> None:
    """The application is rejected; a new entity that nobody else is applying to is
    dropped (its SIRET may be declared again). The onboarding token stops working."""
    _close_account(uow, event.account_id, "rejected", event.decided_at)
    application = _open_application(uow, event.account_id, event.entity_id)
    if application is None:
        log.info("rejected account has no open application", extra={"account_id": str(event.account_id)})
        return
    application.rejection_reason = event.reason[:2000]
    _close_application(uow, application, "rejected", event.decided_at, event.decided_by)


@handlers.on(AccountWithdrawn)
def account_withdrawn(deps: Deps, uow: UnitOfWork, event: AccountWithdrawn) -> None:
    """A sign-up replaced by a new one of its address (issue 11, point 3): its open
    applications are withdrawn (their new entities dropped like a rejected one's), its
    onboarding token stops working."""
    _close_account(uow, event.account_id, "withdrawn", event.withdrawn_at)
    while (application := _open_application(uow, event.account_id, None)) is not None:
        _close_application(uow, application, "withdrawn", event.withdrawn_at, None)


def _close_application(uow: UnitOfWork, application: Application, status: str, at: datetime, by: uuid.UUID | None) -> None:
    session = uow.session
    application.status = status
    application.decided_at = at
    application.decided_by = by
    application.updated_at = at
    session.add(application)
    session.flush()
    if not application.new_entity:
        return
    entity = session.get(Entity, application.entity_id)
    if entity is None or entity.status != PENDING_VERIFICATION:
        return
    others = session.exec(
        select(func.count())
        .select_from(Application)
        .where(Application.entity_id == entity.id, col(Application.status).in_(("draft", "submitted", "approved")))
    ).one()
    if not others:
        entity.status = "rejected"
        session.add(entity)


@handlers.on(AccountRolesChanged)
def account_roles_changed(deps: Deps, uow: UnitOfWork, event: AccountRolesChanged) -> None:
    """A member's roles in its entity: the management handed over, or the member
    removed from the entity (no role left: the membership goes). Staff accounts (no
    entity) are none of entities' business."""
    if event.entity_id is None:
        return
    membership = uow.session.get(Membership, (event.entity_id, event.account_id))
    if membership is None:
        return
    if "depositor" not in event.roles and "entity_manager" not in event.roles:
        uow.session.delete(membership)
        return
    membership.role = "entity_manager" if "entity_manager" in event.roles else "depositor"
    uow.session.add(membership)

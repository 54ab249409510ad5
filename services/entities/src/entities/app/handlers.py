"""What the entities service does with identity's decisions on account requests.

Each handler runs in one transaction with its inbox record (a redelivery does nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa
from sqlmodel import func, select

from certreg_contracts import Envelope, Event
from certreg_contracts.events.entities import EntityVerified
from certreg_contracts.events.identity import AccountApproved, AccountRejected
from certreg_contracts.subscriptions import CONSUMERS
from certreg_runtime.bus.base import PermanentError
from certreg_runtime.messaging import UnitOfWork
from certreg_runtime.service import EventHandler, ServiceContext
from entities.adapters.tables import Application, Entity, Membership

log = logging.getLogger(__name__)

OPEN = ("draft", "submitted")


def _open_application(uow: UnitOfWork, account_id, entity_id=None) -> Application | None:  # type: ignore[no-untyped-def]
    query = select(Application).where(Application.account_id == account_id, Application.status.in_(OPEN))  # type: ignore[attr-defined]
    if entity_id is not None:
        query = query.where(Application.entity_id == entity_id)
    # A submitted application before a draft, then the newest.
    query = query.order_by(sa.desc(Application.status == "submitted"), sa.desc(Application.created_at))
    return uow.session.exec(query).first()


def on_account_approved(uow: UnitOfWork, event: Event, envelope: Envelope) -> None:
    """The account is a member of its entity; its application is approved; the first
    account of a new entity verifies the entity."""
    assert isinstance(event, AccountApproved)
    session = uow.session
    entity = session.get(Entity, event.entity_id)
    if entity is None:
        raise PermanentError(f"account {event.account_id} approved for an unknown entity {event.entity_id}")
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
    if application is not None and application.new_entity and entity.status == "pending_verification":
        entity.status = "verified"
        entity.verified_by = event.decided_by
        entity.verified_at = event.decided_at
        session.add(entity)
        uow.emit(EntityVerified(entity_id=entity.id, denomination=entity.denomination, siret=entity.siret, verified_by=event.decided_by))


def on_account_rejected(uow: UnitOfWork, event: Event, envelope: Envelope) -> None:
    """The application is rejected; a new entity that nobody else is applying to is
    dropped (its SIRET may be declared again)."""
    assert isinstance(event, AccountRejected)
    session = uow.session
    application = _open_application(uow, event.account_id, event.entity_id)
    if application is None:
        log.info("rejected account has no open application", extra={"account_id": str(event.account_id)})
        return
    application.status = "rejected"
    application.decided_at = event.decided_at
    application.decided_by = event.decided_by
    application.updated_at = event.decided_at
    application.rejection_reason = event.reason[:2000]
    session.add(application)
    session.flush()
    if not application.new_entity:
        return
    entity = session.get(Entity, application.entity_id)
    if entity is None or entity.status != "pending_verification":
        return
    others = session.exec(
        select(func.count())
        .select_from(Application)
        .where(Application.entity_id == entity.id, Application.status.in_(("draft", "submitted", "approved")))  # type: ignore[attr-defined]
    ).one()
    if not others:
        entity.status = "rejected"
        session.add(entity)


def handlers(ctx: ServiceContext) -> dict[str, EventHandler]:
    table: dict[str, Callable[[UnitOfWork, Event, Envelope], None]] = {
        AccountApproved.routing_key: on_account_approved,
        AccountRejected.routing_key: on_account_rejected,
    }
    assert sorted(table) == sorted(CONSUMERS["entities"]), "entities must bind exactly CONSUMERS['entities']"
    return table

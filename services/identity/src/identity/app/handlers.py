"""Identity's event handlers: exactly ``CONSUMERS["identity"]``."""

from __future__ import annotations

import logging

from certreg_contracts.events.entities import ApplicationSubmitted, EntityVerified
from certreg_runtime.errors import not_found
from certreg_runtime.handlers import Handlers
from certreg_runtime.messaging import UnitOfWork
from identity.adapters.tables import Account
from identity.app.commands import request_validation_if_ready
from identity.app.deps import IdentityDeps
from identity.domain.accounts import PENDING_ACTIVATION, PENDING_VALIDATION

log = logging.getLogger(__name__)

handlers = Handlers[IdentityDeps]("identity")


@handlers.on(ApplicationSubmitted)
def application_submitted(deps: IdentityDeps, uow: UnitOfWork, event: ApplicationSubmitted) -> None:
    """Links the account to its entity; the validator is asked if it is activated. The
    same application again (entities moved it to join the verified entity of its SIRET)
    moves the request to that entity's validator."""
    account = uow.session.get(Account, event.account_id, with_for_update=True)
    if account is None:
        raise not_found(f"application {event.application_id} names an unknown account")
    if account.status not in (PENDING_ACTIVATION, PENDING_VALIDATION):
        # Already decided (or staff): a late or repeated application changes nothing.
        log.info("application for an account already %s ignored", account.status, extra={"account_id": str(account.id)})
        return
    if account.application_id == event.application_id and account.new_entity is False and event.new_entity:
        # Entities moved this application onto the verified entity of its SIRET (a
        # request to join it); the original submission, delivered late, changes nothing.
        log.info("stale new-entity submission ignored", extra={"account_id": str(account.id)})
        return
    account.entity_id = event.entity_id
    account.application_id = event.application_id
    account.new_entity = event.new_entity
    account.siret = event.siret
    account.application_submitted_at = deps.clock.now()
    uow.session.add(account)
    request_validation_if_ready(uow, account)


@handlers.on(EntityVerified)
def entity_verified(deps: IdentityDeps, uow: UnitOfWork, event: EntityVerified) -> None:
    # Nothing to record: the entity manager's role is given at approval.
    log.info("entity verified", extra={"entity_id": str(event.entity_id)})

"""Identity's event handlers: exactly ``CONSUMERS["identity"]``."""

from __future__ import annotations

import logging

from certreg_contracts import Envelope
from certreg_contracts.events.entities import ApplicationSubmitted, EntityVerified
from certreg_runtime.bus.base import PermanentError
from certreg_runtime.messaging import UnitOfWork
from certreg_runtime.service import EventHandler, ServiceContext
from identity.adapters.tables import Account
from identity.domain.accounts import PENDING_ACTIVATION, PENDING_VALIDATION
from identity.operations import request_validation_if_ready

log = logging.getLogger(__name__)


def handlers(ctx: ServiceContext) -> dict[str, EventHandler]:
    def application_submitted(uow: UnitOfWork, event: ApplicationSubmitted, envelope: Envelope) -> None:  # type: ignore[override]
        account = uow.session.get(Account, event.account_id, with_for_update=True)
        if account is None:
            raise PermanentError(f"application {event.application_id} names an unknown account")
        if account.status not in (PENDING_ACTIVATION, PENDING_VALIDATION):
            # Already decided (or staff): a late or repeated application changes nothing.
            log.info("application for an account already %s ignored", account.status, extra={"account_id": str(account.id)})
            return
        account.entity_id = event.entity_id
        account.application_id = event.application_id
        account.new_entity = event.new_entity
        account.application_submitted_at = ctx.clock.now()
        uow.session.add(account)
        request_validation_if_ready(uow, account)

    def entity_verified(uow: UnitOfWork, event: EntityVerified, envelope: Envelope) -> None:  # type: ignore[override]
        # Nothing to record: the entity manager's role is given at approval.
        log.info("entity verified", extra={"entity_id": str(event.entity_id)})

    return {
        ApplicationSubmitted.routing_key: application_submitted,  # type: ignore[dict-item]
        EntityVerified.routing_key: entity_verified,  # type: ignore[dict-item]
    }

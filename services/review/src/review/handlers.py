"""Event handlers: what review does when filings (the dossiers) or entities (the certifiers'
names and SIRETs) tell it something. Bound to exactly ``CONSUMERS["review"]``."""

from __future__ import annotations

from certreg_contracts import Envelope, Event
from certreg_contracts.events import entities as ee
from certreg_contracts.events import filings as fe
from certreg_runtime.bus.base import PermanentError
from certreg_runtime.messaging import UnitOfWork
from certreg_runtime.service import EventHandler, ServiceContext
from review import cases, certifiers


def handlers(ctx: ServiceContext) -> dict[str, EventHandler]:
    def submitted(uow: UnitOfWork, event: Event, envelope: Envelope) -> None:
        if not isinstance(event, fe.FilingSubmitted):
            raise PermanentError(f"unexpected event {envelope.type}")
        cases.on_filing_submitted(uow, event, ctx.clock.now())

    def withdrawn(uow: UnitOfWork, event: Event, envelope: Envelope) -> None:
        if not isinstance(event, fe.FilingWithdrawn):
            raise PermanentError(f"unexpected event {envelope.type}")
        cases.on_filing_withdrawn(uow, event, ctx.clock.now())

    def entity_verified(uow: UnitOfWork, event: Event, envelope: Envelope) -> None:
        if not isinstance(event, ee.EntityVerified):
            raise PermanentError(f"unexpected event {envelope.type}")
        certifiers.on_entity_verified(uow, event, ctx.clock.now())

    return {
        fe.FilingSubmitted.routing_key: submitted,
        fe.FilingWithdrawn.routing_key: withdrawn,
        ee.EntityVerified.routing_key: entity_verified,
    }

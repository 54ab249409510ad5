"""Events of the entities service: the entity registry and membership applications."""

import uuid

from certreg_contracts.envelope import Event
from certreg_contracts.types import EntityKind, LegalForm, Siret


class ApplicationSubmitted(Event):
    """A person submitted their entity application with its mandatory pieces.

    Emitted by entities on POST /applications/{id}/submit. ``new_entity`` is true when
    the application creates the entity (then the SI administrator validates), false
    when it joins an existing one (then its entity manager validates). Consumed by
    identity, which links the account to ``entity_id`` and asks for validation.
    """

    routing_key = "entities.application.submitted"
    application_id: uuid.UUID
    entity_id: uuid.UUID
    account_id: uuid.UUID
    new_entity: bool
    denomination: str
    siret: Siret | None = None
    kind: EntityKind
    legal_form: LegalForm


class EntityVerified(Event):
    """A new entity was verified (its first account approved by the SI administrator).

    Emitted by entities after ``identity.account.approved`` for the first account of a
    new entity. Consumed by identity (the entity may now validate its own members), the
    notifier, and review (the certifier's name and SIRET in the public registry).
    """

    routing_key = "entities.entity.verified"
    entity_id: uuid.UUID
    denomination: str
    siret: Siret | None = None
    verified_by: uuid.UUID


class EntityCorrected(Event):
    """The SI administrator corrected an entity's details (denomination, legal form, address).

    Emitted by entities on PATCH /entities/{id}. Consumed by review (the certifier's name
    on its cases and published records).
    """

    routing_key = "entities.entity.corrected"
    entity_id: uuid.UUID
    denomination: str
    siret: Siret | None = None
    legal_form: LegalForm
    corrected_by: uuid.UUID

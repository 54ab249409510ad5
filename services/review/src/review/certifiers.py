"""The certifying entities review knows of, from ``entities.entity.verified``: the name and
SIRET the public registry shows for each published certification.

A certification is published with its certifier's name and SIRET when the entity is already
known; a record published before the entity's event arrived gets them when it arrives (the
event updates every record of that entity, so reads and the XML export stay plain selects).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from certreg_contracts.events.entities import EntityVerified
from certreg_runtime.messaging import UnitOfWork
from sqlmodel import Session

from review.adapters.tables import Certifier, RegistryRecord


def on_entity_verified(uow: UnitOfWork, event: EntityVerified, now: datetime) -> None:
    """Remember the entity's name and SIRET and put them on its published records."""
    certifier = uow.session.get(Certifier, event.entity_id)
    if certifier is None:
        certifier = Certifier(entity_id=event.entity_id, denomination=event.denomination, siret=event.siret, updated_at=now)
    else:
        certifier.denomination, certifier.siret, certifier.updated_at = event.denomination, event.siret, now
    uow.session.add(certifier)
    uow.session.execute(
        sa.update(RegistryRecord)
        .where(RegistryRecord.entity_id == event.entity_id)  # type: ignore[arg-type]
        .values(certifier_name=event.denomination, certifier_siret=event.siret)
    )


def fill(session: Session, record: RegistryRecord) -> None:
    """Put the known certifier's name and SIRET on a record about to be published."""
    certifier = session.get(Certifier, record.entity_id)
    if certifier is not None:
        record.certifier_name, record.certifier_siret = certifier.denomination, certifier.siret

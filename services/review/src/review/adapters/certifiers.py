"""The certifying entities review knows of, from ``entities.entity.verified``: the name and
SIRET the public registry shows for each published certification.

A certification is published with its certifier's name and SIRET when the entity is already
known; a record published before the entity's event arrived gets them when it arrives (the
event updates every record of that entity, so reads and the XML export stay plain selects).

A publication and the entity's event for the same entity run one after the other (a
transaction-scoped advisory lock on PostgreSQL): otherwise a registration reading "no
certifier yet" while the event commits would publish its record without the name for good
(the event's UPDATE does not see a record not yet committed), and two deliveries of a first
event would both insert the certifier.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from certreg_runtime.db import is_postgres
from review.adapters import registry_feed
from review.adapters.tables import Case, Certifier, RegistryRecord, search_text

# The first key of review's two-key advisory locks: "certifier" (other users pick another).
LOCK_SPACE = 0x63657274


def lock_entity(session: Session, entity_id: uuid.UUID) -> None:
    """Wait for, then hold until commit, the entity's certifier lock (PostgreSQL; SQLite has
    one writer at a time anyway)."""
    if is_postgres(session.get_bind()):
        key = int.from_bytes(entity_id.bytes[:4], "big", signed=True)
        session.execute(
            sa.text("SELECT pg_advisory_xact_lock(CAST(:space AS integer), CAST(:key AS integer))"),
            {"space": LOCK_SPACE, "key": key},
        )


def remember(session: Session, entity_id: uuid.UUID, denomination: str, siret: str | None, now: datetime) -> None:
    """Keep the entity's name and SIRET and put them on its published records."""
    lock_entity(session, entity_id)
    certifier = session.get(Certifier, entity_id)
    if certifier is None:
        certifier = Certifier(entity_id=entity_id, denomination=denomination, siret=siret, updated_at=now)
    else:
        certifier.denomination, certifier.siret, certifier.updated_at = denomination, siret, now
    session.add(certifier)
    changed = session.exec(
        select(RegistryRecord)
        .where(
            col(RegistryRecord.entity_id) == entity_id,
            sa.or_(
                col(RegistryRecord.certifier_name).is_distinct_from(denomination),
                col(RegistryRecord.certifier_siret).is_distinct_from(siret),
            ),
        )
        .order_by(col(RegistryRecord.number))
        .with_for_update()
    ).all()
    for record in changed:
        record.certifier_name, record.certifier_siret = denomination, siret
        registry_feed.record_change(session, record, "updated", now)
    for case in session.exec(select(Case).where(col(Case.entity_id) == entity_id)):
        case.search = case_search(case, certifier)
        case.organisation = denomination
        session.add(case)


def case_search(case: Case, certifier: Certifier | None) -> str:
    """What the back office's case search finds a case by: its title, number and id, and
    its certifier's name and SIRET (issue 13, point 4)."""
    name, siret = (certifier.denomination, certifier.siret) if certifier else (None, None)
    return search_text(case.title, case.registration_number, str(case.filing_id), name, siret, case.reference)


def search_of(session: Session, case: Case) -> str:
    """``case_search`` with the certifier review knows of (if any yet); names the case's
    organisation on the way (the queues' column)."""
    certifier = session.get(Certifier, case.entity_id)
    if certifier is not None:
        case.organisation = certifier.denomination
    return case_search(case, certifier)


def name_record(session: Session, record: RegistryRecord) -> None:
    """Put the known certifier's name and SIRET on a record about to be published (the
    caller adds the record in the same transaction, which keeps the entity's lock)."""
    lock_entity(session, record.entity_id)
    certifier = session.get(Certifier, record.entity_id)
    if certifier is not None:
        record.certifier_name, record.certifier_siret = certifier.denomination, certifier.siret


def co_certifiers(session: Session, fiche: dict[str, Any]) -> dict[str, Any]:
    """The fiche as published: each co-certifier named as the entities service registered it
    when review knows an entity with that SIRET (``known``), the name the filer typed
    otherwise. The export names the filer as the record's certifier (``name_record``)."""
    listed = fiche.get("certifiers") or []
    sirets = [c["siret"] for c in listed]
    known = (
        {c.siret: c.denomination for c in session.exec(select(Certifier).where(col(Certifier.siret).in_(sirets))) if c.siret}
        if sirets
        else {}
    )
    named = [{**c, "name": known.get(c["siret"], c["name"]), "known": c["siret"] in known} for c in listed]
    return {**fiche, "certifiers": named}

"""The registry's change feed: every change a reuser of the public registry sees (a
certification registered, renewed, its record updated, expired or withdrawn) is one entry,
written in the change's transaction together with the record's ``updated_at`` and its search
entry (``RegistryEntry``) — the one function below, so that the feed, the incremental exports
(``?since=``) and the search cannot disagree.

Entries are read in ``seq`` order by a cursor (the last ``seq`` read). A reader must never
see entry 5 before entry 4 commits (it would move past 4 for good), so writers take their
turns: on PostgreSQL each writing transaction holds the table's lock until it commits (the
``seq`` it got is then the last committed one); SQLite has one writer at a time anyway.
Registry changes are rare (a decision, an expiry, a withdrawal), so the turn costs nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from certreg_runtime.db import is_postgres
from review.adapters.exports import certifiers_of
from review.adapters.tables import RegistryChange, RegistryCode, RegistryEntry, RegistryRecord

KINDS = ("registered", "renewed", "updated", "expired", "withdrawn")

LAST_SEQ = 2**31 - 1
"""The largest ``seq`` the column holds (a 32-bit integer on PostgreSQL): a cursor past it
is past every entry there can be."""


def record_change(session: Session, record: RegistryRecord, kind: str, now: datetime) -> RegistryChange:
    """Note ``kind`` for ``record`` (already changed, in this transaction) in the feed."""
    if kind not in KINDS:
        raise ValueError(f"unknown registry change {kind!r}")
    if is_postgres(session.get_bind()):
        session.execute(sa.text("LOCK TABLE registry_changes IN SHARE ROW EXCLUSIVE MODE"))
    record.updated_at = now
    session.add(record)
    filters = filter_columns(record)
    session.merge(search_entry(record, filters))
    _certifier_codes(session, record, filters)
    # Every code row of the record carries its filter columns (RegistryCode): as the entry's.
    session.execute(sa.update(RegistryCode).where(col(RegistryCode.number) == record.number).values(**filters))
    change = RegistryChange(number=record.number, kind=kind, status=record.status, occurred_at=now)
    session.add(change)
    session.flush()
    return change


def changes_after(session: Session, after: int, limit: int) -> list[RegistryChange]:
    """Up to ``limit`` entries after ``seq`` ``after``, oldest first. A cursor the column
    cannot hold (the API takes up to 18 digits) is past every entry: nothing after it — on
    PostgreSQL, comparing the integer column with it would fail (integer out of range)."""
    if after >= LAST_SEQ:
        return []
    rows = session.exec(select(RegistryChange).where(col(RegistryChange.seq) > after).order_by(col(RegistryChange.seq)).limit(limit)).all()
    return list(rows)


CERTIFIER = "certifier"
"""The ``registry_codes`` kind of a certifier's SIRET: every certifier of a fiche (the filer and
its co-certifiers) is found by the registry's certifier filter."""
ROUTE_BITS = {
    "initial_training": 1,  # FI
    "apprenticeship": 2,  # CA
    "continuing_training": 4,  # FC
    "professionalisation": 8,  # CQ
    "individual_application": 16,  # CL
    "vae": 32,  # VAE
}
"""Each access route's bit in ``RegistryEntry.routes`` (the v4.1 fiche's SI_JURY_* order,
``review.adapters.exports.ROUTE_CODES``): never renumbered, the entries hold them."""


def route_mask(record: RegistryRecord) -> int:
    """The access routes ``record``'s fiche lists, as ``RegistryEntry.routes``."""
    mask = 0
    for route in (record.fiche or {}).get("access_routes") or []:
        mask |= ROUTE_BITS.get(str(route.get("route")), 0)
    return mask


def certifier_names(record: RegistryRecord) -> str:
    """Every certifier's name as the record shows it (``exports.certifiers_of``), lower case,
    one a line (whitespace inside a name made one space, so that a search never runs from one
    name into the next)."""
    return "\n".join(" ".join(name.split()).lower() for _, name in certifiers_of(record) if name.strip())


def filter_columns(record: RegistryRecord) -> dict[str, Any]:
    """The record's sort key and filter columns that its search entry and each of its code
    rows carry (``RegistryEntry``, ``RegistryCode``)."""
    return {
        "repertoire": record.repertoire,
        "sequence_value": record.sequence_value,
        "qualification_level": record.qualification_level,
        "status": record.status,
        "registration_start": record.registration_start,
        "registration_end": record.registration_end,
        "routes": route_mask(record),
    }


def code_row(record: RegistryRecord, kind: str, code: str, filters: dict[str, Any] | None = None) -> RegistryCode:
    """``record``'s ``kind`` code ``code`` in ``registry_codes``, with its filter columns
    (``filters``: ``filter_columns(record)`` when already computed)."""
    return RegistryCode(kind=kind, code=code, number=record.number, **(filters or filter_columns(record)))


def _certifier_codes(session: Session, record: RegistryRecord, filters: dict[str, Any]) -> None:
    """The SIRETs of every certifier of ``record`` in ``registry_codes`` (kind ``certifier``)."""
    sirets = {siret for siret, _ in certifiers_of(record) if siret}
    held = set(
        session.exec(select(RegistryCode.code).where(col(RegistryCode.kind) == CERTIFIER, col(RegistryCode.number) == record.number)).all()
    )
    for gone in held - sirets:
        session.execute(
            sa.delete(RegistryCode).where(
                col(RegistryCode.kind) == CERTIFIER, col(RegistryCode.code) == gone, col(RegistryCode.number) == record.number
            )
        )
    for siret in sorted(sirets - held):
        session.add(code_row(record, CERTIFIER, siret, filters))


def search_entry(record: RegistryRecord, filters: dict[str, Any] | None = None) -> RegistryEntry:
    """The record's row in the registry's search (``filters``: ``filter_columns(record)`` when
    already computed)."""
    return RegistryEntry(
        number=record.number,
        certifier_siret=record.certifier_siret,
        certifier_name=certifier_names(record),
        search=record.search,
        **(filters or filter_columns(record)),
    )

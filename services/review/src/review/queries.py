"""Read side of the back office: the case list (route, CSV export and bench share it)
and the public registry."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from review.adapters.tables import Case, RegistryRecord

LIST_COLUMNS = (
    Case.filing_id,
    Case.entity_id,
    Case.repertoire,
    Case.title,
    Case.qualification_level,
    Case.status,
    Case.overdue,
    Case.due_date,
    Case.assignee_id,
    Case.session_id,
    Case.registration_number,
    Case.submission_round,
    Case.opened_at,
    Case.updated_at,
)


@dataclass(frozen=True)
class CaseFilters:
    status: tuple[str, ...] = ()
    assignee: uuid.UUID | None = None
    unassigned: bool = False
    repertoire: str | None = None
    overdue: bool | None = None
    q: str | None = None


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(filters: CaseFilters) -> list[Any]:
    where: list[Any] = []
    if filters.status:
        where.append(Case.status.in_(filters.status) if len(filters.status) > 1 else Case.status == filters.status[0])  # type: ignore[attr-defined]
    if filters.assignee is not None:
        where.append(Case.assignee_id == filters.assignee)
    elif filters.unassigned:
        where.append(Case.assignee_id.is_(None))  # type: ignore[union-attr]
    if filters.repertoire:
        where.append(Case.repertoire == filters.repertoire)
    if filters.overdue is not None:
        where.append(Case.overdue == filters.overdue)
    if filters.q and filters.q.strip():
        where.append(Case.search.like(f"%{escape_like(filters.q.strip().lower())}%", escape="\\"))  # type: ignore[attr-defined]
    return where


ORDER = (Case.overdue.desc(), Case.opened_at.desc(), Case.filing_id.desc())  # type: ignore[attr-defined]


def list_cases(session: Session, filters: CaseFilters, *, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """One page of cases (overdue first, newest first) and the total matching."""
    where = _where(filters)
    # Deferred join: the page's ids come from the index alone (deep offsets skip index
    # entries, not table rows), then only those rows are read.
    page = sa.select(Case.filing_id).where(*where).order_by(*ORDER).limit(limit).offset(offset).subquery()
    rows = session.execute(sa.select(*LIST_COLUMNS).join(page, page.c.filing_id == Case.filing_id).order_by(*ORDER)).mappings().all()
    total = session.execute(sa.select(sa.func.count()).select_from(Case).where(*where)).scalar_one()
    return [dict(r) for r in rows], int(total)


def iter_cases(session: Session, filters: CaseFilters, *, chunk: int = 1000) -> Iterator[dict[str, Any]]:
    """Every matching case in list order (CSV export), fetched in chunks."""
    result = session.execute(
        sa.select(*LIST_COLUMNS).where(*_where(filters)).order_by(*ORDER).execution_options(yield_per=chunk)
    ).mappings()
    for row in result:
        yield dict(row)


def list_registry(
    session: Session, *, q: str | None = None, repertoire: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[RegistryRecord], int]:
    where: list[Any] = []
    if repertoire:
        where.append(RegistryRecord.repertoire == repertoire)
    if q and q.strip():
        where.append(RegistryRecord.search.like(f"%{escape_like(q.strip().lower())}%", escape="\\"))  # type: ignore[attr-defined]
    rows = (
        session.execute(
            sa.select(RegistryRecord)
            .where(*where)
            .order_by(RegistryRecord.repertoire, RegistryRecord.sequence_value.desc())  # type: ignore[attr-defined]
            .limit(limit)
            .offset(offset)
        )
        .scalars()
        .all()
    )
    total = session.execute(sa.select(sa.func.count()).select_from(RegistryRecord).where(*where)).scalar_one()
    return list(rows), int(total)

"""The public registry of published certifications: anyone may read it, no token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from certreg_contracts.calendar import paris_date
from certreg_runtime.paging import Offset, page_size
from certreg_runtime.text import ONE_LINE
from review.api import views
from review.api.deps import DepsDep, RepertoireFilter
from review.api.schemas import RecordOut, RegistryChangesOut, RegistryPageOut
from review.app import queries

router = APIRouter(tags=["registry"])


@router.get("/registry")
def search(
    deps: DepsDep,
    repertoire: RepertoireFilter,
    q: Annotated[str | None, Query(max_length=200), ONE_LINE] = None,
    limit: Annotated[int, page_size(200)] = 50,
    offset: Offset = 0,
) -> RegistryPageOut:
    today = paris_date(deps.clock.now())
    page = queries.registry_page(deps, q=q, repertoire=repertoire, limit=limit, offset=offset)
    return RegistryPageOut(items=[views.record_summary(r, today) for r in page.items], total=page.total, limit=limit, offset=offset)


@router.get("/registry/changes")
def changes(
    deps: DepsDep,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$", description="the next_cursor of the previous page")] = None,
    limit: Annotated[int, page_size(500)] = 100,
) -> RegistryChangesOut:
    """The registry's change feed, oldest first: registered, renewed, updated, expired, withdrawn."""
    after = int(cursor) if cursor else 0
    rows = queries.registry_changes(deps, after, limit)
    return RegistryChangesOut(
        items=[views.change_out(c) for c in rows],
        next_cursor=str(rows[-1].seq if rows else after),
    )


@router.get("/registry/{number}")
def record(number: Annotated[str, Path(max_length=20), ONE_LINE], deps: DepsDep) -> RecordOut:
    """One public record (RNCP12345 / RS1234, in any case, with or without its zeros)."""
    return views.record_out(queries.registry_record(deps, number), paris_date(deps.clock.now()))

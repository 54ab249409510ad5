"""The public registry of published certifications: anyone may read it, no token."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from certreg_contracts.calendar import paris_date
from certreg_contracts.events.filings import AccessRouteKind
from certreg_reference import nomenclature
from certreg_runtime.errors import field_error, invalid
from certreg_runtime.paging import Offset, page_size
from certreg_runtime.text import ONE_LINE
from review.api import views
from review.api.deps import DepsDep, RepertoireFilter
from review.api.schemas import RecordOut, RegistryChangesOut, RegistryPageOut
from review.app import queries

router = APIRouter(tags=["registry"])


def _code(kind: str, label: str, code: str | None) -> str | None:
    """A classification code of the shipped nomenclature, else a 422 naming it."""
    code = (code or "").strip() or None
    if code is not None and code not in nomenclature(kind):
        raise invalid(field_error(kind, f"{code} n'est pas un code {label} connu.", "unknown_code", where="query"), code="unknown_code")
    return code


@router.get("/registry")
def search(
    deps: DepsDep,
    repertoire: RepertoireFilter,
    q: Annotated[str | None, Query(max_length=200, description="words of the title or the number"), ONE_LINE] = None,
    level: Annotated[int | None, Query(ge=1, le=8, description="qualification level (RNCP)")] = None,
    state: Annotated[Literal["active", "expired", "withdrawn"] | None, Query(description="on today's date")] = None,
    certifier: Annotated[str | None, Query(max_length=300, description="a SIRET, or part of the certifier's name"), ONE_LINE] = None,
    nsf: Annotated[str | None, Query(max_length=8, description="an NSF code (e.g. 326, 326t)")] = None,
    rome: Annotated[str | None, Query(max_length=8, description="a ROME code (e.g. M1805)")] = None,
    access_route: Annotated[AccessRouteKind | None, Query(description="a way to the certification the fiche lists")] = None,
    limit: Annotated[int, page_size(200)] = 50,
    offset: Offset = 0,
) -> RegistryPageOut:
    """Published certifications, RNCP then RS, newest number first, each filter narrowing the list."""
    filters = queries.RegistryFilters(
        q=q,
        repertoire=repertoire,
        level=level,
        state=state,
        certifier=certifier,
        nsf=_code("nsf", "NSF", nsf),
        rome=_code("rome", "ROME", rome),
        access_route=access_route,
    )
    today = paris_date(deps.clock.now())
    page = queries.registry_page(deps, filters, limit=limit, offset=offset)
    return RegistryPageOut(
        items=[views.record_summary(r, today) for r in page.records],
        total=page.total,
        total_is_lower_bound=page.total_is_lower_bound,
        limit=limit,
        offset=offset,
    )


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
    """One public record by its exact number (RNCP34825 / RS5476; the prefix in any case)."""
    return views.record_out(queries.registry_record(deps, number), paris_date(deps.clock.now()))

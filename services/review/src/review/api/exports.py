"""Downloads: the back office's case list as CSV, the public registry as open-data XML.
Streamed while the rows are read. Mounted before ``registry`` (``/registry/{number}``
would otherwise take ``export.xml`` for a number)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from certreg_contracts.calendar import PARIS, paris_date
from review.adapters.exports import cases_csv, fiches_xml, publications_csv, registry_csv
from review.api.deps import CaseFiltersDep, DepsDep, RepertoireFilter, Staff
from review.app import queries

router = APIRouter(tags=["exports"])


@router.get(
    "/cases.csv", response_class=StreamingResponse, responses={200: {"content": {"text/csv": {}}, "description": "The cases as CSV"}}
)
def export_cases(user: Staff, deps: DepsDep, filters: CaseFiltersDep) -> StreamingResponse:
    return StreamingResponse(
        cases_csv(queries.all_cases(deps, filters), paris_date(deps.clock.now())),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="dossiers.csv"'},
    )


@router.get(
    "/publications/pending.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "The registrations awaiting their publication in the Journal officiel"}},
)
def export_pending_publications(user: Staff, deps: DepsDep) -> StreamingResponse:
    """The registrations decided and not yet published in the Journal officiel, oldest
    decision first: the list sent for publication."""
    return StreamingResponse(
        publications_csv(queries.pending_publications(deps), paris_date(deps.clock.now())),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="decisions-a-publier-au-jo.csv"'},
    )


SinceFilter = Annotated[
    date | None,
    Query(description="only the records changed on or after this day (Paris time): the incremental export"),
]


def _since(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time.min, tzinfo=PARIS)


@router.get(
    "/registry/export.xml",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/xml": {}}, "description": "The published records (FICHES v4.1)"}},
)
def export_registry(deps: DepsDep, repertoire: RepertoireFilter, since: SinceFilter = None) -> StreamingResponse:
    today = paris_date(deps.clock.now())
    return StreamingResponse(
        fiches_xml(queries.all_records(deps, repertoire, _since(since)), today),
        media_type="application/xml",
        headers={"Content-Disposition": 'attachment; filename="fiches-certreg.xml"'},
    )


@router.get(
    "/registry/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "The published records, one line each"}},
)
def export_registry_csv(deps: DepsDep, repertoire: RepertoireFilter, since: SinceFilter = None) -> StreamingResponse:
    today = paris_date(deps.clock.now())
    return StreamingResponse(
        registry_csv(queries.all_records(deps, repertoire, _since(since)), today),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="fiches-certreg.csv"'},
    )

"""Downloads: the back office's case list as CSV, the public registry as open-data XML.
Streamed while the rows are read. Mounted before ``registry`` (``/registry/{number}``
would otherwise take ``export.xml`` for a number)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from certreg_contracts.calendar import paris_date
from review.adapters.exports import cases_csv, fiches_xml
from review.api.deps import CaseFiltersDep, DepsDep, RepertoireFilter, Staff
from review.app import queries

router = APIRouter(tags=["exports"])


@router.get(
    "/cases.csv", response_class=StreamingResponse, responses={200: {"content": {"text/csv": {}}, "description": "The cases as CSV"}}
)
def export_cases(user: Staff, deps: DepsDep, filters: CaseFiltersDep) -> StreamingResponse:
    return StreamingResponse(
        cases_csv(queries.all_cases(deps, filters)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="dossiers.csv"'},
    )


@router.get(
    "/registry/export.xml",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/xml": {}}, "description": "Every published record (FICHES v4.1)"}},
)
def export_registry(deps: DepsDep, repertoire: RepertoireFilter) -> StreamingResponse:
    today = paris_date(deps.clock.now())
    return StreamingResponse(
        fiches_xml(queries.all_records(deps, repertoire), today),
        media_type="application/xml",
        headers={"Content-Disposition": 'attachment; filename="fiches-certreg.xml"'},
    )

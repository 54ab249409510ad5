"""The routes' dependencies, declared once: review's dependency bundle, who may call
(role aliases), and the case-list filters the list and its CSV export share."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import Depends, Query, Request

from certreg_contracts.types import CASE_STATUSES, REPERTOIRES
from certreg_runtime.api import require_roles
from certreg_runtime.auth import Principal
from certreg_runtime.errors import field_error, invalid
from certreg_runtime.text import ONE_LINE
from review.app.deps import ReviewDeps
from review.app.queries import SORTS, CaseFilters
from review.domain.actor import CASE_STAFF_ROLES


async def get_deps(request: Request) -> ReviewDeps:
    deps: ReviewDeps = request.app.state.ctx.deps
    return deps


DepsDep = Annotated[ReviewDeps, Depends(get_deps)]

Staff = Annotated[Principal, Depends(require_roles(*CASE_STAFF_ROLES))]
Reviewer = Annotated[Principal, Depends(require_roles("reviewer"))]
Assigner = Annotated[Principal, Depends(require_roles("reviewer", "director"))]
Instructor = Annotated[Principal, Depends(require_roles("instructor"))]
Director = Annotated[Principal, Depends(require_roles("director"))]
Commission = Annotated[Principal, Depends(require_roles("commission"))]

UNKNOWN_REPERTOIRE = "Répertoire inconnu (rncp ou rs)."


async def repertoire_filter(repertoire: str | None = None) -> str | None:
    if repertoire and repertoire not in REPERTOIRES:
        raise invalid(field_error("repertoire", UNKNOWN_REPERTOIRE, "unknown_repertoire", where="query"))
    return repertoire or None


RepertoireFilter = Annotated[str | None, Depends(repertoire_filter)]


async def case_filters(
    user: Staff,
    status: str | None = None,
    assignee: str | None = None,
    repertoire: str | None = None,
    overdue: bool | None = None,
    registration_type: Annotated[
        Literal["on_request", "by_right"] | None, Query(description="the cases of one path: on request, or by right (no commission)")
    ] = None,
    q: Annotated[str | None, Query(max_length=200), ONE_LINE] = None,
    ids: Annotated[str | None, Query(max_length=200 * 37, description="comma-separated filing ids (a selection, at most 200)")] = None,
    sort: Annotated[
        str | None,
        Query(
            max_length=20, description=f"one of {', '.join(SORTS)}, with a leading '-' for descending; default: overdue first, newest first"
        ),
    ] = None,
) -> CaseFilters:
    """``status`` is a comma-separated list; ``assignee`` an account id, ``me`` or ``none``;
    ``ids`` a comma-separated selection; ``sort`` a sortable column. Every wrong value is
    named in one 422."""
    errors = []
    selection: tuple[uuid.UUID, ...] = ()
    if ids:
        try:
            selection = tuple(dict.fromkeys(uuid.UUID(i.strip()) for i in ids.split(",") if i.strip()))
        except ValueError:
            errors.append(field_error("ids", "Attendu : des identifiants de dossier séparés par des virgules.", "uuid", where="query"))
        if len(selection) > 200:
            errors.append(field_error("ids", "Au plus 200 dossiers à la fois.", "too_many", where="query"))
    if sort and sort.lstrip("-") not in SORTS:
        errors.append(
            field_error(
                "sort",
                f"Tri inconnu : attendu {', '.join(SORTS)} (précédé de « - » pour l’ordre décroissant).",
                "unknown_sort",
                where="query",
            )
        )
    statuses: tuple[str, ...] = ()
    if status:
        statuses = tuple(s.strip() for s in status.split(",") if s.strip())
        unknown = [s for s in statuses if s not in CASE_STATUSES]
        if unknown:
            errors.append(field_error("status", f"État inconnu : {', '.join(unknown)}.", "unknown_status", where="query"))
    assignee_id: uuid.UUID | None = None
    unassigned = False
    if assignee:
        if assignee == "me":
            assignee_id = user.account_id
        elif assignee == "none":
            unassigned = True
        else:
            try:
                assignee_id = uuid.UUID(assignee)
            except ValueError:
                errors.append(field_error("assignee", "Attendu : un identifiant de compte, « me » ou « none ».", "uuid", where="query"))
    if repertoire and repertoire not in REPERTOIRES:
        errors.append(field_error("repertoire", UNKNOWN_REPERTOIRE, "unknown_repertoire", where="query"))
    if errors:
        raise invalid(*errors)
    return CaseFilters(
        status=statuses,
        assignee=assignee_id,
        unassigned=unassigned,
        repertoire=repertoire or None,
        overdue=overdue,
        registration_type=registration_type,
        q=q,
        ids=selection,
        sort=sort or None,
    )


CaseFiltersDep = Annotated[CaseFilters, Depends(case_filters)]

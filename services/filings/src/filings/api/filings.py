"""Filings (API.md, "filings"): drafts, submission with the sworn statement, withdrawal.
Depositors act on their own entity's filings; staff read every filing."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from certreg_contracts.calendar import paris_date
from certreg_runtime.api import CurrentUser, IdempotencyKeyHeader
from certreg_runtime.idempotency import answer_once
from certreg_runtime.web import json_answer
from filings.api import views
from filings.api.deps import Depositor, DepsDep
from filings.api.schemas import (
    ChangeOut,
    ChangesOut,
    ChangesQuery,
    FilingIn,
    FilingOut,
    FilingPage,
    FilingPatch,
    FilingQuery,
    SubmitIn,
    SubmittedOut,
    WithdrawIn,
)
from filings.app import commands, queries, renewals

router = APIRouter(tags=["filings"])


@router.post("", status_code=201)
def create_filing(body: FilingIn, user: Depositor, deps: DepsDep, idempotency_key: IdempotencyKeyHeader = None) -> FilingOut:
    """A draft. An RNCP filing carries a qualification level (1 to 8), an RS one never.
    With an ``Idempotency-Key``, the same request again answers the first answer
    (``Idempotent-Replayed: true``) and makes no second draft."""
    return answer_once(
        deps.uow,
        user,
        idempotency_key,
        "create_filing",
        (body,),
        201,
        views.filing_out,
        lambda once: commands.create_filing(deps, user, body, once),
    )


@router.get("", response_model=FilingPage)
def list_filings(query: Annotated[FilingQuery, Query()], user: CurrentUser, deps: DepsDep) -> Response:
    """The filings of the caller's entity (staff: every filing), last changed first."""
    return json_answer(views.filing_page(queries.list_filings(deps, user, query)))


@router.get("/{filing_id}")
def get_filing(filing_id: uuid.UUID, user: CurrentUser, deps: DepsDep) -> FilingOut:
    return views.filing_out(
        queries.get_filing(deps, user, filing_id),
        renewal_window_months=deps.settings.renewal_window_months,
        today=paris_date(deps.clock.now()),
    )


@router.post("/{filing_id}/renewal", status_code=201)
def start_renewal(filing_id: uuid.UUID, user: Depositor, deps: DepsDep, idempotency_key: IdempotencyKeyHeader = None) -> FilingOut:
    """A draft renewing this filing's registration: a new request naming it (``renews``),
    pre-filled from the registered content (frameworks and fiche; the pieces are sent again).
    From ``CERTREG_RENEWAL_WINDOW_MONTHS`` before the end date until it: else 409
    ``renewal_not_open`` (with ``opens_on``) or ``registration_ended``; 409 ``not_registered``,
    ``renewal_exists`` (with its ``filing_id``)."""
    return answer_once(
        deps.uow,
        user,
        idempotency_key,
        "start_renewal",
        (str(filing_id),),
        201,
        views.filing_out,
        lambda once: renewals.start_renewal(deps, user, filing_id, once),
    )


@router.get("/{filing_id}/changes")
def round_changes(filing_id: uuid.UUID, query: Annotated[ChangesQuery, Query()], user: CurrentUser, deps: DepsDep) -> ChangesOut:
    """What changed in the description (fields, blocks, the fiche) from the previous round to
    this one (``?round=``, default the last), or with ``?current=true`` since the last round."""
    found = queries.round_changes(deps, user, filing_id, query.round, query.current)
    return ChangesOut(
        from_round=found.from_round,
        to_round=found.to_round,
        comparable=found.comparable,
        changes=[ChangeOut(path=list(c.path), label=c.label, kind=c.kind, before=c.before, after=c.after) for c in found.changes],
    )


@router.patch("/{filing_id}")
def patch_filing(filing_id: uuid.UUID, user: Depositor, deps: DepsDep, body: FilingPatch | None = None) -> FilingOut:
    """Only what is editable now: a draft, or what review reopened."""
    return views.filing_out(commands.patch_filing(deps, user, filing_id, body or FilingPatch()))


@router.post("/{filing_id}/submit", status_code=202)
def submit_filing(
    filing_id: uuid.UUID, user: Depositor, deps: DepsDep, body: SubmitIn | None = None, idempotency_key: IdempotencyKeyHeader = None
) -> SubmittedOut:
    """With the sworn statement. 422 lists every missing or invalid item (``code``
    ``incomplete``); on success the filing is locked, a proof of submission is issued
    and review is told. With an ``Idempotency-Key``, the same request again answers the
    first answer instead of a 409."""
    submit = body or SubmitIn()
    return answer_once(
        deps.uow,
        user,
        idempotency_key,
        "submit_filing",
        (str(filing_id), submit),
        202,
        views.submitted_out,
        lambda once: commands.submit_filing(deps, user, filing_id, submit, once),
    )


@router.post("/{filing_id}/withdraw", status_code=202)
def withdraw_filing(filing_id: uuid.UUID, user: Depositor, deps: DepsDep, body: WithdrawIn | None = None) -> FilingOut:
    """At any time before the decision; review closes the case."""
    return views.filing_out(commands.withdraw_filing(deps, user, filing_id, body or WithdrawIn()))

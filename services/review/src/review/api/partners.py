"""A registered certification's partner organisations: its certifier declares them (added,
removed, each dated); the public reads them with the record (``GET /registry/{number}``);
staff see the changes declared late."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from certreg_contracts.types import PUBLIC_ROLES
from certreg_runtime.api import require_roles
from certreg_runtime.auth import Principal
from certreg_runtime.paging import Offset, page_size
from certreg_runtime.text import ONE_LINE
from review.api import views
from review.api.deps import DepsDep, Staff
from review.api.schemas import LatePartnersOut, PartnerChangeOut, PartnerIn, PartnerRemovalIn
from review.app import partners

router = APIRouter(tags=["partners"])

Certifier = Annotated[Principal, Depends(require_roles(*PUBLIC_ROLES))]
Number = Annotated[str, Path(max_length=20), ONE_LINE]
SiretPath = Annotated[str, Path(max_length=14, pattern=r"^[0-9]{14}$")]


@router.post("/registry/{number}/partners", status_code=201)
def add_partner(number: Number, body: PartnerIn, user: Certifier, deps: DepsDep) -> PartnerChangeOut:
    """The certifier authorises an organisation to prepare for the certification, to assess
    it, or both, from ``since``. 422 names a bad SIRET (Luhn), a date to come or before the
    registration; 409 ``partner_exists`` when it is already authorised, ``registration_ended``
    once the registration is over. ``late`` says it was declared past the period."""
    return views.partner_change(
        partners.add_partner(deps, user, number, siret=body.siret, name=body.name, scope=body.scope, since=body.since)
    )


@router.post("/registry/{number}/partners/{siret}/removal")
def remove_partner(
    number: Number, siret: SiretPath, user: Certifier, deps: DepsDep, body: PartnerRemovalIn | None = None
) -> PartnerChangeOut:
    """The certifier withdraws an organisation's authorisation, from ``until``; it stays in
    the record as removed."""
    return views.partner_change(partners.remove_partner(deps, user, number, siret, until=(body or PartnerRemovalIn()).until))


@router.get("/partners/late")
def late_partners(user: Staff, deps: DepsDep, limit: Annotated[int, page_size(200)] = 50, offset: Offset = 0) -> LatePartnersOut:
    """Partner changes declared later than ``CERTREG_PARTNER_DECLARATION_DAYS`` after they took
    effect, latest first."""
    items, total = partners.late_partners(deps, limit=limit, offset=offset)
    return LatePartnersOut(items=[views.late_partner(i) for i in items], total=total, limit=limit, offset=offset)

"""A registration's renewal (issue 14): filed as a new request naming the registration it
renews, drafted from the registered filing's content (every field a depositor may edit:
the frameworks and the whole fiche, not the pieces, which are sent again), from
``CERTREG_RENEWAL_WINDOW_MONTHS`` before the registration's end date until that date. One
renewal at a time per registration (a withdrawn one frees it)."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any

from certreg_contracts.calendar import add_months, paris_date
from certreg_contracts.events.filings import FilingCreated
from certreg_runtime.auth import Principal
from certreg_runtime.errors import conflict
from certreg_runtime.idempotency import Once
from certreg_runtime.service import Deps
from filings.adapters.tables import Filing
from filings.api.schemas import FilingPatch
from filings.app.queries import FilingRecord, load_filing, record_of
from filings.domain.status import WITHDRAWN


def renewal_opens_on(registration_end: dt.date, window_months: int) -> dt.date:
    """The first day a renewal of a registration ending on ``registration_end`` may be filed."""
    return add_months(registration_end, -window_months)


def renewal_state(registration_end: dt.date | None, window_months: int | None, today: dt.date | None) -> str | None:
    """Whether a registration ending on ``registration_end`` may be renewed on ``today``."""
    if registration_end is None or window_months is None or today is None:
        return None
    if today > registration_end:
        return "ended"
    return "open" if today >= renewal_opens_on(registration_end, window_months) else "not_open"


def start_renewal(deps: Deps, user: Principal, filing_id: uuid.UUID, once: Once[FilingRecord, Any] | None = None) -> FilingRecord:
    """A draft renewing the registration of ``filing_id`` (the user's entity's, registered),
    pre-filled from it. 409 ``not_registered``, ``renewal_not_open`` (with ``opens_on``),
    ``registration_ended``, or ``renewal_exists`` (with ``filing_id``)."""
    now = deps.clock.now()
    today = paris_date(now)
    with deps.uow() as uow:
        former = load_filing(uow.session, filing_id, user, write=True, lock=True)
        if former.registration_number is None or former.registration_end is None:
            raise conflict(
                "Seule une certification enregistrée peut être renouvelée.",
                code="not_registered",
                state=former.case_status or former.status,
            )
        opens_on = renewal_opens_on(former.registration_end, deps.settings.renewal_window_months)
        if today < opens_on:
            raise conflict(
                f"Le renouvellement de {former.registration_number} pourra être déposé à partir du {opens_on.strftime('%d/%m/%Y')} "
                f"({deps.settings.renewal_window_months} mois avant la fin de l'enregistrement, le "
                f"{former.registration_end.strftime('%d/%m/%Y')}).",
                code="renewal_not_open",
                state="registered",
                opens_on=opens_on.isoformat(),
            )
        if today > former.registration_end:
            raise conflict(
                f"L'enregistrement de {former.registration_number} a pris fin le {former.registration_end.strftime('%d/%m/%Y')} : "
                "déposez une nouvelle demande d'enregistrement.",
                code="registration_ended",
                state="expired",
            )
        if former.renewal_id is not None:
            current = uow.session.get(Filing, former.renewal_id)
            if current is not None and current.status != WITHDRAWN:
                raise conflict(
                    f"Une demande de renouvellement de {former.registration_number} existe déjà.",
                    code="renewal_exists",
                    state=current.case_status or current.status,
                    filing_id=str(current.id),
                )
        renewal = Filing(
            entity_id=former.entity_id,
            created_by=user.account_id,
            created_at=now,
            updated_at=now,
            renews=former.registration_number,
            **_content_of(former),
        )
        fiche = dict(renewal.fiche or {})
        fiche["former_numbers"] = list(dict.fromkeys([*(fiche.get("former_numbers") or []), former.registration_number]))
        renewal.fiche = fiche
        # Changing the former row (its version) makes concurrent twins one: the other's
        # update fails (409 concurrent_update).
        former.renewal_id = renewal.id
        former.updated_at = now
        uow.session.add_all([renewal, former])
        uow.emit(
            FilingCreated(
                filing_id=renewal.id,
                entity_id=renewal.entity_id,
                repertoire=renewal.repertoire,
                title=renewal.title,
                created_by=user.account_id,
            )
        )
        record = record_of(uow.session, renewal, now)
        if once:
            once.keep(uow, record)
        uow.commit()
        return record


def _content_of(filing: Filing) -> dict[str, Any]:
    """What a depositor may edit in a filing (``FilingPatch``'s fields), as the filing holds it."""
    return {name: copy.deepcopy(getattr(filing, name)) for name in FilingPatch.model_fields if hasattr(filing, name)}

"""What the notifier learns of certifiers and filings for the letters and mails: an entity's
name and SIRET (``entities.entity.verified``), a filing's number, level and first submission
(``filings.filing.submitted``). Written in the handler's transaction, read by the letter
maker when it renders a decision."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session

from certreg_contracts import Event
from certreg_contracts.calendar import paris_date
from certreg_contracts.events import entities as en
from certreg_contracts.events import filings as fi
from certreg_runtime.clock import as_utc
from notifier.adapters.letters import LetterFacts
from notifier.adapters.tables import Certifier, Dossier


def remember(session: Session, event: Event, now: datetime) -> None:
    """Keep what a later letter will say (other events: nothing)."""
    if isinstance(event, en.EntityVerified):
        certifier = session.get(Certifier, event.entity_id) or Certifier(entity_id=event.entity_id, denomination="", updated_at=now)
        certifier.denomination, certifier.siret, certifier.updated_at = event.denomination, event.siret, now
        session.add(certifier)
    elif isinstance(event, fi.FilingSubmitted):
        dossier = session.get(Dossier, event.filing_id)
        if dossier is None:
            dossier = Dossier(
                filing_id=event.filing_id,
                entity_id=event.entity_id,
                submission_round=0,
                first_submitted_at=event.submitted_at,
                updated_at=now,
            )
        dossier.reference = event.reference or dossier.reference  # given at creation, never changed
        if event.submission_round >= dossier.submission_round:  # a late older round changes nothing
            dossier.qualification_level, dossier.is_cqp = event.qualification_level, event.is_cqp
            dossier.submission_round = event.submission_round
        if event.submission_round == 1 or as_utc(dossier.first_submitted_at) > event.submitted_at:
            dossier.first_submitted_at = event.submitted_at
        dossier.updated_at = now
        session.add(dossier)


def reference(session: Session, filing_id: uuid.UUID | None) -> str | None:
    """The number of the dossier an event is about, « 2026-000123 » (unknown: None)."""
    dossier = session.get(Dossier, filing_id) if filing_id else None
    return dossier.reference if dossier else None


def letter_facts(session: Session, filing_id: uuid.UUID, entity_id: uuid.UUID) -> LetterFacts:
    """What is known of the request a letter is about (nothing known: an empty LetterFacts)."""
    certifier = session.get(Certifier, entity_id)
    dossier = session.get(Dossier, filing_id)
    return LetterFacts(
        reference=dossier.reference if dossier else None,
        certifier=certifier.denomination if certifier else None,
        siret=certifier.siret if certifier else None,
        qualification_level=dossier.qualification_level if dossier else None,
        is_cqp=dossier.is_cqp if dossier else False,
        first_submitted_on=paris_date(as_utc(dossier.first_submitted_at)) if dossier else None,
    )

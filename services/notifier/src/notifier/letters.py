"""Decision letters (PDF): rendered from the decision event, stored in the ``letters``
bucket, recorded in the ``letters`` table, attached to the e-mail."""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from certreg_contracts import Envelope
from certreg_contracts.events import review as rv
from certreg_runtime.pdf import Block, Fields, Grid, Heading, Para, Signature, render_pdf
from certreg_runtime.service import ServiceContext
from notifier.adapters.tables import Letter
from notifier.domain.formatting import REPERTOIRE_NAMES, date_fr

BUCKET = "letters"
ISSUER = "France compétences"
SIGNATORY = "Le directeur général de France compétences"
TITLES = {"registration": "Décision d'enregistrement", "refusal": "Décision de refus d'enregistrement"}


def registration_blocks(e: rv.CaseRegistered) -> list[Block]:
    rows = [
        ("Numéro d'enregistrement", e.registration_number),
        ("Intitulé de la certification", e.title),
        ("Répertoire", REPERTOIRE_NAMES[e.repertoire]),
        ("Date de la décision", date_fr(e.decision_date)),
        ("Début de l'enregistrement", date_fr(e.registration_start)),
        ("Fin de l'enregistrement", date_fr(e.registration_end)),
    ]
    if e.jo_reference:
        rows.append(("Publication au Journal officiel", e.jo_reference))
    return [
        Para("Le directeur général de France compétences,"),
        Para(
            "Vu le code du travail, notamment ses articles L. 6113-1 et suivants et R. 6113-1 et suivants ;\n"
            "Vu la demande d'enregistrement déposée en ligne et l'avis de la commission de la certification professionnelle ;"
        ),
        Heading("Décide"),
        Para(f"La certification « {e.title} » est enregistrée au {REPERTOIRE_NAMES[e.repertoire]} dans les conditions suivantes :"),
        Fields(rows),
        Heading("Motivation"),
        Para(e.motivation),
        Para(f"La certification est enregistrée sous le numéro {e.registration_number}, qui doit toujours être cité avec son préfixe."),
        Signature([f"Fait à Paris, le {date_fr(e.decision_date)}", SIGNATORY]),
    ]


def refusal_blocks(e: rv.CaseRefused) -> list[Block]:
    blocks: list[Block] = [
        Para("Le directeur général de France compétences,"),
        Para(
            "Vu le code du travail, notamment ses articles L. 6113-1 et suivants et R. 6113-1 et suivants ;\n"
            "Vu la demande d'enregistrement déposée en ligne et l'avis de la commission de la certification professionnelle ;"
        ),
        Fields(
            [
                ("Intitulé de la certification", e.title),
                ("Répertoire", REPERTOIRE_NAMES[e.repertoire]),
                ("Date de la décision", date_fr(e.decision_date)),
                ("Date de notification", date_fr(e.notified_at)),
            ]
        ),
        Heading("Décide"),
        Para(f"L'enregistrement de la certification « {e.title} » au {REPERTOIRE_NAMES[e.repertoire]} est refusé."),
        Heading("Motivation"),
        Para(e.motivation),
    ]
    if e.reasons:
        blocks.append(Grid(["Critère d'enregistrement", "Motif"], [[r.criterion, r.text] for r in e.reasons]))
    blocks += [
        Heading("Voies et délais de recours"),
        Para(
            f"La présente décision peut faire l'objet d'un recours contentieux devant le {e.appeal_court} dans un délai "
            f"de deux mois à compter de la notification, soit au plus tard le {date_fr(e.appeal_deadline)}. "
            "Elle n'est pas susceptible de recours gracieux."
        ),
        Signature([f"Fait à Paris, le {date_fr(e.decision_date)}", SIGNATORY]),
    ]
    return blocks


def filename(kind: str, event: Any) -> str:
    if kind == "registration":
        return f"decision-enregistrement-{event.registration_number}.pdf"
    return f"decision-refus-{event.decision_date.isoformat()}.pdf"


def render(kind: str, event: Any, target: Path) -> None:
    blocks = registration_blocks(event) if kind == "registration" else refusal_blocks(event)
    render_pdf(target, title=TITLES[kind], issuer=ISSUER, blocks=blocks, subject=f"{TITLES[kind]} — {event.title}")


def store_letter(ctx: ServiceContext, session: Session, kind: str, event: Any, envelope: Envelope, now: datetime) -> Letter:
    """Render, store (the key is derived from the event: a retry overwrites the same
    object) and record the letter of a decision event; once per event."""
    existing = session.exec(select(Letter).where(Letter.event_id == envelope.event_id)).first()
    if existing is not None:
        return existing
    if ctx.blobs is None:
        raise RuntimeError("the notifier needs a blob store for its letters")
    key = f"{event.filing_id}/{kind}-{envelope.event_id}.pdf"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "letter.pdf"
        render(kind, event, path)
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 16):
                digest.update(chunk)
        size = path.stat().st_size
        ctx.blobs.put_file(ctx.bucket(BUCKET), key, path, "application/pdf")
    letter = Letter(
        id=uuid.uuid4(),
        filing_id=event.filing_id,
        entity_id=event.entity_id,
        kind=kind,
        title=TITLES[kind],
        filename=filename(kind, event),
        object_key=key,
        sha256=digest.hexdigest(),
        size=size,
        event_id=envelope.event_id,
        created_at=now,
    )
    session.add(letter)
    return letter

"""The proof of submission (PDF): what was sent, when, and the SHA-256 of every piece."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path

from certreg_contracts.calendar import PARIS
from certreg_contracts.events.filings import DocumentRef
from certreg_runtime.contacts import Contacts
from certreg_runtime.pdf import Fields, Grid, Heading, Para, Signature, render_pdf
from filings.domain.rules import CATALOGUE

REPERTOIRE_NAMES = {
    "rncp": "Répertoire national des certifications professionnelles (RNCP)",
    "rs": "Répertoire spécifique (RS)",
}


def format_size(size: int) -> str:
    if size < 1024:
        return f"{size} o"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} Ko".replace(".", ",")
    return f"{size / (1024 * 1024):.1f} Mo".replace(".", ",")


@dataclass(frozen=True)
class ReceiptContent:
    """Everything a proof of submission states (the manifest is the submission event's)."""

    filing_id: uuid.UUID
    reference: str | None
    repertoire: str
    title: str
    qualification_level: int | None
    submission_round: int
    submitted_at: dt.datetime
    submitted_by: str
    documents: tuple[DocumentRef, ...]


def render_receipt(target: Path, content: ReceiptContent, *, service: str = Contacts().service_name) -> None:
    """The proof as a PDF; ``service``: the platform's name (``CERTREG_SERVICE_NAME``)."""
    filing_id, submission_round = str(content.filing_id), content.submission_round
    rows = [
        *([("Numéro de dossier", content.reference)] if content.reference else []),
        ("Identifiant technique", filing_id),
        ("Répertoire", REPERTOIRE_NAMES.get(content.repertoire, content.repertoire)),
        ("Intitulé", content.title),
    ]
    if content.qualification_level is not None:
        rows.append(("Niveau de qualification", str(content.qualification_level)))
    rows += [
        ("Déposé le", content.submitted_at.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M:%S (heure de Paris)")),
        ("Dépôt n°", str(submission_round) + (" (premier dépôt)" if submission_round == 1 else " (nouveau dépôt)")),
        ("Déposé par", content.submitted_by),
    ]
    grid = [
        [
            CATALOGUE[d.doc_type].label if d.doc_type in CATALOGUE else d.doc_type,
            f"{d.filename} (v{d.version}, {format_size(d.size)}"
            + (f", daté du {d.document_date.strftime('%d/%m/%Y')}" if d.document_date else "")
            + ")",
            # In two halves so that it fits its column; a verifier reads it without the space.
            f"{d.sha256[:32]} {d.sha256[32:]}",
        ]
        for d in content.documents
    ]
    render_pdf(
        target,
        title="Accusé de dépôt d'une demande d'enregistrement",
        issuer=f"France compétences — {service}",
        subject=f"Dépôt n°{submission_round} du dossier {content.reference or filing_id}",
        blocks=[
            Para(
                "Le présent document atteste du dépôt en ligne de la demande d'enregistrement décrite ci-dessous, "
                "accompagnée de la déclaration sur l'honneur de l'exactitude des informations fournies."
            ),
            Fields(rows),
            Heading("Pièces déposées"),
            Grid(["Pièce", "Fichier", "Empreinte SHA-256"], grid),
            Para(
                "Les empreintes SHA-256 permettent de vérifier que chaque pièce conservée est identique à celle "
                "déposée. Des informations fausses ou incomplètes suspendent l'instruction de la demande ; une fausse "
                "déclaration la rend irrecevable."
            ),
            Signature(["France compétences", f"Accusé délivré automatiquement par la plateforme « {service} »"]),
        ],
    )

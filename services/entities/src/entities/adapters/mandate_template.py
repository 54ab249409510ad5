"""The filled-in template of the mandate delegation (délégation de mandat) offered to
download at step 1: the entity, its legal representative, the person designated as
administrateur entité, date and signature blocks."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from certreg_runtime.pdf import Fields, Heading, Para, Signature, render_pdf

BLANK = "…………………………………………"


def _or_blank(value: str | None) -> str:
    value = (value or "").strip()
    return value or BLANK


def render_mandate_template(
    *,
    denomination: str | None = None,
    siret: str | None = None,
    representative: str | None = None,
    delegate: str | None = None,
    delegate_role: str | None = None,
) -> Path:
    """Rendered to a temporary file, which the caller deletes."""
    fd, name = tempfile.mkstemp(prefix="mandate-", suffix=".pdf")
    os.close(fd)
    target = Path(name)
    try:
        _render(target, denomination, siret, representative, delegate, delegate_role)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def _render(
    target: Path, denomination: str | None, siret: str | None, representative: str | None, delegate: str | None, delegate_role: str | None
) -> None:
    entity = _or_blank(denomination)
    rep = _or_blank(representative)
    person = _or_blank(delegate)
    role = _or_blank(delegate_role)
    render_pdf(
        target,
        title="Délégation de mandat — administrateur entité",
        issuer="France compétences",
        subject="Modèle de délégation de mandat pour l'enregistrement aux répertoires nationaux (RNCP, RS)",
        blocks=[
            Para(
                "Ce document désigne la personne qui administre l'entité sur la plateforme d'enregistrement "
                "des certifications professionnelles de France compétences. Il est signé par le représentant "
                "légal de l'entité et déposé sur la plateforme ; il doit dater de moins de 3 mois le jour du dépôt."
            ),
            Heading("L'entité"),
            Fields([("Dénomination", entity), ("SIRET", _or_blank(siret))]),
            Heading("Le représentant légal"),
            Fields([("Nom et prénom", rep), ("Qualité", BLANK)]),
            Heading("La personne désignée administrateur entité"),
            Fields([("Nom et prénom", person), ("Fonction", role)]),
            Heading("Délégation"),
            Para(
                f"Je soussigné(e) {rep}, représentant légal de {entity}, donne délégation à {person}, {role}, "
                f"pour agir au nom de {entity} en qualité d'administrateur entité sur la plateforme "
                "d'enregistrement des certifications professionnelles de France compétences : déclarer l'entité, "
                "valider ou refuser les demandes de compte de ses membres, déposer les demandes d'enregistrement "
                "au répertoire national des certifications professionnelles (RNCP) et au répertoire spécifique (RS), "
                "et échanger avec France compétences sur leur instruction."
            ),
            Para("Cette délégation vaut jusqu'à sa révocation, notifiée à France compétences."),
            Signature(
                [
                    f"Fait à {BLANK}, le ____ / ____ / ________",
                    "",
                    "Le représentant légal (nom, qualité, signature et cachet de l'entité) :",
                    "",
                    "",
                    "",
                    "La personne désignée administrateur entité (signature, précédée de « Bon pour acceptation ») :",
                ]
            ),
        ],
    )

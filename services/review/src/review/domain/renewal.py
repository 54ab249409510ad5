"""A renewal against the registration it renews (issue 14): what changed, field by field and
block by block, between the fiche as registered (the public record) and the renewal request.
Pure: both sides are given as plain dicts of the same fields."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

# The fields compared, in the order the review page shows them, with their French labels.
FIELDS: dict[str, str] = {
    "title": "Intitulé",
    "qualification_level": "Niveau de qualification",
    "summary": "Objectifs et contexte",
    "activities": "Activités visées",
    "competences": "Compétences attestées",
    "competence_blocks": "Blocs de compétences",
    "assessment_methods": "Modalités d'évaluation",
    # The rest of the fiche (certreg_contracts.events.filings.Fiche); ``former_numbers`` is left
    # out: a renewal always adds the registration it renews.
    "certifiers": "Certificateurs",
    "nsf_codes": "Codes NSF",
    "rome_codes": "Codes ROME",
    "access_routes": "Voies d'accès et jurys",
    "prerequisites": "Prérequis",
    "sectors": "Secteurs d'activité",
    "job_types": "Types d'emplois accessibles",
    "regulation": "Réglementation de l'activité",
    "equivalences": "Équivalences et correspondances",
    "statistics": "Statistiques des promotions",
}
FICHE_FIELDS = (
    "certifiers",
    "nsf_codes",
    "rome_codes",
    "access_routes",
    "prerequisites",
    "sectors",
    "job_types",
    "regulation",
    "equivalences",
    "statistics",
)


def fiche_content(fiche: dict[str, Any] | None) -> dict[str, Any]:
    """The fiche's compared fields; each certifier as filed (SIRET, name, filer)."""
    fiche = fiche or {}
    content = {name: fiche.get(name) for name in FICHE_FIELDS}
    content["certifiers"] = [{k: c.get(k) for k in ("siret", "name", "filer")} for c in fiche.get("certifiers") or []]
    return content


@dataclass(frozen=True)
class Change:
    """One difference: a field (and for a block its ``code``), ``change`` ``changed`` /
    ``added`` / ``removed``; for lists the items ``added`` and ``removed``."""

    field: str
    label: str
    change: str
    before: Any = None
    after: Any = None
    code: str | None = None
    added: list[Any] = dataclasses.field(default_factory=list)
    removed: list[Any] = dataclasses.field(default_factory=list)


def _list_change(name: str, before: list[Any], after: list[Any]) -> Change | None:
    if before == after:
        return None
    return Change(
        name,
        FIELDS.get(name, name),
        "changed",
        before,
        after,
        added=[i for i in after if i not in before],
        removed=[i for i in before if i not in after],
    )


def _blocks(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[Change]:
    label = FIELDS["competence_blocks"]
    old = {str(b.get("code", "")): b for b in before}
    new = {str(b.get("code", "")): b for b in after}
    changes = []
    for code in list(dict.fromkeys([*old, *new])):
        if code not in new:
            changes.append(Change("competence_blocks", label, "removed", before=old[code], code=code))
        elif code not in old:
            changes.append(Change("competence_blocks", label, "added", after=new[code], code=code))
        elif _comparable(old[code]) != _comparable(new[code]):
            changes.append(Change("competence_blocks", label, "changed", before=old[code], after=new[code], code=code))
    return changes


def _comparable(block: dict[str, Any]) -> dict[str, Any]:
    return {k: block.get(k) or ([] if k != "title" else "") for k in ("title", "competences", "assessment_methods")}


def diff(registered: dict[str, Any], renewal: dict[str, Any]) -> list[Change]:
    """Every difference of the renewal from the registered fiche, in ``FIELDS`` order."""
    changes: list[Change] = []
    for name, label in FIELDS.items():
        before, after = registered.get(name), renewal.get(name)
        if name == "competence_blocks":
            changes.extend(_blocks(before or [], after or []))
        elif isinstance(before, list) or isinstance(after, list):
            found = _list_change(name, list(before or []), list(after or []))
            if found is not None:
                changes.append(found)
        elif (before or None) != (after or None):
            changes.append(Change(name, label, "changed", before, after))
    return changes

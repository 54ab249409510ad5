"""What changed in a filing's description between two submission rounds, field by field and
block by block (issue 14: "each new round shows what changed since the previous one").

A round's description is the snapshot kept with its proof of submission (``described``);
``changes`` compares two of them. Lists of things that have a key are compared item by
item under that key (blocks by code, co-certifiers by SIRET, access routes by route,
statistics by year); other lists and values as a whole."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["added", "removed", "changed"]

# The filing's own fields a round's snapshot keeps, with their French labels.
FIELD_LABELS: dict[str, str] = {
    "repertoire": "Répertoire",
    "title": "Intitulé",
    "qualification_level": "Niveau de qualification",
    "is_cqp": "Certificat de qualification professionnelle",
    "cqp_filed_by": "Déposant du CQP",
    "rests_on_standards": "Repose sur des normes",
    "summary": "Objectifs et contexte",
    "activities": "Activités visées",
    "competences": "Compétences attestées",
    "competence_blocks": "Blocs de compétences",
    "assessment_methods": "Modalités d'évaluation",
}
FICHE_LABELS: dict[str, str] = {
    "registration_type": "Type d'enregistrement",
    "by_right_basis": "Fondement de l'enregistrement de droit",
    "former_numbers": "Certifications précédentes",
    "certifiers": "Certificateurs",
    "nsf_codes": "Codes NSF",
    "rome_codes": "Codes ROME",
    "access_routes": "Voies d'accès",
    "prerequisites": "Prérequis",
    "sectors": "Secteurs d'activité",
    "job_types": "Types d'emplois accessibles",
    "regulation": "Réglementation de l'activité",
    "equivalences": "Équivalences et correspondances",
    "statistics": "Statistiques des promotions",
}
# Lists compared item by item, under this key.
KEYED: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "competence_blocks": lambda b: str(b.get("code", "")),
    "certifiers": lambda c: str(c.get("siret", "")),
    "access_routes": lambda r: str(r.get("route", "")),
    "statistics": lambda s: str(s.get("year", "")),
}


@dataclass(frozen=True)
class Change:
    path: tuple[str, ...]  # ("competence_blocks", "BC02", "assessment_methods"), ("fiche", "nsf_codes")
    label: str
    kind: Kind
    before: Any
    after: Any


def described(filing: Any) -> dict[str, Any]:
    """The description a round is submitted with (what ``changes`` compares)."""
    snapshot = {name: getattr(filing, name) for name in FIELD_LABELS}
    snapshot["fiche"] = dict(filing.fiche or {})
    return snapshot


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _kind(before: Any, after: Any) -> Kind:
    return "added" if _empty(before) else "removed" if _empty(after) else "changed"


def _compare(path: tuple[str, ...], label: str, name: str, before: Any, after: Any, out: list[Change]) -> None:
    if before == after or (_empty(before) and _empty(after)):
        return
    key = KEYED.get(name)
    if key and isinstance(before or [], list) and isinstance(after or [], list):
        old = {key(item): item for item in before or []}
        new = {key(item): item for item in after or []}
        for k in [*old, *(k for k in new if k not in old)]:
            a, b = old.get(k), new.get(k)
            if a == b:
                continue
            if a is None or b is None:
                out.append(Change((*path, k), f"{label} — {k}", _kind(a, b), a, b))
                continue
            for sub in [*a, *(s for s in b if s not in a)]:
                if a.get(sub) != b.get(sub):
                    out.append(Change((*path, k, sub), f"{label} — {k}", _kind(a.get(sub), b.get(sub)), a.get(sub), b.get(sub)))
        return
    out.append(Change(path, label, _kind(before, after), before, after))


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """Every difference from ``before`` to ``after``, in the fiche's order."""
    out: list[Change] = []
    for name, label in FIELD_LABELS.items():
        _compare((name,), label, name, before.get(name), after.get(name), out)
    old_fiche, new_fiche = before.get("fiche") or {}, after.get("fiche") or {}
    for name, label in FICHE_LABELS.items():
        _compare(("fiche", name), label, name, old_fiche.get(name), new_fiche.get(name), out)
    return out

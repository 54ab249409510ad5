"""The pieces of a filing, as data (DESIGN.md section 4).

Two tables: ``CATALOGUE`` says what each kind of piece is (French label, dated or not,
several allowed or not); ``PIECES`` says, per repertoire, which pieces a filing carries,
required or optional, and under which condition (CQP, CQP filed by a mandated
organisation, certification resting on standards). ``FIELDS`` does the same for the
descriptive fields filled on-line. The checklist shown to the depositor and the check
made at submission both read these tables, and nothing else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from certreg_contracts.calendar import add_months
from certreg_contracts.types import FILING_FIELDS, DocType

MAX_AGE_MONTHS = 3

# Who files a CQP: its CPNE, or an organisation the CPNE mandated.
CqpFiler = Literal["cpne", "mandated"]


class FilingFacts(Protocol):
    """What the rules need to know of a filing (read-only, so that narrower types fit)."""

    @property
    def repertoire(self) -> str: ...
    @property
    def is_cqp(self) -> bool: ...
    @property
    def cqp_filed_by(self) -> str | None: ...
    @property
    def rests_on_standards(self) -> bool: ...


class DocumentFacts(Protocol):
    """What the rules need to know of a stored piece (its current version)."""

    @property
    def doc_type(self) -> str: ...
    @property
    def document_date(self) -> dt.date | None: ...


Condition = Literal["always", "cqp", "cqp_mandated", "standards"]

CONDITIONS: dict[str, Callable[[FilingFacts], bool]] = {
    "always": lambda f: True,
    "cqp": lambda f: bool(f.is_cqp),
    "cqp_mandated": lambda f: bool(f.is_cqp) and f.cqp_filed_by == "mandated",
    "standards": lambda f: bool(f.rests_on_standards),
}


@dataclass(frozen=True)
class Kind:
    """A kind of piece, wherever it is asked for."""

    label: str
    dated: bool = False
    multiple: bool = False


CATALOGUE: dict[str, Kind] = {
    "legal_existence": Kind(
        "Justificatif d'existence légale (extrait Kbis, avis au Journal officiel, décret ou arrêté, accord de branche)"
    ),
    "activity_framework": Kind("Référentiel d'activités"),
    "competence_framework": Kind("Référentiel de compétences (avec les blocs de compétences pour le RNCP)"),
    "assessment_framework": Kind("Référentiel d'évaluation"),
    "criminal_record": Kind("Bulletin n°3 du casier judiciaire du représentant légal et de chaque dirigeant (moins de 3 mois)", dated=True),
    "certificate_specimen": Kind("Spécimen du parchemin délivré"),
    "assessment_organisation": Kind("Modalités d'organisation et de contrôle des évaluations"),
    "opportunity_note": Kind("Note d'opportunité (besoin auquel répond la certification)"),
    "support_letter": Kind("Lettre de soutien d'un ministère, d'une CPNE ou d'une entreprise utilisatrice", multiple=True),
    "standards": Kind("Normes réglementaires ou de marché sur lesquelles repose la certification"),
    "cpne_deliberation": Kind("Délibération et/ou convention de la CPNE créant le CQP"),
    "cpne_mandate": Kind("Mandat de la CPNE à l'organisme déposant (moins de 3 mois)", dated=True),
    "ip_transfer": Kind("Cession de la propriété intellectuelle du CQP"),
    "organisation_presentation": Kind("Présentation de l'organisme"),
    "validation_rules": Kind("Règles de délivrance de la certification"),
    "sector_studies": Kind("Études sur le métier ou le secteur"),
}


@dataclass(frozen=True)
class Rule:
    doc_type: DocType
    required: bool
    when: Condition = "always"


# Per repertoire: the pieces, in the order the checklist shows them.
PIECES: dict[str, tuple[Rule, ...]] = {
    "rncp": (
        Rule("legal_existence", True),
        Rule("activity_framework", True),
        Rule("competence_framework", True),
        Rule("assessment_framework", True),
        Rule("criminal_record", True),
        Rule("cpne_deliberation", True, "cqp"),
        Rule("cpne_mandate", True, "cqp_mandated"),
        Rule("organisation_presentation", False),
        Rule("validation_rules", False),
        Rule("sector_studies", False),
    ),
    "rs": (
        Rule("legal_existence", True),
        Rule("activity_framework", True, "cqp"),
        Rule("competence_framework", True),
        Rule("assessment_framework", True),
        Rule("criminal_record", True),
        Rule("certificate_specimen", True),
        Rule("assessment_organisation", True),
        Rule("opportunity_note", True),
        Rule("standards", True, "standards"),
        Rule("cpne_deliberation", True, "cqp"),
        Rule("cpne_mandate", True, "cqp_mandated"),
        Rule("ip_transfer", True, "cqp"),
        Rule("support_letter", False),
    ),
}


@dataclass(frozen=True)
class FieldRule:
    field: str
    label: str
    when: Condition = "always"


# Descriptive fields filled on-line, required at submission.
FIELDS: dict[str, tuple[FieldRule, ...]] = {
    "rncp": (
        FieldRule("activities", "Activités visées"),
        FieldRule("competences", "Compétences attestées"),
        FieldRule("competence_blocks", "Blocs de compétences"),
        FieldRule("assessment_methods", "Modalités d'évaluation"),
    ),
    "rs": (
        FieldRule("activities", "Activités visées", "cqp"),
        FieldRule("competences", "Compétences attestées"),
        FieldRule("assessment_methods", "Modalités d'évaluation"),
    ),
}

# The filing's own fields a depositor may edit (review's ``editable_items`` name them).
EDITABLE_FIELDS = ("repertoire", *FILING_FIELDS)

LEVELS = range(1, 9)


@dataclass(frozen=True)
class Piece:
    """One line of a filing's checklist."""

    doc_type: DocType
    label: str
    required: bool
    dated: bool
    multiple: bool


@dataclass(frozen=True)
class Problem:
    """Something that stops a submission: ``loc`` names the item, ``msg`` says why (French)."""

    loc: tuple[str, ...]
    msg: str
    type: str


def pieces_for(filing: FilingFacts) -> list[Piece]:
    """The pieces this filing carries, from the table of its repertoire."""
    return [
        Piece(r.doc_type, CATALOGUE[r.doc_type].label, r.required, CATALOGUE[r.doc_type].dated, CATALOGUE[r.doc_type].multiple)
        for r in PIECES[filing.repertoire]
        if CONDITIONS[r.when](filing)
    ]


def piece_for(filing: FilingFacts, doc_type: str) -> Piece | None:
    return next((p for p in pieces_for(filing) if p.doc_type == doc_type), None)


def fields_for(filing: FilingFacts) -> list[FieldRule]:
    return [f for f in FIELDS[filing.repertoire] if CONDITIONS[f.when](filing)]


# --------------------------------------------------------------------------- dates


def date_problem(document_date: dt.date | None, on: dt.date) -> str | None:
    """Why a dated piece's date is not acceptable on day ``on`` (French), or None.

    A dated piece must be dated less than 3 months before ``on``, and not in the future.
    """
    if document_date is None:
        return "La date du document est obligatoire pour cette pièce (paramètre document_date)."
    if document_date > on:
        return "La date du document ne peut pas être dans le futur."
    oldest = add_months(on, -MAX_AGE_MONTHS)
    if document_date <= oldest:
        return (
            f"Le document doit dater de moins de {MAX_AGE_MONTHS} mois "
            f"(daté du {document_date.strftime('%d/%m/%Y')}, il fallait après le "
            f"{oldest.strftime('%d/%m/%Y')})."
        )
    return None


# --------------------------------------------------------------------------- filing fields


def level_problem(repertoire: str, qualification_level: int | None) -> str | None:
    """RNCP: a level 1..8 is required (CQPs included). RS: never a level (CQPs included)."""
    if repertoire == "rncp":
        if qualification_level is None:
            return "Le niveau de qualification (1 à 8) est obligatoire pour une certification au RNCP, CQP compris."
        if qualification_level not in LEVELS:
            return "Le niveau de qualification doit être compris entre 1 et 8 (cadre national, décret 2019-14)."
        return None
    if qualification_level is not None:
        return "Une certification au Répertoire spécifique ne porte pas de niveau de qualification, CQP compris."
    return None


def cqp_problem(is_cqp: bool, cqp_filed_by: str | None) -> str | None:
    if is_cqp and cqp_filed_by is None:
        return "Précisez qui dépose le CQP : la CPNE (« cpne ») ou un organisme mandaté par elle (« mandated »)."
    if not is_cqp and cqp_filed_by is not None:
        return "Ce champ ne concerne que les CQP."
    return None


# --------------------------------------------------------------------------- checklist


def checklist(filing: FilingFacts, documents: Iterable[DocumentFacts], on: dt.date) -> list[dict[str, Any]]:
    """The checklist of the filing: one line per piece of its table, with the current
    documents that provide it and, when one of them is not acceptable, why."""
    by_type: dict[str, list[DocumentFacts]] = {}
    for doc in documents:
        by_type.setdefault(doc.doc_type, []).append(doc)
    lines = []
    for piece in pieces_for(filing):
        docs = by_type.get(piece.doc_type, [])
        issue = None
        if piece.dated:
            issue = next((p for d in docs if (p := date_problem(d.document_date, on))), None)
        lines.append(
            {
                "doc_type": piece.doc_type,
                "label": piece.label,
                "required": piece.required,
                "dated": piece.dated,
                "multiple": piece.multiple,
                "provided": bool(docs),
                "valid": bool(docs) and issue is None,
                "issue": issue,
                "documents": docs,
            }
        )
    return lines


def submission_problems(filing: FilingFacts, fields: dict[str, Any], documents: Sequence[DocumentFacts], on: dt.date) -> list[Problem]:
    """Every reason the filing cannot be submitted on day ``on`` (empty: it can)."""
    problems: list[Problem] = []
    if msg := level_problem(filing.repertoire, fields.get("qualification_level")):
        problems.append(Problem(("qualification_level",), msg, "level"))
    if msg := cqp_problem(filing.is_cqp, filing.cqp_filed_by):
        problems.append(Problem(("cqp_filed_by",), msg, "cqp"))
    if not (fields.get("title") or "").strip():
        problems.append(Problem(("title",), "L'intitulé de la certification est obligatoire.", "missing"))
    for rule in fields_for(filing):
        if not fields.get(rule.field):
            problems.append(Problem((rule.field,), f"{rule.label} : à renseigner avant le dépôt.", "missing"))
    expected: dict[str, Piece] = {p.doc_type: p for p in pieces_for(filing)}
    present = {d.doc_type for d in documents}
    for piece in expected.values():
        if piece.required and piece.doc_type not in present:
            problems.append(Problem(("documents", piece.doc_type), f"Pièce manquante : {piece.label}.", "missing"))
    for doc in documents:
        found = expected.get(doc.doc_type)
        if found is None:
            problems.append(
                Problem(
                    ("documents", doc.doc_type),
                    "Cette pièce ne correspond pas à ce dossier (répertoire ou nature du dossier modifiés) : supprimez-la.",
                    "unexpected",
                )
            )
        elif found.dated and (msg := date_problem(doc.document_date, on)):
            problems.append(Problem(("documents", doc.doc_type), msg, "document_date"))
    return problems

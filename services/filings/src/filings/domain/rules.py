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
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from certreg_contracts.events.filings import ACCESS_ROUTES
from certreg_contracts.legal_dates import DATED_PIECE_MONTHS, dated_piece_expiry, french_date, is_dated_piece_valid
from certreg_contracts.types import DOC_TYPES, FILING_FIELDS, DocType
from certreg_reference import Nomenclature as _Nomenclature
from certreg_reference import nomenclature

MAX_AGE_MONTHS = DATED_PIECE_MONTHS

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
    @property
    def submitted_in_round(self) -> int | None: ...


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

# The filing's own fields a depositor may edit (review's ``editable_items`` name them); a
# renewal's recommendations follow-up is edited with the draft (review does not reopen it).
EDITABLE_FIELDS = ("repertoire", *FILING_FIELDS, "recommendations_follow_up")

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

    loc: tuple[str | int, ...]
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
    """Why a dated piece's date is not acceptable on the reference day ``on`` (French,
    dates in words), or None.

    A dated piece must be dated less than three months before ``on``, and not after it
    (``certreg_contracts.legal_dates.is_dated_piece_valid``)."""
    if document_date is None:
        return "La date du document est obligatoire pour cette pièce (paramètre document_date)."
    if document_date > on:
        return f"La date du document ({french_date(document_date)}) ne peut pas être dans le futur : nous sommes le {french_date(on)}."
    if not is_dated_piece_valid(document_date, on, months=MAX_AGE_MONTHS):
        last = dated_piece_expiry(document_date, months=MAX_AGE_MONTHS).day
        return (
            f"Le document doit dater de moins de trois mois au {french_date(on)} : daté du {french_date(document_date)}, "
            f"il ne l'était plus après le {french_date(last)}."
        )
    return None


@dataclass(frozen=True)
class DatedReference:
    """On which day each dated piece is judged « de moins de trois mois ».

    A version of a piece is judged on the day it was filed with the request: the day of
    the submission round that first carried it (for the pieces of the first submission,
    the first submission of the dossier), or ``today`` for a version not submitted yet
    (it will be filed with the next submission). Later rounds never judge it again,
    unless review explicitly asks for the piece anew (``asked``): then the piece is
    judged on ``today``, the day of the round that answers."""

    today: dt.date
    round_days: Mapping[int, dt.date] = field(default_factory=dict)
    asked: frozenset[str] = frozenset()

    def day_for(self, doc: DocumentFacts) -> dt.date:
        if doc.submitted_in_round is None or doc.doc_type in self.asked:
            return self.today
        return self.round_days.get(doc.submitted_in_round, self.today)


def asked_anew(editable_items: Collection[str], request_items: Iterable[Mapping[str, Any]] = ()) -> frozenset[str]:
    """The dated pieces review explicitly asks for again: named by an item of the open
    request, or named among the items review reopened when it reopened only some of them
    (an incomplete dossier's missing pieces, a request's pieces). Reopening the whole
    dossier (inadmissible, adjourned) asks for no piece in particular."""
    named = {str(i["doc_type"]) for i in request_items if i.get("doc_type")}
    reopened = set(editable_items)
    if not set(DOC_TYPES) <= reopened:
        named |= reopened
    return frozenset(t for t in named if t in CATALOGUE and CATALOGUE[t].dated)


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


def checklist(filing: FilingFacts, documents: Iterable[DocumentFacts], on: DatedReference) -> list[dict[str, Any]]:
    """The checklist of the filing: one line per piece of its table, with the current
    documents that provide it and, when one of them is not acceptable, why (a dated
    piece judged on the day ``on`` gives for it)."""
    by_type: dict[str, list[DocumentFacts]] = {}
    for doc in documents:
        by_type.setdefault(doc.doc_type, []).append(doc)
    lines = []
    for piece in pieces_for(filing):
        docs = by_type.get(piece.doc_type, [])
        issue = judged_on = valid_until = None
        if piece.dated:
            issue = next((p for d in docs if (p := date_problem(d.document_date, on.day_for(d)))), None)
            if docs:
                judged_on = on.day_for(docs[0])
                dated = docs[0].document_date
                valid_until = dated_piece_expiry(dated, months=MAX_AGE_MONTHS).day if dated else None
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
                "asked_anew": piece.doc_type in on.asked,
                "judged_on": judged_on,
                "valid_until": valid_until,
            }
        )
    return lines


def submission_problems(
    filing: FilingFacts, fields: dict[str, Any], documents: Sequence[DocumentFacts], on: DatedReference
) -> list[Problem]:
    """Every reason the filing cannot be submitted on day ``on.today`` (empty: it can);
    each dated piece judged on the day ``on`` gives for it."""
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
    problems += fiche_problems(filing.repertoire, fields.get("competence_blocks") or [], fields.get("fiche") or {})
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
        elif found.dated and (msg := date_problem(doc.document_date, on.day_for(doc))):
            problems.append(Problem(("documents", doc.doc_type), msg, "document_date"))
    return problems


# --------------------------------------------------------------------------- the fiche

# The nomenclatures a fiche's codes are checked against (certreg_reference: NSF and ROME 4.0
# are shipped with their source; Formacode is not, see certreg_reference.NOT_SHIPPED).
Nomenclature = Literal["nsf", "rome"]
NOMENCLATURE_LABELS: dict[Nomenclature, str] = {"nsf": "NSF", "rome": "ROME"}


def nomenclature_of(name: Nomenclature) -> _Nomenclature:
    return nomenclature(name)


NUMBER = re.compile(r"(RNCP|RS)[0-9]{1,7}")


def number_problem(value: str) -> str | None:
    """Why ``value`` is not a registry number (RNCP34762, RS5428), or None."""
    if NUMBER.fullmatch(value):
        return None
    return "Numéro de fiche attendu : RNCP ou RS suivi de chiffres (par exemple RNCP34762 ou RS5428)."


ROUTE_LABELS: dict[str, str] = {
    "initial_training": "Après un parcours de formation sous statut d'élève ou d'étudiant",
    "continuing_training": "Après un parcours de formation continue",
    "apprenticeship": "En contrat d'apprentissage",
    "professionalisation": "En contrat de professionnalisation",
    "individual_application": "Par candidature individuelle",
    "vae": "Par expérience (VAE)",
}
assert set(ROUTE_LABELS) == set(ACCESS_ROUTES)

# Registration by right (no commission): L.6113-5 I puts the State's diplomas and titles in the
# RNCP, L.6113-6 the State's habilitations in the RS.
BY_RIGHT_REPERTOIRE = {"L6113-5": "rncp", "L6113-6": "rs"}


def by_right_problem(repertoire: str, fiche: Mapping[str, Any]) -> str | None:
    basis = fiche.get("by_right_basis")
    if basis and BY_RIGHT_REPERTOIRE.get(basis) != repertoire:
        return (
            "L'enregistrement de droit au RNCP vaut pour les diplômes et titres de l'État (L.6113-5 I), "
            "au Répertoire spécifique pour les habilitations de l'État (L.6113-6) : ce fondement ne correspond pas au répertoire."
        )
    return None


def fiche_problems(repertoire: str, blocks: Sequence[Mapping[str, Any]], fiche: Mapping[str, Any]) -> list[Problem]:
    """What the fiche lacks for a submission: each RNCP block its own assessment methods
    (R.6113-9), each access route its jury, and a registration by right its basis."""
    problems: list[Problem] = []
    if repertoire == "rncp":
        for n, block in enumerate(blocks):
            if not block.get("assessment_methods"):
                problems.append(
                    Problem(
                        ("competence_blocks", n, "assessment_methods"),
                        f"Bloc « {block.get('code', '')} » : ses modalités d'évaluation sont obligatoires (art. R.6113-9).",
                        "missing",
                    )
                )
    if msg := by_right_problem(repertoire, fiche):
        problems.append(Problem(("fiche", "by_right_basis"), msg, "by_right"))
    return problems

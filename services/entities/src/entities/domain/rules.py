"""Step 1 of DESIGN.md, entity side: what a valid entity declaration is, which pieces an
application needs, and when a dated piece is still valid.

Every check returns ``Problem``s (field, French message, machine code) instead of
raising, so that one answer can list everything that is wrong at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, TypeGuard, get_args

from certreg_contracts import siret as siret_rules
from certreg_contracts.legal_dates import dated_piece_expiry, french_date, is_dated_piece_valid
from certreg_contracts.types import EntityKind, LegalForm
from certreg_runtime.errors import Conflict, Invalid, field_error

# --------------------------------------------------------------------------- vocabulary

KINDS: tuple[str, ...] = get_args(EntityKind)
LEGAL_FORMS: tuple[str, ...] = get_args(LegalForm)

EntityDocType = Literal["legal_existence", "mandate_delegation"]
ENTITY_DOC_TYPES: tuple[str, ...] = get_args(EntityDocType)
DOC_TYPE_LABELS = {
    "legal_existence": "justificatif d'existence légale",
    "mandate_delegation": "délégation de mandat",
}
# Pieces that carry their date (``?document_date=``) and how long they stay valid.
DATED_DOC_TYPES: dict[str, int] = {"mandate_delegation": 3}  # months

# An entity's statuses (see ``adapters.tables.Entity``).
PENDING_VERIFICATION, VERIFIED, REJECTED, SUPERSEDED = "pending_verification", "verified", "rejected", "superseded"
ENTITY_STATUSES = (PENDING_VERIFICATION, VERIFIED, REJECTED, SUPERSEDED)

APPLICATION_STATUSES = ("draft", "submitted", "approved", "rejected", "withdrawn")
STATUS_LABELS = {"draft": "en brouillon", "submitted": "envoyée", "approved": "acceptée", "rejected": "refusée", "withdrawn": "retirée"}

LA_POSTE_SIREN = siret_rules.LA_POSTE_SIREN
LA_POSTE_HEAD_OFFICE = siret_rules.LA_POSTE_HEAD_OFFICE
FRANCE = frozenset({"france", "fr"})


@dataclass(frozen=True)
class Problem:
    """One thing wrong: the field (path inside the body), why (French), a code."""

    field: tuple[str, ...]
    msg: str
    code: str


def as_invalid(problems: list[Problem], where: str = "body", **extra: Any) -> Invalid:
    """One answer listing every problem (``where`` the values were: body, query, path)."""
    return Invalid([field_error(list(p.field), p.msg, p.code, where=where) for p in problems], **extra)


def is_kind(value: str | None) -> TypeGuard[EntityKind]:
    return value in KINDS


def is_legal_form(value: str | None) -> TypeGuard[LegalForm]:
    return value in LEGAL_FORMS


# --------------------------------------------------------------------------- SIRET


luhn_valid = siret_rules.luhn_valid
# Luhn, except La Poste's establishments (SIREN 356000000): sum of digits multiple of 5.
siret_checksum_valid = siret_rules.checksum_valid


def siret_problems(siret: str, where: tuple[str, ...] = ("siret",)) -> list[Problem]:
    """Why ``siret`` is not a valid SIRET (empty list when it is)."""
    if any(c.isspace() for c in siret):
        return [Problem(where, "Le SIRET ne doit pas contenir d'espaces : saisissez les 14 chiffres à la suite.", "siret_spaces")]
    if not re.fullmatch(r"[0-9]{14}", siret):
        return [Problem(where, "Le SIRET doit comporter exactement 14 chiffres.", "siret_format")]
    if not siret_checksum_valid(siret):
        return [Problem(where, "Ce SIRET n'existe pas : sa clé de contrôle est incorrecte. Vérifiez sa saisie.", "siret_checksum")]
    return []


# --------------------------------------------------------------------------- declaration


@dataclass(frozen=True)
class Address:
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None

    @property
    def in_france(self) -> bool:
        return (self.country or "").strip().lower() in FRANCE


@dataclass(frozen=True)
class Declaration:
    """What the person declares about their entity (the body of POST /applications)."""

    kind: str | None = None
    legal_form: str | None = None
    has_siret: bool = False
    siret: str | None = None
    denomination: str | None = None
    address: Address | None = None
    named_on_legal_proof: bool = False


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def identification_problems(decl: Declaration) -> list[Problem]:
    """The SIRET part: checked first, since a known SIRET means joining its entity."""
    if decl.has_siret:
        if _blank(decl.siret):
            return [
                Problem(("siret",), "Saisissez le SIRET de l'entité (celui du siège pour une université ou une école publique).", "missing")
            ]
        return siret_problems(decl.siret or "")
    if not _blank(decl.siret):
        return [Problem(("siret",), "Un SIRET est saisi alors que l'entité est déclarée sans SIRET.", "unexpected")]
    return []


def address_problems(address: Address | None, *, required: bool) -> list[Problem]:
    if address is None:
        if required:
            return [Problem(("address",), "Sans SIRET, l'adresse postale complète de l'entité est obligatoire.", "missing")]
        return []
    problems: list[Problem] = []
    labels = {"street": "la voie", "postal_code": "le code postal", "city": "la commune", "country": "le pays"}
    for name, label in labels.items():
        if _blank(getattr(address, name)):
            problems.append(Problem(("address", name), f"Adresse incomplète : saisissez {label}.", "missing"))
    if address.in_france and not _blank(address.postal_code) and not re.fullmatch(r"[0-9]{5}", address.postal_code or ""):
        problems.append(Problem(("address", "postal_code"), "Un code postal français comporte 5 chiffres.", "postal_code_format"))
    return problems


def new_entity_problems(decl: Declaration) -> list[Problem]:
    """What a declaration that creates a new entity must satisfy (the SIRET already checked)."""
    problems: list[Problem] = []
    if decl.kind is None:
        problems.append(Problem(("kind",), "Indiquez si l'entité est un ministère ou un autre organisme.", "missing"))
    elif not is_kind(decl.kind):
        problems.append(Problem(("kind",), "Le type d'entité doit être « ministry » ou « other ».", "invalid_choice"))
    if decl.legal_form is None:
        problems.append(Problem(("legal_form",), "Indiquez la forme juridique de l'entité.", "missing"))
    elif not is_legal_form(decl.legal_form):
        problems.append(
            Problem(("legal_form",), f"Forme juridique inconnue : valeurs possibles {', '.join(LEGAL_FORMS)}.", "invalid_choice")
        )
    if decl.kind == "ministry" and decl.legal_form == "public_establishment":
        problems.append(
            Problem(
                ("legal_form",),
                "Un établissement public (université, école publique…) n'est pas un ministère : déclarez-le comme « autre organisme ».",
                "ministry_public_establishment",
            )
        )
    if _blank(decl.denomination):
        problems.append(Problem(("denomination",), "Saisissez la dénomination de l'entité.", "missing"))
    elif len((decl.denomination or "").strip()) > 300:
        problems.append(Problem(("denomination",), "La dénomination ne doit pas dépasser 300 caractères.", "too_long"))
    problems += address_problems(decl.address, required=not decl.has_siret)
    return problems


# --------------------------------------------------------------------------- pieces


def required_documents(*, new_entity: bool, legal_form: str | None, named_on_legal_proof: bool) -> list[str]:
    """The pieces an application must carry before it is submitted.

    Joining an existing entity needs none. A new entity needs its proof of legal
    existence, and the mandate delegation when the person is not named on that proof,
    and always for a public establishment.
    """
    if not new_entity:
        return []
    required = ["legal_existence"]
    if not named_on_legal_proof or legal_form == "public_establishment":
        required.append("mandate_delegation")
    return required


def document_date_problems(doc_type: str, document_date: date | None, today: date) -> list[Problem]:
    """A dated piece needs its date, not in the future, and less than its validity old."""
    where = ("document_date",)
    if document_date is not None and document_date > today:
        return [
            Problem(
                where,
                f"La date du document ({french_date(document_date)}) ne peut pas être dans le futur : nous sommes le {french_date(today)}.",
                "date_in_future",
            )
        ]
    months = DATED_DOC_TYPES.get(doc_type)
    if months is None:
        return []
    label = DOC_TYPE_LABELS.get(doc_type, doc_type)
    if document_date is None:
        return [Problem(where, f"Indiquez la date de la {label} (document_date=AAAA-MM-JJ).", "missing")]
    if not is_dated_piece_valid(document_date, today, months=months):
        last = dated_piece_expiry(document_date, months=months).day
        return [
            Problem(
                where,
                f"La {label} doit dater de moins de {months} mois : datée du {french_date(document_date)}, "
                f"elle ne l'était plus après le {french_date(last)}.",
                "document_too_old",
            )
        ]
    return []


@dataclass(frozen=True)
class ProvidedPiece:
    doc_type: str
    document_date: date | None


@dataclass
class Completeness:
    missing: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.problems


def completeness(required: list[str], latest: dict[str, ProvidedPiece], today: date) -> Completeness:
    """Every required piece present, and each dated piece still valid today."""
    result = Completeness()
    for doc_type in required:
        label = DOC_TYPE_LABELS.get(doc_type, doc_type)
        piece = latest.get(doc_type)
        if piece is None:
            result.missing.append(doc_type)
            result.problems.append(Problem(("documents", doc_type), f"Pièce manquante : {label}.", "missing_document"))
            continue
        for problem in document_date_problems(doc_type, piece.document_date, today):
            result.problems.append(Problem(("documents", doc_type), problem.msg, problem.code))
    return result


def require_draft(status: str) -> None:
    """Only a draft application may change (its pieces, its submission)."""
    if status != "draft":
        raise Conflict(
            f"La demande est déjà {STATUS_LABELS.get(status, status)} : elle ne peut plus être modifiée.",
            code="application_not_draft",
            state=status,
        )

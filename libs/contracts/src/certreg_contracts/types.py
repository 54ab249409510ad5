"""Shared vocabulary of the events: enums (as ``Literal``) and small value types.

The tuples (``REPERTOIRES``, ``DOC_TYPES``, ``ROLES``, ``CASE_STATUSES``) are the same
values as the literals, for code that iterates over them.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

Repertoire = Literal["rncp", "rs"]

# DESIGN.md section 4: the names of the pieces everywhere (API, events, UI).
DocType = Literal[
    "legal_existence",
    "mandate_delegation",
    "activity_framework",
    "competence_framework",
    "assessment_framework",
    "criminal_record",
    "certificate_specimen",
    "assessment_organisation",
    "opportunity_note",
    "support_letter",
    "standards",
    "cpne_deliberation",
    "cpne_mandate",
    "ip_transfer",
    "organisation_presentation",
    "validation_rules",
    "sector_studies",
]

# DESIGN.md section 2.
Role = Literal["depositor", "entity_manager", "si_admin", "reviewer", "instructor", "commission", "director"]

# The states of a review case (the procedure as review runs it).
CaseStatus = Literal[
    "received",
    "incomplete",
    "completeness_ok",
    "inadmissible",
    "admissible",
    "under_instruction",
    "awaiting_complement",
    "ready_for_commission",
    "scheduled",
    "adjourned",
    "favourable",
    "unfavourable",
    "awaiting_publication",
    "suspended",
    "inadmissible_by_right",
    "registered",
    "refused",
    "abandoned",
    "admissibility_withdrawn",
    "withdrawn",
]

EntityKind = Literal["ministry", "other"]
LegalForm = Literal["company", "association", "public_establishment", "cpne", "other"]

REPERTOIRES: tuple[str, ...] = get_args(Repertoire)
DOC_TYPES: tuple[str, ...] = get_args(DocType)
ROLES: tuple[str, ...] = get_args(Role)
CASE_STATUSES: tuple[str, ...] = get_args(CaseStatus)

# The filing's descriptive fields that review may reopen: with DOC_TYPES, the names
# ``review.case.status_changed.editable_items`` is made of.
FilingField = Literal[
    "title",
    "qualification_level",
    "is_cqp",
    "cqp_filed_by",
    "rests_on_standards",
    "summary",
    "activities",
    "competences",
    "competence_blocks",
    "assessment_methods",
    "fiche",
]
FILING_FIELDS: tuple[str, ...] = get_args(FilingField)

Siret = Annotated[str, Field(pattern=r"^[0-9]{14}$", description="14 digits, no spaces")]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="lower-case hex SHA-256")]
QualificationLevel = Annotated[int, Field(ge=1, le=8, description="national framework level (décret 2019-14)")]


class Part(BaseModel):
    """Base of a structured value inside an event payload (not an event itself)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# The services that own a database and talk through the bus (the gateway owns none),
# in start order: identity first, it signs the tokens.
SERVICES: tuple[str, ...] = ("identity", "entities", "filings", "review", "notifier")

# Who is who (DESIGN.md section 2): the public side (an entity's members) and the
# back office (France compétences' staff).
PUBLIC_ROLES: frozenset[str] = frozenset({"depositor", "entity_manager"})
STAFF_ROLES: frozenset[str] = frozenset({"si_admin", "reviewer", "instructor", "commission", "director"})

# A case in one of these states never changes again (the filing shows it as final).
TERMINAL_CASE_STATUSES: frozenset[str] = frozenset(
    {"registered", "refused", "abandoned", "admissibility_withdrawn", "withdrawn", "inadmissible_by_right"}
)

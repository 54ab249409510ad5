"""Events of the filings service: registration requests (filings) and their submission."""

import uuid
from datetime import date
from typing import Annotated, Literal, get_args

from pydantic import AwareDatetime, Field, NonNegativeInt, PositiveInt, model_validator

from certreg_contracts.envelope import Event
from certreg_contracts.types import DocType, Part, QualificationLevel, Repertoire, Sha256, Siret


class CompetenceBlock(Part):
    """A block of competences (RNCP), published with the certification's record, with its
    own assessment methods (R.6113-9: required per block at submission)."""

    code: str
    title: str
    competences: list[str]
    assessment_methods: list[str] = Field(default_factory=list)


# The ways to the certification the fiche lists, each with its jury (the open-data fiche's
# SI_JURY_FI / _FC / _CA / _CQ / _CL / _VAE, in that order).
AccessRouteKind = Literal[
    "initial_training", "continuing_training", "apprenticeship", "professionalisation", "individual_application", "vae"
]
ACCESS_ROUTES: tuple[str, ...] = get_args(AccessRouteKind)

# Registration on request (the commission's opinion), or by right: the diplomas and titles of
# L.6113-5 I (RNCP) and the State habilitations of L.6113-6 (RS).
RegistrationType = Literal["on_request", "by_right"]
ByRightBasis = Literal["L6113-5", "L6113-6"]
RegistryNumber = Annotated[str, Field(pattern=r"^(RNCP|RS)[0-9]{1,7}$", description="RNCP12345, RS1234")]


class CoCertifier(Part):
    """One certifier of the certification (co-certification: several); ``filer`` marks the filing entity."""

    siret: Siret
    name: str
    filer: bool = False


class AccessRoute(Part):
    route: AccessRouteKind
    jury: str = Field(description="the jury's composition for this route")


class Equivalence(Part):
    """An equivalence or correspondence with another certification, by its number when it has one."""

    number: str | None = None
    label: str = ""


class CohortStatistics(Part):
    """One cohort's figures (a year), as the open-data fiche's STATISTIQUES_PROMOTION."""

    year: PositiveInt
    certified: NonNegativeInt | None = None
    certified_by_vae: NonNegativeInt | None = None
    employed_6_months_rate: int | None = Field(default=None, ge=0, le=100, description="% in employment 6 months after")
    employed_in_job_2_years_rate: int | None = Field(default=None, ge=0, le=100, description="% in the trade 2 years after")


class Fiche(Part):
    """The certification's fiche beyond the frameworks (title, level, summary = objectives and
    context, activities, competences, blocks and assessment methods are the filing's own fields):
    what the open-data fiche v4.1 publishes. Formacode is not carried (certreg_reference.NOT_SHIPPED)."""

    registration_type: RegistrationType = "on_request"
    by_right_basis: ByRightBasis | None = None
    former_numbers: list[RegistryNumber] = Field(default_factory=list, description="the certifications this one follows")
    certifiers: list[CoCertifier] = Field(default_factory=list, description="empty: the filing entity alone")
    nsf_codes: list[str] = Field(default_factory=list)
    rome_codes: list[str] = Field(default_factory=list)
    access_routes: list[AccessRoute] = Field(default_factory=list)
    prerequisites: str | None = None
    sectors: list[str] = Field(default_factory=list)
    job_types: list[str] = Field(default_factory=list)
    regulation: str | None = None
    equivalences: list[Equivalence] = Field(default_factory=list)
    statistics: list[CohortStatistics] = Field(default_factory=list)


class DocumentRef(Part):
    """One piece of the submitted filing, as stored (the current version of it)."""

    document_id: uuid.UUID
    doc_type: DocType
    version: PositiveInt
    sha256: Sha256
    size: NonNegativeInt
    content_type: str
    filename: str
    document_date: date | None = None


class FilingCreated(Event):
    """A depositor created a draft filing.

    Emitted by filings on POST /filings. No consumer today (kept for the audit trail
    and for whoever needs to know about drafts).
    """

    routing_key = "filings.filing.created"
    filing_id: uuid.UUID
    entity_id: uuid.UUID
    repertoire: Repertoire
    title: str
    created_by: uuid.UUID


class FilingSubmitted(Event):
    """A filing was submitted with the sworn statement: first submission or resubmission.

    Emitted by filings on POST /filings/{id}/submit. ``submission_round`` is 1 for the
    first submission, then 2, 3… on each resubmission; ``in_response_to`` is the review
    request it answers, if any. Carries everything review needs to examine and later
    publish: the descriptive fields, the ``fiche`` and the manifest of ``documents``. Consumed by
    review (opens the case, or resumes it) and the notifier (acknowledgement).
    """

    routing_key = "filings.filing.submitted"
    filing_id: uuid.UUID
    entity_id: uuid.UUID
    repertoire: Repertoire
    title: str
    qualification_level: QualificationLevel | None = None
    is_cqp: bool
    cqp_filed_by: Literal["cpne", "mandated"] | None = None
    rests_on_standards: bool
    summary: str
    submission_round: PositiveInt
    in_response_to: uuid.UUID | None = Field(default=None, description="the review request answered")
    reference: str | None = Field(default=None, max_length=16, description="the dossier's number people quote, « 2026-000123 »")
    submitted_by: uuid.UUID
    submitted_at: AwareDatetime
    activities: list[str] = Field(description="activity framework items (RNCP, RS CQP)")
    competences: list[str]
    competence_blocks: list[CompetenceBlock]
    assessment_methods: list[str]
    documents: list[DocumentRef]
    fiche: Fiche = Field(default_factory=Fiche, description="the rest of the fiche (identification, certifiers, codes, access routes…)")
    renews: RegistryNumber | None = Field(
        default=None, description="the registration this request renews (a renewal is filed as a new request naming it)"
    )
    recommendations_follow_up: str | None = Field(
        default=None,
        description="a renewal: how the certifier followed the recommendations made at the registration it renews",
    )

    @model_validator(mode="after")
    def _coherent(self) -> "FilingSubmitted":
        if self.repertoire == "rncp" and self.qualification_level is None:
            raise ValueError("an RNCP filing carries a qualification_level")
        if self.repertoire == "rs" and self.qualification_level is not None:
            raise ValueError("an RS filing never carries a qualification_level")
        if self.is_cqp != (self.cqp_filed_by is not None):
            raise ValueError("cqp_filed_by is given exactly when is_cqp")
        return self


class FilingWithdrawalRequested(Event):
    """The depositor asked to withdraw a submitted filing; review decides.

    Emitted by filings on POST /filings/{id}/withdraw (a draft is withdrawn at once and
    tells nobody). The procedure's state is review's: review withdraws the case if no
    decision ended it first (``review.case.withdrawn`` and the status ``withdrawn``),
    else it refuses (``review.case.withdrawal_refused``). Until then filings shows the
    filing as ``withdrawal_requested``. Consumed by review.
    """

    routing_key = "filings.filing.withdrawal_requested"
    filing_id: uuid.UUID
    entity_id: uuid.UUID
    repertoire: Repertoire
    title: str
    requested_by: uuid.UUID
    requested_at: AwareDatetime
    reason: str | None = None

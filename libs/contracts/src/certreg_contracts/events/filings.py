"""Events of the filings service: registration requests (filings) and their submission."""

import uuid
from datetime import date
from typing import Literal

from pydantic import AwareDatetime, Field, NonNegativeInt, PositiveInt, model_validator

from certreg_contracts.envelope import Event
from certreg_contracts.types import DocType, Part, QualificationLevel, Repertoire, Sha256


class CompetenceBlock(Part):
    """A block of competences (RNCP), published with the certification's record."""

    code: str
    title: str
    competences: list[str]


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
    publish: the descriptive fields and the manifest of ``documents``. Consumed by
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
    submitted_by: uuid.UUID
    submitted_at: AwareDatetime
    activities: list[str] = Field(description="activity framework items (RNCP, RS CQP)")
    competences: list[str]
    competence_blocks: list[CompetenceBlock]
    assessment_methods: list[str]
    documents: list[DocumentRef]

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

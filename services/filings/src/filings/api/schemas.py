"""What the filings API reads and writes. FastAPI validates the In models (the runtime
turns its errors into French ``{loc, msg, type}``); the Out models document every answer."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator
from pydantic_core import PydanticCustomError

from certreg_contracts.types import Repertoire
from certreg_runtime.paging import Offset, page_size
from certreg_runtime.text import LINES, ONE_LINE
from filings.domain import rules
from filings.domain.status import CASE_LABELS, STATUSES

# ---------------------------------------------------------------------------- in

# Free text (certreg_runtime.text): no control character gets in.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), LINES]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), ONE_LINE]
Summary = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10000), LINES]
Items = Annotated[list[Text], Field(max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CompetenceBlockIn(_Strict):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), ONE_LINE]
    title: Title
    competences: Annotated[list[Text], Field(min_length=1, max_length=100)]


Blocks = Annotated[list[CompetenceBlockIn], Field(max_length=100)]


class Descriptive(_Strict):
    summary: Summary | None = None
    activities: Items = []
    competences: Items = []
    competence_blocks: Blocks = []
    assessment_methods: Items = []


class FilingIn(Descriptive):
    """A new draft (the level and CQP rules are checked by the command, field by field)."""

    repertoire: Repertoire
    title: Title
    qualification_level: int | None = None
    is_cqp: bool = False
    cqp_filed_by: rules.CqpFiler | None = None
    rests_on_standards: bool = False


class FilingPatch(_Strict):
    """Only the fields sent are changed; ``null`` clears an optional one (the level, the
    CQP filer, the summary) and is refused for the others."""

    repertoire: Repertoire | None = None
    title: Title | None = None
    qualification_level: int | None = None
    is_cqp: bool | None = None
    cqp_filed_by: rules.CqpFiler | None = None
    rests_on_standards: bool | None = None
    summary: Summary | None = None
    activities: Items | None = None
    competences: Items | None = None
    competence_blocks: Blocks | None = None
    assessment_methods: Items | None = None

    @field_validator(
        "repertoire", "title", "is_cqp", "rests_on_standards", "activities", "competences", "competence_blocks", "assessment_methods"
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise PydanticCustomError("null", "Ce champ ne peut pas être vide.")
        return value


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sworn_statement: bool = False


class WithdrawIn(_Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), LINES] | None = None


class _Query(BaseModel):
    """Query parameters; an empty one (``?limit=``) counts as not given."""

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {name: value for name, value in data.items() if value != ""}
        return data


class FilingQuery(_Query):
    status: str | None = Field(
        None, description="filings' status (draft, submitted, withdrawal_requested, withdrawn) or review's case status"
    )
    repertoire: str | None = Field(None, description="rncp or rs")
    q: Annotated[str, StringConstraints(max_length=200), ONE_LINE] | None = Field(None, description="words of the title")
    limit: Annotated[int, page_size(100)] = 20
    offset: Offset = 0

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str | None) -> str | None:
        if value is not None and value not in STATUSES and value not in CASE_LABELS:
            raise PydanticCustomError("unknown_status", "Statut inconnu.")
        return value

    @field_validator("repertoire")
    @classmethod
    def _known_repertoire(cls, value: str | None) -> str | None:
        if value is not None and value not in rules.PIECES:
            raise PydanticCustomError("unknown_repertoire", "Répertoire inconnu : rncp ou rs.")
        return value


class UploadQuery(_Query):
    document_date: dt.date | None = Field(None, description="the date of a dated piece (YYYY-MM-DD)")
    filename: Annotated[str, StringConstraints(max_length=500)] | None = Field(None, description="the file's name, for a raw body")


# ---------------------------------------------------------------------------- out


class DocumentOut(BaseModel):
    """One version of one piece."""

    document_id: uuid.UUID
    filing_id: uuid.UUID
    doc_type: str
    version: int
    filename: str
    content_type: str
    size: int
    sha256: str
    document_date: dt.date | None
    uploaded_by: uuid.UUID
    uploaded_at: dt.datetime
    current: bool
    superseded_at: dt.datetime | None
    removed_at: dt.datetime | None
    submitted_in_round: int | None


class RequirementOut(BaseModel):
    """One line of the checklist: a piece of the filing's table and what provides it."""

    doc_type: str
    label: str
    required: bool
    dated: bool
    multiple: bool
    provided: bool
    valid: bool
    issue: str | None
    documents: list[DocumentOut]
    # Dated pieces: the day the current version is judged on (the day it was filed with
    # the request, or today when it is new or asked for anew), the last day it is under
    # three months old, and whether review asked for a fresh one.
    judged_on: dt.date | None = None
    valid_until: dt.date | None = None
    asked_anew: bool = False


class CompetenceBlockOut(BaseModel):
    code: str
    title: str
    competences: list[str]


class OpenRequestOut(BaseModel):
    """The review request the depositor must answer (its details may come a moment later)."""

    request_id: uuid.UUID
    items: list[dict[str, Any]]
    message: str | None
    due_date: dt.date | None
    due_explanation: str | None = Field(default=None, description="why the deadline is that day (shown on hover)")
    opened_at: str | None


class FilingSummaryOut(BaseModel):
    filing_id: uuid.UUID
    entity_id: uuid.UUID
    repertoire: str
    title: str
    qualification_level: int | None
    is_cqp: bool
    status: str
    case_status: str | None
    procedure_status: str
    submission_round: int
    due_date: dt.date | None
    due_explanation: str | None = Field(
        default=None, description="why the deadline is that day: moved to the next working day when it fell on a day off"
    )
    created_at: dt.datetime
    updated_at: dt.datetime
    submitted_at: dt.datetime | None


class FilingOut(FilingSummaryOut):
    cqp_filed_by: str | None
    rests_on_standards: bool
    summary: str | None
    activities: list[str]
    competences: list[str]
    competence_blocks: list[CompetenceBlockOut]
    assessment_methods: list[str]
    requirements: list[RequirementOut]
    editable: bool
    editable_items: list[str]
    can_submit: bool
    can_withdraw: bool
    banner: str | None
    open_request: OpenRequestOut | None
    withdrawn_at: dt.datetime | None
    withdrawal_requested_at: dt.datetime | None = Field(
        description="when the depositor last asked to withdraw it (status withdrawal_requested until review answers)"
    )
    is_draft: bool


class FilingPage(BaseModel):
    items: list[FilingSummaryOut]
    total: int
    limit: int
    offset: int


class PieceOut(BaseModel):
    """A piece with its versions, newest first; ``current`` is the version in force."""

    doc_type: str
    label: str
    current: DocumentOut | None
    versions: list[DocumentOut]


class PieceList(BaseModel):
    items: list[PieceOut]


class ReceiptOut(BaseModel):
    """A proof of submission (PDF), one per submission round."""

    receipt_id: uuid.UUID
    filing_id: uuid.UUID
    submission_round: int
    filename: str
    size: int
    sha256: str
    created_at: dt.datetime


class ReceiptList(BaseModel):
    items: list[ReceiptOut]


class SubmittedOut(FilingOut):
    receipt: ReceiptOut
    in_response_to: uuid.UUID | None

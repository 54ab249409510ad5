"""What the filings API reads and writes. FastAPI validates the In models (the runtime
turns its errors into French ``{loc, msg, type}``); the Out models document every answer."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from certreg_contracts.events.filings import AccessRouteKind, ByRightBasis, Fiche, RegistrationType
from certreg_contracts.types import Repertoire
from certreg_runtime import validation
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
    # R.6113-9: each block's own assessment methods (required at submission, see rules.fiche_problems).
    assessment_methods: Annotated[list[Text], Field(max_length=50)] = []


Blocks = Annotated[list[CompetenceBlockIn], Field(max_length=100)]


# ---------------------------------------------------------------------------- the fiche


def _code_of(name: rules.Nomenclature) -> Any:
    """A classification code that exists in its nomenclature (certreg_reference), else a 422
    naming it (the field's path and index come from pydantic)."""
    label = rules.NOMENCLATURE_LABELS[name]

    def check(value: str) -> str:
        found = rules.nomenclature_of(name)
        if value not in found:
            raise PydanticCustomError(
                "unknown_code",
                "Code {nomenclature} inconnu : « {code} » n'existe pas dans la nomenclature {nomenclature} ({version}).",
                {"nomenclature": label, "code": value, "version": found.version.split(",")[0]},
            )
        return value

    return AfterValidator(check)


def _number(value: str) -> str:
    if msg := rules.number_problem(value):
        raise PydanticCustomError("registry_number", msg)
    return value


NsfCode = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=10), _code_of("nsf")]
RomeCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=10), _code_of("rome")]
Number = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=12), AfterValidator(_number)]
Siret = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20), AfterValidator(validation.siret)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), ONE_LINE]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10000), LINES]


class CoCertifierIn(_Strict):
    siret: Siret
    name: Name
    filer: bool = False


class AccessRouteIn(_Strict):
    route: AccessRouteKind
    jury: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), LINES]


class EquivalenceIn(_Strict):
    number: Number | None = None
    label: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), ONE_LINE] = ""

    @model_validator(mode="after")
    def _something(self) -> EquivalenceIn:
        if self.number is None and not self.label:
            raise ValueError("Indiquez le numéro de la certification (RNCP… ou RS…) ou son intitulé.")
        return self


class CohortIn(_Strict):
    year: int = Field(ge=1990, le=2100)
    certified: int | None = Field(default=None, ge=0, le=10_000_000)
    certified_by_vae: int | None = Field(default=None, ge=0, le=10_000_000)
    employed_6_months_rate: int | None = Field(default=None, ge=0, le=100)
    employed_in_job_2_years_rate: int | None = Field(default=None, ge=0, le=100)


def _unique(values: list[Any], key: Any, message: str) -> None:
    seen: set[Any] = set()
    for value in values:
        k = key(value)
        if k in seen:
            raise PydanticCustomError("duplicate", message, {"value": str(k)})
        seen.add(k)


class FicheIn(_Strict):
    """The fiche beyond the frameworks, checked on input (codes, SIRET, numbers); what must
    be filled before the submission is checked then (``rules.fiche_problems``)."""

    registration_type: RegistrationType = "on_request"
    by_right_basis: ByRightBasis | None = Field(default=None, validate_default=True)
    former_numbers: Annotated[list[Number], Field(max_length=20)] = []
    certifiers: Annotated[list[CoCertifierIn], Field(max_length=50)] = []
    nsf_codes: Annotated[list[NsfCode], Field(max_length=20)] = []
    rome_codes: Annotated[list[RomeCode], Field(max_length=20)] = []
    access_routes: Annotated[list[AccessRouteIn], Field(max_length=6)] = []
    prerequisites: LongText | None = None
    sectors: Items = []
    job_types: Items = []
    regulation: LongText | None = None
    equivalences: Annotated[list[EquivalenceIn], Field(max_length=50)] = []
    statistics: Annotated[list[CohortIn], Field(max_length=20)] = []

    @field_validator("certifiers")
    @classmethod
    def _one_filer(cls, value: list[CoCertifierIn]) -> list[CoCertifierIn]:
        _unique(value, lambda c: c.siret, "Le SIRET {value} figure deux fois parmi les certificateurs.")
        if value and sum(c.filer for c in value) != 1:
            raise PydanticCustomError("one_filer", "Un et un seul des certificateurs est l'organisme déposant (« filer »: true).")
        return value

    @field_validator("nsf_codes", "rome_codes", "former_numbers")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        _unique(value, lambda c: c, "« {value} » figure deux fois.")
        return value

    @field_validator("access_routes")
    @classmethod
    def _one_per_route(cls, value: list[AccessRouteIn]) -> list[AccessRouteIn]:
        _unique(value, lambda r: r.route, "La voie d'accès « {value} » figure deux fois.")
        return value

    @field_validator("statistics")
    @classmethod
    def _one_per_year(cls, value: list[CohortIn]) -> list[CohortIn]:
        _unique(value, lambda c: c.year, "L'année {value} figure deux fois dans les statistiques.")
        return value

    @field_validator("by_right_basis")
    @classmethod
    def _basis(cls, value: str | None, info: ValidationInfo) -> str | None:
        if (info.data.get("registration_type") == "by_right") != (value is not None):
            raise PydanticCustomError(
                "by_right_basis",
                "Un enregistrement de droit précise son fondement (« L6113-5 » : diplôme ou titre de l'État ; "
                "« L6113-6 » : habilitation de l'État), et seulement lui.",
            )
        return value


class Descriptive(_Strict):
    summary: Summary | None = None
    activities: Items = []
    competences: Items = []
    competence_blocks: Blocks = []
    assessment_methods: Items = []
    fiche: FicheIn = Field(default_factory=FicheIn)


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
    fiche: FicheIn | None = Field(None, description="the whole fiche (replaces the stored one)")
    recommendations_follow_up: Summary | None = Field(
        None, description="a renewal only: how the recommendations made at the registration it renews were followed"
    )

    @field_validator(
        "repertoire",
        "title",
        "is_cqp",
        "rests_on_standards",
        "activities",
        "competences",
        "competence_blocks",
        "assessment_methods",
        "fiche",
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
    assessment_methods: list[str] = []


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
    reference: str | None = Field(default=None, description="the dossier's number people quote, « 2026-000123 »")
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


class RegistrationOut(BaseModel):
    """A registered filing's registration, as review published it, and its renewal."""

    number: str
    start: dt.date | None
    end: dt.date | None
    renewal_opens_on: dt.date | None = Field(default=None, description="the first day its renewal may be filed")
    renewal_id: uuid.UUID | None = Field(default=None, description="the renewal drafted from it, if any")
    renewal_state: Literal["not_open", "open", "ended"] | None = Field(
        default=None, description="on the platform's clock: its renewal may not be filed yet, may be, or no longer"
    )


class FilingOut(FilingSummaryOut):
    cqp_filed_by: str | None
    rests_on_standards: bool
    summary: str | None
    activities: list[str]
    competences: list[str]
    competence_blocks: list[CompetenceBlockOut]
    assessment_methods: list[str]
    fiche: Fiche = Field(description="the rest of the fiche as stored (certreg_contracts.events.filings.Fiche)")
    code_labels: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="the fiche's codes' labels: {nsf: {code: label}, rome: {…}} (certreg_reference)"
    )
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
    renews: str | None = Field(default=None, description="a renewal: the registration it renews")
    recommendations_follow_up: str | None = Field(
        default=None, description="a renewal: how the recommendations made at the registration it renews were followed"
    )
    registration: RegistrationOut | None = Field(default=None, description="once registered: its number, period and renewal")


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


class ChangeOut(BaseModel):
    path: list[str] = Field(description='["competence_blocks", "BC02", "assessment_methods"], ["fiche", "nsf_codes"]…')
    label: str
    kind: str = Field(description="added | removed | changed")
    before: Any
    after: Any


class ChangesOut(BaseModel):
    """What changed between two submission rounds (``to_round`` null: the description as it stands now)."""

    from_round: int | None
    to_round: int | None
    comparable: bool = Field(description="false when a round was submitted before rounds kept their description")
    changes: list[ChangeOut]


class ChangesQuery(_Query):
    round: int | None = Field(None, ge=1, le=1000, description="the round compared with the one before it (default: the last)")
    current: bool = Field(False, description="the description as it stands now against the last round submitted")

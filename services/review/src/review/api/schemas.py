"""What the routes take and answer. The answers keep the shapes API.md and the UIs read;
a field that only staff see has a default and is left unset for the others (the routes
answer with ``response_model_exclude_unset``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from certreg_contracts.events.review import Reason, RequestItem
from certreg_runtime.text import LINES, ONE_LINE

# ---------------------------------------------------------------- bodies

# Free text (certreg_runtime.text): no control character gets in.
Subject = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), ONE_LINE]
Criterion = Annotated[str, StringConstraints(strip_whitespace=True, max_length=60), ONE_LINE]
MissingItem = Annotated[str, StringConstraints(strip_whitespace=True, max_length=60), ONE_LINE]


Prose2000 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), LINES]
Prose5000 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000), LINES]
Prose10000 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10000), LINES]
Prose20000 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20000), LINES]


class RequestItemIn(RequestItem):
    """A request item as the instructor writes it (its question is free text)."""

    question: Prose2000 | None = None


class OpinionReasonIn(Reason):
    """A reason of an opinion, as the commission writes it."""

    criterion: Criterion
    text: Prose5000


class CompletenessIn(BaseModel):
    complete: bool
    missing: list[MissingItem] = Field(default_factory=list, max_length=60)
    message: Prose5000 = ""
    due_date: date | None = None


class AdmissibilityIn(BaseModel):
    admissible: bool
    reasons: Prose5000 | None = None
    recommendations: Prose10000 | None = None


class AssignmentIn(BaseModel):
    instructor_id: uuid.UUID


class RequestIn(BaseModel):
    items: list[RequestItemIn] = Field(min_length=1, max_length=50)
    message: Prose5000
    due_date: date


class AbandonIn(BaseModel):
    reason: Prose5000 | None = None


class ReasonIn(BaseModel):
    reason: Prose5000


class SuspensionIn(BaseModel):
    """Erroneous or incomplete information: what is wrong, and what the depositor must send."""

    missing: list[MissingItem] = Field(min_length=1, max_length=60, description="doc_types and filing fields to correct")
    message: Prose5000


class SessionIn(BaseModel):
    date: date


class AgendaIn(BaseModel):
    filing_id: uuid.UUID


class OpinionIn(BaseModel):
    filing_id: uuid.UUID
    opinion: Literal["favourable", "unfavourable", "adjourned"]
    reasons: list[OpinionReasonIn] = Field(default_factory=list, max_length=30)
    resubmission_due: date | None = None


class OpinionCorrectionIn(BaseModel):
    """The corrected opinion (the whole of it) and why it is corrected."""

    opinion: Literal["favourable", "unfavourable", "adjourned"]
    reasons: list[OpinionReasonIn] = Field(default_factory=list, max_length=30)
    resubmission_due: date | None = None
    correction_reason: Prose2000


class DecisionIn(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    register_: bool = Field(alias="register")
    motivation: Prose20000
    years: int | None = None


class PublicationIn(BaseModel):
    """The Journal officiel's publication of a registration decision."""

    jo_date: date = Field(description="the day of the Journal officiel")
    jo_reference: Subject = Field(
        max_length=120, description="NOR or text reference, e.g. « NOR : MTRD2612345S » or « JORF n°0280 texte n° 42 »"
    )
    effective_date: date = Field(description="the day the registration takes effect (its period starts then)")


class PublicationsIn(PublicationIn):
    filing_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)


class PublishedOut(BaseModel):
    filing_id: uuid.UUID
    status: str
    registration_number: str | None


class PublishedListOut(BaseModel):
    items: list[PublishedOut]


class MessageIn(BaseModel):
    body: Prose10000
    subject: Subject | None = None
    document_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)


class NoteIn(BaseModel):
    """A private annotation or a new version of the instruction report."""

    body: Prose20000


ExpertName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), ONE_LINE]


class ExternalOpinionIn(BaseModel):
    """An external opinion asked of a rapporteur or an expert: whom, and what about."""

    expert: ExpertName
    question: Prose10000


class ExternalAnswerIn(BaseModel):
    """The rapporteur's or expert's answer, kept on the case."""

    answer: Prose20000


# ---------------------------------------------------------------- answers


class CaseSummaryOut(BaseModel):
    filing_id: uuid.UUID
    reference: str | None = None  # the dossier's number people quote, « 2026-000123 »
    entity_id: uuid.UUID
    repertoire: str
    title: str
    qualification_level: int | None
    registration_type: Literal["on_request", "by_right"] = Field(
        default="on_request",
        description="the case's path: on request (admissibility, instruction, commission, decision) or by right "
        "(L.6113-5 I, L.6113-6: completeness, then the registration decision, no commission)",
    )
    status: str
    status_label: str
    overdue: bool
    due_date: date | None
    due_explanation: str | None = Field(
        default=None, description="why the deadline is that day: moved to the next working day when it fell on a day off (hover text)"
    )
    assignee_id: uuid.UUID | None = None  # staff only
    session_id: uuid.UUID | None
    registration_number: str | None
    submission_round: int
    opened_at: datetime
    updated_at: datetime
    # The queues' columns (issue 13, point 10): the certifier, the day of the deposit (the
    # case opened with the first submission) and the Paris days since, the assignee's name.
    organisation: str | None = None
    siret: str | None = None
    deposited_on: date
    days_since_deposit: int | None = None  # in the list (Paris days up to today)
    assignee_name: str | None = None  # staff only


class CaseListOut(BaseModel):
    items: list[CaseSummaryOut]
    total: int
    # True when more than ``total`` cases match: the list stops counting at
    # review.app.queries.CASE_COUNT_CAP (or at the page's end, when further).
    total_is_lower_bound: bool = False
    limit: int
    offset: int


class SessionRefOut(BaseModel):
    id: uuid.UUID
    date: date


class RequestOut(BaseModel):
    id: uuid.UUID
    kind: str = "request"  # request | completeness (an incomplete dossier's deadline)
    items: list[dict[str, Any]]
    message: str
    due_date: date
    due_explanation: str | None = Field(default=None, description="why the deadline is that day (hover text)")
    status: str
    overdue: bool
    opened_at: datetime
    opened_by: uuid.UUID | None = None  # staff only
    closed_at: datetime | None


class OpinionOut(BaseModel):
    session_id: uuid.UUID
    session_date: date | None
    opinion: str
    reasons: list[dict[str, Any]]
    resubmission_due: date | None
    given_at: datetime


class LegalDateOut(BaseModel):
    """A date of the legal calendar: the day, as letters write it, and why (for a hover)."""

    date: date
    text: str
    explanation: str


class AppealOut(BaseModel):
    """A refusal's contentious appeal: the wording letters and pages print (« dans un délai
    de deux mois à compter de sa notification », and the last day once it is fixed)."""

    court: str | None
    wording: str
    fixed: bool
    last_day: LegalDateOut | None
    explanation: str


class DecisionOut(BaseModel):
    kind: str
    motivation: str
    reasons: list[dict[str, Any]]
    decision_date: date
    made_available_at: datetime
    first_consulted_at: datetime | None
    notified_on: date | None
    notification: LegalDateOut | None
    acknowledged_at: datetime | None
    # registered
    registration_number: str | None = None
    years: int | None = None
    registration_start: date | None = None
    registration_end: date | None = None
    # refused
    appeal_deadline: date | None = None
    appeal_court: str | None = None
    jo_date: date | None = None
    jo_reference: str | None = None
    effective_date: date | None = None
    gracious_appeal: bool | None = None
    hierarchical_appeal: bool | None = None
    appeal: AppealOut | None = None


class TimelineEntryOut(BaseModel):
    seq: int
    at: str
    actor_role: str
    actor_name: str
    actor_id: str | None = None  # staff only
    action: str
    from_state: str | None
    to_state: str | None
    reason: str | None
    details: dict[str, Any]


class RenewalChangeOut(BaseModel):
    field: str
    label: str
    change: str = Field(description="changed | added | removed (a block)")
    code: str | None = Field(default=None, description="the block's code, for a block")
    before: Any = None
    after: Any = None
    added: list[Any] = Field(default_factory=list)
    removed: list[Any] = Field(default_factory=list)


class RecommendationOut(BaseModel):
    source: str = Field(description="admissibility | opinion | decision")
    at: date | None
    text: str
    criterion: str | None = None
    label: str | None = None


class RenewalOut(BaseModel):
    """A renewal: the registration it renews, what changed from its registered fiche, and the
    recommendations made when it was examined."""

    renews: str
    former: RecordSummaryOut | None
    changes: list[RenewalChangeOut]
    recommendations: list[RecommendationOut]
    recommendations_follow_up: str | None = Field(
        default=None, description="how the certifier says it followed the recommendations (the renewal filing's text)"
    )


class CaseOut(CaseSummaryOut):
    by_right_basis: Literal["L6113-5", "L6113-6"] | None = Field(
        default=None, description="for a registration by right: L6113-5 (State diploma or title), L6113-6 (State habilitation)"
    )
    missing: list[str]
    is_cqp: bool
    banner: str
    session: SessionRefOut | None
    requests: list[RequestOut]
    open_requests: list[RequestOut]
    opinion: OpinionOut | None
    decision: DecisionOut | None
    timeline: list[TimelineEntryOut]
    renewal: RenewalOut | None = None
    # staff only
    allowed_actions: list[str] | None = None
    criteria: dict[str, str] | None = None
    submitted_by: uuid.UUID | None = None  # the member who submitted the last round: the staff's contact


class CaseStateOut(BaseModel):
    filing_id: uuid.UUID
    status: str


class DecisionMadeOut(DecisionOut, CaseStateOut):
    """The decision with the case's new state first."""


class AcknowledgedOut(BaseModel):
    filing_id: uuid.UUID
    acknowledged_at: datetime | None


class OpinionGivenOut(OpinionOut, CaseStateOut):
    """The opinion with the case's new state first."""


class CriteriaOut(BaseModel):
    criteria: dict[str, dict[str, str]]


class SessionOut(BaseModel):
    id: uuid.UUID
    date: date
    created_at: datetime
    agenda_count: int


class SessionListOut(BaseModel):
    items: list[SessionOut]
    limit: int
    offset: int


class AgendaEntryOut(CaseSummaryOut):
    added_at: datetime
    opinion: OpinionOut | None
    criteria: dict[str, str]  # the criteria in force on the case's first submission (the opinion's choices)


class AgendaOut(BaseModel):
    session: SessionOut
    items: list[AgendaEntryOut]


class MessageOut(BaseModel):
    id: uuid.UUID
    author_side: str
    author_role: str
    author_name: str
    subject: str | None
    body: str
    document_ids: list[str]
    posted_at: datetime
    author_id: uuid.UUID | None = None  # staff only


class MessageListOut(BaseModel):
    items: list[MessageOut]
    limit: int
    offset: int


class CertifierOut(BaseModel):
    entity_id: uuid.UUID
    siret: str | None
    name: str | None


class RecordSummaryOut(BaseModel):
    number: str
    repertoire: str
    title: str
    qualification_level: int | None
    is_cqp: bool
    certifier: CertifierOut
    decision_date: date
    registration_start: date
    registration_end: date
    status: str
    jo_date: date | None = None
    jo_reference: str | None = None
    renews: str | None = Field(default=None, description="the registration this one renews")
    renewed_by: str | None = Field(default=None, description="the registration that renewed this one")


class FrameworksOut(BaseModel):
    activities: list[str]
    competences: list[str]
    competence_blocks: list[dict[str, Any]]
    assessment_methods: list[str]


class PartnerOut(BaseModel):
    """A partner organisation of a registered certification, as published."""

    siret: str
    name: str
    scope: str = Field(description="preparation | assessment | both")
    scope_label: str
    since: date = Field(description="authorised from this day")
    until: date | None = Field(default=None, description="no longer authorised from this day, once removed")
    state: str = Field(description="active | removed")
    declared_at: datetime
    removal_declared_at: datetime | None = None


class RecordOut(RecordSummaryOut):
    summary: str
    frameworks: FrameworksOut
    published_at: datetime
    partners: list[PartnerOut] = Field(default_factory=list, description="every authorisation, in force or removed, oldest first")
    fiche: dict[str, Any] = Field(
        default_factory=dict,
        description="the rest of the fiche (certreg_contracts Fiche: certifiers, codes, access routes…), with "
        "nsf / rome: [{code, label}] from the nomenclatures shipped",
    )


class PartnerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    siret: Annotated[str, StringConstraints(max_length=40), ONE_LINE] = Field(description="14 digits, Luhn-checked")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), ONE_LINE]
    scope: Literal["preparation", "assessment", "both"]
    since: date | None = Field(default=None, description="authorised from this day (default: today); not to come")


class PartnerRemovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    until: date | None = Field(default=None, description="no longer authorised from this day (default: today); not to come")


class PartnerChangeOut(BaseModel):
    number: str
    partner: PartnerOut
    late: bool = Field(description="declared later than the declaration period after it took effect (flagged to staff)")
    days_late: int


class LatePartnerOut(BaseModel):
    number: str
    title: str
    filing_id: uuid.UUID
    partner: PartnerOut
    days_late: int = Field(description="days past the period when it was added")
    removal_days_late: int = Field(description="days past the period when it was removed")


class LatePartnersOut(BaseModel):
    items: list[LatePartnerOut]
    total: int
    limit: int
    offset: int


class RegistryChangeOut(BaseModel):
    seq: int
    number: str
    kind: str = Field(description="registered | renewed | updated | expired | withdrawn")
    status: str = Field(description="the record's status after the change")
    occurred_at: datetime


class RegistryChangesOut(BaseModel):
    items: list[RegistryChangeOut]
    next_cursor: str = Field(description="where to continue from (the same when nothing new came)")


class RegistryPageOut(BaseModel):
    items: list[RecordSummaryOut]
    total: int
    # True when more than ``total`` records match: the search stops counting at
    # review.app.queries.REGISTRY_COUNT_CAP (or at the page's end, when further).
    total_is_lower_bound: bool = False
    limit: int
    offset: int


class NoteOut(BaseModel):
    """Staff only: a private annotation or one version of the instruction report."""

    id: uuid.UUID
    kind: str
    body: str
    author_id: uuid.UUID
    author_role: str
    author_name: str
    created_at: datetime


class NoteListOut(BaseModel):
    items: list[NoteOut]


class ReportOut(BaseModel):
    """The instruction report in force (``current``, the newest version) and every version, newest first."""

    current: NoteOut | None
    versions: list[NoteOut]


class ExternalDocumentOut(BaseModel):
    """The expert's report filed with an answer: its name, sniffed type, size, SHA-256 and
    where case staff download it."""

    filename: str
    content_type: str
    size: int
    sha256: str
    download_url: str


class ExternalOpinionOut(BaseModel):
    """An external opinion: asked of ``expert`` (``question``), answered or still awaited;
    ``document``, the expert's report filed with the answer, if any."""

    id: uuid.UUID
    expert: str
    question: str
    asked_by: uuid.UUID
    asked_by_name: str
    asked_at: datetime
    answer: str | None
    answered_at: datetime | None
    answered_by: uuid.UUID | None
    document: ExternalDocumentOut | None = None


class ExternalOpinionListOut(BaseModel):
    items: list[ExternalOpinionOut]

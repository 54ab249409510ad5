"""Events of the review service: the procedure from reception to decision.

Every event about a filing carries ``filing_id``, ``entity_id`` (so the notifier finds
the depositors to tell), ``repertoire`` and ``title`` (so a message can name the filing
without a lookup). ``*_by`` fields are account ids; ``None`` means the system did it
(the deadline sweeper).
"""

import datetime as dt
import uuid
from typing import Literal

from pydantic import AwareDatetime, Field, NonNegativeInt, PositiveInt, model_validator

from certreg_contracts.envelope import Event
from certreg_contracts.types import CaseStatus, DocType, Part, Repertoire

RequestKind = Literal["request", "completeness"]
"""What a deadline of the procedure answers: an instructor's request for documents or
precisions, or the reviewer's completeness check of an incomplete dossier."""


class _CaseEvent(Event):
    """Common fields of every event about one filing (not an event itself)."""

    filing_id: uuid.UUID
    entity_id: uuid.UUID
    repertoire: Repertoire
    title: str


class RequestItem(Part):
    """One thing asked of the depositor: a piece to (re)send, a question, or both."""

    doc_type: DocType | None = None
    question: str | None = None

    @model_validator(mode="after")
    def _something_asked(self) -> "RequestItem":
        if self.doc_type is None and not self.question:
            raise ValueError("a request item names a doc_type or asks a question")
        return self


class Reason(Part):
    """A reason of an opinion or decision, against one registration criterion."""

    criterion: str
    text: str
    label: str | None = Field(
        default=None,
        description="the criterion as letters and mails print it: its label and the article of the code du travail "
        "(review fills it; None from older producers, then print the criterion as is)",
    )


class CaseOpened(_CaseEvent):
    """A case was opened for a filing submitted for the first time (status ``received``).

    Emitted by review on the first ``filings.filing.submitted`` of a filing. Consumed by
    the notifier (acknowledgement of receipt).
    """

    routing_key = "review.case.opened"
    submitted_at: AwareDatetime


class CaseStatusChanged(_CaseEvent):
    """The case moved to another status; says what the depositor may edit now.

    Emitted by review on every transition. Consumed by filings, which shows ``status``
    and ``banner`` on the filing's page and unlocks exactly ``editable_items`` (empty:
    the filing is locked), and by the notifier (bell).
    """

    routing_key = "review.case.status_changed"
    status: CaseStatus
    previous_status: CaseStatus | None = None
    editable_items: list[str] = Field(description="doc_types and filing field names the depositor may change now; empty = locked")
    banner: str | None = Field(default=None, description="the message shown on top of the filing's page")
    open_request_id: uuid.UUID | None = None
    request_items: list[RequestItem] = Field(
        default_factory=list,
        description="what the request this change opens asks (with open_request_id): a consumer that gets this event "
        "before review.request.opened shows the whole request at once, never a request without its items",
    )
    request_message: str | None = Field(default=None, description="the message of the request this change opens")
    due_date: dt.date | None = None
    due_explanation: str | None = Field(
        default=None, description="why the deadline is that day (moved to the next working day when it fell on a day off), shown on hover"
    )
    changed_by: uuid.UUID | None = None
    reason: str | None = None
    sequence: int = Field(
        default=0,
        ge=0,
        description="increases with each change of this case (its audit entry's number); a consumer "
        "ignores a status older than the one it applied, since deliveries may be reordered",
    )


class CaseCompletenessChecked(_CaseEvent):
    """A reviewer checked completeness; ``missing`` lists doc_types or field names.

    Emitted by review on POST /cases/{id}/completeness. Consumed by the notifier
    (an incomplete filing's message goes to the depositor).
    """

    routing_key = "review.case.completeness_checked"
    complete: bool
    missing: list[str]
    message: str
    due_date: dt.date | None = None
    checked_by: uuid.UUID
    registration_type: Literal["on_request", "by_right"] = Field(
        default="on_request",
        description="the case's path: a complete request by right goes to the registration decision, without admissibility or commission",
    )


class CaseAdmissibilityDecided(_CaseEvent):
    """A reviewer decided admissibility (recevabilité).

    Emitted by review on POST /cases/{id}/admissibility. Inadmissible: the filing goes
    back with ``recommendations``. Consumed by the notifier.
    """

    routing_key = "review.case.admissibility_decided"
    admissible: bool
    reasons: str | None = None
    recommendations: str | None = None
    decided_by: uuid.UUID


class CaseInstructorAssigned(_CaseEvent):
    """An admissible case was assigned to an instructor.

    Emitted by review on POST /cases/{id}/assignment. Consumed by the notifier (tells
    the instructor).
    """

    routing_key = "review.case.instructor_assigned"
    instructor_id: uuid.UUID
    assigned_by: uuid.UUID


class RequestOpened(_CaseEvent):
    """The instructor asked for documents or precisions, with a deadline.

    Emitted by review on POST /cases/{id}/requests. Consumed by filings (records the
    open request, to which the next submission answers) and the notifier.
    """

    routing_key = "review.request.opened"
    request_id: uuid.UUID
    items: list[RequestItem] = Field(min_length=1)
    message: str
    due_date: dt.date
    due_explanation: str | None = Field(default=None, description="why the deadline is that day, shown on hover")
    opened_by: uuid.UUID
    sequence: int = Field(default=0, ge=0, description="the sequence of the status change that opened it (see CaseStatusChanged.sequence)")


class RequestAnswered(_CaseEvent):
    """The depositor answered a request (a resubmission ``in_response_to`` it).

    Emitted by review on ``filings.filing.submitted`` answering an open request.
    Consumed by the notifier (tells ``opened_by``, the instructor who asked).
    """

    routing_key = "review.request.answered"
    request_id: uuid.UUID
    opened_by: uuid.UUID


class RenewalReminderDue(_CaseEvent):
    """A registration ends in ``months_before`` months (9, then 7: France compétences asks for
    renewal requests at least 7 months before the end) and no renewal of it is under way.

    Emitted once per registration and reminder by review's sweeper (review owns the
    registration's dates); ``filing_id`` is the registered filing. Consumed by the notifier
    (mail and bell to the certifier's members).
    """

    routing_key = "review.registration.renewal_reminder_due"
    registration_number: str = Field(pattern=r"^(RNCP|RS)[0-9]+$")
    registration_end: dt.date
    months_before: PositiveInt
    renewal_opens_on: dt.date = Field(description="the first day a renewal may be filed (the platform's window)")


class RequestReminderDue(_CaseEvent):
    """A request's deadline is near and it is still unanswered.

    Emitted by review's deadline sweeper. Consumed by the notifier (reminds the
    depositor).
    """

    routing_key = "review.request.reminder_due"
    request_id: uuid.UUID
    due_date: dt.date
    days_left: NonNegativeInt
    kind: RequestKind = Field(
        default="request", description="request: a request for documents or precisions; completeness: an incomplete dossier's deadline"
    )


class RequestOverdue(_CaseEvent):
    """A request's deadline passed unanswered: the case may now be declared abandoned.

    Emitted by review's deadline sweeper. Consumed by the notifier (tells the depositor
    and ``opened_by``).
    """

    routing_key = "review.request.overdue"
    request_id: uuid.UUID
    due_date: dt.date
    opened_by: uuid.UUID
    kind: RequestKind = Field(
        default="request", description="request: a request for documents or precisions; completeness: an incomplete dossier's deadline"
    )


class CaseAbandoned(_CaseEvent):
    """The certification directorate declared the case abandoned (a request overdue).

    Emitted by review on POST /cases/{id}/abandon. Consumed by the notifier.
    """

    routing_key = "review.case.abandoned"
    decided_by: uuid.UUID
    reason: str


class CaseAdmissibilityWithdrawn(_CaseEvent):
    """The director withdrew admissibility (falsified data).

    Emitted by review on POST /cases/{id}/withdraw-admissibility. Consumed by the
    notifier.
    """

    routing_key = "review.case.admissibility_withdrawn"
    decided_by: uuid.UUID
    reason: str


class CaseReadyForCommission(_CaseEvent):
    """The instructor finished: the case waits for a commission session.

    Emitted by review on POST /cases/{id}/ready. Consumed by the notifier.
    """

    routing_key = "review.case.ready_for_commission"
    marked_by: uuid.UUID


class SessionCreated(Event):
    """The commission scheduled a session (not about one filing: no filing_id).

    Emitted by review on POST /sessions. Consumed by the notifier (commission members).
    """

    routing_key = "review.session.created"
    session_id: uuid.UUID
    date: dt.date
    created_by: uuid.UUID


class CaseScheduled(_CaseEvent):
    """The case was put on a commission session's agenda.

    Emitted by review on POST /sessions/{id}/agenda. Consumed by the notifier.
    """

    routing_key = "review.case.scheduled"
    session_id: uuid.UUID
    session_date: dt.date
    scheduled_by: uuid.UUID | None = Field(default=None, description="None: put back on the agenda by the sweeper")


class CaseOpinionGiven(_CaseEvent):
    """The commission gave its opinion. Adjourned: ``resubmission_due`` is the deadline
    to send an improved dossier.

    Emitted by review on POST /sessions/{id}/opinions. Consumed by the notifier.
    """

    routing_key = "review.case.opinion_given"
    session_id: uuid.UUID
    opinion: Literal["favourable", "unfavourable", "adjourned"]
    reasons: list[Reason]
    resubmission_due: dt.date | None = None
    given_by: uuid.UUID

    @model_validator(mode="after")
    def _due_when_adjourned(self) -> "CaseOpinionGiven":
        if (self.opinion == "adjourned") != (self.resubmission_due is not None):
            raise ValueError("resubmission_due is given exactly when the opinion is adjourned")
        return self


class CaseReturnedToCommission(_CaseEvent):
    """An adjourned dossier's deadline passed without withdrawal: it goes back to a later
    commission as is.

    Emitted by review's deadline sweeper. ``session_id`` is the session it is put on,
    if one is already known. Consumed by the notifier.
    """

    routing_key = "review.case.returned_to_commission"
    previous_due: dt.date
    session_id: uuid.UUID | None = None


class CaseWithdrawn(_CaseEvent):
    """Review accepted the depositor's withdrawal: the case ended as ``withdrawn``.

    Emitted by review on ``filings.filing.withdrawal_requested`` when no decision ended
    the case first (with ``review.case.status_changed`` to ``withdrawn``). Consumed by
    the notifier (tells the depositor).
    """

    routing_key = "review.case.withdrawn"
    withdrawn_by: uuid.UUID
    requested_at: AwareDatetime
    reason: str | None = None


class CaseWithdrawalRefused(_CaseEvent):
    """Review refused a withdrawal: the case had already ended (``status``, final).

    Emitted by review on ``filings.filing.withdrawal_requested`` arriving after a
    decision (registered, refused, abandoned, admissibility withdrawn). Consumed by
    filings (the filing goes back from ``withdrawal_requested`` to ``submitted``) and
    the notifier (tells the depositor why).
    """

    routing_key = "review.case.withdrawal_refused"
    status: CaseStatus = Field(description="the case's final state, which the withdrawal came too late to change")
    requested_by: uuid.UUID
    requested_at: AwareDatetime
    explanation: str = Field(description="why, in French, for the depositor")


class CaseSubmissionRefused(_CaseEvent):
    """Review did not take a submission round into account: the case had moved to a state
    that no longer awaits it (an answer after the case was abandoned, an improved dossier
    after it went back to the commission as it was).

    Emitted by review on such a ``filings.filing.submitted``; the case keeps the round it
    had (``accepted_round``). Consumed by filings (the filing says so) and the notifier
    (tells the depositor why).
    """

    routing_key = "review.case.submission_refused"
    status: CaseStatus = Field(description="the case's state when the round arrived")
    submission_round: int = Field(ge=1, description="the round not taken into account")
    accepted_round: int = Field(ge=1, description="the last round the case holds")
    submitted_by: uuid.UUID
    explanation: str = Field(description="why, in French, for the depositor")


class CaseRegistered(_CaseEvent):
    """The director general's registration, published in the Journal officiel: number,
    period (from the effective date), decision, JO reference.

    Emitted by review when staff record the publication (POST /cases/{id}/publication or
    POST /publications); the decision itself leaves the case ``awaiting_publication``.
    Consumed by the notifier (registration letter, PDF, with the JO reference) and by
    filings (the numbers a fiche may name as a former certification or an equivalence).
    """

    routing_key = "review.case.registered"
    registration_number: str = Field(pattern=r"^(RNCP|RS)[0-9]+$", description="with its prefix: RNCP12345, RS1234")
    decision_date: dt.date
    registration_start: dt.date
    registration_end: dt.date
    motivation: str
    decided_by: uuid.UUID
    jo_reference: str | None = Field(default=None, description="Journal officiel reference (NOR or text reference), once published")
    jo_date: dt.date | None = Field(default=None, description="the day of the Journal officiel that published the decision")

    @model_validator(mode="after")
    def _coherent(self) -> "CaseRegistered":
        if not self.registration_number.startswith(self.repertoire.upper()):
            raise ValueError("registration_number's prefix does not match the repertoire")
        if self.registration_end <= self.registration_start:
            raise ValueError("registration_end is after registration_start")
        return self


class CaseRefused(_CaseEvent):
    """The director general refused the registration: a motivated decision.

    Emitted by review on POST /cases/{id}/decision without ``register``. No gracious
    nor hierarchical appeal; a contentious appeal to ``appeal_court`` within two months
    of the notification (``legal_dates.appeal``). The decision is made available on the
    platform at ``made_available_at``; it is notified later (first consultation, or 15
    days after), so ``notified_at`` and ``appeal_deadline`` are None when emitted by
    this version of review (they were the decision's instant and its date plus two
    calendar months before: both still accepted). Consumed by the notifier (decision
    letter, PDF: « deux mois à compter de sa notification » while not fixed).
    """

    routing_key = "review.case.refused"
    motivation: str
    reasons: list[Reason]
    decision_date: dt.date
    made_available_at: AwareDatetime | None = None
    notified_at: AwareDatetime | None = None
    appeal_deadline: dt.date | None = None
    appeal_court: str
    decided_by: uuid.UUID


class MessagePosted(_CaseEvent):
    """A message was posted in a filing's dialogue thread.

    Emitted by review on POST /cases/{id}/messages. Consumed by the notifier (tells the
    other side: the depositor's entity, or the staff following the case).
    """

    routing_key = "review.message.posted"
    message_id: uuid.UUID
    author_id: uuid.UUID
    author_side: Literal["staff", "depositor"]
    subject: str | None = None
    excerpt: str = Field(max_length=200, description="the first 200 characters of the message")
    attachment_count: NonNegativeInt

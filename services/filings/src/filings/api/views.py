"""How filings, documents and receipts are shown through the API (never a table as is)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from certreg_contracts.events.filings import Fiche
from certreg_runtime.clock import as_utc
from certreg_runtime.uploads import stored_filename
from filings.adapters.tables import Document, Filing, Receipt
from filings.api.schemas import (
    CompetenceBlockOut,
    DocumentOut,
    FilingOut,
    FilingSummaryOut,
    OpenRequestOut,
    PieceList,
    PieceOut,
    ReceiptList,
    ReceiptOut,
    RegistrationOut,
    RequirementOut,
    SubmittedOut,
)
from filings.app.commands import Submission
from filings.app.queries import FilingList, FilingRecord, PieceHistory, receipt_filename
from filings.app.renewals import renewal_opens_on, renewal_state
from filings.domain import rules
from filings.domain.status import DRAFT, may_edit, may_submit, may_withdraw, procedure_status


def document_out(doc: Document) -> DocumentOut:
    return DocumentOut(
        document_id=doc.id,
        filing_id=doc.filing_id,
        doc_type=doc.doc_type,
        version=doc.version,
        filename=stored_filename(doc.filename, doc.content_type),
        content_type=doc.content_type,
        size=doc.size,
        sha256=doc.sha256,
        document_date=doc.document_date,
        uploaded_by=doc.uploaded_by,
        uploaded_at=doc.aware("uploaded_at"),
        current=doc.is_current,
        superseded_at=doc.aware("superseded_at"),
        removed_at=doc.aware("removed_at"),
        submitted_in_round=doc.submitted_in_round,
    )


def editable_items(filing: Filing) -> list[str]:
    """What the depositor may change now: everything of a draft, else what review reopened."""
    everything = [*rules.EDITABLE_FIELDS, *(p.doc_type for p in rules.pieces_for(filing))]
    return [item for item in everything if may_edit(filing.status, filing.case_status, filing.editable_items, item)] + [
        item
        for item in filing.editable_items
        if item not in everything and may_edit(filing.status, filing.case_status, filing.editable_items, item)
    ]


def summary_out(filing: Filing) -> FilingSummaryOut:
    return FilingSummaryOut(**summary_fields(filing, (filing.fiche or {}).get("registration_type")))


def requirement_out(line: dict[str, Any]) -> RequirementOut:
    """A line of ``rules.checklist``, its documents shown."""
    return RequirementOut.model_validate({**line, "documents": [document_out(d) for d in line["documents"]]})


def filing_out(record: FilingRecord, *, renewal_window_months: int | None = None, today: dt.date | None = None) -> FilingOut:
    """The filing, its checklist, what the depositor may do now and what review said (and,
    given the renewal window, when its registration's renewal opens)."""
    filing = record.filing
    items = editable_items(filing)
    registration = None
    if filing.registration_number:
        registration = RegistrationOut(
            number=filing.registration_number,
            start=filing.registration_start,
            end=filing.registration_end,
            renewal_opens_on=renewal_opens_on(filing.registration_end, renewal_window_months)
            if filing.registration_end and renewal_window_months
            else None,
            renewal_id=filing.renewal_id,
            renewal_state=renewal_state(filing.registration_end, renewal_window_months, today),
        )
    return FilingOut(
        renews=filing.renews,
        recommendations_follow_up=filing.recommendations_follow_up,
        registration=registration,
        **summary_out(filing).model_dump(),
        cqp_filed_by=filing.cqp_filed_by,
        rests_on_standards=filing.rests_on_standards,
        summary=filing.summary,
        activities=filing.activities,
        competences=filing.competences,
        competence_blocks=[CompetenceBlockOut.model_validate(b) for b in filing.competence_blocks],
        assessment_methods=filing.assessment_methods,
        fiche=Fiche.model_validate(filing.fiche or {}),
        code_labels=code_labels(filing.fiche or {}),
        requirements=[requirement_out(line) for line in rules.checklist(filing, record.documents, record.dated)],
        editable=bool(items),
        editable_items=items,
        can_submit=may_submit(filing.status, filing.case_status, filing.editable_items),
        can_withdraw=may_withdraw(filing.status, filing.case_status),
        banner=filing.banner,
        open_request=None if filing.open_request is None else OpenRequestOut.model_validate(filing.open_request),
        withdrawn_at=filing.aware("withdrawn_at"),
        withdrawal_requested_at=filing.aware("withdrawal_requested_at"),
        is_draft=filing.status == DRAFT,
    )


def submitted_out(submission: Submission) -> SubmittedOut:
    return SubmittedOut(
        **filing_out(submission.record).model_dump(), receipt=receipt_out(submission.receipt), in_response_to=submission.in_response_to
    )


def summary_fields(row: Any, registration_type: str | None) -> dict[str, Any]:
    """A filing's summary fields, in ``FilingSummaryOut``'s order: from a ``Filing``, or from a
    row of ``queries.SUMMARY_COLUMNS`` (the list, which reads only those columns)."""
    return {
        "filing_id": row.id,
        "reference": row.reference,
        "entity_id": row.entity_id,
        "repertoire": row.repertoire,
        "title": row.title,
        "qualification_level": row.qualification_level,
        "is_cqp": row.is_cqp,
        "status": row.status,
        "case_status": row.case_status,
        "procedure_status": procedure_status(row.status, row.case_status, row.submission_round, registration_type),
        "submission_round": row.submission_round,
        "due_date": row.due_date,
        "due_explanation": row.due_explanation,
        "created_at": as_utc(row.created_at),
        "updated_at": as_utc(row.updated_at),
        "submitted_at": as_utc(row.submitted_at),
    }


def filing_page(page: FilingList) -> dict[str, Any]:
    """``FilingPage``'s content, for ``json_answer`` (the same JSON, no model built)."""
    items = [summary_fields(r, r.registration_type) for r in page.filings]
    return {"items": items, "total": page.total, "limit": page.limit, "offset": page.offset}


def piece_list(pieces: list[PieceHistory]) -> PieceList:
    return PieceList(
        items=[
            PieceOut(
                doc_type=p.doc_type,
                label=rules.CATALOGUE[p.doc_type].label if p.doc_type in rules.CATALOGUE else p.doc_type,
                current=document_out(p.current) if p.current else None,
                versions=[document_out(d) for d in p.versions],
            )
            for p in pieces
        ]
    )


def receipt_out(receipt: Receipt) -> ReceiptOut:
    return ReceiptOut(
        receipt_id=receipt.id,
        filing_id=receipt.filing_id,
        submission_round=receipt.submission_round,
        filename=receipt_filename(receipt),
        size=receipt.size,
        sha256=receipt.sha256,
        created_at=receipt.aware("created_at"),
    )


def receipt_list(receipts: list[Receipt]) -> ReceiptList:
    return ReceiptList(items=[receipt_out(r) for r in receipts])


def code_labels(fiche: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The labels of the fiche's codes, as the public fiche shows them."""
    out: dict[str, dict[str, str]] = {}
    for name in ("nsf", "rome"):
        known = rules.nomenclature_of(name)
        out[name] = {code: entry.label for code in fiche.get(f"{name}_codes") or [] if (entry := known.get(code))}
    return out

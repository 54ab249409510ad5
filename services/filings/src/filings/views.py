"""How filings, documents and receipts are shown through the API (never a table as is)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from filings.adapters.tables import Document, Filing, Receipt
from filings.domain import rules
from filings.domain.status import DRAFT, may_edit, may_submit, may_withdraw, procedure_status


def document_view(doc: Document) -> dict[str, Any]:
    return {
        "document_id": str(doc.id),
        "filing_id": str(doc.filing_id),
        "doc_type": doc.doc_type,
        "version": doc.version,
        "filename": doc.filename,
        "content_type": doc.content_type,
        "size": doc.size,
        "sha256": doc.sha256,
        "document_date": doc.document_date.isoformat() if doc.document_date else None,
        "uploaded_by": str(doc.uploaded_by),
        "uploaded_at": doc.aware("uploaded_at"),
        "current": doc.is_current,
        "superseded_at": doc.aware("superseded_at"),
        "removed_at": doc.aware("removed_at"),
        "submitted_in_round": doc.submitted_in_round,
    }


def editable_items(filing: Filing) -> list[str]:
    """What the depositor may change now: everything of a draft, else what review reopened."""
    everything = [*rules.EDITABLE_FIELDS, *(p.doc_type for p in rules.pieces_for(filing))]
    return [item for item in everything if may_edit(filing.status, filing.case_status, filing.editable_items, item)] + [
        item
        for item in filing.editable_items
        if item not in everything and may_edit(filing.status, filing.case_status, filing.editable_items, item)
    ]


def summary_view(filing: Filing) -> dict[str, Any]:
    return {
        "filing_id": str(filing.id),
        "entity_id": str(filing.entity_id),
        "repertoire": filing.repertoire,
        "title": filing.title,
        "qualification_level": filing.qualification_level,
        "is_cqp": filing.is_cqp,
        "status": filing.status,
        "case_status": filing.case_status,
        "procedure_status": procedure_status(filing.status, filing.case_status, filing.submission_round),
        "submission_round": filing.submission_round,
        "due_date": filing.due_date.isoformat() if filing.due_date else None,
        "created_at": filing.aware("created_at"),
        "updated_at": filing.aware("updated_at"),
        "submitted_at": filing.aware("submitted_at"),
    }


def filing_view(filing: Filing, current: Sequence[Document], today: dt.date) -> dict[str, Any]:
    checklist = rules.checklist(filing, current, today)
    for line in checklist:
        line["documents"] = [document_view(d) for d in line["documents"]]
    items = editable_items(filing)
    return {
        **summary_view(filing),
        "cqp_filed_by": filing.cqp_filed_by,
        "rests_on_standards": filing.rests_on_standards,
        "summary": filing.summary,
        "activities": filing.activities,
        "competences": filing.competences,
        "competence_blocks": filing.competence_blocks,
        "assessment_methods": filing.assessment_methods,
        "requirements": checklist,
        "editable": bool(items),
        "editable_items": items,
        "can_submit": may_submit(filing.status, filing.case_status, filing.editable_items),
        "can_withdraw": may_withdraw(filing.status, filing.case_status),
        "banner": filing.banner,
        "open_request": filing.open_request,
        "withdrawn_at": filing.aware("withdrawn_at"),
        "is_draft": filing.status == DRAFT,
    }


def receipt_view(receipt: Receipt) -> dict[str, Any]:
    return {
        "receipt_id": str(receipt.id),
        "filing_id": str(receipt.filing_id),
        "submission_round": receipt.submission_round,
        "filename": receipt_filename(receipt),
        "size": receipt.size,
        "sha256": receipt.sha256,
        "created_at": receipt.aware("created_at"),
    }


def receipt_filename(receipt: Receipt) -> str:
    return f"accuse-depot-{str(receipt.filing_id)[:8]}-{receipt.submission_round}.pdf"

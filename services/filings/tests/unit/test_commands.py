"""The creation and submission use cases, without the platform: an in-memory database,
a fixed clock and an in-memory blob store."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdf
import pytest

from certreg_contracts.calendar import paris_date
from certreg_runtime.auth import Principal
from certreg_runtime.clock import FixedClock
from certreg_runtime.errors import Conflict, Invalid
from certreg_runtime.service import Deps
from certreg_runtime.uploads import ReceivedFile
from certreg_testing.unit import MemoryBlobStore, Unit, unit
from filings.adapters.tables import Document, metadata
from filings.api.schemas import CompetenceBlockIn, FilingIn, FilingPatch, SubmitIn, WithdrawIn
from filings.app import commands
from filings.app.queries import FilingRecord
from filings.domain import rules

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
PDF = b"%PDF-1.4\n% certreg test piece\n"
SWORN = SubmitIn(sworn_statement=True)


@pytest.fixture
def u() -> Unit[Deps]:
    return unit(Deps, "filings", metadata, clock=FixedClock(NOW))


@pytest.fixture
def user() -> Principal:
    return Principal(uuid.uuid4(), "camille@example.org", frozenset({"depositor"}), uuid.uuid4(), "access", "Camille Durand")


def rncp(**changes: Any) -> FilingIn:
    values: dict[str, Any] = {
        "repertoire": "rncp",
        "title": "Technicien de maintenance des éoliennes",
        "qualification_level": 4,
        "activities": ["Maintenance préventive"],
        "competences": ["Diagnostiquer une panne"],
        "competence_blocks": [
            CompetenceBlockIn(code="B1", title="Maintenance", competences=["Diagnostiquer une panne"], assessment_methods=["Étude de cas"])
        ],
        "assessment_methods": ["Mise en situation professionnelle"],
    }
    return FilingIn(**(values | changes))


def upload(u: Unit[Deps], user: Principal, tmp_path: Path, filing_id: uuid.UUID, doc_type: str, date: dt.date | None = None) -> Document:
    content = PDF + doc_type.encode()
    path = tmp_path / f"{uuid.uuid4()}.pdf"
    path.write_bytes(content)
    received = ReceivedFile(path, len(content), hashlib.sha256(content).hexdigest(), "application/pdf", f"{doc_type}.pdf")
    return commands.upload_document(u.deps, user, filing_id, doc_type, date, received)


def complete(u: Unit[Deps], user: Principal, tmp_path: Path, record: FilingRecord) -> list[Document]:
    """Every required piece of the filing's table (dated ones dated today)."""
    today = paris_date(NOW)
    return [
        upload(u, user, tmp_path, record.filing.id, p.doc_type, today if p.dated else None)
        for p in rules.pieces_for(record.filing)
        if p.required
    ]


def receipts(u: Unit[Deps]) -> list[bytes]:
    blobs = u.deps.storage
    assert isinstance(blobs, MemoryBlobStore)
    return [data for (bucket, _), (data, _) in blobs.objects.items() if bucket == u.deps.bucket("receipts")]


def types(u: Unit[Deps]) -> list[str]:
    return [e.type for e in u.emitted()]


# --------------------------------------------------------------------------- creation


def test_a_draft_is_created_and_announced(u: Unit[Deps], user: Principal) -> None:
    record = commands.create_filing(u.deps, user, rncp())
    assert record.filing.status == "draft" and record.filing.entity_id == user.entity_id and record.documents == []
    [created] = u.emitted()
    assert created.type == "filings.filing.created" and created.payload["filing_id"] == str(record.filing.id)


@pytest.mark.parametrize(
    "body",
    [
        rncp(qualification_level=None),
        rncp(is_cqp=True, cqp_filed_by="cpne", qualification_level=None),
        rncp(repertoire="rs", competence_blocks=[]),
        rncp(repertoire="rs", competence_blocks=[], is_cqp=True, cqp_filed_by="cpne"),
    ],
    ids=["rncp-without-level", "rncp-cqp-without-level", "rs-with-level", "rs-cqp-with-level"],
)
def test_the_level_is_required_for_the_rncp_and_refused_for_the_rs(u: Unit[Deps], user: Principal, body: FilingIn) -> None:
    with pytest.raises(Invalid) as refused:
        commands.create_filing(u.deps, user, body)
    assert [(e["loc"], e["type"]) for e in refused.value.detail] == [(["body", "qualification_level"], "level")]
    assert u.emitted() == []


# --------------------------------------------------------------------------- submission


def test_a_complete_filing_is_submitted_with_its_proof_and_manifest(u: Unit[Deps], user: Principal, tmp_path: Path) -> None:
    record = commands.create_filing(u.deps, user, rncp())
    pieces = complete(u, user, tmp_path, record)

    submission = commands.submit_filing(u.deps, user, record.filing.id, SWORN)

    filing = submission.record.filing
    assert filing.status == "submitted" and filing.submission_round == 1 and filing.submitted_at == NOW
    assert filing.editable_items == [] and submission.in_response_to is None
    [pdf] = receipts(u)
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == submission.receipt.sha256
    assert submission.receipt.size == len(pdf) and submission.receipt.submission_round == 1
    text = pdf_text(pdf)
    assert "Technicien de maintenance" in text and all(d.sha256[:32] in text for d in pieces)
    # Its number people quote, and the service by its configured name (issue 13, point 14).
    words = " ".join(text.split())
    assert filing.reference and f"Numéro de dossier {filing.reference}" in words
    assert "plateforme « Enregistrement des certifications professionnelles »" in words and "certreg" not in words

    assert types(u) == ["filings.filing.created", "filings.filing.submitted"]
    event = u.emitted()[-1].payload
    assert event["submission_round"] == 1 and dt.datetime.fromisoformat(event["submitted_at"]) == NOW
    manifest = {d["doc_type"]: d for d in event["documents"]}
    assert set(manifest) == {"legal_existence", "activity_framework", "competence_framework", "assessment_framework", "criminal_record"}
    for doc in pieces:
        assert manifest[doc.doc_type]["document_id"] == str(doc.id) and manifest[doc.doc_type]["sha256"] == doc.sha256
    assert manifest["criminal_record"]["document_date"] == paris_date(NOW).isoformat()
    assert all(d.submitted_in_round == 1 for d in submission.record.documents)


def test_an_incomplete_filing_is_refused_listing_what_is_missing(u: Unit[Deps], user: Principal, tmp_path: Path) -> None:
    record = commands.create_filing(u.deps, user, rncp(activities=[]))
    upload(u, user, tmp_path, record.filing.id, "legal_existence")

    with pytest.raises(Invalid) as refused:
        commands.submit_filing(u.deps, user, record.filing.id, SWORN)

    assert refused.value.code == "incomplete"
    assert {tuple(e["loc"]) for e in refused.value.detail} == {
        ("filing", "activities"),
        *(("filing", "documents", t) for t in ("activity_framework", "competence_framework", "assessment_framework", "criminal_record")),
    }
    assert receipts(u) == [] and types(u) == ["filings.filing.created"]


def test_without_the_sworn_statement_nothing_is_checked(u: Unit[Deps], user: Principal) -> None:
    record = commands.create_filing(u.deps, user, rncp())
    with pytest.raises(Invalid) as refused:
        commands.submit_filing(u.deps, user, record.filing.id, SubmitIn())
    assert [e["type"] for e in refused.value.detail] == ["sworn_statement_required"]


def test_a_submitted_filing_is_not_editable(u: Unit[Deps], user: Principal, tmp_path: Path) -> None:
    record = commands.create_filing(u.deps, user, rncp())
    complete(u, user, tmp_path, record)
    commands.submit_filing(u.deps, user, record.filing.id, SWORN)

    with pytest.raises(Conflict) as again:
        commands.submit_filing(u.deps, user, record.filing.id, SWORN)

    assert again.value.code == "not_editable" and again.value.extra["state"] == "submitted"
    assert len(receipts(u)) == 1 and types(u).count("filings.filing.submitted") == 1


def after_the_first_proof_is_stored(u: Unit[Deps], monkeypatch: pytest.MonkeyPatch, action: Callable[[], object]) -> list[str]:
    """Runs ``action`` once, right after the first proof of submission is stored (before
    the filing is locked); returns the keys of the proofs stored."""
    put = u.deps.storage.put_file
    keys: list[str] = []

    def put_then_act(bucket: str, key: str, path: Path, content_type: str) -> None:
        put(bucket, key, path, content_type)
        if bucket == u.deps.bucket("receipts"):
            keys.append(key)
            if len(keys) == 1:
                action()

    monkeypatch.setattr(u.deps.storage, "put_file", put_then_act)
    return keys


def pdf_text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_a_filing_changed_while_its_proof_was_stored_gets_a_proof_of_what_is_submitted(
    u: Unit[Deps], user: Principal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = commands.create_filing(u.deps, user, rncp())
    complete(u, user, tmp_path, record)
    keys = after_the_first_proof_is_stored(
        u, monkeypatch, lambda: commands.patch_filing(u.deps, user, record.filing.id, FilingPatch(title="Technicien éolien"))
    )

    submission = commands.submit_filing(u.deps, user, record.filing.id, SWORN)

    assert len(keys) == 2 and not u.deps.storage.exists(u.deps.bucket("receipts"), keys[0])  # the proof of the old title is gone
    [pdf] = receipts(u)
    assert "Technicien éolien" in pdf_text(pdf)
    assert submission.record.filing.title == "Technicien éolien" and u.emitted()[-1].payload["title"] == "Technicien éolien"


def test_a_filing_withdrawn_while_its_proof_was_stored_keeps_no_proof(
    u: Unit[Deps], user: Principal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = commands.create_filing(u.deps, user, rncp())
    complete(u, user, tmp_path, record)
    after_the_first_proof_is_stored(u, monkeypatch, lambda: commands.withdraw_filing(u.deps, user, record.filing.id, WithdrawIn()))

    with pytest.raises(Conflict) as refused:
        commands.submit_filing(u.deps, user, record.filing.id, SWORN)

    assert refused.value.code == "not_editable" and refused.value.extra["state"] == "withdrawn"
    assert receipts(u) == [] and "filings.filing.submitted" not in types(u)

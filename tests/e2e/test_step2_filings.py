"""Step 2 (issue 4) through the gateway: an approved depositor files an RS certification
and an RNCP CQP, uploads every required piece, submits with the sworn statement, gets
the proof of submission, and review receives the case. Another entity sees none of it;
a submitted filing is locked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from certreg_testing.infra import text_body

from .conftest import PDF, RNCP_FIELDS, RS_FIELDS, Api, Person, expect, field_errors

pytestmark = pytest.mark.e2e

RS_REQUIRED = {
    "legal_existence", "competence_framework", "assessment_framework", "criminal_record", "certificate_specimen",
    "assessment_organisation", "opportunity_note",
}  # fmt: skip
RNCP_CQP_REQUIRED = {
    "legal_existence", "activity_framework", "competence_framework", "assessment_framework", "criminal_record",
    "cpne_deliberation", "cpne_mandate",
}  # fmt: skip


def submit(api: Api, headers: dict[str, str], filing_id: str) -> dict[str, Any]:
    response = api.client.post(f"/api/filings/{filing_id}/submit", headers=headers, json={"sworn_statement": True})
    submitted: dict[str, Any] = expect(response, 202)
    return submitted


def test_rs_and_rncp_cqp_filings_submitted_to_review(api: Api, si_admin: Person, staff: dict[str, Person]) -> None:
    client = api.client
    camille = api.approved_manager(si_admin, "Centre de formation")
    depositor = api.login(camille)
    reviewer = api.login(staff["reviewer"])

    # The level follows the repertoire, CQP included.
    rs_with_level = client.post(
        "/api/filings", headers=depositor, json={"repertoire": "rs", "title": "Conduite d'engins", "qualification_level": 4}
    )
    assert rs_with_level.status_code == 422 and field_errors(rs_with_level.json()) == {"qualification_level": "level"}
    rncp_without = client.post(
        "/api/filings", headers=depositor, json={"repertoire": "rncp", "title": "Technicien", "is_cqp": True, "cqp_filed_by": "cpne"}
    )
    assert rncp_without.status_code == 422 and field_errors(rncp_without.json()) == {"qualification_level": "level"}

    # --- RS ---------------------------------------------------------------------------
    rs = api.create_filing(
        depositor, repertoire="rs", title="Conduite d'engins de chantier", is_cqp=False, rests_on_standards=False, **RS_FIELDS
    )
    rs_id = rs["filing_id"]
    assert rs["status"] == "draft" and rs["entity_id"] == camille.entity_id
    assert {r["doc_type"] for r in rs["requirements"] if r["required"]} == RS_REQUIRED

    early = client.post(f"/api/filings/{rs_id}/submit", headers=depositor, json={"sworn_statement": True})
    assert early.status_code == 422 and early.json()["code"] == "incomplete"
    assert {tuple(e["loc"][1:]) for e in early.json()["detail"]} == {("documents", t) for t in RS_REQUIRED}

    undated = client.post(
        f"/api/filings/{rs_id}/documents/criminal_record", headers=depositor, files={"file": ("b3.pdf", PDF, "application/pdf")}
    )
    assert undated.status_code == 422 and field_errors(undated.json()) == {"document_date": "document_date"}
    assert set(api.upload_required_pieces(depositor, rs_id)) == RS_REQUIRED
    filled = api.filing(depositor, rs_id)
    assert all(r["provided"] and r["valid"] for r in filled["requirements"] if r["required"]) and filled["can_submit"]
    record = next(r for r in filled["requirements"] if r["doc_type"] == "criminal_record")["documents"][0]
    assert record["document_date"] == (api.today() - timedelta(days=10)).isoformat()

    unsworn = client.post(f"/api/filings/{rs_id}/submit", headers=depositor, json={"sworn_statement": False})
    assert unsworn.status_code == 422 and field_errors(unsworn.json()) == {"sworn_statement": "sworn_statement_required"}
    submitted = submit(api, depositor, rs_id)
    assert submitted["status"] == "submitted" and submitted["submission_round"] == 1
    assert submitted["receipt"]["submission_round"] == 1

    # The proof of submission, as a PDF.
    receipts = expect(client.get(f"/api/filings/{rs_id}/receipts", headers=depositor), 200)["items"]
    assert [r["receipt_id"] for r in receipts] == [submitted["receipt"]["receipt_id"]]
    proof = client.get(f"/api/filings/{rs_id}/receipts/{receipts[0]['receipt_id']}/content", headers=depositor)
    assert proof.status_code == 200 and proof.headers["content-type"].startswith("application/pdf")
    assert proof.content.startswith(b"%PDF-") and len(proof.content) == receipts[0]["size"]
    mail = api.mail(camille.email, "Accusé de réception de votre demande d'enregistrement « Conduite d'engins de chantier »")
    assert "Pièces transmises : 7" in text_body(mail)

    # Review receives the case: the reviewer and the depositor see it.
    case = api.case_reaches(reviewer, rs_id, "received")
    assert case["repertoire"] == "rs" and case["title"] == "Conduite d'engins de chantier" and case["entity_id"] == camille.entity_id
    assert case["submission_round"] == 1 and case["timeline"][0]["action"] == "open"
    assert api.case(depositor, rs_id)["status"] == "received"
    assert api.filing_reaches(depositor, rs_id, "received")["editable_items"] == []

    # --- RNCP CQP filed by a mandated organisation -------------------------------------
    cqp = api.create_filing(
        depositor, repertoire="rncp", title="CQP Technicien de maintenance", is_cqp=True, cqp_filed_by="mandated",
        rests_on_standards=False, **{**RNCP_FIELDS, "qualification_level": 4},
    )  # fmt: skip
    cqp_id = cqp["filing_id"]
    assert {r["doc_type"] for r in cqp["requirements"] if r["required"]} == RNCP_CQP_REQUIRED
    assert {r["doc_type"] for r in cqp["requirements"] if r["dated"]} == {"criminal_record", "cpne_mandate"}
    assert set(api.upload_required_pieces(depositor, cqp_id)) == RNCP_CQP_REQUIRED
    documents = expect(client.get(f"/api/filings/{cqp_id}/documents", headers=depositor), 200)["items"]
    assert {d["doc_type"] for d in documents} == RNCP_CQP_REQUIRED
    mandate = next(d for d in documents if d["doc_type"] == "cpne_mandate")["current"]
    content = client.get(f"/api/filings/{cqp_id}/documents/{mandate['document_id']}/content", headers=depositor)
    assert content.status_code == 200 and content.content == PDF
    assert submit(api, depositor, cqp_id)["submission_round"] == 1
    cqp_case = api.case_reaches(reviewer, cqp_id, "received")
    assert cqp_case["repertoire"] == "rncp" and cqp_case["qualification_level"] == 4 and cqp_case["is_cqp"] is True

    listed = expect(client.get("/api/filings", headers=depositor), 200)
    assert {f["filing_id"] for f in listed["items"]} == {rs_id, cqp_id} and listed["total"] == 2
    received = expect(client.get("/api/review/cases", params={"status": "received", "limit": 200}, headers=reviewer), 200)
    assert {rs_id, cqp_id} <= {c["filing_id"] for c in received["items"]}

    # --- a submitted filing is locked ---------------------------------------------------
    patched = client.patch(f"/api/filings/{rs_id}", headers=depositor, json={"title": "Autre intitulé"})
    assert patched.status_code == 409 and patched.json()["code"] == "not_editable", patched.text
    replaced = client.post(
        f"/api/filings/{rs_id}/documents/opportunity_note", headers=depositor, files={"file": ("note.pdf", PDF, "application/pdf")}
    )
    assert replaced.status_code == 409 and replaced.json()["code"] == "not_editable"
    again = client.post(f"/api/filings/{rs_id}/submit", headers=depositor, json={"sworn_statement": True})
    assert again.status_code == 409 and again.json()["code"] == "not_editable"
    assert api.filing(depositor, rs_id)["title"] == "Conduite d'engins de chantier"

    # --- another entity sees none of it (404, never 403) ---------------------------------
    other = api.login(api.approved_manager(si_admin, "Autre organisme"))
    document_id = mandate["document_id"]
    receipt_id = receipts[0]["receipt_id"]
    for method, path in [
        ("GET", f"/api/filings/{rs_id}"),
        ("GET", f"/api/filings/{cqp_id}/documents"),
        ("GET", f"/api/filings/{cqp_id}/documents/{document_id}/content"),
        ("GET", f"/api/filings/{rs_id}/receipts"),
        ("GET", f"/api/filings/{rs_id}/receipts/{receipt_id}/content"),
        ("PATCH", f"/api/filings/{cqp_id}"),
        ("DELETE", f"/api/filings/{cqp_id}/documents/{document_id}"),
        ("POST", f"/api/filings/{cqp_id}/submit"),
        ("POST", f"/api/filings/{cqp_id}/withdraw"),
        ("GET", f"/api/review/cases/{rs_id}"),
        ("GET", f"/api/review/cases/{rs_id}/messages"),
    ]:
        body = {"sworn_statement": True} if path.endswith("/submit") else {"title": "x"} if method == "PATCH" else None
        answer = client.request(method, path, headers=other, json=body)
        assert answer.status_code == 404, f"{method} {path} as another entity -> {answer.status_code}: {answer.text}"
    foreign_upload = client.post(
        f"/api/filings/{cqp_id}/documents/sector_studies", headers=other, files={"file": ("x.pdf", PDF, "application/pdf")}
    )
    assert foreign_upload.status_code == 404
    assert expect(client.get("/api/filings", headers=other), 200)["total"] == 0
    assert api.filing(depositor, cqp_id)["status"] == "submitted"

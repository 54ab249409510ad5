"""The filings API with filings alone behind the gateway (embedded: SQLite, in-process bus,
local blob store); what review says is published by the tests."""

import datetime as dt
import hashlib
import io
import uuid
from typing import Any

import pypdf
import sqlalchemy as sa

from certreg_contracts.events.review import CaseStatusChanged, CaseWithdrawalRefused, RequestItem, RequestOpened
from certreg_testing.samples import PDF
from filings.api.schemas import FilingPage, FilingSummaryOut


def locs(response) -> set[tuple[Any, ...]]:
    return {tuple(e["loc"]) for e in response.json()["detail"]}


async def test_level_rules_both_ways_and_cqp_filer(h) -> None:
    dep = h.depositor()
    cases = [
        ({"repertoire": "rncp", "title": "T"}, ("body", "qualification_level")),
        ({"repertoire": "rncp", "title": "T", "is_cqp": True, "cqp_filed_by": "cpne"}, ("body", "qualification_level")),
        ({"repertoire": "rs", "title": "T", "qualification_level": 3}, ("body", "qualification_level")),
        (
            {"repertoire": "rs", "title": "T", "qualification_level": 3, "is_cqp": True, "cqp_filed_by": "cpne"},
            ("body", "qualification_level"),
        ),
        ({"repertoire": "rncp", "title": "T", "qualification_level": 9}, ("body", "qualification_level")),
        ({"repertoire": "rs", "title": "T", "is_cqp": True}, ("body", "cqp_filed_by")),
        ({"repertoire": "rs"}, ("body", "title")),
        ({"repertoire": "rome", "title": "T"}, ("body", "repertoire")),
    ]
    for body, loc in cases:
        response = await h.client.post("/api/filings", json=body, headers=dep)
        assert response.status_code == 422, (body, response.text)
        assert loc in locs(response), (body, response.text)
    response = await h.client.post("/api/filings", json={"repertoire": "rs"}, headers=dep)
    assert response.json()["detail"][0]["msg"] == "Champ obligatoire."

    rs_cqp = await h.create(dep, repertoire="rs", qualification_level=None, is_cqp=True, cqp_filed_by="mandated", competence_blocks=[])
    assert rs_cqp["status"] == "draft" and rs_cqp["procedure_status"] == "Brouillon"
    required = {line["doc_type"] for line in rs_cqp["requirements"] if line["required"]}
    assert {"cpne_mandate", "ip_transfer", "activity_framework", "cpne_deliberation"} <= required
    rncp_cqp = await h.create(dep, is_cqp=True, cqp_filed_by="cpne", qualification_level=3)
    assert rncp_cqp["qualification_level"] == 3

    # Switching a draft to the RS: the level must go in the same change.
    fid = rncp_cqp["filing_id"]
    response = await h.client.patch(f"/api/filings/{fid}", json={"repertoire": "rs", "competence_blocks": []}, headers=dep)
    assert response.status_code == 422 and ("body", "qualification_level") in locs(response)
    response = await h.client.patch(
        f"/api/filings/{fid}", json={"repertoire": "rs", "qualification_level": None, "competence_blocks": []}, headers=dep
    )
    assert response.status_code == 200, response.text
    assert response.json()["repertoire"] == "rs" and response.json()["qualification_level"] is None
    response = await h.client.patch(f"/api/filings/{fid}", json={"title": None, "colour": "red"}, headers=dep)
    assert response.status_code == 422 and {("body", "colour")} <= locs(response)


async def test_roles_and_entity_scope(h) -> None:
    mine = h.depositor()
    other = h.depositor(uuid.uuid4())
    filing = await h.create(mine)
    fid = filing["filing_id"]
    doc = (await h.upload(mine, fid, "legal_existence")).json()

    assert (await h.client.get("/api/filings")).status_code == 401
    assert (await h.client.post("/api/filings", json={"repertoire": "rs", "title": "T"}, headers=h.staff())).status_code == 403
    assert (await h.client.get("/api/filings", headers=h.token(roles=["depositor"]))).status_code == 403  # no entity

    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", f"/api/filings/{fid}", {}),
        ("PATCH", f"/api/filings/{fid}", {"json": {"title": "Pris"}}),
        ("GET", f"/api/filings/{fid}/documents", {}),
        ("GET", f"/api/filings/{fid}/documents/{doc['document_id']}/content", {}),
        ("DELETE", f"/api/filings/{fid}/documents/{doc['document_id']}", {}),
        ("POST", f"/api/filings/{fid}/documents/sector_studies", {"content": PDF}),
        ("POST", f"/api/filings/{fid}/submit", {"json": {"sworn_statement": True}}),
        ("POST", f"/api/filings/{fid}/withdraw", {}),
        ("GET", f"/api/filings/{fid}/receipts", {}),
    ]
    for method, path, kwargs in requests:
        response = await h.client.request(method, path, headers=other, **kwargs)
        assert response.status_code == 404, (method, path, response.text)
    assert (await h.client.get("/api/filings", headers=other)).json()["total"] == 0

    # Staff read every entity's filings, and change none.
    staff = h.staff("instructor")
    assert (await h.client.get(f"/api/filings/{fid}", headers=staff)).status_code == 200
    assert (await h.client.get(f"/api/filings/{fid}/documents/{doc['document_id']}/content", headers=staff)).content == PDF
    assert (await h.client.patch(f"/api/filings/{fid}", json={"title": "X"}, headers=staff)).status_code == 403
    listed = (await h.client.get("/api/filings", headers=staff)).json()
    assert fid in [f["filing_id"] for f in listed["items"]]


async def test_list_filters_and_pages(h) -> None:
    dep = h.depositor()
    await h.create(dep, title="Soudeur 100% inox")
    await h.create(dep, title="Chaudronnier")
    await h.create(dep, repertoire="rs", qualification_level=None, competence_blocks=[], title="Habilitation électrique")
    page = (await h.client.get("/api/filings", params={"limit": 2}, headers=dep)).json()
    assert page["total"] == 3 and len(page["items"]) == 2
    assert (await h.client.get("/api/filings", params={"limit": 2, "offset": 2}, headers=dep)).json()["items"][0]
    assert (await h.client.get("/api/filings", params={"repertoire": "rs"}, headers=dep)).json()["total"] == 1
    found = (await h.client.get("/api/filings", params={"q": "100%"}, headers=dep)).json()
    assert [f["title"] for f in found["items"]] == ["Soudeur 100% inox"]
    assert (await h.client.get("/api/filings", params={"status": "draft"}, headers=dep)).json()["total"] == 3
    assert (await h.client.get("/api/filings", params={"status": "submitted"}, headers=dep)).json()["total"] == 0
    bad = await h.client.get("/api/filings", params={"limit": "lots"}, headers=dep)
    assert bad.status_code == 422 and ("query", "limit") in locs(bad)


async def test_documents_versions_download_and_delete(h) -> None:
    dep = h.depositor()
    filing = await h.create(dep, repertoire="rs", qualification_level=None, competence_blocks=[])
    fid = filing["filing_id"]

    first = await h.upload(dep, fid, "legal_existence", PDF + b"v1", filename="kbis.pdf")
    assert first.status_code == 201, first.text
    second = await h.upload(dep, fid, "legal_existence", PDF + b"v2", filename="kbis-2026.pdf")
    assert second.json()["version"] == 2
    assert second.json()["sha256"] == hashlib.sha256(PDF + b"v2").hexdigest()
    letters = [await h.upload(dep, fid, "support_letter", PDF + bytes([i])) for i in range(2)]
    assert all(r.status_code == 201 and r.json()["version"] == 1 for r in letters)

    pieces = (await h.client.get(f"/api/filings/{fid}/documents", headers=dep)).json()["items"]
    legal = next(p for p in pieces if p["doc_type"] == "legal_existence")
    assert [v["version"] for v in legal["versions"]] == [2, 1]
    assert legal["current"]["filename"] == "kbis-2026.pdf" and legal["versions"][1]["current"] is False
    assert len([p for p in pieces if p["doc_type"] == "support_letter"]) == 2
    view = (await h.client.get(f"/api/filings/{fid}", headers=dep)).json()
    line = next(line for line in view["requirements"] if line["doc_type"] == "legal_existence")
    assert line["provided"] and [d["version"] for d in line["documents"]] == [2]

    old = await h.client.get(f"/api/filings/{fid}/documents/{first.json()['document_id']}/content", headers=dep)
    assert old.status_code == 200 and old.content == PDF + b"v1"
    assert old.headers["content-type"] == "application/pdf" and "kbis.pdf" in old.headers["content-disposition"]

    # Refused: a piece this filing does not carry, an unknown one, a wrong content, dates.
    response = await h.upload(dep, fid, "validation_rules")
    assert response.status_code == 422 and ("path", "doc_type") in locs(response)
    assert (await h.upload(dep, fid, "passport")).status_code == 422
    assert (await h.upload(dep, fid, "opportunity_note", b"MZ\x90\x00 not a document")).status_code == 415
    for when in (None, h.today() - dt.timedelta(days=100), h.today() + dt.timedelta(days=1)):
        response = await h.upload(dep, fid, "criminal_record", document_date=when)
        assert response.status_code == 422 and ("query", "document_date") in locs(response), when
    response = await h.client.post(
        f"/api/filings/{fid}/documents/criminal_record", params={"document_date": "31/12/2025"}, content=PDF, headers=dep
    )
    assert response.status_code == 422 and "AAAA-MM-JJ" in response.json()["detail"][0]["msg"]
    dated = await h.upload(dep, fid, "criminal_record", document_date=h.today() - dt.timedelta(days=10))
    assert dated.status_code == 201 and dated.json()["document_date"] == (h.today() - dt.timedelta(days=10)).isoformat()

    # Only the version in force can be deleted; deleting it leaves the piece not provided.
    old_id = first.json()["document_id"]
    assert (await h.client.delete(f"/api/filings/{fid}/documents/{old_id}", headers=dep)).status_code == 409
    letter = letters[0].json()["document_id"]
    assert (await h.client.delete(f"/api/filings/{fid}/documents/{letter}", headers=dep)).status_code == 204
    assert (await h.client.get(f"/api/filings/{fid}/documents/{letter}/content", headers=dep)).status_code == 404
    view = (await h.client.get(f"/api/filings/{fid}", headers=dep)).json()
    line = next(line for line in view["requirements"] if line["doc_type"] == "support_letter")
    assert len(line["documents"]) == 1


async def test_submit_lists_what_is_missing_then_locks_and_issues_a_proof(h) -> None:
    dep = h.depositor()
    filing = await h.create(dep, is_cqp=True, cqp_filed_by="mandated", activities=[])
    fid = filing["filing_id"]
    await h.upload(dep, fid, "legal_existence")

    for body in ({}, {"sworn_statement": False}):
        response = await h.client.post(f"/api/filings/{fid}/submit", json=body, headers=dep)
        assert response.status_code == 422 and ("body", "sworn_statement") in locs(response)
    response = await h.client.post(f"/api/filings/{fid}/submit", json={"sworn_statement": True}, headers=dep)
    assert response.status_code == 422 and response.json()["code"] == "incomplete"
    assert locs(response) == {
        ("filing", "activities"),
        *(
            ("filing", "documents", t)
            for t in (
                "activity_framework",
                "competence_framework",
                "assessment_framework",
                "criminal_record",
                "cpne_deliberation",
                "cpne_mandate",
            )
        ),
    }
    assert (await h.client.get(f"/api/filings/{fid}", headers=dep)).json()["status"] == "draft"

    await h.client.patch(f"/api/filings/{fid}", json={"activities": ["Conduire un chantier"]}, headers=dep)
    await h.complete(dep, (await h.client.get(f"/api/filings/{fid}", headers=dep)).json())
    response = await h.client.post(f"/api/filings/{fid}/submit", json={"sworn_statement": True}, headers=dep)
    assert response.status_code == 202, response.text
    submitted = response.json()
    assert submitted["status"] == "submitted" and submitted["submission_round"] == 1
    assert submitted["procedure_status"] == "Déposé — en attente du contrôle de complétude"
    assert submitted["editable"] is False and submitted["editable_items"] == []

    [event] = h.outbox("filings.filing.submitted")
    assert event["filing_id"] == fid and event["submission_round"] == 1 and event["in_response_to"] is None
    assert event["is_cqp"] and event["cqp_filed_by"] == "mandated" and event["qualification_level"] == 4
    manifest = {d["doc_type"]: d for d in event["documents"]}
    assert set(manifest) == {line["doc_type"] for line in filing["requirements"] if line["required"]}
    assert manifest["cpne_mandate"]["document_date"] == h.today().isoformat()
    assert manifest["legal_existence"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert event["competence_blocks"][0]["code"] == "B1"

    # The proof of submission: listed, downloadable, naming every piece with its SHA-256.
    receipts = (await h.client.get(f"/api/filings/{fid}/receipts", headers=dep)).json()["items"]
    assert [r["submission_round"] for r in receipts] == [1]
    pdf = await h.client.get(f"/api/filings/{fid}/receipts/{receipts[0]['receipt_id']}/content", headers=dep)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == receipts[0]["sha256"]
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    compact = "".join(text.split())
    assert "Technicien" in text and "RNCP" in text and "Dépôt n°" in text
    assert all(d["sha256"] in compact for d in event["documents"])

    # Locked: no edit, no upload, no delete, no second submission.
    doc_id = manifest["legal_existence"]["document_id"]
    for response in (
        await h.client.patch(f"/api/filings/{fid}", json={"title": "Autre"}, headers=dep),
        await h.upload(dep, fid, "legal_existence"),
        await h.client.delete(f"/api/filings/{fid}/documents/{doc_id}", headers=dep),
        await h.client.post(f"/api/filings/{fid}/submit", json={"sworn_statement": True}, headers=dep),
    ):
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "not_editable" and response.json()["state"] == "submitted"


async def test_a_dated_piece_that_aged_blocks_the_submission(h) -> None:
    dep = h.depositor()
    filing = await h.create(dep)
    await h.complete(dep, filing)
    h.p.advance_clock(days=100)
    response = await h.client.post(f"/api/filings/{filing['filing_id']}/submit", json={"sworn_statement": True}, headers=dep)
    assert response.status_code == 422
    assert locs(response) == {("filing", "documents", "criminal_record")}
    view = (await h.client.get(f"/api/filings/{filing['filing_id']}", headers=dep)).json()
    line = next(line for line in view["requirements"] if line["doc_type"] == "criminal_record")
    assert line["provided"] and not line["valid"] and "moins de trois mois au" in line["issue"]


async def test_review_reopens_exactly_the_listed_items_and_the_resubmission_answers(h) -> None:
    dep = h.depositor()
    filing, common = await h.submitted(dep)
    fid = filing["filing_id"]
    request_id = uuid.uuid4()
    due = h.today() + dt.timedelta(days=30)
    await h.publish(
        RequestOpened(
            **common,
            request_id=request_id,
            items=[RequestItem(doc_type="criminal_record"), RequestItem(question="Précisez les modalités d'évaluation.")],
            message="Merci de fournir un bulletn n°3 lisible.",
            due_date=due,
            due_explanation="date limite de réponse à la demande de compléments : jusqu'au … inclus",
            opened_by=uuid.uuid4(),
        )
    )
    await h.publish(
        CaseStatusChanged(
            **common,
            status="incomplete",
            previous_status="received",
            editable_items=["criminal_record", "assessment_methods"],
            banner="Votre dossier est incomplet : bulletin n°3 illisible.",
            open_request_id=request_id,
            due_date=due,
            due_explanation="date limite de réponse à la demande de compléments : jusqu'au … inclus",
        )
    )
    view = (await h.client.get(f"/api/filings/{fid}", headers=dep)).json()
    assert view["procedure_status"] == "Incomplet — pièces demandées"
    assert view["banner"] == "Votre dossier est incomplet : bulletin n°3 illisible."
    assert view["editable_items"] == ["assessment_methods", "criminal_record"]
    assert view["open_request"]["request_id"] == str(request_id) and view["open_request"]["due_date"] == due.isoformat()
    assert view["open_request"]["items"][0] == {"doc_type": "criminal_record", "question": None}
    assert view["due_date"] == due.isoformat() and view["can_submit"]
    # why that day (issue 12, point 4: shown on hover, moved to the next working day when needed)
    why = "date limite de réponse à la demande de compléments : jusqu'au … inclus"
    assert view["due_explanation"] == view["open_request"]["due_explanation"] == why

    legal = next(line for line in view["requirements"] if line["doc_type"] == "legal_existence")["documents"][0]
    refused = [
        await h.upload(dep, fid, "legal_existence"),
        await h.client.patch(f"/api/filings/{fid}", json={"title": "Autre intitulé"}, headers=dep),
        await h.client.delete(f"/api/filings/{fid}/documents/{legal['document_id']}", headers=dep),
    ]
    assert [r.status_code for r in refused] == [409, 409, 409]
    assert refused[0].json()["editable_items"] == ["criminal_record", "assessment_methods"]
    replaced = await h.upload(dep, fid, "criminal_record", PDF + b"lisible", document_date=h.today())
    assert replaced.status_code == 201 and replaced.json()["version"] == 2
    patched = await h.client.patch(f"/api/filings/{fid}", json={"assessment_methods": ["Jury", "Dossier"]}, headers=dep)
    assert patched.status_code == 200

    response = await h.client.post(f"/api/filings/{fid}/submit", json={"sworn_statement": True}, headers=dep)
    assert response.status_code == 202, response.text
    again = response.json()
    assert again["submission_round"] == 2 and again["in_response_to"] == str(request_id)
    assert again["editable_items"] == [] and again["banner"] is None and again["open_request"] is None
    first, second = h.outbox("filings.filing.submitted")
    assert second["submission_round"] == 2 and second["in_response_to"] == str(request_id)
    assert second["assessment_methods"] == ["Jury", "Dossier"]
    record = next(d for d in second["documents"] if d["doc_type"] == "criminal_record")
    assert record["version"] == 2 and record["document_id"] == replaced.json()["document_id"]
    assert {d["document_id"] for d in second["documents"]} - {d["document_id"] for d in first["documents"]} == {record["document_id"]}
    receipts = (await h.client.get(f"/api/filings/{fid}/receipts", headers=dep)).json()["items"]
    assert [r["submission_round"] for r in receipts] == [1, 2]

    # The first version stays as history, and a submitted version cannot be erased.
    pieces = (await h.client.get(f"/api/filings/{fid}/documents", headers=dep)).json()["items"]
    record_piece = next(p for p in pieces if p["doc_type"] == "criminal_record")
    assert [v["version"] for v in record_piece["versions"]] == [2, 1]
    assert [v["submitted_in_round"] for v in record_piece["versions"]] == [2, 1]


async def test_a_request_is_shown_whole_whichever_of_its_two_events_comes_first(both_modes) -> None:
    """Review opens a request with two events, the status and the request; the consumer may
    get the status first. The depositor's page then showed a request without its items —
    an answer form with no piece to replace nor question to answer, whose « Envoyer » met a
    422 (a browser test caught it under load)."""
    h = both_modes
    dep = h.depositor()
    filing, common = await h.submitted(dep)
    fid = filing["filing_id"]
    request_id, due = uuid.uuid4(), h.today() + dt.timedelta(days=30)
    items = [RequestItem(doc_type="criminal_record"), RequestItem(question="Qui compose le jury ?")]
    await h.publish(
        CaseStatusChanged(
            **common,
            status="awaiting_complement",
            previous_status="under_instruction",
            editable_items=["criminal_record"],
            banner="Des compléments vous sont demandés : un bulletin récent.",
            open_request_id=request_id,
            request_items=items,
            request_message="Un bulletin récent.",
            due_date=due,
            sequence=5,
        )
    )
    view = (await h.client.get(f"/api/filings/{fid}", headers=dep)).json()
    assert view["can_submit"] and view["open_request"]["request_id"] == str(request_id)
    assert view["open_request"]["items"] == [i.model_dump(mode="json") for i in items]
    assert view["open_request"]["message"] == "Un bulletin récent." and view["open_request"]["opened_at"]
    # The request's own event, delivered next, changes nothing the depositor sees.
    await h.publish(
        RequestOpened(
            **common, request_id=request_id, items=items, message="Un bulletin récent.", due_date=due, opened_by=uuid.uuid4(), sequence=5
        )
    )
    again = (await h.client.get(f"/api/filings/{fid}", headers=dep)).json()
    assert again["open_request"]["items"] == view["open_request"]["items"]
    assert again["open_request"]["message"] == view["open_request"]["message"]


async def test_a_status_delivered_late_does_not_replace_a_newer_one(h) -> None:
    dep = h.depositor()
    filing, common = await h.submitted(dep)
    fid = filing["filing_id"]
    # Review scheduled the case (sequence 7) right after making it ready (sequence 6);
    # the consumer handled them in the opposite order.
    await h.publish(CaseStatusChanged(**common, status="scheduled", editable_items=[], banner="Inscrit", sequence=7))
    await h.publish(CaseStatusChanged(**common, status="ready_for_commission", editable_items=[], banner="Prêt", sequence=6))
    view = (await h.client.get(f"/api/filings/{fid}", headers=dep)).json()
    assert view["case_status"] == "scheduled" and view["banner"] == "Inscrit"
    await h.publish(CaseStatusChanged(**common, status="adjourned", editable_items=["title"], banner="Ajourné", sequence=8))
    view = (await h.client.get(f"/api/filings/{fid}", headers=dep)).json()
    assert view["case_status"] == "adjourned" and view["editable_items"] == ["title"]
    # A request opened (and since answered) before the adjournment, delivered only now.
    late = RequestOpened(
        **common,
        request_id=uuid.uuid4(),
        items=[RequestItem(question="?")],
        message="Ancienne demande",
        due_date=h.today(),
        opened_by=uuid.uuid4(),
        sequence=5,
    )
    await h.publish(late)
    view = (await h.client.get(f"/api/filings/{fid}", headers=dep)).json()
    assert view["open_request"] is None and view["editable_items"] == ["title"]


async def test_withdraw_before_the_decision_only(h) -> None:
    dep = h.depositor()
    draft = await h.create(dep)
    response = await h.client.post(f"/api/filings/{draft['filing_id']}/withdraw", headers=dep)
    assert response.status_code == 202 and response.json()["status"] == "withdrawn"
    assert h.outbox("filings.filing.withdrawal_requested") == []  # a draft was never known outside filings

    filing = await h.create(dep)
    fid = filing["filing_id"]
    await h.complete(dep, filing)
    await h.client.post(f"/api/filings/{fid}/submit", json={"sworn_statement": True}, headers=dep)
    response = await h.client.post(f"/api/filings/{fid}/withdraw", json={"reason": "Projet abandonné"}, headers=dep)
    assert response.status_code == 202
    # A request to review, which owns the procedure (issue 15): shown as asked until it answers.
    assert response.json()["status"] == "withdrawal_requested" and response.json()["can_withdraw"] is False
    assert response.json()["procedure_status"].startswith("Retrait demandé") and response.json()["can_submit"] is False
    [event] = h.outbox("filings.filing.withdrawal_requested")
    assert event["filing_id"] == fid and event["reason"] == "Projet abandonné"
    again = await h.client.post(f"/api/filings/{fid}/withdraw", headers=dep)
    assert again.status_code == 409 and again.json()["code"] == "not_withdrawable"
    await h.publish(
        CaseStatusChanged(
            filing_id=fid,
            entity_id=h.entity_id,
            repertoire="rncp",
            title=filing["title"],
            status="withdrawn",
            editable_items=[],
            sequence=5,
        )
    )
    view = (await h.client.get(f"/api/filings/{fid}", headers=dep)).json()
    assert view["status"] == "withdrawn" and view["procedure_status"] == "Retiré par le déposant"

    decided = await h.create(dep)
    did = decided["filing_id"]
    await h.complete(dep, decided)
    await h.client.post(f"/api/filings/{did}/submit", json={"sworn_statement": True}, headers=dep)
    await h.p.settle()
    await h.publish(
        CaseStatusChanged(
            filing_id=did, entity_id=h.entity_id, repertoire="rncp", title=decided["title"], status="registered", editable_items=["title"]
        )
    )
    view = (await h.client.get(f"/api/filings/{did}", headers=dep)).json()
    assert view["procedure_status"] == "Enregistré" and view["editable_items"] == []
    response = await h.client.post(f"/api/filings/{did}/withdraw", headers=dep)
    assert response.status_code == 409 and response.json()["case_status"] == "registered"


async def test_a_withdrawal_review_refuses_leaves_the_filing_submitted(h) -> None:
    """Review decided before the withdrawal reached it: ``review.case.withdrawal_refused``
    puts the filing back, whether it comes before or after the final status."""
    dep = h.depositor()
    for refusal_first in (True, False):
        filing = await h.create(dep)
        fid = filing["filing_id"]
        await h.complete(dep, filing)
        await h.client.post(f"/api/filings/{fid}/submit", json={"sworn_statement": True}, headers=dep)
        assert (await h.client.post(f"/api/filings/{fid}/withdraw", headers=dep)).json()["status"] == "withdrawal_requested"
        case = {"filing_id": fid, "entity_id": h.entity_id, "repertoire": "rncp", "title": filing["title"]}
        refusal = CaseWithdrawalRefused(
            **case,
            status="registered",
            requested_by=uuid.uuid4(),
            requested_at=h.p.now(),
            explanation="Votre demande de retrait n'a pas pu être prise en compte : la certification avait déjà été enregistrée.",
        )
        registered = CaseStatusChanged(**case, status="registered", editable_items=[], sequence=9)
        for event in (refusal, registered) if refusal_first else (registered, refusal):
            await h.publish(event)
        view = (await h.client.get(f"/api/filings/{fid}", headers=dep)).json()
        assert (view["status"], view["case_status"], view["can_withdraw"]) == ("submitted", "registered", False)


async def test_an_event_about_an_unknown_filing_is_parked_and_an_entity_manager_is_a_depositor(h) -> None:
    stranger = uuid.uuid4()
    envelope = await h.publish(
        CaseStatusChanged(
            filing_id=stranger, entity_id=h.entity_id, repertoire="rs", title="?", status="incomplete", editable_items=["title"]
        )
    )
    parked = await h.p.platform.bus.parked("filings")
    assert [p.event_id for p in parked] == [str(envelope.event_id)] and "unknown filing" in parked[0].error

    manager = h.token(roles=["entity_manager"], entity_id=h.entity_id)
    filing = await h.create(manager, repertoire="rs", qualification_level=None, competence_blocks=[])
    assert (await h.client.get(f"/api/filings/{filing['filing_id']}", headers=h.depositor())).status_code == 200


async def test_the_list_reads_only_its_columns_and_says_what_the_page_says(both_modes) -> None:
    """The list reads the summary's columns, not the description's JSON (issue 16), and
    each line says what the filing's page says, by-right labels included, in the JSON
    ``FilingPage`` would give."""
    h = both_modes
    dep = h.depositor()
    fiche = {"registration_type": "by_right", "by_right_basis": "L6113-6", "rome_codes": ["H1208"]}
    title = "Habilitation « électrique »"
    by_right, common = await h.submitted(dep, repertoire="rs", qualification_level=None, competence_blocks=[], fiche=fiche, title=title)
    await h.publish(CaseStatusChanged(**common, status="completeness_ok", editable_items=[], banner="Complet", sequence=1))
    await h.create(dep, title="Soudeur")

    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa.event.listen(h.ctx.engine, "before_cursor_execute", seen)
    try:
        answer = await h.client.get("/api/filings", headers=dep)
    finally:
        sa.event.remove(h.ctx.engine, "before_cursor_execute", seen)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    listing = [s for s in statements if "FROM filings" in s]
    assert listing and not any("competence_blocks" in s or "open_request" in s for s in listing), listing

    assert answer.content == FilingPage.model_validate_json(answer.content).model_dump_json().encode()
    page = answer.json()
    assert page["total"] == 2 and [i["title"] for i in page["items"]] == ["Soudeur", by_right["title"]]
    for item in page["items"]:
        shown = (await h.client.get(f"/api/filings/{item['filing_id']}", headers=dep)).json()
        assert item == {key: shown[key] for key in FilingSummaryOut.model_fields}
    assert "décision d'enregistrement de droit" in page["items"][1]["procedure_status"]

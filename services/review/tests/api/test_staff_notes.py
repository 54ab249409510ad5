"""The staff's own writing on a case (issue 13, point 8) and messages with pieces attached
(point 9), in both modes: private annotations never reach the depositor's side, the
instruction report is read by the commission and the director, an external opinion is asked
and its answer kept; a message carries pieces of its own filing only, either way."""

from __future__ import annotations

import json
import uuid

from review.adapters.tables import Case

SECRET = "Note privée : l'organisme semble fragile financièrement."


async def test_private_annotations_report_and_external_opinion_stay_with_the_staff(review_both):
    review = review_both
    filing = await review.submit()
    await review.to_instruction(filing)

    # An annotation by the instructor, another by the reviewer: every staff role reads them, newest first.
    first = await review.post(f"/cases/{filing}/annotations", {"body": SECRET}, review.instructor, 201)
    assert first["kind"] == "annotation" and first["author_role"] == "instructor"
    await review.post(f"/cases/{filing}/annotations", {"body": "Vu en contrôle."}, review.reviewer, 201)
    for staff in (review.reviewer, review.commission, review.director):
        listed = await review.client.get(f"/api/review/cases/{filing}/annotations", headers=staff)
        assert [n["body"] for n in listed.json()["items"]] == ["Vu en contrôle.", SECRET]
    empty = await review.client.post(f"/api/review/cases/{filing}/annotations", json={"body": "   "}, headers=review.instructor)
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"][-1] == "body"

    # The instruction report: written by the instructor, each version kept, read by the commission and the director.
    await review.client.put(f"/api/review/cases/{filing}/report", json={"body": "Premier jet."}, headers=review.instructor)
    written = await review.client.put(
        f"/api/review/cases/{filing}/report", json={"body": "Rapport : dossier solide."}, headers=review.instructor
    )
    assert written.status_code == 200, written.text
    for staff in (review.commission, review.director):
        report = (await review.client.get(f"/api/review/cases/{filing}/report", headers=staff)).json()
        assert report["current"]["body"] == "Rapport : dossier solide."
        assert [v["body"] for v in report["versions"]] == ["Rapport : dossier solide.", "Premier jet."]
    by_commission = await review.client.put(f"/api/review/cases/{filing}/report", json={"body": "x"}, headers=review.commission)
    assert by_commission.status_code == 403

    # An external opinion: asked of an expert, its answer recorded once.
    asked = await review.post(
        f"/cases/{filing}/external-opinions",
        {"expert": "Mme Durand, rapporteure", "question": "Le bloc BC01 est-il évaluable ?"},
        review.instructor,
        201,
    )
    assert asked["answer"] is None and asked["expert"] == "Mme Durand, rapporteure"
    answered = await review.post(
        f"/cases/{filing}/external-opinions/{asked['id']}/answer", {"answer": "Oui, avec une mise en situation."}, review.instructor
    )
    assert answered["answer"] == "Oui, avec une mise en situation." and answered["answered_at"]
    again = await review.client.post(
        f"/api/review/cases/{filing}/external-opinions/{asked['id']}/answer", json={"answer": "Non."}, headers=review.director
    )
    assert again.status_code == 409 and again.json()["code"] == "external_opinion_answered"
    elsewhere = await review.client.post(
        f"/api/review/cases/{filing}/external-opinions/{uuid.uuid4()}/answer", json={"answer": "Non."}, headers=review.director
    )
    assert elsewhere.status_code == 404
    listed = (await review.client.get(f"/api/review/cases/{filing}/external-opinions", headers=review.commission)).json()
    assert [(o["expert"], o["answer"]) for o in listed["items"]] == [("Mme Durand, rapporteure", "Oui, avec une mise en situation.")]

    # The depositor's side: refused on every route, and nothing of it in the case's page, timeline or messages.
    for method, path, body in [
        ("GET", "annotations", None),
        ("POST", "annotations", {"body": "x"}),
        ("GET", "report", None),
        ("PUT", "report", {"body": "x"}),
        ("GET", "external-opinions", None),
        ("POST", "external-opinions", {"expert": "x", "question": "y"}),
    ]:
        refused = await review.client.request(method, f"/api/review/cases/{filing}/{path}", json=body, headers=review.depositor)
        assert refused.status_code == 403, (method, path, refused.status_code)
    seen = (
        json.dumps(await review.case(filing, review.depositor))
        + (await review.client.get(f"/api/review/cases/{filing}/messages", headers=review.depositor)).text
    )
    for private in (SECRET, "Vu en contrôle", "Rapport : dossier solide", "Mme Durand", "mise en situation."):
        assert private not in seen
    assert not {"annotation", "report", "external_opinion"} & {
        e["action"] for e in (await review.case(filing, review.depositor))["timeline"]
    }
    # Nor did any event carry it to the notifier (which mails the depositor).
    assert not review.events("review.message.posted", filing)


def _pieces(review, filing: uuid.UUID) -> list[str]:
    with review.deps.uow() as uow:
        case = uow.session.get(Case, filing)
        assert case is not None
        return [str(d["document_id"]) for d in case.snapshot["documents"]]


async def test_a_message_carries_pieces_of_its_own_filing_either_way(review_both):
    review = review_both
    filing = await review.submit()
    other = await review.submit()
    (piece,) = _pieces(review, filing)
    (foreign,) = _pieces(review, other)

    from_staff = await review.post(
        f"/cases/{filing}/messages", {"body": "Voici la pièce en cause.", "document_ids": [piece]}, review.reviewer, 201
    )
    from_depositor = await review.post(
        f"/cases/{filing}/messages", {"body": "La voici annotée.", "document_ids": [piece]}, review.depositor, 201
    )
    assert from_staff["document_ids"] == [piece] and from_depositor["document_ids"] == [piece]
    thread = (await review.client.get(f"/api/review/cases/{filing}/messages", headers=review.depositor)).json()["items"]
    assert [m["document_ids"] for m in thread] == [[piece], [piece]]
    assert [e["attachment_count"] for e in review.events("review.message.posted", filing)] == [1, 1]

    for headers in (review.reviewer, review.depositor):
        refused = await review.client.post(
            f"/api/review/cases/{filing}/messages", json={"body": "Autre dossier.", "document_ids": [foreign]}, headers=headers
        )
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"][-1] == "document_ids"

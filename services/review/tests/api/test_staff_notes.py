"""The staff's own writing on a case (issue 13, point 8) and messages with pieces attached
(point 9), in both modes: private annotations never reach the depositor's side, the
instruction report is read by the commission and the director, an external opinion is asked
and its answer kept; a message carries pieces of its own filing only, either way."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import AsyncIterator

import httpx

from certreg_testing.samples import EXE, PDF
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


def _stored(review) -> list[str]:
    """The keys in review's bucket of the experts' reports (a folder, or S3 in the infra mode)."""
    deps = review.deps
    return sorted(o.key for o in deps.storage.list_objects(deps.bucket("documents")))


async def test_an_external_opinion_keeps_the_experts_report_for_the_staff_only(start_review_both):
    async with start_review_both(max_upload_bytes=64 * 1024) as review:
        filing = await review.submit()
        other = await review.submit()
        await review.to_instruction(filing)
        asked = await review.post(
            f"/cases/{filing}/external-opinions",
            {"expert": "M. Petit, expert", "question": "Le référentiel tient-il ?"},
            review.director,
            201,
        )
        answer_url = f"/api/review/cases/{filing}/external-opinions/{asked['id']}/answer"
        report = PDF + b"% rapport de l'expert\n" * 50

        def send(headers, content: bytes = report, answer: str = "Favorable, voir le rapport joint.", name: str = "rapport.pdf"):
            return review.client.post(
                answer_url, data={"answer": answer}, files={"file": (name, content, "application/pdf")}, headers=headers
            )

        # Refused, and nothing recorded nor stored: a non-document, a file over the limit,
        # an empty answer, the depositor's side, the commission (it reads, it does not record).
        refusals = [
            (await send(review.instructor, EXE, name="rapport.pdf"), 415),
            (await send(review.instructor, PDF + b"0" * 70 * 1024), 413),
            (await send(review.instructor, answer="   "), 422),
            (await send(review.depositor), 403),
            (await send(review.commission), 403),
        ]
        assert [r.status_code for r, _ in refusals] == [code for _, code in refusals], [r.text for r, _ in refusals]
        assert refusals[2][0].json()["detail"][0]["loc"] == ["body", "answer"]
        without_file = await review.client.post(answer_url, data={"answer": "Sans pièce."}, headers=review.instructor)
        assert without_file.status_code == 422, without_file.text
        two_files = [("file", ("a.pdf", PDF, "application/pdf")), ("file", ("b.pdf", PDF, "application/pdf"))]
        tricks = [
            await review.client.post(answer_url, data={"answer": "Deux."}, files=two_files, headers=review.instructor),
            await review.client.post(
                answer_url,
                content=b"--xyz\r\nnot a part",
                headers={**review.instructor, "Content-Type": "multipart/form-data; boundary=xyz"},
            ),
            await review.client.post(answer_url, content=b"{not json", headers={**review.instructor, "Content-Type": "application/json"}),
            # nested deeper than the JSON decoder recurses (found by the injection fuzz: a 500)
            await review.client.post(
                answer_url, content=b"[" * 100_000 + b"]" * 100_000, headers={**review.instructor, "Content-Type": "application/json"}
            ),
        ]
        assert [t.status_code for t in tricks] == [400, 400, 422, 422], [t.text for t in tricks]
        pending = (await review.client.get(f"/api/review/cases/{filing}/external-opinions", headers=review.instructor)).json()["items"]
        assert [(o["answer"], o["document"]) for o in pending] == [(None, None)]
        assert _stored(review) == []

        # Recorded with the expert's report: hashed, sized, named by its sniffed type, stored once.
        answered = await send(review.instructor, name="Rapport expert.PDF.exe")
        assert answered.status_code == 200, answered.text
        document = answered.json()["document"]
        assert answered.json()["answer"] == "Favorable, voir le rapport joint."
        assert document["sha256"] == hashlib.sha256(report).hexdigest() and document["size"] == len(report)
        assert document["content_type"] == "application/pdf" and document["filename"] == "Rapport_expert.PDF"
        assert document["download_url"] == f"/api/review/cases/{filing}/external-opinions/{asked['id']}/document"
        assert _stored(review) == [f"{filing}/{asked['id']}/" + _stored(review)[0].rsplit("/", 1)[1]]

        # Downloaded by every case staff role (the commission with the dossier), never by the depositor's side.
        for staff in (review.reviewer, review.instructor, review.commission, review.director):
            got = await review.client.get(document["download_url"], headers=staff)
            assert got.status_code == 200 and got.content == report
            assert got.headers["content-disposition"] == 'attachment; filename="Rapport_expert.PDF"'
            assert got.headers["x-content-type-options"] == "nosniff" and got.headers["cache-control"] == "private, no-store"
        assert (await review.client.get(document["download_url"], headers=review.depositor)).status_code == 403
        elsewhere = await review.client.get(f"/api/review/cases/{other}/external-opinions/{asked['id']}/document", headers=review.director)
        assert elsewhere.status_code == 404
        listed = (await review.client.get(f"/api/review/cases/{filing}/external-opinions", headers=review.commission)).json()["items"]
        assert listed[0]["document"] == document

        # Answered once: a second report is refused before it is read, and nothing more is stored.
        again = await send(review.director)
        assert again.status_code == 409 and again.json()["code"] == "external_opinion_answered"
        assert len(_stored(review)) == 1

        # Answered by someone else while the report was on its way: the report had been
        # stored, the answer is refused under the opinion's lock, and the object goes too.
        late = await review.post(
            f"/cases/{filing}/external-opinions", {"expert": "Mme Roux", "question": "Et le jury ?"}, review.director, 201
        )
        late_url = f"/api/review/cases/{filing}/external-opinions/{late['id']}/answer"
        encoded = httpx.Request("POST", late_url, data={"answer": "Le rapport."}, files={"file": ("roux.pdf", report, "application/pdf")})
        body, started, go = encoded.read(), asyncio.Event(), asyncio.Event()

        async def slowly() -> AsyncIterator[bytes]:
            yield body[:100]  # read only once the opinion was found unanswered (before the body)
            started.set()
            await go.wait()
            yield body[100:]

        async def answer_meanwhile() -> None:
            await started.wait()
            await review.post(f"/cases/{filing}/external-opinions/{late['id']}/answer", {"answer": "Par téléphone."}, review.director)
            go.set()

        overtaken, _ = await asyncio.gather(
            review.client.post(late_url, content=slowly(), headers={**review.instructor, "Content-Type": encoded.headers["Content-Type"]}),
            answer_meanwhile(),
        )
        assert overtaken.status_code == 409 and overtaken.json()["code"] == "external_opinion_answered", overtaken.text
        kept = (await review.client.get(f"/api/review/cases/{filing}/external-opinions", headers=review.director)).json()["items"]
        assert {o["expert"]: (o["answer"], o["document"] is None) for o in kept}["Mme Roux"] == ("Par téléphone.", True)
        assert len(_stored(review)) == 1

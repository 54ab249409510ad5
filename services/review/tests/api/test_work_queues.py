"""The back office's work queues (issue 13, point 10), in both modes: the organisation,
deposit day and days since, the instructor's name (not an account id), server-side sorts on
every sortable column, a selection's CSV in French labels."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta

from certreg_contracts.events.identity import StaffChanged
from review.api.schemas import CaseListOut
from review.app import queries


async def test_the_queue_names_the_organisation_and_the_instructor_and_counts_days(review_both):
    review = review_both
    await review.publish(
        StaffChanged(
            account_id=review.instructor_id, roles=["instructor"], active=True, as_of=review.p.now(), first_name="Inès", last_name="Martin"
        )
    )
    await review.verify_entity("Université d'Exemple", "12345678900012")
    first = await review.submit(title="Licence professionnelle métiers du bois")
    review.p.advance_clock(days=3)
    await review.to_instruction(first)

    answer = await review.client.get("/api/review/cases", params={"ids": str(first)}, headers=review.reviewer)
    assert answer.status_code == 200, answer.text
    # Sent without a model per line (issue 16): the JSON ``CaseListOut`` gives, byte for byte.
    assert answer.headers["content-type"] == "application/json"
    assert answer.content == CaseListOut.model_validate_json(answer.content).model_dump_json().encode()
    [line] = answer.json()["items"]
    assert line["organisation"] == "Université d'Exemple" and line["siret"] == "12345678900012"
    assert line["assignee_name"] == "Inès Martin"
    assert line["days_since_deposit"] == 3
    assert date.fromisoformat(line["deposited_on"]) == review.today() - timedelta(days=3)

    # An older directory without names learns them from identity's start (a backfill).
    other = uuid.uuid4()
    await review.publish(StaffChanged(account_id=other, roles=["instructor"], active=True, as_of=review.p.now()))
    await review.publish(
        StaffChanged(
            account_id=other, roles=["instructor"], active=True, as_of=review.p.now(), backfill=True, first_name="Léo", last_name="Roux"
        )
    )
    second = await review.submit(title="Autre")
    await review.to_admissible(second)
    await review.post(f"/cases/{second}/assignment", {"instructor_id": str(other)}, review.reviewer)
    both = await review.client.get("/api/review/cases", params={"ids": f"{first},{second}", "sort": "title"}, headers=review.director)
    assert both.content == CaseListOut.model_validate_json(both.content).model_dump_json().encode()
    items = both.json()["items"]
    assert [(i["title"], i["assignee_name"]) for i in items] == [
        ("Autre", "Léo Roux"),
        ("Licence professionnelle métiers du bois", "Inès Martin"),
    ]

    # The CSV of that selection: labels, names and dates, no code and no account id.
    exported = await review.client.get("/api/review/cases.csv", params={"ids": str(first)}, headers=review.reviewer)
    assert exported.status_code == 200
    text = exported.content.decode("utf-8-sig")
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["Intitulé"] == "Licence professionnelle métiers du bois"
    assert row["Organisme"] == "Université d'Exemple" and row["Répertoire"] == "RNCP" and row["Niveau"] == "6"
    assert row["État"] == "En instruction" and row["Instructeur"] == "Inès Martin"
    assert row["Jours depuis le dépôt"] == "3" and row["Échéance dépassée"] == "Non"
    assert row["Déposé le"] == (review.today() - timedelta(days=3)).strftime("%d/%m/%Y")
    assert str(first) not in text and str(review.instructor_id) not in text and "under_instruction" not in text


async def test_every_column_sorts_both_ways_on_the_server(review_both):
    review = review_both
    entities = [(uuid.uuid4(), "Bêta formation"), (uuid.uuid4(), "Alpha conseil"), (uuid.uuid4(), None)]
    filings = []
    for n, (entity_id, name) in enumerate(entities):
        review.entity_id = entity_id
        if name:
            await review.verify_entity(name, None, entity_id=entity_id)
        filings.append(await review.submit(title=["Chef de projet", "Agent de sécurité", "Boulanger"][n]))
        review.p.advance_clock(days=1)
    # A deadline on one case only (incomplete dossier), another case moved on later.
    due = (review.today() + timedelta(days=20)).isoformat()
    await review.post(
        f"/cases/{filings[1]}/completeness",
        {"complete": False, "missing": ["competence_framework"], "message": "Manque.", "due_date": due},
        review.reviewer,
    )
    review.p.advance_clock(days=1)
    await review.post(f"/cases/{filings[0]}/completeness", {"complete": True, "missing": [], "message": ""}, review.reviewer)
    ids = ",".join(str(f) for f in filings)

    async def order(sort: str) -> list[str]:
        answer = await review.client.get("/api/review/cases", params={"ids": ids, "sort": sort}, headers=review.reviewer)
        assert answer.status_code == 200, answer.text
        return [i["title"] for i in answer.json()["items"]]

    chef, agent, boulanger = "Chef de projet", "Agent de sécurité", "Boulanger"
    assert await order("title") == [agent, boulanger, chef]
    assert await order("-title") == [chef, boulanger, agent]
    assert await order("deposited") == [chef, agent, boulanger]
    assert await order("-deposited") == [boulanger, agent, chef]
    # No organisation known yet, no deadline: last ascending, first descending (both databases).
    assert await order("organisation") == [agent, chef, boulanger]
    assert await order("-organisation") == [boulanger, chef, agent]
    assert (await order("due"))[0] == agent and (await order("-due"))[-1] == agent
    assert (await order("-updated"))[0] == chef
    statuses = await review.client.get("/api/review/cases", params={"ids": ids, "sort": "status"}, headers=review.reviewer)
    assert [i["status"] for i in statuses.json()["items"]] == sorted(i["status"] for i in statuses.json()["items"])
    # The same order in the CSV, and the page's offset follows it.
    exported = await review.client.get("/api/review/cases.csv", params={"ids": ids, "sort": "-title"}, headers=review.reviewer)
    assert [r["Intitulé"] for r in csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")))] == [chef, boulanger, agent]
    page = await review.client.get(
        "/api/review/cases", params={"ids": ids, "sort": "title", "limit": 1, "offset": 1}, headers=review.reviewer
    )
    assert [i["title"] for i in page.json()["items"]] == [boulanger] and page.json()["total"] == 3

    bad = await review.client.get("/api/review/cases", params={"sort": "entity_id", "ids": "x"}, headers=review.reviewer)
    assert bad.status_code == 422 and {e["loc"][-1] for e in bad.json()["detail"]} == {"sort", "ids"}


async def test_an_unknown_address_of_a_service_answers_in_french(review):
    """Issue 13, point 14: never {"detail": "Not Found"} from a service either."""
    missing = await review.client.get("/api/review/nulle-part", headers=review.reviewer)
    assert missing.status_code == 404 and missing.json() == {"detail": "Adresse introuvable.", "code": "not_found"}
    wrong = await review.client.delete("/api/review/criteria", headers=review.reviewer)
    assert wrong.status_code == 405 and wrong.json()["code"] == "method_not_allowed" and "allow" in wrong.headers
    unknown_case = await review.client.get(f"/api/review/cases/{uuid.uuid4()}", headers=review.reviewer)
    assert unknown_case.status_code == 404 and unknown_case.json()["detail"] == "Dossier introuvable."


async def test_the_dossier_number_is_listed_exported_and_found(review_both):
    """Issue 13, point 14: the number filings gave the dossier (« 2026-000123 »), not a UUID."""
    review = review_both
    numbered = await review.submit(title="Numéroté", reference="2026-000123")
    await review.submit(title="Autre dossier", reference="2026-000124")
    found = await review.client.get("/api/review/cases", params={"q": "2026-000123"}, headers=review.reviewer)
    assert [(i["filing_id"], i["reference"]) for i in found.json()["items"]] == [(str(numbered), "2026-000123")]
    exported = await review.client.get("/api/review/cases.csv", params={"ids": str(numbered)}, headers=review.reviewer)
    [row] = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert row["Numéro de dossier"] == "2026-000123"


async def test_the_total_is_exact_up_to_a_cap_then_a_lower_bound(review_both, monkeypatch):
    """Issue 16: counting every case cost ~15 ms of each list at 100k cases; the list counts up
    to ``CASE_COUNT_CAP`` (then « more than »), and a page that ends the list, or a deep page
    with another after it, gives its total without counting. The cap never hides a next page."""
    review = review_both
    filings = []
    for n in range(4):
        filings.append(await review.submit(title=f"Dossier {n}"))
        review.p.advance_clock(days=1)
    newest_first = [str(f) for f in reversed(filings)]

    async def counted(**params: object) -> tuple[list[str], int, bool]:
        answer = await review.client.get("/api/review/cases", params=params, headers=review.reviewer)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        return [i["filing_id"] for i in page["items"]], page["total"], page["total_is_lower_bound"]

    assert await counted() == (newest_first, 4, False)
    assert await counted(limit=1, offset=2) == (newest_first[2:3], 4, False)
    assert await counted(offset=9) == ([], 4, False), "past the end: counted, not guessed from the empty page"
    monkeypatch.setattr(queries, "CASE_COUNT_CAP", 2)
    assert await counted(limit=1) == (newest_first[:1], 2, True)
    assert await counted(limit=2) == (newest_first[:2], 2, True)
    assert await counted(limit=3) == (newest_first[:3], 3, True), "past the cap with a next page: the page's end"
    assert await counted(limit=1, offset=2) == (newest_first[2:3], 3, True)
    assert await counted(limit=4) == (newest_first, 4, False), "a full page that ends the list is exact"
    assert await counted(limit=3, offset=2) == (newest_first[2:], 4, False), "a short page ends the list: its total is exact"
    assert await counted(offset=9) == ([], 4, False)
    assert await counted(status="received", limit=1) == (newest_first[:1], 2, True)
    assert await counted(q="dossier 1", limit=1) == ([str(filings[1])], 1, False)

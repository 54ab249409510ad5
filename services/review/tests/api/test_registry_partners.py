"""A registered certification's partner organisations (issue 14): the certifier adds and
removes them after registration, each change dated, in the public record, in ``export.xml``
(the v4.1 PARTENAIRES, checked against the XSD), in the change feed and so in the next
incremental export; a change declared past the declaration period is flagged to staff. Both
modes (SQLite and the in-process bus; PostgreSQL and RabbitMQ)."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from lxml import etree

from certreg_testing.samples import random_siret
from services.review.tests.conftest import Review

XSD = etree.XMLSchema(etree.parse(str(Path(__file__).parents[1] / "data" / "fiches-v4.1.xsd")))


def fiches(content: bytes) -> dict[str, Any]:
    document = etree.parse(io.BytesIO(content))
    XSD.assertValid(document)
    return {f.findtext("NUMERO_FICHE"): f for f in document.getroot().iterfind("FICHE")}


def partenaires(fiche: Any) -> list[tuple[str | None, ...]]:
    return [
        (
            p.findtext("SIRET_PARTENAIRE"),
            p.findtext("NOM_PARTENAIRE"),
            p.findtext("HABILITATION_PARTENAIRE"),
            p.findtext("ETAT_HABILITATION"),
            p.findtext("DATE_ACTIF"),
            p.findtext("DATE_DERNIERE_MODIFICATION_ETAT"),
        )
        for p in fiche.iterfind("PARTENAIRES/PARTENAIRE")
    ]


def csv_partners(content: bytes) -> dict[str, list[list[str]]]:
    """The CSV export's ``partenaires`` of each record, each authorisation split into its fields."""
    rows = csv.DictReader(io.StringIO(content.decode("utf-8")))
    return {r["numero_fiche"]: [line.split(" | ") for line in r["partenaires"].splitlines()] for r in rows}


async def feed(review: Review, number: str) -> list[str]:
    changes = (await review.client.get("/api/review/registry/changes", params={"limit": 500})).json()["items"]
    return [c["kind"] for c in changes if c["number"] == number]


async def registered(review: Review) -> tuple[uuid.UUID, str]:
    await review.verify_entity("Institut des métiers du numérique", "73282932000074")
    filing_id = await review.submit()
    return filing_id, await review.to_registered(filing_id)


async def test_the_certifier_adds_and_removes_partners_seen_in_the_record_the_export_and_the_feed(review_both: Review):
    review = review_both
    filing_id, number = await registered(review)
    today = review.today()
    fr = today.strftime("%d/%m/%Y")
    siret, other = random_siret(), random_siret()
    path = f"/api/review/registry/{number}/partners"

    # The record has none yet: the export says so.
    assert (await review.client.get(f"/api/review/registry/{number}")).json()["partners"] == []
    assert fiches((await review.client.get("/api/review/registry/export.xml")).content)[number].findtext("EXISTENCE_PARTENAIRES") == "Non"
    assert await feed(review, number) == ["registered"]

    # Checked: the SIRET's key, the scope, a date to come; each named.
    bad = await review.client.post(
        path,
        json={
            "siret": siret[:-1] + str((int(siret[-1]) + 1) % 10),
            "name": "École",
            "scope": "teaching",
            "since": (today + timedelta(days=1)).isoformat(),
        },
        headers=review.depositor,
    )
    assert bad.status_code == 422, bad.text
    named = {tuple(e["loc"][1:]) for e in bad.json()["detail"]}
    assert ("scope",) in named
    bad = await review.client.post(
        path,
        json={
            "siret": siret[:-1] + str((int(siret[-1]) + 1) % 10),
            "name": "École",
            "scope": "both",
            "since": (today + timedelta(days=1)).isoformat(),
        },
        headers=review.depositor,
    )
    assert bad.status_code == 422, bad.text
    assert {(tuple(e["loc"][1:]), e["type"]) for e in bad.json()["detail"]} == {(("siret",), "siret_checksum"), (("since",), "future")}

    # Only the certifier: staff are refused, another entity's member finds nothing.
    body = {"siret": siret, "name": "Centre de formation Alpha", "scope": "preparation"}
    assert (await review.client.post(path, json=body, headers=review.director)).status_code == 403
    stranger = review.p.depositor(uuid.uuid4())
    assert (await review.client.post(path, json=body, headers=stranger)).status_code == 404

    added = await review.client.post(path, json=body, headers=review.depositor)
    assert added.status_code == 201, added.text
    assert added.json()["late"] is False
    assert added.json()["partner"] == {
        **added.json()["partner"],
        "siret": siret,
        "scope": "preparation",
        "since": today.isoformat(),
        "until": None,
        "state": "active",
    }
    again = await review.client.post(path, json={**body, "scope": "both"}, headers=review.depositor)
    assert again.status_code == 409 and again.json()["code"] == "partner_exists", again.text
    await review.post(f"/registry/{number}/partners", {"siret": other, "name": "Jury Beta", "scope": "assessment"}, review.depositor, 201)

    record = (await review.client.get(f"/api/review/registry/{number}")).json()
    assert [(p["siret"], p["scope"], p["state"]) for p in record["partners"]] == [
        (siret, "preparation", "active"),
        (other, "assessment", "active"),
    ]
    assert await feed(review, number) == ["registered", "updated", "updated"]
    fiche = fiches((await review.client.get("/api/review/registry/export.xml")).content)[number]
    assert fiche.findtext("EXISTENCE_PARTENAIRES") == "Oui"
    assert partenaires(fiche) == [
        (siret, "Centre de formation Alpha", "HABILITATION_FORMER", "Actif", fr, fr),
        (other, "Jury Beta", "HABILITATION_ORGANISER", "Actif", fr, fr),
    ]

    # Days later, the incremental export from that day has nothing, until the next change.
    review.p.advance_clock(days=3)
    later = review.today()
    since = {"since": later.isoformat()}
    assert number not in fiches((await review.client.get("/api/review/registry/export.xml", params=since)).content)
    removed = await review.post(f"/registry/{number}/partners/{siret}/removal", {"until": later.isoformat()}, review.depositor)
    assert removed["partner"]["state"] == "removed" and removed["partner"]["until"] == later.isoformat()
    fiche = fiches((await review.client.get("/api/review/registry/export.xml", params=since)).content)[number]
    assert partenaires(fiche)[0] == (siret, "Centre de formation Alpha", "HABILITATION_FORMER", "Supprimé", fr, later.strftime("%d/%m/%Y"))
    assert await feed(review, number) == ["registered", "updated", "updated", "updated"]
    # Removed once: again is unknown; re-authorised later, it is a new authorisation.
    gone = await review.client.post(f"/api/review/registry/{number}/partners/{siret}/removal", json={}, headers=review.depositor)
    assert gone.status_code == 404
    review.p.advance_clock(days=2)
    again_day = review.today()
    since = {"since": again_day.isoformat()}
    assert number not in fiches((await review.client.get("/api/review/registry/export.xml", params=since)).content)
    assert number not in csv_partners((await review.client.get("/api/review/registry/export.csv", params=since)).content)
    await review.post(f"/registry/{number}/partners", {**body, "scope": "both"}, review.depositor, 201)
    # The partner added after the registration is in the next incremental exports, XML and CSV.
    fiche = fiches((await review.client.get("/api/review/registry/export.xml", params=since)).content)[number]
    on = again_day.strftime("%d/%m/%Y")
    assert partenaires(fiche)[-1] == (siret, "Centre de formation Alpha", "HABILITATION_ORGA_FORM", "Actif", on, on)
    assert csv_partners((await review.client.get("/api/review/registry/export.csv", params=since)).content)[number] == [
        [siret, "Centre de formation Alpha", "HABILITATION_FORMER", "Supprimé", today.isoformat(), later.isoformat()],
        [other, "Jury Beta", "HABILITATION_ORGANISER", "Actif", today.isoformat(), ""],
        [siret, "Centre de formation Alpha", "HABILITATION_ORGA_FORM", "Actif", again_day.isoformat(), ""],
    ]
    record = (await review.client.get(f"/api/review/registry/{number}")).json()
    assert [(p["siret"], p["scope"], p["state"]) for p in record["partners"]] == [
        (siret, "preparation", "removed"),
        (other, "assessment", "active"),
        (siret, "both", "active"),
    ]
    # Each change is in the case's audit trail.
    timeline = (await review.case(filing_id))["timeline"]
    assert [(e["action"], e["details"]["siret"]) for e in timeline if e["action"].startswith("partner_")] == [
        ("partner_added", siret),
        ("partner_added", other),
        ("partner_removed", siret),
        ("partner_added", siret),
    ]


async def test_a_change_declared_past_the_period_is_flagged_to_staff(review_both: Review):
    review = review_both
    _, number = await registered(review)
    start = review.today()
    review.p.advance_clock(days=60)
    siret, prompt = random_siret(), random_siret()
    # Authorised since the registration began, declared 60 days later: 30 days late.
    late = await review.post(
        f"/registry/{number}/partners",
        {"siret": siret, "name": "Organisme tardif", "scope": "both", "since": start.isoformat()},
        review.depositor,
        201,
    )
    assert (late["late"], late["days_late"]) == (True, 30)
    on_time = await review.post(
        f"/registry/{number}/partners",
        {"siret": prompt, "name": "Organisme ponctuel", "scope": "both", "since": (review.today() - timedelta(days=30)).isoformat()},
        review.depositor,
        201,
    )
    assert (on_time["late"], on_time["days_late"]) == (False, 0)
    flagged = await review.client.get("/api/review/partners/late", headers=review.reviewer)
    assert flagged.status_code == 200, flagged.text
    mine = [i for i in flagged.json()["items"] if i["number"] == number]
    assert [(i["partner"]["siret"], i["days_late"], i["removal_days_late"]) for i in mine] == [(siret, 30, 0)]
    assert (await review.client.get("/api/review/partners/late", headers=review.depositor)).status_code == 403
    # A registration over changes no more partner.
    review.p.advance_clock(days=6 * 366)
    ended = await review.client.post(
        f"/api/review/registry/{number}/partners",
        json={"siret": random_siret(), "name": "Trop tard", "scope": "both"},
        headers=review.depositor,
    )
    assert ended.status_code == 409 and ended.json()["code"] == "registration_ended", ended.text


async def test_twin_declarations_of_one_partner_make_one(review_both: Review):
    review = review_both
    _, number = await registered(review)
    body = {"siret": random_siret(), "name": "Organisme jumeau", "scope": "both"}
    answers = await asyncio.gather(
        *[review.client.post(f"/api/review/registry/{number}/partners", json=body, headers=review.depositor) for _ in range(4)]
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409], [a.text for a in answers]
    record = (await review.client.get(f"/api/review/registry/{number}")).json()
    assert [p["siret"] for p in record["partners"]] == [body["siret"]]

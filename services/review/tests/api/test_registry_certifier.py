"""The public registry names the certifier (name and SIRET) from ``entities.entity.verified``."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from typing import Any

SIRET = "73282932000074"


async def certifier_everywhere(review, number: str) -> list[dict[str, Any]]:
    """The certifier as the record, its list item and its XML fiche show it."""
    record = (await review.client.get(f"/api/review/registry/{number}")).json()
    listed = (await review.client.get("/api/review/registry")).json()
    item = next(i for i in listed["items"] if i["number"] == number)
    export = await review.client.get("/api/review/registry/export.xml")
    assert export.status_code == 200
    fiche = next(f for f in ET.fromstring(export.content).iter("FICHE") if f.findtext("NUMERO_FICHE") == number)
    xml = {
        "entity_id": record["certifier"]["entity_id"],
        "siret": fiche.findtext("CERTIFICATEURS/CERTIFICATEUR/SIRET_CERTIFICATEUR") or None,
        "name": fiche.findtext("CERTIFICATEURS/CERTIFICATEUR/NOM_CERTIFICATEUR") or None,
    }
    return [record["certifier"], item["certifier"], xml]


async def test_a_certification_is_published_with_its_verified_certifier(review):
    await review.verify_entity("Institut des métiers du numérique", SIRET)
    number = await review.to_registered(await review.submit())

    expected = {"entity_id": str(review.entity_id), "siret": SIRET, "name": "Institut des métiers du numérique"}
    assert await certifier_everywhere(review, number) == [expected] * 3


async def test_a_record_published_before_its_certifier_was_known_gets_it_on_arrival(review):
    number = await review.to_registered(await review.submit())
    other = await review.to_registered(await review.submit())
    unknown = {"entity_id": str(review.entity_id), "siret": None, "name": None}
    assert await certifier_everywhere(review, number) == [unknown] * 3

    await review.verify_entity("École de la donnée", SIRET)
    await review.verify_entity("Un autre organisme", "55208131766522", entity_id=uuid.uuid4())

    expected = {"entity_id": str(review.entity_id), "siret": SIRET, "name": "École de la donnée"}
    assert await certifier_everywhere(review, number) == [expected] * 3
    assert await certifier_everywhere(review, other) == [expected] * 3


async def test_a_certifier_without_siret_is_named_with_an_empty_siret(review):
    await review.verify_entity("Ministère du Travail", None)
    number = await review.to_registered(await review.submit(repertoire="rs"))

    expected = {"entity_id": str(review.entity_id), "siret": None, "name": "Ministère du Travail"}
    assert await certifier_everywhere(review, number) == [expected] * 3

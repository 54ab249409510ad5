"""Staff find a case by its certifier's name or SIRET (issue 13, point 4), in both modes."""

from __future__ import annotations

import uuid


async def test_cases_are_found_by_the_certifiers_name_or_siret(review_both):
    review = review_both
    await review.verify_entity("Université d'Exemple", "12345678900012")
    known = [await review.submit(title=f"Licence professionnelle {i}") for i in range(2)]
    # A case opened before review heard of its entity is found once the entity is verified.
    late_entity = uuid.uuid4()
    review.entity_id, first_entity = late_entity, review.entity_id
    late = await review.submit(title="Master métiers de l'enseignement")
    await review.verify_entity("École Supérieure d'Ébénisterie", "98765432100018", entity_id=late_entity)
    review.entity_id = first_entity
    await review.submit(title="Autre certification")  # same entity: the control case below

    async def found(q: str) -> set[str]:
        answer = await review.client.get("/api/review/cases", params={"q": q, "limit": 50}, headers=review.reviewer)
        assert answer.status_code == 200, answer.text
        return {item["filing_id"] for item in answer.json()["items"]}

    everything = await found("université d'exemple")
    assert {str(f) for f in known} <= everything and str(late) not in everything
    assert len(everything) == 3  # the two and the control case of the same entity
    assert await found("UNIVERSITÉ D'EXEMPLE") == everything
    assert await found("123 456 789 00012") == everything  # the SIRET as people type it
    assert await found("123456789") == everything  # its SIREN
    assert await found("école supérieure d'ébénisterie") == {str(late)}
    assert await found("98765432100018") == {str(late)}
    assert await found("Licence professionnelle 1") == {str(known[1])}

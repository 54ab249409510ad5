"""Issue 11, point 19: a case is assigned only to an active instructor, as identity knows
them (review's directory, fed by ``identity.staff.changed``: both modes, the events going
through the in-process bus or RabbitMQ); a message points only to pieces of its filing."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs, urlparse

from certreg_testing.infra import links
from certreg_testing.platform import eventually

from .world import PASSWORD, World, expect, unique_email


async def assign(world: World, filing_id: str, instructor_id: str) -> tuple[int, dict[str, Any]]:
    response = await world.client.post(
        f"/api/review/cases/{filing_id}/assignment", json={"instructor_id": instructor_id}, headers=world.staff["reviewer"]
    )
    return response.status_code, response.json()


async def test_only_an_active_instructor_is_assigned(any_world: World) -> None:
    world = any_world
    await world.refresh()
    case = world.a.filing_id
    refused = {
        "the depositor": world.a.depositor_id,
        "the entity manager": world.a.manager_id,
        "another entity's manager": world.b.manager_id,
        "a reviewer": world.staff_ids["reviewer"],
        "the director": world.staff_ids["director"],
        "an unknown id": str(uuid.uuid4()),
    }
    for who, account_id in refused.items():
        status, body = await assign(world, case, account_id)
        assert status == 422, (who, status, body)
        assert body["detail"][0]["type"] == "not_an_instructor" and body["detail"][0]["loc"][-1] == "instructor_id", body
    await world.p.settle()
    assert not [m for m in world.p.mails(world.a.depositor_email) if "attribué" in str(m["Subject"]).lower()]

    # A new instructor: refused until their account is active (password chosen), then assigned.
    email = unique_email("instructeur")
    created = expect(
        await world.client.post(
            "/api/identity/staff",
            json={"email": email, "first_name": "Nouvel", "last_name": "Instructeur", "roles": ["instructor"]},
            headers=world.staff["si_admin"],
        ),
        201,
    )
    await world.p.settle()
    status, body = await assign(world, case, created["account_id"])
    assert status == 422, body
    mail = await world.p.wait_for_mail(email, "")
    token = next(parse_qs(urlparse(u).query)["token"][0] for u in links(mail) if "token=" in u)
    expect(await world.client.post("/api/identity/password/reset", json={"token": token, "new_password": PASSWORD}), 204)

    async def assigned() -> bool:
        status, _ = await assign(world, case, created["account_id"])
        return status == 200

    await eventually(assigned, timeout=30)
    # Back to the world's instructor.
    status, body = await assign(world, case, world.staff_ids["instructor"])
    assert status == 200, body
    print(f"\nassignment: {len(refused) + 1} accounts that are not active instructors refused, then the new instructor once active")


async def test_a_message_points_only_to_pieces_of_its_filing(any_world: World) -> None:
    world = any_world
    await world.refresh()
    path = f"/api/review/cases/{world.a.filing_id}/messages"
    own = expect(
        await world.client.post(path, json={"body": "Voir la pièce.", "document_ids": [world.a.document_id]}, headers=world.a.manager), 201
    )
    assert own["document_ids"] == [world.a.document_id]
    for who, headers in (("the depositor", world.a.manager), ("the instructor", world.staff["instructor"])):
        for other in (world.b.document_id, world.a.draft_document_id, str(uuid.uuid4())):
            response = await world.client.post(path, json={"body": "Voir la pièce.", "document_ids": [other]}, headers=headers)
            assert response.status_code == 422, (who, other, response.text)
            assert response.json()["detail"][0]["type"] == "unknown_document"

"""Issue 11, point 1 (SIRET squatting): an entity exists for others only once the SI
administrator verified it. A stranger's draft declares nothing anyone else can see; a
second applicant for the same SIRET makes a competing new-entity application; both are
before the SI administrator with their pieces; the one approved becomes the entity and
the other asks to join it; drafts expire."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from certreg_testing.platform import eventually
from certreg_testing.samples import random_siret

from .world import PASSWORD, PDF, World, expect


def declaration(siret: str, denomination: str) -> dict[str, Any]:
    return {
        "kind": "other",
        "legal_form": "association",
        "has_siret": True,
        "siret": siret,
        "denomination": denomination,
        "named_on_legal_proof": False,
    }


async def with_pieces(world: World, headers: dict[str, str], application_id: str) -> None:
    base = f"/api/entities/applications/{application_id}/documents"
    expect(await world.client.put(f"{base}/legal_existence", headers=headers, files={"file": ("kbis.pdf", PDF)}), 201)
    expect(
        await world.client.put(
            f"{base}/mandate_delegation",
            params={"document_date": world.today().isoformat()},
            headers=headers,
            files={"file": ("mandat.pdf", PDF)},
        ),
        201,
    )


async def queue(world: World, headers: dict[str, str]) -> set[str]:
    answer = expect(await world.client.get("/api/identity/account-requests", params={"limit": 200}, headers=headers), 200)
    return {i["account_id"] for i in answer["items"]}


async def test_a_stranger_draft_creates_no_entity_and_competes_with_the_real_one(any_world: World) -> None:
    world = any_world
    await world.refresh()
    client, admin = world.client, world.staff["si_admin"]
    siret = random_siret()

    # A stranger declares the SIRET and stops there (no activation, no submission).
    stranger_email, stranger_id, stranger = await world.register("Intrus")
    squat = expect(await client.post("/api/entities/applications", headers=stranger, json=declaration(siret, "Usurpateur")), 201)
    assert (await client.get("/api/entities/lookup", params={"siret": siret})).status_code == 404

    # The real organisation's first person declares a new entity of their own, pieces asked.
    real_email, real_id, real = await world.register("Reelle")
    denomination = f"Organisme réel {uuid.uuid4().hex[:6]}"
    app = expect(await client.post("/api/entities/applications", headers=real, json=declaration(siret, denomination)), 201)
    assert app["new_entity"] is True and app["entity_id"] != squat["entity_id"]
    assert app["required_documents"] == ["legal_existence", "mandate_delegation"]

    # The stranger goes on: two competing new-entity applications, both for the SI administrator.
    for headers, application in ((stranger, squat), (real, app)):
        await with_pieces(world, headers, application["application_id"])
        expect(await client.post(f"/api/entities/applications/{application['application_id']}/submit", headers=headers), 202)
    await world.activate(stranger_email)
    await world.activate(real_email)
    await world.pending_request(admin, stranger_id)
    await world.pending_request(admin, real_id)
    listed = expect(await client.get("/api/entities/applications", params={"status": "submitted", "limit": 200}, headers=admin), 200)
    competing = {i["application_id"]: i for i in listed["items"] if i["entity"]["siret"] == siret}
    assert set(competing) == {squat["application_id"], app["application_id"]}
    assert all(len(i["documents"]) == 2 and i["new_entity"] for i in competing.values())
    assert (await client.get("/api/entities/lookup", params={"siret": siret})).status_code == 404

    # The SI administrator verifies the real one: it is the entity of the SIRET now.
    expect(await client.post(f"/api/identity/account-requests/{real_id}/approve", headers=admin, json={}), 200)
    # The stranger's can no longer be approved as a new entity (409 until entities moved
    # it, then 403: a request to join is its manager's to decide).
    late = await client.post(f"/api/identity/account-requests/{stranger_id}/approve", headers=admin, json={})
    assert late.status_code in (403, 409), late.text
    await world.p.settle()
    found = expect(await client.get("/api/entities/lookup", params={"siret": siret}), 200)
    assert found["entity_id"] == app["entity_id"] and found["denomination"] == denomination and found["status"] == "verified"

    # The stranger's request now asks to join it: its manager decides, not the SI administrator.
    manager = await world.p.login(real_email, PASSWORD)
    await world.pending_request(manager, stranger_id)
    await eventually(lambda: _gone(world, admin, stranger_id), timeout=20)
    moved = expect(await client.get(f"/api/entities/applications/{squat['application_id']}", headers=manager), 200)
    assert moved["new_entity"] is False and moved["entity_id"] == app["entity_id"]
    expect(await client.post(f"/api/identity/account-requests/{stranger_id}/reject", headers=manager, json={"reason": "Inconnu."}), 200)


async def _gone(world: World, headers: dict[str, str], account_id: str) -> bool:
    return account_id not in await queue(world, headers)


async def test_drafts_expire(any_world: World) -> None:
    from entities.adapters.tables import Application
    from entities.app.commands import expire_drafts

    world = any_world
    await world.refresh()
    client = world.client
    siret = random_siret()
    _, _, stranger = await world.register("Brouillon")
    draft = expect(await client.post("/api/entities/applications", headers=stranger, json=declaration(siret, "Brouillon oublié")), 201)
    expect(
        await client.put(
            f"/api/entities/applications/{draft['application_id']}/documents/legal_existence",
            headers=stranger,
            files={"file": ("kbis.pdf", PDF)},
        ),
        201,
    )
    deps = world.p.platform.runners["entities"].ctx.deps
    ttl = timedelta(days=world.p.platform.runners["entities"].ctx.config.entity_draft_ttl_days)

    def age_it() -> None:
        with deps.uow() as uow:
            row = uow.session.get(Application, uuid.UUID(draft["application_id"]))
            assert row is not None
            row.updated_at = deps.clock.now() - ttl - timedelta(minutes=1)
            uow.session.add(row)
            uow.commit()

    await asyncio.to_thread(expire_drafts, deps, ttl)  # a young draft stays
    assert (await client.get(f"/api/entities/applications/{draft['application_id']}", headers=stranger)).status_code == 200
    await asyncio.to_thread(age_it)
    assert await asyncio.to_thread(expire_drafts, deps, ttl) >= 1
    assert (await client.get(f"/api/entities/applications/{draft['application_id']}", headers=stranger)).status_code == 404
    admin = world.staff["si_admin"]
    listed = expect(await client.get("/api/entities/applications", params={"limit": 200, "status": "draft"}, headers=admin), 200)
    assert draft["application_id"] not in {i["application_id"] for i in listed["items"]}


async def test_a_request_whose_first_account_is_rejected_is_decided_by_the_si_admin(any_world: World) -> None:
    """Issue 12, point 2, the exact sequence: a person applies for an entity whose first
    account is still pending; that first account is rejected. The second request stays in
    the SI administrator's queue, who approves it: it becomes the entity's manager and the
    entity is verified."""
    world = any_world
    await world.refresh()
    client, admin = world.client, world.staff["si_admin"]
    siret = random_siret()
    first_email, first_id, first = await world.register("Premier")
    first_app = expect(await client.post("/api/entities/applications", headers=first, json=declaration(siret, "Premier organisme")), 201)
    await with_pieces(world, first, first_app["application_id"])
    expect(await client.post(f"/api/entities/applications/{first_app['application_id']}/submit", headers=first), 202)
    second_email, second_id, second = await world.register("Second")
    second_app = expect(await client.post("/api/entities/applications", headers=second, json=declaration(siret, "Second organisme")), 201)
    await with_pieces(world, second, second_app["application_id"])
    expect(await client.post(f"/api/entities/applications/{second_app['application_id']}/submit", headers=second), 202)
    await world.activate(first_email)
    await world.activate(second_email)
    await world.pending_request(admin, first_id)
    await world.pending_request(admin, second_id)

    expect(await client.post(f"/api/identity/account-requests/{first_id}/reject", headers=admin, json={"reason": "Pièces fausses."}), 200)
    await world.p.settle()
    assert second_id in await queue(world, admin)
    approved = expect(await client.post(f"/api/identity/account-requests/{second_id}/approve", headers=admin, json={}), 200)
    assert sorted(approved["roles"]) == ["depositor", "entity_manager"]
    await world.p.settle()
    found = expect(await client.get("/api/entities/lookup", params={"siret": siret}), 200)
    assert found["entity_id"] == second_app["entity_id"] and found["status"] == "verified"
    manager = await world.p.login(second_email, PASSWORD)
    me = expect(await client.get("/api/identity/me", headers=manager), 200)
    assert me["entity_id"] == second_app["entity_id"] and "entity_manager" in me["roles"]

"""Issue 12, point 2: a request to join an entity that has no active manager goes to the
SI administrator, whose approval makes the person the entity's manager; once the entity
has one, its requests are the manager's again."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from certreg_testing.platform import TestPlatform, embedded_platform


@pytest.fixture(scope="module", params=["embedded", "infra"])
async def platform(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TestPlatform]:
    """Identity alone, on SQLite or on PostgreSQL and RabbitMQ (the query that finds an
    entity's active manager reads a JSON column)."""
    extra: dict[str, Any] = {}
    if request.param == "infra":
        from certreg_testing.infra import unique_namespace

        postgres, amqp_url = request.getfixturevalue("postgres"), request.getfixturevalue("amqp_url")
        extra = {"database_url": postgres.database_url_template(), "amqp_url": amqp_url, "bus_namespace": unique_namespace()}
    async with embedded_platform(tmp_path_factory.mktemp("orphans"), names=("identity",), trusted_proxies="127.0.0.1/32", **extra) as p:
        yield p


async def test_an_entity_without_manager_has_its_requests_decided_by_the_si_admin(ident):
    _, admin = await ident.staff("si_admin")
    entity_id = uuid.uuid4()  # an entity nobody manages (its first account was rejected)
    orphan = await ident.register()
    await ident.activate(orphan["account_id"])
    await ident.submit_application(orphan["account_id"], new_entity=False, entity_id=entity_id)

    queue = (await ident.client.get("/api/identity/account-requests", params={"limit": 200}, headers=admin)).json()
    assert orphan["account_id"] in {i["account_id"] for i in queue["items"]}
    approved = await ident.client.post(f"/api/identity/account-requests/{orphan['account_id']}/approve", headers=admin, json={})
    assert approved.status_code == 200, approved.text
    assert sorted(approved.json()["roles"]) == ["depositor", "entity_manager"]

    # The entity has a manager now: the next request is theirs, not the SI administrator's.
    colleague = await ident.register()
    await ident.activate(colleague["account_id"])
    await ident.submit_application(colleague["account_id"], new_entity=False, entity_id=entity_id)
    queue = (await ident.client.get("/api/identity/account-requests", params={"limit": 200}, headers=admin)).json()
    assert colleague["account_id"] not in {i["account_id"] for i in queue["items"]}
    refused = await ident.client.post(f"/api/identity/account-requests/{colleague['account_id']}/approve", headers=admin, json={})
    assert refused.status_code == 403


async def test_the_si_admin_adds_a_manager_then_transfers_the_management_audited(ident):
    """Issue 12, point 2 (remainder): the SI administrator sees an entity's members, adds a
    manager, then transfers the management to another member; each change is audited and
    announced, and a non-member, a staff account or a second appointment is refused."""
    _, admin = await ident.staff("si_admin")
    entity_id = uuid.uuid4()
    manager = await ident.validated_member(new_entity=False, entity_id=entity_id, approver=admin)  # the first: manager
    second = await ident.validated_member(new_entity=False, entity_id=entity_id, approver=manager["headers"])
    third = await ident.validated_member(new_entity=False, entity_id=entity_id, approver=manager["headers"])
    members = await ident.client.get(f"/api/identity/entities/{entity_id}/members", headers=admin)
    assert members.status_code == 200
    roles = {m["account_id"]: sorted(m["roles"]) for m in members.json()["items"]}
    assert roles == {
        manager["account_id"]: ["depositor", "entity_manager"],
        second["account_id"]: ["depositor"],
        third["account_id"]: ["depositor"],
    }
    assert (await ident.client.get(f"/api/identity/entities/{entity_id}/members", headers=manager["headers"])).status_code == 403

    path = f"/api/identity/entities/{entity_id}/managers"
    added = await ident.client.post(path, json={"account_id": second["account_id"]}, headers=admin)
    assert added.status_code == 200, added.text
    assert sorted(added.json()["roles"]) == ["depositor", "entity_manager"]
    event = ident.last_event("identity.account.roles_changed", account_id=second["account_id"])
    assert sorted(event["roles"]) == ["depositor", "entity_manager"]
    again = await ident.client.post(path, json={"account_id": second["account_id"]}, headers=admin)
    assert again.status_code == 409 and again.json()["code"] == "already_manager"

    moved = await ident.client.post(path, json={"account_id": third["account_id"], "transfer": True}, headers=admin)
    assert moved.status_code == 200, moved.text
    roles = {
        m["account_id"]: sorted(m["roles"])
        for m in (await ident.client.get(f"/api/identity/entities/{entity_id}/members", headers=admin)).json()["items"]
    }
    assert roles == {
        manager["account_id"]: ["depositor"],
        second["account_id"]: ["depositor"],
        third["account_id"]: ["depositor", "entity_manager"],
    }
    audit = (await ident.client.get(f"/api/identity/accounts/{third['account_id']}/audit", headers=admin)).json()["items"]
    assert audit[0]["action"] == "manager_handover" and audit[0]["details"]["role"] == "received"
    audit = (await ident.client.get(f"/api/identity/accounts/{second['account_id']}/audit", headers=admin)).json()["items"]
    assert [a["action"] for a in audit[:2]] == ["manager_handover", "manager_appointed"]
    assert audit[0]["details"] == {"role": "given", "to": third["account_id"]}

    stranger = await ident.validated_member(new_entity=True)
    wrong = await ident.client.post(path, json={"account_id": stranger["account_id"]}, headers=admin)
    assert wrong.status_code == 404
    assert (await ident.client.post(path, json={"account_id": str(uuid.uuid4())}, headers=admin)).status_code == 404
    assert (await ident.client.post(path, json={"account_id": third["account_id"]}, headers=manager["headers"])).status_code == 403

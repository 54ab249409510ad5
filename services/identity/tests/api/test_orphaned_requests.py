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

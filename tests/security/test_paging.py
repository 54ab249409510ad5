"""Issue 11, point 16: ``offset=100000000000000000000`` was a 500 on nine list endpoints
(one public). One paging parameter type (``certreg_runtime.paging``) makes it a 422
naming the field, on SQLite and on PostgreSQL."""

from __future__ import annotations

from .catalogue import POLICIES, SERVICES, operations, request_for
from .world import World

HUGE = "100000000000000000000"


async def paged_operations(world: World) -> list[tuple[str, str]]:
    documents = {s: (await world.client.get(f"/api/{s}/openapi.json")).json() for s in SERVICES}
    return [
        (m, p)
        for m, p, op in operations(documents)
        if any(param["name"] == "offset" and param["in"] == "query" for param in op.get("parameters", []))
    ]


def caller(world: World, method: str, path: str) -> dict[str, str]:
    policy = POLICIES[(method, path)]
    if policy.public:
        return {}
    kind = "entity_manager" if "entity_manager" in policy.allowed else sorted(policy.allowed)[0]
    return world.headers(kind)


async def test_a_huge_offset_or_limit_is_a_422_on_every_list(any_world: World) -> None:
    world = any_world
    await world.refresh()
    paged = await paged_operations(world)
    assert len(paged) >= 10, paged
    answers = {}
    for method, path in paged:
        request = request_for(world, method, path, world.a)
        for name, value in (("offset", HUGE), ("offset", "-1"), ("limit", HUGE), ("limit", "0")):
            response = await world.client.request(method, request.path, params={name: value}, headers=caller(world, method, path))
            answers[(path, name, value)] = response.status_code
            assert response.status_code == 422, f"{path}?{name}={value} -> {response.status_code}: {response.text[:300]}"
            [error] = response.json()["detail"]
            assert error["loc"] == ["query", name] and error["msg"].startswith("Valeur"), error
        # The largest offset accepted still answers (an empty page).
        response = await world.client.request(method, request.path, params={"offset": 10**9}, headers=caller(world, method, path))
        assert response.status_code == 200, f"{path}?offset=10**9 -> {response.status_code}: {response.text[:300]}"
    print(f"\npaging: {len(paged)} list endpoints, {len(answers)} out-of-range parameters, all 422")

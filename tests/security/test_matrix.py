"""The authorization matrix: every operation of the services' OpenAPI documents × every
kind of caller (each staff role, depositor, entity manager, onboarding token, no token) ×
own/other entity. Every cell that must be refused is refused (401, 403 or 404), and no
list shows a member another entity's objects."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import httpx

from .catalogue import POLICIES, SERVICES, Policy, Request, ids_of, operations, request_for
from .world import KINDS, PUBLIC_KINDS, World

REFUSED = (401, 403, 404)
SIDE_PARAMS = re.compile(r"\{(?!session_id\})\w+\}")


async def openapi_documents(world: World) -> dict[str, dict[str, Any]]:
    return {s: (await world.client.get(f"/api/{s}/openapi.json")).json() for s in SERVICES}


async def send(world: World, request: Request, headers: dict[str, str]) -> httpx.Response:
    return await world.client.request(
        request.method,
        request.path,
        params=request.params,
        json=request.json,
        files=request.files,
        data=request.data,
        headers=headers,
    )


def verdict(policy: Policy, kind: str, target: str, *, is_list: bool) -> str:
    """What a cell must do: "refuse", "no_leak" (a list: answer, but nothing of B), or
    "allowed" (not tried: the matrix is about refusals)."""
    if kind not in policy.allowed:
        return "refuse"
    if policy.owner:
        return "allowed" if (kind, target) == ("entity_manager", "A") else "refuse"
    if is_list and policy.lists and kind in PUBLIC_KINDS:
        return "no_leak"
    if policy.scoped and kind in PUBLIC_KINDS and (target == "B" or kind == "onboarding"):
        return "refuse"
    return "allowed"


async def test_every_operation_has_a_policy(world: World) -> None:
    documents = await openapi_documents(world)
    found = {(m, p) for m, p, _ in operations(documents)}
    assert not found - POLICIES.keys(), f"operations without a policy in tests/security/catalogue.py: {sorted(found - POLICIES.keys())}"
    assert not POLICIES.keys() - found, f"policies of operations that no longer exist: {sorted(POLICIES.keys() - found)}"


async def test_authorization_matrix(fresh_world: World) -> None:
    world = fresh_world
    documents = await openapi_documents(world)
    tried = Counter[str]()
    wrong: list[str] = []
    b_ids = ids_of(world.b)
    for method, path, _ in operations(documents):
        policy = POLICIES[(method, path)]
        if policy.public:
            continue
        is_list = method == "GET" and not SIDE_PARAMS.search(path)
        targets = ("A", "B") if SIDE_PARAMS.search(path) or (is_list and policy.lists) else ("A",)
        for target in targets:
            side = world.a if target == "A" else world.b
            for kind in KINDS:
                must = verdict(policy, kind, target, is_list=is_list)
                if must == "allowed":
                    continue
                request = request_for(world, method, path, side)
                response = await send(world, request, world.headers(kind))
                tried[must] += 1
                cell = f"{kind:>14} × {target} × {method} {path} -> {response.status_code}"
                if response.status_code >= 500:
                    wrong.append(f"{cell} (server error)")
                elif must == "refuse" and response.status_code not in REFUSED:
                    wrong.append(f"{cell}: {response.text[:200]}")
                elif must == "no_leak" and response.status_code not in REFUSED:
                    leaked = [i for i in b_ids if i in response.text]
                    if leaked:
                        wrong.append(f"{cell}: shows entity B's {leaked}")
    total = sum(tried.values())
    print(
        f"\nauthorization matrix: {total} cells tried ({tried['refuse']} must refuse, "
        f"{tried['no_leak']} lists that must not show another entity's objects), {len(wrong)} wrongly allowed"
    )
    assert not wrong, "\n".join(wrong)
    assert total > 487  # the baseline of issue 11, and the routes added since


async def test_the_objects_the_matrix_aims_at_exist(fresh_world: World) -> None:
    """The controls: the owner of each object reaches it, so a refusal above is a refusal
    and not an object that is missing."""
    world = fresh_world
    documents = await openapi_documents(world)
    controls = 0
    for method, path, _ in operations(documents):
        policy = POLICIES[(method, path)]
        if method != "GET" or not SIDE_PARAMS.search(path) or policy.public:
            continue
        kind = "entity_manager" if "entity_manager" in policy.allowed else sorted(policy.allowed - {"onboarding"})[0]
        response = await send(world, request_for(world, method, path, world.a), world.headers(kind))
        assert response.status_code == 200, f"{kind} {method} {path} -> {response.status_code}: {response.text[:200]}"
        controls += 1
    print(f"\nmatrix controls: {controls} reads of entity A's objects by their owner succeeded")
    assert controls >= 10

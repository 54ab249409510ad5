"""Issue 11, point 8 (offboarding), the part built so far: the SI administrator disables
an account — it gets no token any more, its pending reset link dies, a back-office
account stops being an instructor cases may be assigned to — and enables it again. A
token issued before lives out its lifetime at most (``expires_in``)."""

from __future__ import annotations

import asyncio

from .world import PASSWORD, World, expect, unique_email


async def test_a_disabled_account_gets_no_token(any_world: World) -> None:
    from identity.app.commands import create_active_staff

    world = any_world
    await world.refresh()
    client, admin = world.client, world.staff["si_admin"]
    email = unique_email("partant")
    deps = world.p.platform.runners["identity"].ctx.deps
    account_id = await asyncio.to_thread(
        create_active_staff, deps, email=email, password=PASSWORD, first_name="Agent", last_name="Partant", roles=["instructor"]
    )
    form = {"username": email, "password": PASSWORD}
    issued = expect(await client.post("/api/identity/token", data=form), 200)
    assert issued["expires_in"] <= 900  # what an issued token may still live

    assert (await client.post(f"/api/identity/accounts/{account_id}/disable", headers=world.staff["reviewer"])).status_code == 403
    disabled = expect(await client.post(f"/api/identity/accounts/{account_id}/disable", headers=admin), 200)
    assert disabled["status"] == "disabled"
    refused = await client.post("/api/identity/token", data=form)
    assert refused.status_code == 403 and refused.json()["code"] == "disabled"
    again = await client.post(f"/api/identity/accounts/{account_id}/disable", headers=admin)
    assert again.status_code == 409 and again.json()["state"] == "disabled"
    staff = expect(await client.get("/api/identity/staff", params={"role": "instructor", "limit": 200}, headers=admin), 200)
    assert str(account_id) not in {s["account_id"] for s in staff["items"]}

    expect(await client.post(f"/api/identity/accounts/{account_id}/enable", headers=admin), 200)
    expect(await client.post("/api/identity/token", data=form), 200)

"""Issue 11, point 8 (offboarding) and issue 13, point 2 (sessions): the SI administrator
disables an account — it gets no token any more, its pending reset link dies, a
back-office account stops being an instructor cases may be assigned to — and enables it
again; the refresh cookie is rotated, and its reuse, a password reset, a role change,
disabling and a member's removal revoke the sessions (audited). A token issued before
lives out its lifetime at most (``expires_in``)."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import jwt

from certreg_testing.infra import links
from certreg_testing.platform import eventually

from .world import PASSWORD, Side, World, expect, unique_email


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


# --- sessions: the refresh cookie, its rotation, and revocation ------------------------

REFRESH = "certreg_refresh"


async def _session(world: World, email: str, password: str = PASSWORD) -> tuple[dict[str, str], str]:
    """A login: the access token's headers and the session cookie's secret."""
    issued = await world.client.post("/api/identity/token", data={"username": email, "password": password})
    expect(issued, 200)
    cookie = issued.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/api/identity" in cookie, cookie
    return {"Authorization": f"Bearer {issued.json()['access_token']}"}, issued.cookies[REFRESH]


async def _refresh(world: World, secret: str) -> httpx.Response:
    # The cookie as the browser sends it (an explicit header wins over the client's jar).
    return await world.client.post("/api/identity/token/refresh", headers={"Cookie": f"{REFRESH}={secret}"})


def _refused(response: httpx.Response, code: str) -> None:
    assert response.status_code == 401 and response.json()["code"] == code, response.text


async def _audit(world: World, account_id: object) -> list[dict[str, Any]]:
    admin = world.staff["si_admin"]
    entries: list[dict[str, Any]] = expect(await world.client.get(f"/api/identity/accounts/{account_id}/audit", headers=admin), 200)[
        "items"
    ]
    return entries


async def _agent(world: World, who: str, roles: list[str]) -> tuple[str, str]:
    from identity.app.commands import create_active_staff

    email = unique_email(who)
    deps = world.p.platform.runners["identity"].ctx.deps
    account_id = await asyncio.to_thread(
        create_active_staff, deps, email=email, password=PASSWORD, first_name="Agent", last_name=who.title(), roles=roles
    )
    return email, str(account_id)


def _claims(headers: dict[str, str]) -> dict[str, Any]:
    token = headers["Authorization"].removeprefix("Bearer ")
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


async def test_a_refresh_token_is_rotated_and_its_reuse_revokes_the_session(any_world: World) -> None:
    world = any_world
    await world.refresh()
    email, account_id = await _agent(world, "session", ["instructor"])
    _, first = await _session(world, email)

    renewed = await _refresh(world, first)
    second = renewed.cookies[REFRESH]
    assert second != first
    fresh = {"Authorization": f"Bearer {expect(renewed, 200)['access_token']}"}
    assert expect(await world.client.get("/api/identity/me", headers=fresh), 200)["account_id"] == account_id
    third = (await _refresh(world, second)).cookies[REFRESH]

    # The first secret again (a copy an attacker kept): the whole session is revoked,
    # the owner's current secret included, and the cookie is cleared.
    reused = await _refresh(world, first)
    _refused(reused, "refresh_reused")
    assert f'{REFRESH}=""' in reused.headers["set-cookie"] and "Max-Age=0" in reused.headers["set-cookie"]
    _refused(await _refresh(world, third), "session_revoked")
    _refused(await _refresh(world, "not-a-secret"), "refresh_invalid")
    _refused(await world.client.post("/api/identity/token/refresh", headers={"Cookie": ""}), "refresh_invalid")
    entries = await _audit(world, account_id)
    assert any(e["action"] == "sessions_revoked" and e["details"]["reason"] == "refresh_reused" for e in entries)

    # A cross-site call is refused before the cookie is even looked at; logging out ends the session.
    _, other = await _session(world, email)
    cross = await world.client.post("/api/identity/token/refresh", headers={"Cookie": f"{REFRESH}={other}", "Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    out = await world.client.post("/api/identity/logout", headers={"Cookie": f"{REFRESH}={other}"})
    assert out.status_code == 204
    _refused(await _refresh(world, other), "session_revoked")


async def test_a_password_reset_revokes_the_sessions(any_world: World) -> None:
    world = any_world
    await world.refresh()
    email, account_id = await _agent(world, "oubli", ["reviewer"])
    _, secret = await _session(world, email)
    expect(await world.client.post("/api/identity/password/forgot", json={"email": email}), 202)
    msg = await world.p.wait_for_mail(email, "Réinitialisation")
    token = next(parse_qs(urlparse(u).query)["token"][0] for u in links(msg) if "token=" in u)
    expect(await world.client.post("/api/identity/password/reset", json={"token": token, "new_password": "Nouveau-Secret-2025!"}), 204)
    _refused(await _refresh(world, secret), "session_revoked")
    entries = await _audit(world, account_id)
    assert any(e["action"] == "sessions_revoked" and e["details"]["reason"] == "password_reset" for e in entries)


async def test_a_role_change_or_disabling_revokes_the_sessions(any_world: World) -> None:
    world = any_world
    await world.refresh()
    client, admin = world.client, world.staff["si_admin"]
    email, account_id = await _agent(world, "roles", ["instructor"])
    _, secret = await _session(world, email)
    path = f"/api/identity/staff/{account_id}/roles"

    assert (await client.put(path, json={"roles": ["reviewer"]}, headers=world.staff["reviewer"])).status_code == 403
    assert (await client.put(path, json={"roles": ["pirate"]}, headers=admin)).status_code == 422
    own = await client.put(f"/api/identity/staff/{world.staff_ids['si_admin']}/roles", json={"roles": ["reviewer"]}, headers=admin)
    assert own.status_code == 409 and own.json()["code"] == "own_account"
    changed = expect(await client.put(path, json={"roles": ["reviewer"]}, headers=admin), 200)
    assert changed["roles"] == ["reviewer"]
    _refused(await _refresh(world, secret), "session_revoked")
    relogged, secret = await _session(world, email)
    assert _claims(relogged)["roles"] == ["reviewer"]
    entries = await _audit(world, account_id)
    assert [e["details"] for e in entries if e["action"] == "roles_changed"] == [{"before": ["instructor"], "after": ["reviewer"]}]
    assert any(e["action"] == "sessions_revoked" and e["details"]["reason"] == "roles_changed" for e in entries)

    expect(await client.post(f"/api/identity/accounts/{account_id}/disable", headers=admin), 200)
    _refused(await _refresh(world, secret), "session_revoked")
    actions = [e["action"] for e in await _audit(world, account_id)]
    assert "disabled" in actions and actions.count("sessions_revoked") == 2
    listed = expect(await client.get("/api/identity/staff", params={"status": "all", "limit": 200}, headers=admin), 200)["items"]
    assert {i["account_id"]: i["status"] for i in listed}[account_id] == "disabled"


async def test_an_invitation_is_sent_again(any_world: World) -> None:
    world = any_world
    await world.refresh()
    client, admin = world.client, world.staff["si_admin"]
    email = unique_email("invite")
    created = expect(
        await client.post(
            "/api/identity/staff", json={"email": email, "first_name": "Inès", "last_name": "Vitée", "roles": ["reviewer"]}, headers=admin
        ),
        201,
    )
    first = await world.p.wait_for_mail(email, "choisissez votre mot de passe")
    old = next(parse_qs(urlparse(u).query)["token"][0] for u in links(first) if "token=" in u)
    expect(await client.post(f"/api/identity/staff/{created['account_id']}/invitation", headers=admin), 200)

    async def second_link() -> str | None:
        found = [parse_qs(urlparse(u).query)["token"][0] for m in world.p.mails(email) for u in links(m) if "token=" in u]
        return next((t for t in found if t != old), None)

    new = await eventually(second_link, timeout=20)
    reset = {"new_password": "Invitation-Neuve-2025!"}
    assert (await client.post("/api/identity/password/reset", json={"token": old, **reset})).status_code == 400
    expect(await client.post("/api/identity/password/reset", json={"token": new, **reset}), 204)
    used = await client.post(f"/api/identity/staff/{created['account_id']}/invitation", headers=admin)
    assert used.status_code == 409 and used.json()["code"] == "invitation_used"
    assert "invitation_resent" in [e["action"] for e in await _audit(world, created["account_id"])]


async def test_a_removed_member_acts_for_the_entity_no_more(any_world: World) -> None:
    """The manager of a fresh entity C removes a member: its session is revoked at once
    (the next renewal is refused), it cannot log in again, entities forgets the
    membership; then the manager hands the management over to another member, whose
    next token carries it while the former manager's carries it no more."""
    world = any_world
    await world.refresh()
    client = world.client
    side = Side("C")
    await world.new_entity(side)
    member_email, member_id = await world.colleague(side, approve=True)
    heir_email, heir_id = await world.colleague(side, approve=True)
    member, member_secret = await _session(world, member_email)
    assert _claims(member)["entity_id"] == side.entity_id
    expect(await client.get("/api/filings", headers=member), 200)
    remove = f"/api/identity/entity-members/{member_id}/remove"

    listed = expect(await client.get("/api/identity/entity-members", headers=side.manager), 200)["items"]
    assert {i["account_id"] for i in listed} == {side.manager_id, member_id, heir_id}
    assert (await client.post(remove, headers=member)).status_code == 403  # a depositor
    assert (await client.post(remove, headers=world.b.manager)).status_code == 404  # another entity's manager
    own = await client.post(f"/api/identity/entity-members/{side.manager_id}/remove", headers=side.manager)
    assert own.status_code == 409 and own.json()["code"] == "own_account"

    removed = expect(await client.post(remove, headers=side.manager), 200)
    assert removed["status"] == "removed" and removed["roles"] == []
    # Within the access token's lifetime at most: no renewal, no new login.
    assert _claims(member)["exp"] - _claims(member)["iat"] <= 900
    _refused(await _refresh(world, member_secret), "session_revoked")
    refused = await client.post("/api/identity/token", data={"username": member_email, "password": PASSWORD})
    assert refused.status_code == 403 and refused.json()["code"] == "removed"
    actions = [e["action"] for e in await _audit(world, member_id)]
    assert "removed_from_entity" in actions and "sessions_revoked" in actions

    async def membership_gone() -> bool:
        record = expect(await client.get(f"/api/entities/entities/{side.entity_id}", headers=side.manager), 200)
        return member_id not in {m["account_id"] for m in record["members"]}

    await eventually(membership_gone, timeout=20)

    # The handover: the heir's next token is the manager's, the former manager's is not.
    heir, _ = await _session(world, heir_email)
    _, manager_secret = await _session(world, side.manager_email)
    expect(await client.post(f"/api/identity/entity-members/{heir_id}/manager", headers=side.manager), 200)
    renewed = expect(await _refresh(world, manager_secret), 200)
    assert _claims({"Authorization": f"Bearer {renewed['access_token']}"})["roles"] == ["depositor"]
    heir, _ = await _session(world, heir_email)
    assert _claims(heir)["roles"] == ["depositor", "entity_manager"]
    decided = expect(await client.get("/api/identity/account-requests", params={"state": "decided"}, headers=heir), 200)["items"]
    assert {member_id, heir_id} <= {d["account_id"] for d in decided}
    assert all(d["decided_by"] is None for d in decided)  # no agent's id on the depositor's side

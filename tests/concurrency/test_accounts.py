"""Identity and entities: a single-use link used N times at once works once; an account
request approved and rejected at once is decided once; an entity application submitted
N times at once is submitted once."""

from __future__ import annotations

import asyncio
import uuid

from certreg_testing.platform import eventually
from certreg_testing.samples import PDF, random_siret
from identity.app.commands import create_active_staff

from .conftest import PASSWORD, ROUNDS, Served, expect, report

N = 8


async def test_a_password_reset_link_works_once(served: Served) -> None:
    statuses = []
    for _ in range(ROUNDS):
        email = f"agent.{uuid.uuid4().hex[:10]}@concurrence.example"
        deps = served.p.ctx("identity").deps
        await asyncio.to_thread(
            create_active_staff, deps, email=email, password=PASSWORD, first_name="Agent", last_name="Essai", roles=["reviewer"]
        )
        expect(await served.client.post("/api/identity/password/forgot", json={"email": email}), 202)
        token = served.link_token("identity.account.password_reset_requested", "reset_url", email=email)
        passwords = [f"Nouveau-Secret-{i}-2024!" for i in range(N)]
        answers = await served.at_once(
            [("POST", "/api/identity/password/reset", {"json": {"token": token, "new_password": pw}}) for pw in passwords]
        )
        codes = sorted(a.status_code for a in answers)
        statuses.append(codes)
        assert codes == [204] + [400] * (N - 1), [(a.status_code, a.text) for a in answers]
        assert {a.json()["code"] for a in answers if a.status_code == 400} == {"token_used"}
        winner = passwords[[a.status_code for a in answers].index(204)]
        await served.p.login(email, winner)  # the password set is the winner's
    report("password reset", served.mode, ROUNDS, N, statuses)


async def test_an_activation_link_works_once(served: Served) -> None:
    statuses = []
    for _, account_id, _ in await asyncio.gather(*(served.register() for _ in range(ROUNDS))):
        token = served.link_token("identity.account.registered", "activation_url", account_id=account_id)
        answers = await served.at_once([("POST", "/api/identity/activation", {"json": {"token": token, "password": PASSWORD}})] * N)
        codes = sorted(a.status_code for a in answers)
        statuses.append(codes)
        assert codes == [200] + [400] * (N - 1), [(a.status_code, a.text) for a in answers]
        assert {a.json()["code"] for a in answers if a.status_code == 400} == {"token_used"}
        assert len(served.p.emitted("identity", "identity.account.activated", account_id=account_id)) == 1
    report("activation", served.mode, ROUNDS, N, statuses)


async def application(served: Served) -> tuple[str, str, str, dict[str, str]]:
    """A new entity's application with its pieces, not submitted: (e-mail, account, application, onboarding headers)."""
    email, account_id, onboarding = await served.register()
    body = {
        "kind": "other",
        "legal_form": "association",
        "has_siret": True,
        "siret": random_siret(),
        "denomination": f"Organisme {uuid.uuid4().hex[:6]}",
        "named_on_legal_proof": False,
    }
    app = expect(await served.client.post("/api/entities/applications", headers=onboarding, json=body), 201)
    base = f"/api/entities/applications/{app['application_id']}/documents"
    expect(await served.client.put(f"{base}/legal_existence", headers=onboarding, files={"file": ("kbis.pdf", PDF)}), 201)
    dated = {"document_date": served.today().isoformat()}
    expect(
        await served.client.put(f"{base}/mandate_delegation", params=dated, headers=onboarding, files={"file": ("mandat.pdf", PDF)}), 201
    )
    return email, account_id, app["application_id"], onboarding


async def test_an_entity_application_is_submitted_once(served: Served) -> None:
    statuses = []
    for _, _, application_id, onboarding in await asyncio.gather(*(application(served) for _ in range(ROUNDS))):
        answers = await served.at_once([("POST", f"/api/entities/applications/{application_id}/submit", {"headers": onboarding})] * N)
        codes = sorted(a.status_code for a in answers)
        statuses.append(codes)
        assert codes == [202] + [409] * (N - 1), [(a.status_code, a.text) for a in answers]
        assert len(served.p.emitted("entities", "entities.application.submitted", application_id=application_id)) == 1
    report("entity application submit", served.mode, ROUNDS, N, statuses)


async def test_an_account_request_approved_and_rejected_at_once_is_decided_once(served: Served) -> None:
    statuses = []
    admin = served.staff("si_admin")
    for _, account_id, application_id, onboarding in await asyncio.gather(*(application(served) for _ in range(ROUNDS))):
        expect(await served.client.post(f"/api/entities/applications/{application_id}/submit", headers=onboarding), 202)
        token = served.link_token("identity.account.registered", "activation_url", account_id=account_id)
        expect(await served.client.post("/api/identity/activation", json={"token": token, "password": PASSWORD}), 200)

        async def pending(account_id: str = account_id) -> bool:
            items = expect(await served.client.get("/api/identity/account-requests", params={"limit": 200}, headers=admin), 200)["items"]
            return any(i["account_id"] == account_id for i in items)

        await eventually(pending, timeout=20)
        half = N // 2
        calls = [("POST", f"/api/identity/account-requests/{account_id}/approve", {"json": {}, "headers": admin})] * half
        calls += [
            ("POST", f"/api/identity/account-requests/{account_id}/reject", {"json": {"reason": "Pièces illisibles."}, "headers": admin})
        ] * half
        answers = await served.at_once(calls)
        codes = [a.status_code for a in answers]
        statuses.append(codes)
        assert sorted(codes) == [200] + [409] * (N - 1), [(a.status_code, a.text) for a in answers]
        won = "approve" if codes.index(200) < half else "reject"
        final = answers[codes.index(200)].json()["status"]
        assert final == ("active" if won == "approve" else "rejected"), final
        approved = served.p.emitted("identity", "identity.account.approved", account_id=account_id)
        rejected = served.p.emitted("identity", "identity.account.rejected", account_id=account_id)
        assert (len(approved), len(rejected)) == ((1, 0) if won == "approve" else (0, 1))
    report("account request approve vs reject", served.mode, ROUNDS, N, statuses)


async def test_a_refresh_token_renews_once(served: Served) -> None:
    """A session cookie sent N times at once (a copy used with the original): one use
    wins the conditional update, the others are reuses, which revoke the whole session —
    the winner's new cookie included (the pages serialise their renewals: Web Locks)."""
    statuses = []
    for _ in range(ROUNDS):
        email = f"session.{uuid.uuid4().hex[:10]}@concurrence.example"
        deps = served.p.ctx("identity").deps
        await asyncio.to_thread(
            create_active_staff, deps, email=email, password=PASSWORD, first_name="Agent", last_name="Session", roles=["reviewer"]
        )
        issued = await served.client.post("/api/identity/token", data={"username": email, "password": PASSWORD})
        expect(issued, 200)
        secret = issued.cookies["certreg_refresh"]
        cookie = {"headers": {"Cookie": f"certreg_refresh={secret}"}}
        answers = await served.at_once([("POST", "/api/identity/token/refresh", cookie)] * N)
        codes = sorted(a.status_code for a in answers)
        statuses.append(codes)
        assert codes == [200] + [401] * (N - 1), [(a.status_code, a.text) for a in answers]
        # A use that reads the cookie once the reuse was settled finds the session revoked.
        refused = {a.json()["code"] for a in answers if a.status_code == 401}
        assert "refresh_reused" in refused and refused <= {"refresh_reused", "session_revoked"}, refused
        winner = next(a for a in answers if a.status_code == 200).cookies["certreg_refresh"]
        again = await served.client.post("/api/identity/token/refresh", headers={"Cookie": f"certreg_refresh={winner}"})
        assert again.status_code == 401 and again.json()["code"] == "session_revoked", again.text
    report("refresh token", served.mode, ROUNDS, N, statuses)

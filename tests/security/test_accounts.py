"""Issue 11, points 3, 4, 5, 9, 13 and 15: sign-up, activation, login throttling and the
mails they send, in both modes (the throttling counts and the closed registrations are
rows; the withdrawal and the rejection reach entities through the bus)."""

from __future__ import annotations

from email.message import EmailMessage
from urllib.parse import parse_qs, urlparse

from certreg_testing.infra import links
from certreg_testing.platform import eventually
from certreg_testing.samples import random_siret

from .world import PASSWORD, PDF, World, bearer, expect, unique_email

OTHER_PASSWORD = "Autre-Mot-De-Passe-2024!"


def token_in(mail: EmailMessage) -> str:
    return next(parse_qs(urlparse(u).query)["token"][0] for u in links(mail) if "token=" in u)


async def sign_up(world: World, email: str, password: str = PASSWORD, first_name: str = "Camille") -> tuple[int, dict[str, object]]:
    response = await world.client.post(
        "/api/identity/accounts", json={"email": email, "password": password, "first_name": first_name, "last_name": "Martin"}
    )
    return response.status_code, response.json()


async def submitted_new_entity(world: World, onboarding: dict[str, str]) -> str:
    app = expect(
        await world.client.post(
            "/api/entities/applications",
            headers=onboarding,
            json={
                "kind": "other",
                "legal_form": "association",
                "has_siret": True,
                "siret": random_siret(),
                "denomination": "Organisme d'un inconnu",
                "named_on_legal_proof": False,
            },
        ),
        201,
    )
    base = f"/api/entities/applications/{app['application_id']}/documents"
    expect(await world.client.put(f"{base}/legal_existence", headers=onboarding, files={"file": ("kbis.pdf", PDF)}), 201)
    params = {"document_date": world.today().isoformat()}
    expect(await world.client.put(f"{base}/mandate_delegation", params=params, headers=onboarding, files={"file": ("m.pdf", PDF)}), 201)
    expect(await world.client.post(f"/api/entities/applications/{app['application_id']}/submit", headers=onboarding), 202)
    return str(app["application_id"])


async def refused_onboarding(world: World, onboarding: dict[str, str]) -> bool:
    response = await world.client.post("/api/entities/applications", headers=onboarding, json={"has_siret": True, "siret": random_siret()})
    return response.status_code == 401 and response.json().get("code") == "registration_closed"


async def test_pre_registration_takeover_is_closed(any_world: World) -> None:
    """Point 3: a stranger signs up with the owner's address and applies; the owner ends
    with the only account, with their own password; the stranger's link, token and
    application are detached; a link never activates a password set by someone else."""
    world = any_world
    await world.refresh()
    owner = unique_email("proprietaire")
    status, stranger = await sign_up(world, owner, PASSWORD)
    assert status == 201
    stranger_token = bearer(str(stranger["onboarding_token"]))
    await submitted_new_entity(world, stranger_token)
    stranger_link = token_in(await world.p.wait_for_mail(owner, "Activez", timeout=45))
    # The owner follows the stranger's link: it does not activate without the stranger's password.
    refused = await world.client.post("/api/identity/activation", json={"token": stranger_link, "password": OTHER_PASSWORD})
    assert refused.status_code == 422 and refused.json()["detail"][0]["type"] == "password_mismatch", refused.text
    # The owner signs up: a 201 as for a new address (was 409 activation_pending), the pending sign-up replaced.
    status, mine = await sign_up(world, owner, OTHER_PASSWORD)
    assert status == 201, mine
    assert mine["account_id"] != stranger["account_id"]
    dead = await world.client.post("/api/identity/activation", json={"token": stranger_link, "password": PASSWORD})
    assert dead.status_code == 400, dead.text
    await eventually(lambda: refused_onboarding(world, stranger_token), timeout=30)

    async def new_link() -> str | None:
        tokens = [token_in(m) for m in world.p.mails(owner) if "Activez" in str(m["Subject"])]
        return tokens[-1] if len(tokens) >= 2 else None

    link = await eventually(new_link, timeout=30)
    wrong = await world.client.post("/api/identity/activation", json={"token": link, "password": PASSWORD})
    assert wrong.status_code == 422  # the stranger's password is nothing to this account
    expect(await world.client.post("/api/identity/activation", json={"token": link, "password": OTHER_PASSWORD}), 200)
    me = await world.client.post("/api/identity/token", data={"username": owner, "password": PASSWORD})
    assert me.status_code == 401  # the stranger's password opens nothing
    print("\ntakeover: stranger's link, password and onboarding token refused; the owner's sign-up replaced theirs")


async def test_a_rejected_onboarding_token_stops_at_once(any_world: World) -> None:
    """Point 13: once the SI administrator rejects the request, the onboarding token
    creates and submits nothing more."""
    world = any_world
    await world.refresh()
    email = unique_email("refuse")
    status, created = await sign_up(world, email)
    assert status == 201
    onboarding = bearer(str(created["onboarding_token"]))
    await submitted_new_entity(world, onboarding)
    link = token_in(await world.p.wait_for_mail(email, "Activez", timeout=45))  # a broker hiccup costs seconds
    expect(await world.client.post("/api/identity/activation", json={"token": link, "password": PASSWORD}), 200)
    admin = world.staff["si_admin"]
    await world.pending_request(admin, str(created["account_id"]))
    path = f"/api/identity/account-requests/{created['account_id']}/reject"
    expect(await world.client.post(path, headers=admin, json={"reason": "Pièces non probantes."}), 200)
    await eventually(lambda: refused_onboarding(world, onboarding), timeout=30)


async def test_forwarded_for_from_a_client_is_not_believed(world: World) -> None:
    """Point 4: 31 failed logins, each claiming another X-Forwarded-For, from one client:
    the per-address limit (30 in 15 minutes) still stops it. The gateway's part is the
    same in both modes (embedded here; the distributed hop: services/gateway/tests)."""
    statuses = []
    async with world.p.client_at("192.0.2.44") as client:
        for n in range(31):
            response = await client.post(
                "/api/identity/token",
                data={"username": unique_email("inconnu"), "password": "Mauvais-Mot-De-Passe-1"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            )
            statuses.append(response.status_code)
    assert statuses[-1] == 429, statuses
    print(f"\nX-Forwarded-For: {statuses.count(401)} × 401 then 429 for 31 spoofed addresses from one client")


async def test_guessing_does_not_lock_the_owner_out(any_world: World) -> None:
    """Point 5: an attacker's failures slow the attacker's address down progressively;
    failures from many addresses lock the account only for addresses it was never used
    from, and the owner gets an unlock link. The director keeps logging in."""
    world = any_world
    await world.refresh()  # the director logs in from the world's address: it is known
    director = world.staff_emails["director"]
    async with world.p.client_at("198.51.100.1") as attacker:
        for _ in range(3):
            assert (await attacker.post("/api/identity/token", data={"username": director, "password": "Faux-1"})).status_code == 401
        slowed = await attacker.post("/api/identity/token", data={"username": director, "password": PASSWORD})
        assert slowed.status_code == 429 and slowed.headers["Retry-After"] in ("1", "2"), slowed.text
    for n in range(2, 9):  # 10 failures in all: the account is now locked for new addresses
        async with world.p.client_at(f"198.51.100.{n}") as attacker:
            assert (await attacker.post("/api/identity/token", data={"username": director, "password": "Faux-1"})).status_code == 401
    # The owner, from where they work: never locked (was 429 for 15 minutes after 5 failures).
    expect(await world.client.post("/api/identity/token", data={"username": director, "password": PASSWORD}), 200)
    async with world.p.client_at("203.0.113.80") as laptop:
        locked = await laptop.post("/api/identity/token", data={"username": director, "password": PASSWORD})
        assert locked.status_code == 429 and locked.json()["code"] == "account_locked", locked.text
        mail = await world.p.wait_for_mail(director, "bloquée", timeout=45)
        expect(await laptop.post("/api/identity/login/unlock", json={"token": token_in(mail)}), 204)
        expect(await laptop.post("/api/identity/token", data={"username": director, "password": PASSWORD}), 200)
    print("\nlock-out: attacker slowed (2 s after 3 failures), account locked for new addresses after 10 from 8, owner in, unlock by mail")


async def test_sign_up_is_throttled_and_names_are_names(any_world: World) -> None:
    """Point 9 (and 15 at input): names carry no URL nor line break; an address gets at
    most 3 sign-up mails an hour; sign-up tells a pending address from a new one no more."""
    world = any_world
    await world.refresh()
    for name in ("http://evil.example/x", "www.evil.example", "Camille\r\nBcc: x@evil.example", "Camille\u0000"):
        status, body = await sign_up(world, unique_email("nom"), first_name=name)
        assert status == 422, (name, body)
    email = unique_email("rafale")
    statuses = [(await sign_up(world, email))[0] for _ in range(4)]
    assert statuses == [201, 201, 201, 429], statuses
    status, taken = await sign_up(world, world.a.depositor_email)
    assert status == 409 and taken["code"] == "email_taken" and "state" not in taken


async def test_a_depositor_line_is_no_button_in_the_staff_mail(fresh_world: World) -> None:
    """Point 15: a message line ``=> URL | Label`` stays text in the instructor's mail
    (the composer's part; embedded only: the database plays no part in it)."""
    world = fresh_world
    body = "Bonjour,\n=> https://evil.example/phish | Valider le dossier"
    path = f"/api/review/cases/{world.a.filing_id}/messages"
    expect(await world.client.post(path, json={"body": body}, headers=world.a.manager), 201)
    instructor = world.staff_emails["instructor"]

    async def staff_mail() -> EmailMessage | None:
        found = [m for m in world.p.mails(instructor) if "evil.example" in str(m)]
        return found[-1] if found else None

    mail: EmailMessage = await eventually(staff_mail, timeout=30)
    html = next(str(part.get_content()) for part in mail.walk() if part.get_content_type() == "text/html")
    assert "evil.example" in html and 'href="https://evil.example' not in html

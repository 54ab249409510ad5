"""Login, tokens, throttling and /me."""

import uuid
from datetime import UTC, datetime, timedelta

from certreg_runtime.tokens import SigningKey, issue_token

PASSWORD = "Correct-Horse-42"

TOKEN = "/api/identity/token"


async def login(ident, email, password, ip=None):
    headers = {"X-Forwarded-For": ip} if ip else {}
    return await ident.client.post(TOKEN, data={"username": email, "password": password}, headers=headers)


async def test_login_gives_a_bearer_token_carrying_roles_and_entity(ident):
    member = await ident.validated_member(new_entity=True)
    response = await login(ident, member["email"].upper(), PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == ident.deps.config.access_token_ttl_seconds
    principal = ident.ctx.verifier.verify(body["access_token"])
    assert principal.roles == {"depositor", "entity_manager"}
    assert principal.entity_id == member["entity_id"]
    me = await ident.client.get("/api/identity/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["status"] == "active"
    assert me.json()["roles"] == ["depositor", "entity_manager"]
    assert me.json()["entity_id"] == str(member["entity_id"])
    assert me.json()["job_title"] == "Responsable certification"


async def test_jwks_serves_the_public_keys_only(ident):
    response = await ident.client.get("/api/identity/.well-known/jwks.json")
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert keys and all(k["kty"] == "RSA" and k["alg"] == "RS256" and "d" not in k for k in keys)


async def test_bad_credentials_are_401_the_same_for_unknown_accounts(ident):
    account = await ident.register()
    await ident.activate(account["account_id"])
    wrong = await login(ident, account["email"], "Wrong-Password-1", ip="10.1.0.1")
    unknown = await login(ident, ident.new_email(), PASSWORD, ip="10.1.0.2")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "invalid_credentials"


async def test_403_codes_follow_the_account_status(ident):
    account = await ident.register()
    await ident.submit_application(account["account_id"], new_entity=True)
    response = await login(ident, account["email"], PASSWORD)
    assert (response.status_code, response.json()["code"]) == (403, "not_activated")
    await ident.activate(account["account_id"])
    response = await login(ident, account["email"], PASSWORD)
    assert (response.status_code, response.json()["code"]) == (403, "pending_validation")
    _, admin = await ident.staff("si_admin")
    rejected = await ident.client.post(
        f"/api/identity/account-requests/{account['account_id']}/reject", headers=admin, json={"reason": "Pièces non probantes."}
    )
    assert rejected.status_code == 200
    response = await login(ident, account["email"], PASSWORD)
    assert (response.status_code, response.json()["code"]) == (403, "rejected")


async def test_failures_slow_down_their_own_address_not_the_owner(ident):
    """Issue 11, point 5: per e-mail AND address, with a progressive delay."""
    member = await ident.validated_member(new_entity=True)
    for i in range(3):
        assert (await login(ident, member["email"], f"Wrong-Password-{i}", ip="10.2.0.1")).status_code == 401
    response = await login(ident, member["email"], PASSWORD, ip="10.2.0.1")
    assert response.status_code == 429 and response.json()["code"] == "too_many_attempts"
    assert response.headers["Retry-After"] in ("1", "2")  # 2 s after the last failure, on the real clock
    assert response.json()["detail"].startswith("Trop de tentatives. Réessayez dans ")
    assert (await login(ident, member["email"], PASSWORD, ip="10.2.1.1")).status_code == 200  # the owner, elsewhere
    ident.p.advance_clock(seconds=2)
    assert (await login(ident, member["email"], PASSWORD, ip="10.2.0.1")).status_code == 200


async def test_thirty_failures_from_one_client_address_throttle_it_for_every_email(ident):
    ip = f"10.3.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    for _ in range(30):
        assert (await login(ident, ident.new_email(), "Wrong-Password-1", ip=ip)).status_code == 401
    member = await ident.validated_member(new_entity=True)
    assert (await login(ident, member["email"], PASSWORD, ip=ip)).status_code == 429
    assert (await login(ident, member["email"], PASSWORD, ip="10.3.251.1")).status_code == 200


async def test_a_success_forgets_the_failures_of_that_email(ident):
    member = await ident.validated_member(new_entity=True)
    for _ in range(2):
        assert (await login(ident, member["email"], "Wrong-Password-1", ip="10.4.0.1")).status_code == 401
    assert (await login(ident, member["email"], PASSWORD, ip="10.4.0.1")).status_code == 200
    for _ in range(2):
        assert (await login(ident, member["email"], "Wrong-Password-1", ip="10.4.0.1")).status_code == 401
    assert (await login(ident, member["email"], PASSWORD, ip="10.4.0.1")).status_code == 200


async def test_tampered_and_expired_tokens_are_401_on_me(ident):
    member = await ident.validated_member(new_entity=True)
    token = member["headers"]["Authorization"].split()[1]
    header, payload, signature = token.split(".")
    flipped = signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")
    for bad in (f"{header}.{payload}.{flipped}", f"{header}.{payload[:-2]}xx.{signature}", "garbage"):
        response = await ident.client.get("/api/identity/me", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401, bad
    settings = ident.p.settings
    key = ident.deps.keys.signing_key()
    expired = issue_token(
        key,
        subject=uuid.UUID(member["account_id"]),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=timedelta(minutes=15),
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    response = await ident.client.get("/api/identity/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert response.json()["detail"] == "Jeton expiré."
    foreign = issue_token(
        SigningKey.generate(),
        subject=uuid.UUID(member["account_id"]),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=timedelta(minutes=15),
    )
    assert (await ident.client.get("/api/identity/me", headers={"Authorization": f"Bearer {foreign}"})).status_code == 401
    assert (await ident.client.get("/api/identity/me")).status_code == 401

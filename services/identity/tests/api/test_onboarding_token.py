"""A person who lost their onboarding token before submitting their entity application
gets a new one with their password; /token tells them their application is missing."""

PASSWORD = "Correct-Horse-42"

TOKEN = "/api/identity/token"
ONBOARDING = "/api/identity/onboarding-token"


async def post(ident, url, email, password=PASSWORD, ip=None):
    headers = {"X-Forwarded-For": ip} if ip else {}
    return await ident.client.post(url, data={"username": email, "password": password}, headers=headers)


async def test_login_without_an_application_is_403_application_missing_activated_or_not(ident):
    account = await ident.register()
    response = await post(ident, TOKEN, account["email"])
    assert (response.status_code, response.json()["code"]) == (403, "application_missing")
    await ident.activate(account["account_id"])
    response = await post(ident, TOKEN, account["email"])
    assert (response.status_code, response.json()["code"]) == (403, "application_missing")
    assert "organisme" in response.json()["detail"]


async def test_a_new_onboarding_token_lets_the_person_finish_their_application(ident):
    account = await ident.register()
    await ident.activate(account["account_id"])
    response = await post(ident, ONBOARDING, account["email"].upper())
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"onboarding_token", "expires_in"}
    assert body["expires_in"] == 2 * 3600
    principal = ident.ctx.verifier.verify(body["onboarding_token"], scope="onboarding")
    assert str(principal.account_id) == account["account_id"] and principal.email == account["email"]
    # Not an access token.
    me = await ident.client.get("/api/identity/me", headers={"Authorization": f"Bearer {body['onboarding_token']}"})
    assert me.status_code == 401


async def test_once_the_application_is_submitted_it_is_409(ident):
    account = await ident.register()
    await ident.submit_application(account["account_id"], new_entity=True)
    response = await post(ident, ONBOARDING, account["email"])
    assert (response.status_code, response.json()["code"]) == (409, "application_submitted")
    await ident.activate(account["account_id"])
    response = await post(ident, ONBOARDING, account["email"])
    assert (response.status_code, response.json()["code"]) == (409, "application_submitted")
    member = await ident.validated_member(new_entity=True)
    response = await post(ident, ONBOARDING, member["email"])
    assert (response.status_code, response.json()["code"]) == (409, "application_submitted")
    assert response.json()["state"] == "active"


async def test_bad_credentials_are_401_and_missing_fields_422(ident):
    account = await ident.register()
    wrong = await post(ident, ONBOARDING, account["email"], "Wrong-Password-1", ip="10.7.0.1")
    unknown = await post(ident, ONBOARDING, ident.new_email(), ip="10.7.0.2")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "invalid_credentials"
    empty = await ident.client.post(ONBOARDING, data={})
    assert empty.status_code == 422
    assert {e["loc"][-1] for e in empty.json()["detail"]} == {"username", "password"}


async def test_a_rejected_account_is_403(ident):
    account = await ident.register()
    await ident.activate(account["account_id"])
    await ident.submit_application(account["account_id"], new_entity=True)
    _, admin = await ident.staff("si_admin")
    rejected = await ident.client.post(
        f"/api/identity/account-requests/{account['account_id']}/reject", headers=admin, json={"reason": "Pièces non probantes."}
    )
    assert rejected.status_code == 200
    response = await post(ident, ONBOARDING, account["email"])
    assert (response.status_code, response.json()["code"]) == (403, "rejected")


async def test_it_shares_the_login_throttle(ident):
    account = await ident.register()
    # Failures on /token count for /onboarding-token and the other way round.
    for i in range(2):
        assert (await post(ident, TOKEN, account["email"], f"Wrong-Password-{i}", ip="10.8.0.1")).status_code == 401
    assert (await post(ident, ONBOARDING, account["email"], "Wrong-Password-3", ip="10.8.0.1")).status_code == 401
    for url in (ONBOARDING, TOKEN):
        response = await post(ident, url, account["email"], ip="10.8.0.1")
        assert response.status_code == 429, url
        assert response.json()["code"] == "too_many_attempts"
        assert int(response.headers["Retry-After"]) in (1, 2)
    ident.p.advance_clock(seconds=2)
    assert (await post(ident, ONBOARDING, account["email"], ip="10.8.0.1")).status_code == 200


async def test_a_success_forgets_the_failures_of_that_email(ident):
    account = await ident.register()
    for _ in range(2):
        assert (await post(ident, ONBOARDING, account["email"], "Wrong-Password-1", ip="10.9.0.1")).status_code == 401
    assert (await post(ident, ONBOARDING, account["email"], ip="10.9.0.1")).status_code == 200
    for _ in range(2):
        assert (await post(ident, ONBOARDING, account["email"], "Wrong-Password-1", ip="10.9.0.1")).status_code == 401
    assert (await post(ident, ONBOARDING, account["email"], ip="10.9.0.1")).status_code == 200

"""Account creation, activation, resend: through the gateway of the whole platform."""

PASSWORD = "Correct-Horse-42"

URL = "/api/identity/accounts"


def fields_of(response) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for error in response.json()["detail"]:
        found.setdefault(error["loc"][-1], []).append(error["type"])
    return found


async def test_creation_returns_an_onboarding_token_and_emits_the_activation_link(ident):
    email = ident.new_email()
    account = await ident.register(email.upper())
    assert account["status"] == "pending_activation"
    event = ident.last_event("identity.account.registered", account_id=account["account_id"])
    assert event["email"] == email.lower()
    assert event["activation_url"].startswith("http://certreg.test/activation?token=")
    # The onboarding token is valid for the onboarding scope only, not as an access token.
    principal = ident.ctx.verifier.verify(account["onboarding_token"], scope="onboarding")
    assert str(principal.account_id) == account["account_id"] and principal.email == email.lower()
    me = await ident.client.get("/api/identity/me", headers={"Authorization": f"Bearer {account['onboarding_token']}"})
    assert me.status_code == 401


async def test_malformed_email_is_a_422_naming_the_field(ident):
    response = await ident.client.post(URL, json={"email": "camille@", "password": "Correct-Horse-42", "first_name": "C", "last_name": "D"})
    assert response.status_code == 422
    assert fields_of(response) == {"email": ["email_invalid"]}
    assert "adresse électronique" in response.json()["detail"][0]["msg"]


async def test_weak_password_says_which_rule_failed(ident):
    email = ident.new_email("camille")
    local = email.split("@")[0]
    response = await ident.client.post(URL, json={"email": email, "password": f"x{local}", "first_name": "C", "last_name": "D"})
    assert response.status_code == 422
    assert fields_of(response) == {"password": ["password_contains_email"]}
    response = await ident.client.post(URL, json={"email": email, "password": "short1A", "first_name": "C", "last_name": "D"})
    assert fields_of(response)["password"] == ["password_too_short"]
    assert "12 caractères" in response.json()["detail"][0]["msg"]
    # Nothing was written: the address is still free.
    await ident.register(email)


async def test_missing_names_are_named(ident):
    response = await ident.client.post(URL, json={"email": ident.new_email(), "password": PASSWORD})
    assert response.status_code == 422
    assert fields_of(response) == {"first_name": ["missing"], "last_name": ["missing"]}


async def test_same_email_pending_activation_signs_up_anew(ident):
    """Issue 11, points 3 and 9: the pending sign-up is replaced; sign-up says nothing
    of a pending account (a 201 as for a new address)."""
    account = await ident.register()
    again = await ident.client.post(
        URL, json={"email": account["email"].upper(), "password": PASSWORD, "first_name": "Camille", "last_name": "Durand"}
    )
    assert again.status_code == 201, again.text
    assert again.json()["account_id"] != account["account_id"]
    assert ident.last_event("identity.account.withdrawn", account_id=account["account_id"])


async def test_same_email_once_activated_is_409_email_taken(ident):
    account = await ident.register()
    await ident.activate(account["account_id"])
    again = await ident.client.post(URL, json={"email": account["email"], "password": PASSWORD, "first_name": "C", "last_name": "D"})
    assert again.status_code == 409
    assert again.json()["code"] == "email_taken"


async def test_activation_happy_path_then_the_token_is_used(ident):
    account = await ident.register()
    url = ident.last_event("identity.account.registered", account_id=account["account_id"])["activation_url"]
    token = ident.token_of(url)
    response = await ident.client.post("/api/identity/activation", json={"token": token, "password": PASSWORD})
    assert response.status_code == 200
    assert response.json() == {"status": "pending_validation"}
    activated = ident.last_event("identity.account.activated", account_id=account["account_id"])
    assert activated["status"] == "pending_validation"
    again = await ident.client.post("/api/identity/activation", json={"token": token, "password": PASSWORD})
    assert again.status_code == 400
    assert again.json()["code"] == "token_used"


async def test_unknown_token_is_400(ident):
    response = await ident.client.post("/api/identity/activation", json={"token": "not-a-token"})
    assert response.status_code == 400
    assert response.json()["code"] == "token_invalid"


async def test_resend_gives_a_new_link_and_kills_the_old_one(ident):
    account = await ident.register()
    old = ident.token_of(ident.last_event("identity.account.registered", account_id=account["account_id"])["activation_url"])
    response = await ident.client.post("/api/identity/activation/resend", json={"email": account["email"]})
    assert response.status_code == 202
    new = ident.token_of(ident.last_event("identity.account.activation_requested", account_id=account["account_id"])["activation_url"])
    assert new != old
    dead = await ident.client.post("/api/identity/activation", json={"token": old, "password": PASSWORD})
    assert dead.status_code == 400
    ok = await ident.client.post("/api/identity/activation", json={"token": new, "password": PASSWORD})
    assert ok.status_code == 200


async def test_resend_does_not_enumerate_and_is_throttled(ident):
    unknown = await ident.client.post("/api/identity/activation/resend", json={"email": ident.new_email()})
    malformed = await ident.client.post("/api/identity/activation/resend", json={"email": "nope"})
    account = await ident.register()
    known = await ident.client.post("/api/identity/activation/resend", json={"email": account["email"]})
    assert unknown.status_code == malformed.status_code == known.status_code == 202
    assert unknown.json() == known.json()
    for _ in range(5):
        response = await ident.client.post("/api/identity/activation/resend", json={"email": account["email"]})
        assert response.status_code == 202
    # 3 mails per hour per address: the first resend and two more.
    assert len(ident.events("identity.account.activation_requested", account_id=account["account_id"])) == 3

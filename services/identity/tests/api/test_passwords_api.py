"""Forgotten password, reset, and staff creation with its set-password link."""

from identity.app.commands import create_active_staff

PASSWORD = "Correct-Horse-42"

FORGOT = "/api/identity/password/forgot"
RESET = "/api/identity/password/reset"
NEW_PASSWORD = "Another-Good-Pass-7"


async def test_forgot_password_does_not_enumerate(ident):
    member = await ident.validated_member(new_entity=True)
    known = await ident.client.post(FORGOT, json={"email": member["email"]})
    unknown = await ident.client.post(FORGOT, json={"email": ident.new_email()})
    malformed = await ident.client.post(FORGOT, json={"email": "???"})
    assert known.status_code == unknown.status_code == malformed.status_code == 202
    assert known.json() == unknown.json() == malformed.json()
    assert len(ident.events("identity.account.password_reset_requested", account_id=member["account_id"])) == 1


async def test_reset_works_once_and_replaces_the_password(ident):
    member = await ident.validated_member(new_entity=True)
    await ident.client.post(FORGOT, json={"email": member["email"]})
    event = ident.last_event("identity.account.password_reset_requested", account_id=member["account_id"])
    assert event["reset_url"].startswith("http://certreg.test/mot-de-passe/reinitialiser?token=")
    token = ident.token_of(event["reset_url"])
    weak = await ident.client.post(RESET, json={"token": token, "new_password": "weak"})
    assert weak.status_code == 422
    assert {e["loc"][-1] for e in weak.json()["detail"]} == {"new_password"}
    ok = await ident.client.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})  # still usable after the 422
    assert ok.status_code == 204
    again = await ident.client.post(RESET, json={"token": token, "new_password": NEW_PASSWORD + "x"})
    assert again.status_code == 400 and again.json()["code"] == "token_used"
    assert (await ident.client.post("/api/identity/token", data={"username": member["email"], "password": PASSWORD})).status_code == 401
    await ident.p.login(member["email"], NEW_PASSWORD)


async def test_reset_token_expires(ident):
    member = await ident.validated_member(new_entity=True)
    await ident.client.post(FORGOT, json={"email": member["email"]})
    token = ident.token_of(ident.last_event("identity.account.password_reset_requested", account_id=member["account_id"])["reset_url"])
    ident.p.advance_clock(seconds=3601)
    response = await ident.client.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})
    assert response.status_code == 400 and response.json()["code"] == "token_expired"


async def test_activation_token_expires(ident):
    account = await ident.register()
    token = ident.token_of(ident.last_event("identity.account.registered", account_id=account["account_id"])["activation_url"])
    ident.p.advance_clock(days=2, seconds=1)
    response = await ident.client.post("/api/identity/activation", json={"token": token, "password": PASSWORD})
    assert response.status_code == 400 and response.json()["code"] == "token_expired"


async def test_an_activation_token_does_not_reset_a_password(ident):
    account = await ident.register()
    token = ident.token_of(ident.last_event("identity.account.registered", account_id=account["account_id"])["activation_url"])
    response = await ident.client.post(RESET, json={"token": token, "new_password": NEW_PASSWORD})
    assert response.status_code == 400 and response.json()["code"] == "token_invalid"


async def test_staff_creation_set_password_and_login(ident):
    _, admin = await ident.staff("si_admin")
    email = ident.new_email("instructeur")
    response = await ident.client.post(
        "/api/identity/staff",
        headers=admin,
        json={"email": email, "first_name": "Dominique", "last_name": "Leroy", "roles": ["instructor", "reviewer"]},
    )
    assert response.status_code == 201, response.text
    staff = response.json()
    assert staff["status"] == "pending_activation" and staff["roles"] == ["instructor", "reviewer"]
    event = ident.last_event("identity.staff.created", account_id=staff["account_id"])
    assert event["set_password_url"].startswith("http://certreg.test/mot-de-passe/definir?token=")
    assert (await ident.client.post("/api/identity/token", data={"username": email, "password": NEW_PASSWORD})).status_code == 401
    ok = await ident.client.post(RESET, json={"token": ident.token_of(event["set_password_url"]), "new_password": NEW_PASSWORD})
    assert ok.status_code == 204
    assert ident.last_event("identity.account.activated", account_id=staff["account_id"])["status"] == "active"
    # review's directory learns the agent's name with the roles (its queues show it).
    announced = ident.last_event("identity.staff.changed", account_id=staff["account_id"])
    assert announced["active"] and (announced["first_name"], announced["last_name"]) == ("Dominique", "Leroy")
    headers = await ident.p.login(email, NEW_PASSWORD)
    me = (await ident.client.get("/api/identity/me", headers=headers)).json()
    assert me["roles"] == ["instructor", "reviewer"] and me["is_staff"] and me["entity_id"] is None


async def test_staff_creation_is_for_si_admin_with_staff_roles_only(ident):
    _, reviewer = await ident.staff("reviewer")
    body = {"email": ident.new_email(), "first_name": "A", "last_name": "B", "roles": ["reviewer"]}
    assert (await ident.client.post("/api/identity/staff", headers=reviewer, json=body)).status_code == 403
    assert (await ident.client.post("/api/identity/staff", json=body)).status_code == 401
    member = await ident.validated_member(new_entity=True)
    assert (await ident.client.post("/api/identity/staff", headers=member["headers"], json=body)).status_code == 403
    _, admin = await ident.staff("si_admin")
    response = await ident.client.post("/api/identity/staff", headers=admin, json={**body, "roles": ["depositor"]})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "roles"]
    response = await ident.client.post("/api/identity/staff", headers=admin, json={**body, "email": member["email"]})
    assert response.status_code == 409 and response.json()["code"] == "email_taken"


def test_admin_command_refuses_weak_passwords_and_existing_emails(ident):
    import pytest

    from certreg_runtime.errors import DomainError
    from identity.service import standalone

    # What `certreg admin create` does: on the database, beside the running service.
    with standalone(ident.p.settings) as deps:
        email = ident.new_email("admin")
        with pytest.raises(DomainError, match="au moins 12"):
            create_active_staff(deps, email=email, password="short", first_name="A", last_name="B", roles=["si_admin"])
        with pytest.raises(DomainError, match="depositor"):
            create_active_staff(deps, email=email, password=PASSWORD, first_name="A", last_name="B", roles=["depositor"])
        account_id = create_active_staff(deps, email=email, password=PASSWORD, first_name="A", last_name="B", roles=["si_admin"])
        assert ident.last_event("identity.account.roles_changed", account_id=account_id)["roles"] == ["si_admin"]
        with pytest.raises(DomainError, match="existe déjà"):
            create_active_staff(deps, email=email.upper(), password=PASSWORD, first_name="A", last_name="B", roles=["si_admin"])

"""Step 1 of DESIGN.md across identity and entities: the real entities routes send
``entities.application.submitted``; identity asks for validation and decides."""

from typing import Any

PLATFORM = ("identity", "entities")
PASSWORD = "Correct-Horse-42"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SIRET = "73282932000074"


async def apply_with_entities(ident, account) -> dict[str, Any]:
    onboarding = {"Authorization": f"Bearer {account['onboarding_token']}"}
    response = await ident.client.post(
        "/api/entities/applications",
        headers=onboarding,
        json={
            "kind": "other",
            "legal_form": "company",
            "has_siret": True,
            "siret": SIRET,
            "denomination": "ACME Formation",
            "named_on_legal_proof": True,
        },
    )
    assert response.status_code == 201, response.text
    application: dict[str, Any] = response.json()
    for doc_type in application["required_documents"]:
        upload = await ident.client.put(
            f"/api/entities/applications/{application['application_id']}/documents/{doc_type}",
            headers={**onboarding, "Content-Type": "application/pdf"},
            content=PDF,
        )
        assert upload.status_code == 201, upload.text
    submitted = await ident.client.post(f"/api/entities/applications/{application['application_id']}/submit", headers=onboarding)
    assert submitted.status_code == 202, submitted.text
    await ident.p.settle()
    return application


async def test_first_account_then_a_colleague_joining_the_same_entity(ident):
    _, admin = await ident.staff("si_admin")

    # The first person: account, entity application (new entity), activation.
    first = await ident.register()
    application = await apply_with_entities(ident, first)
    assert application["new_entity"] is True
    await ident.activate(first["account_id"])
    asked = ident.last_event("identity.account.validation_requested", account_id=first["account_id"])
    assert asked["validator"] == "si_admin" and asked["entity_id"] == application["entity_id"]

    approve = await ident.client.post(f"/api/identity/account-requests/{first['account_id']}/approve", headers=admin, json={})
    assert approve.status_code == 200, approve.text
    await ident.p.settle()
    manager = await ident.p.login(first["email"], PASSWORD)
    me = (await ident.client.get("/api/identity/me", headers=manager)).json()
    assert me["roles"] == ["depositor", "entity_manager"] and me["entity_id"] == application["entity_id"]
    entity = await ident.client.get(f"/api/entities/entities/{application['entity_id']}", headers=manager)
    assert entity.status_code == 200, entity.text

    # A colleague: the SIRET is known, so their entity manager validates.
    second = await ident.register()
    await ident.activate(second["account_id"])
    joining = await apply_with_entities(ident, second)
    assert joining["new_entity"] is False and joining["entity_id"] == application["entity_id"]
    asked = ident.last_event("identity.account.validation_requested", account_id=second["account_id"])
    assert asked["validator"] == "entity_manager"
    listed = (await ident.client.get("/api/identity/account-requests", headers=manager)).json()
    assert [r["account_id"] for r in listed["items"]] == [second["account_id"]]
    approve = await ident.client.post(f"/api/identity/account-requests/{second['account_id']}/approve", headers=manager, json={})
    assert approve.status_code == 200 and approve.json()["roles"] == ["depositor"]
    member = await ident.p.login(second["email"], PASSWORD)
    me = (await ident.client.get("/api/identity/me", headers=member)).json()
    assert me["roles"] == ["depositor"] and me["entity_id"] == application["entity_id"]


async def test_a_person_who_lost_the_onboarding_token_resumes_with_a_new_one(ident):
    account = await ident.register()
    await ident.activate(account["account_id"])
    # The first token is lost: nothing was submitted, nothing asked of a validator.
    assert not ident.events("identity.account.validation_requested", account_id=account["account_id"])
    login = {"username": account["email"], "password": PASSWORD}
    refused = await ident.client.post("/api/identity/token", data=login)
    assert (refused.status_code, refused.json()["code"]) == (403, "application_missing")
    renewed = await ident.client.post("/api/identity/onboarding-token", data=login)
    assert renewed.status_code == 200, renewed.text
    application = await apply_with_entities(ident, {**account, "onboarding_token": renewed.json()["onboarding_token"]})
    asked = ident.last_event("identity.account.validation_requested", account_id=account["account_id"])
    assert asked["entity_id"] == application["entity_id"]
    waiting = await ident.client.post("/api/identity/token", data=login)
    assert (waiting.status_code, waiting.json()["code"]) == (403, "pending_validation")
    again = await ident.client.post("/api/identity/onboarding-token", data=login)
    assert (again.status_code, again.json()["code"]) == (409, "application_submitted")

"""Account requests: validation by the SI administrator or the entity manager."""

import uuid

REQUESTS = "/api/identity/account-requests"


async def test_validation_is_requested_when_activation_comes_after_the_application(ident):
    account = await ident.register()
    entity_id = await ident.submit_application(account["account_id"], new_entity=True)
    assert ident.events("identity.account.validation_requested", account_id=account["account_id"]) == []
    await ident.activate(account["account_id"])
    event = ident.last_event("identity.account.validation_requested", account_id=account["account_id"])
    assert event["validator"] == "si_admin" and event["entity_id"] == str(entity_id)


async def test_validation_is_requested_when_the_application_comes_after_activation(ident):
    account = await ident.register()
    await ident.activate(account["account_id"])
    assert ident.events("identity.account.validation_requested", account_id=account["account_id"]) == []
    await ident.submit_application(account["account_id"], new_entity=False)
    event = ident.last_event("identity.account.validation_requested", account_id=account["account_id"])
    assert event["validator"] == "entity_manager"


async def test_si_admin_approves_the_first_account_of_a_new_entity(ident):
    _admin_email, admin = await ident.staff("si_admin")
    account = await ident.register()
    await ident.activate(account["account_id"])
    entity_id = await ident.submit_application(account["account_id"], new_entity=True)
    listed = (await ident.client.get(REQUESTS, headers=admin, params={"limit": 200})).json()
    assert account["account_id"] in [r["account_id"] for r in listed["items"]]
    response = await ident.client.post(f"{REQUESTS}/{account['account_id']}/approve", headers=admin, json={"reason": "Kbis conforme."})
    assert response.status_code == 200
    decided = response.json()
    assert decided["status"] == "active" and decided["roles"] == ["depositor", "entity_manager"]
    assert decided["decided_at"] and decided["decision_reason"] == "Kbis conforme."
    approved = ident.last_event("identity.account.approved", account_id=account["account_id"])
    assert approved["roles"] == ["depositor", "entity_manager"] and approved["entity_id"] == str(entity_id)
    assert approved["decided_by"] == decided["decided_by"]
    # Decided once: a second decision is a conflict naming the state.
    again = await ident.client.post(f"{REQUESTS}/{account['account_id']}/reject", headers=admin, json={"reason": "x"})
    assert again.status_code == 409 and again.json()["state"] == "active"


async def test_entity_manager_decides_for_their_entity_only(ident):
    manager = await ident.validated_member(new_entity=True)
    joining = await ident.register()
    await ident.activate(joining["account_id"])
    await ident.submit_application(joining["account_id"], new_entity=False, entity_id=manager["entity_id"])
    stranger = await ident.register()
    await ident.activate(stranger["account_id"])
    await ident.submit_application(stranger["account_id"], new_entity=False, entity_id=uuid.uuid4())

    listed = (await ident.client.get(REQUESTS, headers=manager["headers"])).json()
    assert [r["account_id"] for r in listed["items"]] == [joining["account_id"]] and listed["total"] == 1
    # Another entity's request: not theirs, 404.
    out = await ident.client.post(f"{REQUESTS}/{stranger['account_id']}/approve", headers=manager["headers"], json={})
    assert out.status_code == 404
    # The SI administrator does not decide for an existing entity.
    _, admin = await ident.staff("si_admin")
    assert joining["account_id"] not in [
        r["account_id"] for r in (await ident.client.get(REQUESTS, headers=admin, params={"limit": 200})).json()["items"]
    ]
    assert (await ident.client.post(f"{REQUESTS}/{joining['account_id']}/approve", headers=admin, json={})).status_code == 403

    response = await ident.client.post(f"{REQUESTS}/{joining['account_id']}/approve", headers=manager["headers"])
    assert response.status_code == 200 and response.json()["roles"] == ["depositor"]
    member_headers = await ident.p.login(joining["email"], "Correct-Horse-42")
    me = (await ident.client.get("/api/identity/me", headers=member_headers)).json()
    assert me["roles"] == ["depositor"] and me["entity_id"] == str(manager["entity_id"])
    # A plain depositor may not validate anyone.
    assert (await ident.client.get(REQUESTS, headers=member_headers)).status_code == 403


async def test_reject_requires_a_reason_and_records_it(ident):
    manager = await ident.validated_member(new_entity=True)
    joining = await ident.register()
    await ident.activate(joining["account_id"])
    await ident.submit_application(joining["account_id"], new_entity=False, entity_id=manager["entity_id"])
    url = f"{REQUESTS}/{joining['account_id']}/reject"
    empty = await ident.client.post(url, headers=manager["headers"], json={"reason": "  "})
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"] == ["body", "reason"]
    response = await ident.client.post(url, headers=manager["headers"], json={"reason": "Personne inconnue de notre organisme."})
    assert response.status_code == 200
    assert response.json()["status"] == "rejected" and response.json()["decision_reason"] == "Personne inconnue de notre organisme."
    event = ident.last_event("identity.account.rejected", account_id=joining["account_id"])
    assert event["reason"] == "Personne inconnue de notre organisme." and event["entity_id"] == str(manager["entity_id"])


async def test_staff_without_a_validator_role_gets_403(ident):
    _, reviewer = await ident.staff("reviewer")
    assert (await ident.client.get(REQUESTS, headers=reviewer)).status_code == 403
    assert (await ident.client.post(f"{REQUESTS}/{uuid.uuid4()}/approve", headers=reviewer)).status_code == 403


async def test_a_redelivered_application_has_no_second_effect(ident):
    from certreg_contracts import Envelope
    from certreg_contracts.events.entities import ApplicationSubmitted
    from certreg_runtime.bus.base import OutgoingMessage

    account = await ident.register()
    await ident.activate(account["account_id"])
    event = ApplicationSubmitted(
        application_id=uuid.uuid4(),
        entity_id=uuid.uuid4(),
        account_id=uuid.UUID(account["account_id"]),
        new_entity=True,
        denomination="X",
        kind="other",
        legal_form="company",
    )
    envelope = Envelope.wrap(event, producer="entities")
    for _ in range(2):
        await ident.p.platform.bus.publish([OutgoingMessage(envelope)])
        await ident.p.settle()
    assert len(ident.events("identity.account.validation_requested", account_id=account["account_id"])) == 1

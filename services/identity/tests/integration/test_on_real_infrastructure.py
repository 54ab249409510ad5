"""Identity on PostgreSQL and RabbitMQ: the migration, the outbox relay, the handler
behind a real queue, and row locking of one-time tokens."""

import asyncio

import pytest

from certreg_testing.infra import unique_namespace
from certreg_testing.platform import embedded_platform, eventually

pytestmark = pytest.mark.infra

PASSWORD = "Correct-Horse-42"


@pytest.fixture(scope="module")
async def platform(tmp_path_factory, postgres, amqp_url):  # overrides the SQLite one of conftest.py
    async with embedded_platform(
        tmp_path_factory.mktemp("identity-pg"),
        names=["identity"],
        database_url=postgres.database_url_template(),
        amqp_url=amqp_url,
        bus_namespace=unique_namespace(),
    ) as p:
        yield p


async def test_step_one_on_postgres_and_rabbitmq(ident):
    assert ident.ctx.engine.dialect.name == "postgresql"
    _, admin = await ident.staff("si_admin")
    account = await ident.register()
    await ident.activate(account["account_id"])
    entity_id = await ident.submit_application(account["account_id"], new_entity=True, wait=False)
    event = await eventually(lambda: ident.events("identity.account.validation_requested", account_id=account["account_id"]), timeout=60)
    assert event[0]["entity_id"] == str(entity_id)
    listed = await eventually(lambda: _listed(ident, admin, account["account_id"]), timeout=60)
    assert listed
    response = await ident.client.post(f"/api/identity/account-requests/{account['account_id']}/approve", headers=admin, json={})
    assert response.status_code == 200
    headers = await ident.p.login(account["email"], PASSWORD)
    me = (await ident.client.get("/api/identity/me", headers=headers)).json()
    assert me["entity_id"] == str(entity_id) and me["roles"] == ["depositor", "entity_manager"]


async def _listed(ident, admin, account_id):
    items = (await ident.client.get("/api/identity/account-requests", headers=admin, params={"limit": 200})).json()["items"]
    return account_id in [i["account_id"] for i in items]


async def test_a_token_used_twice_at_once_works_once(ident):
    account = await ident.register()
    url = ident.last_event("identity.account.registered", account_id=account["account_id"])["activation_url"]
    body = {"token": ident.token_of(url), "password": PASSWORD}
    results = await asyncio.gather(*(ident.client.post("/api/identity/activation", json=body) for _ in range(4)))
    assert sorted(r.status_code for r in results) == [200, 400, 400, 400]
    assert len(ident.events("identity.account.activated", account_id=account["account_id"])) == 1


async def test_the_signing_key_is_shared_through_the_database(ident):
    from identity.adapters.keys import KeyRing

    other_replica = KeyRing(ident.ctx.engine)
    other_replica.ensure()  # a second replica starting: no second key
    assert other_replica.signing_key() == ident.deps.keys.signing_key()
    assert other_replica() == (await ident.client.get("/api/identity/.well-known/jwks.json")).json()


async def test_the_staff_list_filters_by_role_on_postgres(ident):
    instructor_email, _ = await ident.staff("commission", "instructor")
    reviewer_email, reviewer = await ident.staff("reviewer")
    response = await ident.client.get("/api/identity/staff", headers=reviewer, params={"role": "instructor", "limit": 200})
    assert response.status_code == 200, response.text
    emails = [i["email"] for i in response.json()["items"]]
    assert instructor_email in emails and reviewer_email not in emails

"""Fixtures of identity's tests: identity behind the gateway in this process (module-scoped,
unique e-mails per test; a module adds services with ``PLATFORM = ("identity", ...)``),
and helpers that read identity's outbox and drive its handlers as entities would."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

import pytest

from certreg_contracts.events.entities import ApplicationSubmitted
from certreg_testing.platform import ServiceHarness, TestPlatform, embedded_platform
from identity.app.commands import create_active_staff
from identity.app.deps import IdentityDeps

PASSWORD = "Correct-Horse-42"
_counter = itertools.count()


@dataclass
class Identity(ServiceHarness):
    """Test helpers bound to one platform."""

    service: ClassVar[str] = "identity"

    @property
    def deps(self) -> IdentityDeps:
        return self.p.deps("identity", IdentityDeps)

    def new_email(self, prefix: str = "user") -> str:
        return f"{prefix}.{next(_counter)}.{uuid.uuid4().hex[:6]}@example.org"

    events = ServiceHarness.emitted  # payloads identity wrote to its outbox, oldest first

    def last_event(self, routing_key: str, **match: Any) -> dict[str, Any]:
        found = self.events(routing_key, **match)
        assert found, f"no {routing_key} event matching {match}"
        return found[-1]

    @staticmethod
    def token_of(url: str) -> str:
        return parse_qs(urlparse(url).query)["token"][0]

    async def register(self, email: str | None = None, password: str = PASSWORD, **fields: Any) -> dict[str, Any]:
        email = email or self.new_email()
        body = {
            "email": email,
            "password": password,
            "first_name": "Camille",
            "last_name": "Durand",
            "phone": "01 23 45 67 89",
            "job_title": "Responsable certification",
            **fields,
        }
        response = await self.client.post("/api/identity/accounts", json=body)
        assert response.status_code == 201, response.text
        return {**response.json(), "email": email.lower()}

    async def activate(self, account_id: str) -> None:
        url = self.last_event("identity.account.registered", account_id=account_id)["activation_url"]
        response = await self.client.post("/api/identity/activation", json={"token": self.token_of(url), "password": PASSWORD})
        assert response.status_code == 200, response.text

    async def submit_application(
        self, account_id: str, *, new_entity: bool, entity_id: uuid.UUID | None = None, wait: bool = True
    ) -> uuid.UUID:
        """What entities publishes when the person submits their entity application."""
        entity_id = entity_id or uuid.uuid4()
        event = ApplicationSubmitted(
            application_id=uuid.uuid4(),
            entity_id=entity_id,
            account_id=uuid.UUID(account_id),
            new_entity=new_entity,
            denomination="Organisme de test",
            kind="other",
            legal_form="company",
        )
        await self.p.publish(event, settle=wait)
        return entity_id

    async def staff(self, *roles: str) -> tuple[str, dict[str, str]]:
        """An active staff member created by the admin command; (email, auth headers)."""
        email = self.new_email("staff")
        create_active_staff(self.deps, email=email, password=PASSWORD, first_name="Alex", last_name="Martin", roles=list(roles))
        return email, await self.p.login(email, PASSWORD)

    async def validated_member(
        self, *, new_entity: bool, entity_id: uuid.UUID | None = None, approver: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """An account taken through creation, activation, application and approval."""
        account = await self.register()
        await self.activate(account["account_id"])
        entity_id = await self.submit_application(account["account_id"], new_entity=new_entity, entity_id=entity_id)
        if approver is None:
            _, approver = await self.staff("si_admin")
        response = await self.client.post(f"/api/identity/account-requests/{account['account_id']}/approve", headers=approver, json={})
        assert response.status_code == 200, response.text
        headers = await self.p.login(account["email"], PASSWORD)
        return {**account, "entity_id": entity_id, "headers": headers}


@pytest.fixture(scope="module")
async def platform(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TestPlatform]:
    names = getattr(request.module, "PLATFORM", ("identity",))
    # The test client stands for a load balancer in front of the gateway (127.0.0.1, as
    # httpx's ASGI transport says): tests give each request its client in X-Forwarded-For.
    async with embedded_platform(tmp_path_factory.mktemp("identity"), names=names, trusted_proxies="127.0.0.1/32") as p:
        yield p


@pytest.fixture
def ident(platform: TestPlatform) -> Identity:
    return Identity(platform)

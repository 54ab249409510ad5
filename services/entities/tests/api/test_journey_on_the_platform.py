"""Step 1 on the embedded platform (identity and entities): identity's real onboarding
token and decisions drive the entities service."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

from certreg_testing.platform import TestPlatform, embedded_platform
from certreg_testing.samples import EXE, PDF
from entities.adapters.tables import Entity

PASSWORD = "Correct-Horse-42"
SIRET = "44306184100047"


def identity_event(p: TestPlatform, routing_key: str, account_id: str) -> dict[str, Any]:
    return p.emitted("identity", routing_key, account_id=account_id)[-1]


async def test_from_account_creation_to_a_verified_entity(tmp_path):
    async with embedded_platform(tmp_path, names=["identity", "entities"], max_upload_bytes=64 * 1024) as p:
        email = f"camille.{uuid.uuid4().hex[:6]}@example.org"
        account = await p.client.post(
            "/api/identity/accounts",
            json={
                "email": email,
                "password": PASSWORD,
                "first_name": "Camille",
                "last_name": "Durand",
                "phone": "0123456789",
                "job_title": "Directrice",
            },
        )
        assert account.status_code == 201, account.text
        account_id = account.json()["account_id"]
        onboarding = {"Authorization": f"Bearer {account.json()['onboarding_token']}"}

        created = await p.client.post(
            "/api/entities/applications",
            headers=onboarding,
            json={
                "kind": "other",
                "legal_form": "association",
                "has_siret": True,
                "siret": SIRET,
                "denomination": "Les Compagnons",
                "named_on_legal_proof": False,
            },
        )
        assert created.status_code == 201, created.text
        app = created.json()
        assert app["required_documents"] == ["legal_existence", "mandate_delegation"]
        base = f"/api/entities/applications/{app['application_id']}"

        renamed = await p.client.put(
            f"{base}/documents/legal_existence", headers={**onboarding, "Content-Type": "application/pdf"}, content=EXE
        )
        assert renamed.status_code == 415
        incomplete = await p.client.post(f"{base}/submit", headers=onboarding)
        assert incomplete.status_code == 422 and incomplete.json()["missing"] == ["legal_existence", "mandate_delegation"]

        assert (
            await p.client.put(f"{base}/documents/legal_existence", headers=onboarding, files={"file": ("jo.pdf", PDF)})
        ).status_code == 201
        dated = (datetime.now(ZoneInfo("Europe/Paris")).date() - timedelta(days=3)).isoformat()
        mandate = await p.client.put(
            f"{base}/documents/mandate_delegation", params={"document_date": dated}, headers=onboarding, files={"file": ("mandat.pdf", PDF)}
        )
        assert mandate.status_code == 201, mandate.text
        assert (await p.client.post(f"{base}/submit", headers=onboarding)).status_code == 202

        # Activation, then the SI administrator validates the first account of the new entity.
        activation_url = identity_event(p, "identity.account.registered", account_id)["activation_url"]
        token = parse_qs(urlparse(activation_url).query)["token"][0]
        assert (await p.client.post("/api/identity/activation", json={"token": token, "password": PASSWORD})).status_code == 200
        await p.settle()
        from identity.app.commands import create_active_staff

        admin_email = f"admin.{uuid.uuid4().hex[:6]}@example.org"
        identity = p.platform.runners["identity"].ctx.deps
        create_active_staff(identity, email=admin_email, password=PASSWORD, first_name="Alex", last_name="Martin", roles=["si_admin"])
        admin = await p.login(admin_email, PASSWORD)
        seen = await p.client.get(base, headers=admin)
        assert seen.status_code == 200 and seen.json()["status"] == "submitted"
        approved = await p.client.post(f"/api/identity/account-requests/{account_id}/approve", headers=admin, json={})
        assert approved.status_code == 200, approved.text
        await p.settle()

        with p.platform.runners["entities"].ctx.uow() as uow:
            entity = uow.session.get(Entity, uuid.UUID(app["entity_id"]))
            assert entity is not None and entity.status == "verified"

        manager = await p.login(email, PASSWORD)
        record = await p.client.get(f"/api/entities/entities/{app['entity_id']}", headers=manager)
        assert record.status_code == 200
        assert [m["role"] for m in record.json()["members"]] == ["entity_manager"]
        download = await p.client.get(f"{base}/documents/{mandate.json()['document_id']}", headers=manager)
        assert download.status_code == 200 and download.content == PDF
        assert await p.platform.bus.parked() == []

"""The entity application's creation and submission with an ``Idempotency-Key`` (both
modes): the same request again replays the first answer — the draft is not replaced by
another, the submission is not a 409 — and a key is its applicant's."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from certreg_testing.infra import unique_namespace
from entities.adapters.tables import Application, Entity
from services.entities.tests.api.test_applications import VALID_SIRET, company, today
from services.entities.tests.conftest import EntitiesHarness, entities_harness

MODES = ["embedded", "distributed"]


@asynccontextmanager
async def harness_in(tmp_path: Path, mode: str, request: pytest.FixtureRequest) -> AsyncIterator[EntitiesHarness]:
    overrides: dict[str, Any] = {}
    if mode == "distributed":
        postgres, amqp_url = request.getfixturevalue("postgres"), request.getfixturevalue("amqp_url")
        overrides = {"database_url": postgres.database_url_template(), "amqp_url": amqp_url, "bus_namespace": unique_namespace()}
    async with entities_harness(tmp_path, **overrides) as h:
        yield h


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


@pytest.mark.parametrize("mode", MODES)
async def test_declaring_again_with_the_key_replays_the_first_application(tmp_path, mode, request) -> None:
    async with harness_in(tmp_path, mode, request) as h:
        account_id, onboarding = h.onboarding()
        k = key()
        siret = VALID_SIRET
        first = await h.client.post("/api/entities/applications", json=company(siret), headers={**onboarding, **k})
        assert first.status_code == 201, first.text
        together = await asyncio.gather(
            *(h.client.post("/api/entities/applications", json=company(siret), headers={**onboarding, **k}) for _ in range(4))
        )
        assert {r.status_code for r in together} == {201}
        assert all(r.json() == first.json() and r.headers["idempotent-replayed"] == "true" for r in together)
        # the draft answered first is still the draft (without the key each call replaces it)
        [application] = h.rows(Application, account_id=account_id)
        assert str(application.id) == first.json()["application_id"]
        other = await h.client.post("/api/entities/applications", json=company(siret, denomination="Autre"), headers={**onboarding, **k})
        assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
        assert len(h.rows(Entity, siret=siret)) == 1


@pytest.mark.parametrize("mode", MODES)
async def test_submitting_again_with_the_key_replays_202_not_409(tmp_path, mode, request) -> None:
    async with harness_in(tmp_path, mode, request) as h:
        _, onboarding = h.onboarding()
        siret = VALID_SIRET
        created = await h.client.post("/api/entities/applications", json=company(siret), headers=onboarding)
        app_id = created.json()["application_id"]
        assert (await h.upload(onboarding, app_id, "legal_existence")).status_code == 201
        dated = (today() - timedelta(days=10)).isoformat()
        assert (await h.upload(onboarding, app_id, "mandate_delegation", document_date=dated)).status_code == 201
        k = key()
        first = await h.client.post(f"/api/entities/applications/{app_id}/submit", headers={**onboarding, **k})
        again = await h.client.post(f"/api/entities/applications/{app_id}/submit", headers={**onboarding, **k})
        assert first.status_code == again.status_code == 202, again.text
        assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
        without = await h.client.post(f"/api/entities/applications/{app_id}/submit", headers=onboarding)
        assert without.status_code == 409 and without.json()["code"] == "application_not_draft"
        assert len(h.emitted("entities.application.submitted")) == 1

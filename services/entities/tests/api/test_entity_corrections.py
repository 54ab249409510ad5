"""Issue 12, point 2 (remainder): the SI administrator corrects an entity's details
(denomination, legal form, address); each correction is kept with its reason and who made
it, and review learns the new name (``entities.entity.corrected``). Both modes."""

from __future__ import annotations

import uuid

import pytest

from entities.adapters.tables import Entity, EntityChange
from services.entities.tests.api.test_applications import verified_entity
from services.entities.tests.api.test_orphans import harness_in


@pytest.mark.parametrize("mode", ["embedded", "distributed"])
async def test_the_si_admin_corrects_an_entity_and_the_change_is_kept(tmp_path, mode, request) -> None:
    async with harness_in(tmp_path, mode, request) as h:
        account_id, app = await verified_entity(h)
        entity_id = app["entity_id"]
        admin_id = uuid.uuid4()
        admin = h.access(admin_id, roles=("si_admin",))
        path = f"/api/entities/entities/{entity_id}"
        body = {
            "denomination": "ACME Formation Continue",
            "legal_form": "association",
            "address": {"street": "12 rue des Lilas", "postal_code": "69003", "city": "Lyon"},
            "reason": "Changement de dénomination et transfert du siège (Kbis du 3 novembre 2026).",
        }
        manager = h.access(account_id, roles=("depositor", "entity_manager"), entity_id=entity_id)
        assert (await h.client.patch(path, json=body, headers=manager)).status_code == 403
        reviewer = h.access(uuid.uuid4(), roles=("reviewer",))
        assert (await h.client.patch(path, json=body, headers=reviewer)).status_code == 403

        answer = await h.client.patch(path, json=body, headers=admin)
        assert answer.status_code == 200, answer.text
        entity = answer.json()
        assert entity["denomination"] == "ACME Formation Continue" and entity["legal_form"] == "association"
        assert entity["address"]["city"] == "Lyon" and entity["address"]["street"] == "12 rue des Lilas"
        [change] = entity["changes"]
        assert change["changed_by"] == str(admin_id) and change["reason"].startswith("Changement de dénomination")
        assert change["before"]["denomination"] == "ACME Formation" and change["after"]["denomination"] == "ACME Formation Continue"
        assert change["after"]["legal_form"] == "association" and change["before"]["legal_form"] == "company"
        [event] = h.emitted("entities.entity.corrected")
        assert event["entity_id"] == entity_id and event["denomination"] == "ACME Formation Continue"
        assert event["corrected_by"] == str(admin_id)
        [row] = h.rows(Entity, id=uuid.UUID(entity_id))
        assert row.denomination == "ACME Formation Continue" and row.city == "Lyon"
        assert len(h.rows(EntityChange)) == 1

        # the members see the corrected entity, not who corrected it
        seen = (await h.client.get(path, headers=manager)).json()
        assert seen["denomination"] == "ACME Formation Continue" and seen["changes"] is None
        # nothing changed, or no reason: refused, nothing kept
        same = await h.client.patch(path, json=body, headers=admin)
        assert same.status_code == 422 and same.json()["detail"][0]["type"] == "unchanged"
        no_reason = await h.client.patch(path, json={"denomination": "Autre"}, headers=admin)
        assert no_reason.status_code == 422
        missing = await h.client.patch(f"/api/entities/entities/{uuid.uuid4()}", json=body, headers=admin)
        assert missing.status_code == 404
        assert len(h.rows(EntityChange)) == 1

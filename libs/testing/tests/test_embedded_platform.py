"""The service test harness itself: only the named services run, the test key's tokens
are accepted with or without identity, events go on the bus as their producer's would."""

from __future__ import annotations

import uuid
from pathlib import Path

from certreg_contracts.events.review import CaseStatusChanged
from certreg_testing.platform import embedded_platform
from filings.adapters.tables import Filing
from identity.app.commands import create_active_staff
from identity.app.deps import IdentityDeps

FILING = {
    "repertoire": "rs",
    "title": "Habilitation de test",
    "is_cqp": False,
    "rests_on_standards": False,
    "summary": "Une certification de test.",
    "activities": ["Tester"],
    "competences": ["Tester"],
    "competence_blocks": [],
    "assessment_methods": ["Mise en situation"],
}


async def test_one_service_alone_trusts_the_test_key_and_sees_its_events(tmp_path: Path) -> None:
    async with embedded_platform(tmp_path, names=["filings"]) as p:
        assert p.names == ("filings",)
        entity_id = uuid.uuid4()
        assert (await p.client.get("/api/filings", headers={"Authorization": "Bearer nope"})).status_code == 401
        created = await p.client.post("/api/filings", json=FILING, headers=p.depositor(entity_id))
        assert created.status_code == 201, created.text
        filing_id = created.json()["filing_id"]
        await p.settle()
        assert [e["filing_id"] for e in p.emitted("filings", "filings.filing.created", entity_id=entity_id)] == [filing_id]
        [row] = p.rows("filings", Filing, entity_id=entity_id)
        assert str(row.id) == filing_id

        # An event as review's relay would publish it: handled (or parked) before publish returns.
        event = CaseStatusChanged(
            filing_id=uuid.UUID(filing_id), entity_id=entity_id, repertoire="rs", title="x", status="received", editable_items=[]
        )
        envelope = await p.publish(event)
        assert envelope.producer == "review"
        assert await p.parked() == []
        assert p.deps("filings").service == "filings"


async def test_with_identity_both_its_tokens_and_the_test_key_are_accepted(tmp_path: Path) -> None:
    async with embedded_platform(tmp_path, names=("identity", "filings")) as p:
        create_active_staff(
            p.deps("identity", IdentityDeps),
            email="a@example.org",
            password="Correct-Horse-42",
            first_name="A",
            last_name="B",
            roles=["reviewer"],
        )
        issued = await p.login("a@example.org", "Correct-Horse-42")
        for headers in (issued, p.staff("reviewer")):
            assert (await p.client.get("/api/filings", headers=headers)).status_code == 200
        assert (await p.client.get("/api/identity/me", headers=issued)).status_code == 200

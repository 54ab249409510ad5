"""Issue 12, point 1: a dated piece valid when the dossier was filed never deadlocks it.

The sequence of the issue, end to end on the platform (filings and review for real, the
depositor's and staff's tokens signed by a test key both services trust): a bulletin n°3
valid at filing ages past three months during instruction; the depositor still answers
the instructor's request. When the instructor explicitly asks for a fresh bulletin, that
piece alone is judged on the new round's day (its message gives dates in words) and a
fresh one is accepted. Embedded (SQLite, in-process bus) and on PostgreSQL + RabbitMQ."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from certreg_contracts.events.identity import StaffChanged
from certreg_contracts.legal_dates import dated_piece_expiry, french_date
from certreg_testing.infra import unique_namespace
from certreg_testing.platform import TestPlatform, embedded_platform, eventually
from certreg_testing.samples import PDF

SUBMIT = {"sworn_statement": True}
FILING = {
    "repertoire": "rncp",
    "title": "Technicien de maintenance des éoliennes",
    "qualification_level": 4,
    "is_cqp": False,
    "rests_on_standards": False,
    "activities": ["Maintenance préventive"],
    "competences": ["Diagnostiquer une panne"],
    "competence_blocks": [
        {
            "code": "B1",
            "title": "Maintenance",
            "competences": ["Diagnostiquer une panne"],
            "assessment_methods": ["Mise en situation professionnelle"],
        }
    ],
    "assessment_methods": ["Mise en situation professionnelle"],
}


@asynccontextmanager
async def platform(tmp_path: Path, mode: str, request: pytest.FixtureRequest) -> AsyncIterator[TestPlatform]:
    """Filings and review behind the gateway (the test key's tokens act on both)."""
    overrides: dict[str, Any] = {}
    if mode == "distributed":
        postgres, amqp_url = request.getfixturevalue("postgres"), request.getfixturevalue("amqp_url")
        overrides = {"database_url": postgres.database_url_template(), "amqp_url": amqp_url, "bus_namespace": unique_namespace()}
    async with embedded_platform(tmp_path, names=["filings", "review"], **overrides) as p:
        yield p


class Journey:
    def __init__(self, p: TestPlatform) -> None:
        self.p = p
        self.dep = p.depositor(uuid.uuid4())
        self.reviewer = p.staff("reviewer")
        self.instructor_id = uuid.uuid4()
        self.instructor = p.staff("instructor", account_id=self.instructor_id)

    async def upload(self, doc_type: str, document_date: dt.date | None = None, content: bytes = PDF) -> Any:
        params = {"filename": "piece.pdf"} | ({"document_date": document_date.isoformat()} if document_date else {})
        return await self.p.client.post(f"/api/filings/{self.fid}/documents/{doc_type}", params=params, content=content, headers=self.dep)

    async def review(self, path: str, body: Any, headers: dict[str, str], expect: int = 200) -> dict[str, Any]:
        response = await self.p.client.post(f"/api/review/cases/{self.fid}{path}", json=body, headers=headers)
        assert response.status_code == expect, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def filing(self) -> dict[str, Any]:
        response = await self.p.client.get(f"/api/filings/{self.fid}", headers=self.dep)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    async def case_status(self, status: str) -> None:
        async def reached() -> bool:
            filing = await self.filing()
            return bool(filing["case_status"] == status)

        await self.p.settle()
        await eventually(reached)

    async def file(self, bulletin_date: dt.date) -> None:
        created = await self.p.client.post("/api/filings", json=FILING, headers=self.dep)
        assert created.status_code == 201, created.text
        filing = created.json()
        self.fid = filing["filing_id"]
        for line in filing["requirements"]:
            if line["required"]:
                response = await self.upload(line["doc_type"], bulletin_date if line["dated"] else None)
                assert response.status_code == 201, response.text
        response = await self.p.client.post(f"/api/filings/{self.fid}/submit", json=SUBMIT, headers=self.dep)
        assert response.status_code == 202, response.text
        await self.case_status("received")

    async def to_instruction(self) -> None:
        # identity's news of the instructor (review assigns only an active instructor).
        await self.p.publish(StaffChanged(account_id=self.instructor_id, roles=["instructor"], active=True, as_of=self.p.now()))
        await self.review("/completeness", {"complete": True, "missing": [], "message": ""}, self.reviewer)
        await self.review("/admissibility", {"admissible": True}, self.reviewer)
        await self.review("/assignment", {"instructor_id": str(self.instructor_id)}, self.reviewer)

    async def ask(self, items: list[dict[str, Any]], days: int = 30) -> None:
        due = self.p.today() + dt.timedelta(days=days)
        body = {"items": items, "message": "Merci de compléter votre dossier.", "due_date": due.isoformat()}
        response = await self.p.client.post(f"/api/review/cases/{self.fid}/requests", json=body, headers=self.instructor)
        assert response.status_code == 201, response.text
        await self.case_status("awaiting_complement")


@pytest.mark.parametrize("mode", ["embedded", pytest.param("distributed", marks=pytest.mark.infra)])
async def test_a_bulletin_valid_at_filing_never_deadlocks_the_dossier(tmp_path: Path, mode: str, request: pytest.FixtureRequest) -> None:
    async with platform(tmp_path, mode, request) as p:
        j = Journey(p)
        filed_on = p.today()
        bulletin = filed_on - dt.timedelta(days=80)  # valid at filing, not for long
        await j.file(bulletin)
        await j.to_instruction()

        # The instructor asks a question (no piece); the bulletin ages past three months.
        await j.ask([{"question": "Précisez les modalités de l'évaluation en entreprise."}])
        p.advance_clock(days=20)
        assert p.today() > dated_piece_expiry(bulletin).day

        # Nobody asked for the bulletin: it cannot be replaced (409), and it does not block
        # the answer (before: 422, the dossier stuck until abandoned).
        refused = await j.upload("criminal_record", p.today())
        assert refused.status_code == 409 and refused.json()["code"] == "not_editable"
        answered = await p.client.post(f"/api/filings/{j.fid}/submit", json=SUBMIT, headers=j.dep)
        assert answered.status_code == 202, answered.text
        assert answered.json()["submission_round"] == 2
        await j.case_status("under_instruction")
        view = await j.filing()
        line = next(line for line in view["requirements"] if line["doc_type"] == "criminal_record")
        assert line["valid"] and line["issue"] is None and not line["asked_anew"]
        assert line["judged_on"] == filed_on.isoformat() and line["valid_until"] == dated_piece_expiry(bulletin).day.isoformat()

        # The instructor now explicitly asks for a fresh bulletin: that piece alone is re-checked.
        await j.ask([{"doc_type": "criminal_record", "question": "Un bulletin n°3 de moins de trois mois."}])
        view = await j.filing()
        line = next(line for line in view["requirements"] if line["doc_type"] == "criminal_record")
        today = p.today()
        assert line["asked_anew"] and not line["valid"] and line["judged_on"] == today.isoformat()
        expected = (
            f"Le document doit dater de moins de trois mois au {french_date(today)} : daté du {french_date(bulletin)}, "
            f"il ne l'était plus après le {french_date(dated_piece_expiry(bulletin).day)}."
        )
        assert line["issue"] == expected
        blocked = await p.client.post(f"/api/filings/{j.fid}/submit", json=SUBMIT, headers=j.dep)
        assert blocked.status_code == 422
        assert [(e["loc"], e["msg"]) for e in blocked.json()["detail"]] == [(["filing", "documents", "criminal_record"], expected)]

        # An old date is refused at upload with the dates in words; a fresh bulletin is accepted.
        stale = await j.upload("criminal_record", bulletin)
        assert stale.status_code == 422 and stale.json()["detail"][0]["msg"] == expected
        fresh = await j.upload("criminal_record", today - dt.timedelta(days=2), PDF + b"recent")
        assert fresh.status_code == 201, fresh.text
        resubmitted = await p.client.post(f"/api/filings/{j.fid}/submit", json=SUBMIT, headers=j.dep)
        assert resubmitted.status_code == 202, resubmitted.text
        await j.case_status("under_instruction")
        pieces = (await p.client.get(f"/api/filings/{j.fid}/documents", headers=j.dep)).json()["items"]
        record = next(p for p in pieces if p["doc_type"] == "criminal_record")
        assert [(v["version"], v["submitted_in_round"]) for v in record["versions"]] == [(2, 3), (1, 1)]


async def test_reopening_the_whole_dossier_asks_for_no_piece_in_particular(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Inadmissible: everything is editable again, but the bulletin of the first
    submission stays judged on that day, and the dossier can go back as is."""
    async with platform(tmp_path, "embedded", request) as p:
        j = Journey(p)
        await j.file(p.today() - dt.timedelta(days=85))
        await j.review("/completeness", {"complete": True, "missing": [], "message": ""}, j.reviewer)
        p.advance_clock(days=10)
        await j.review("/admissibility", {"admissible": False, "recommendations": "Reprenez le référentiel."}, j.reviewer)
        await j.case_status("inadmissible")
        view = await j.filing()
        assert "criminal_record" in view["editable_items"]
        again = await p.client.post(f"/api/filings/{j.fid}/submit", json=SUBMIT, headers=j.dep)
        assert again.status_code == 202, again.text
        line = next(line for line in (await j.filing())["requirements"] if line["doc_type"] == "criminal_record")
        assert line["valid"] and not line["asked_anew"]

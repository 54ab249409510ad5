"""Review's API tests: review alone behind the gateway (``certreg_testing.platform``);
the tests publish what filings and entities would say and sign tokens with the shared
test key."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, ClassVar

import pytest

from certreg_contracts.events.entities import EntityVerified
from certreg_contracts.events.filings import CompetenceBlock, DocumentRef, Fiche, FilingSubmitted, FilingWithdrawalRequested
from certreg_contracts.events.identity import StaffChanged
from certreg_testing.infra import unique_namespace
from certreg_testing.platform import ServiceHarness, embedded_platform
from review.app.deps import ReviewDeps
from review.domain import rules
from review.jobs.sweeper import SweepReport, sweep


@dataclass
class Review(ServiceHarness):
    service: ClassVar[str] = "review"
    entity_id: uuid.UUID = field(default_factory=uuid.uuid4)
    depositor_id: uuid.UUID = field(default_factory=uuid.uuid4)
    instructor_id: uuid.UUID = field(default_factory=uuid.uuid4)

    @property
    def deps(self) -> ReviewDeps:
        return self.p.deps("review", ReviewDeps)

    def headers(self, *roles: str, account_id: uuid.UUID | None = None, entity_id: uuid.UUID | None = None) -> dict[str, str]:
        return self.p.token(roles=roles, account_id=account_id, entity_id=entity_id)

    @property
    def reviewer(self) -> dict[str, str]:
        return self.headers("reviewer")

    @property
    def instructor(self) -> dict[str, str]:
        return self.headers("instructor", account_id=self.instructor_id)

    @property
    def director(self) -> dict[str, str]:
        return self.headers("director")

    @property
    def commission(self) -> dict[str, str]:
        return self.headers("commission")

    @property
    def depositor(self) -> dict[str, str]:
        return self.p.depositor(self.entity_id, account_id=self.depositor_id)

    async def verify_entity(self, denomination: str, siret: str | None, entity_id: uuid.UUID | None = None) -> None:
        """What entities announces when the certifying entity is verified."""
        await self.publish(
            EntityVerified(entity_id=entity_id or self.entity_id, denomination=denomination, siret=siret, verified_by=uuid.uuid4())
        )

    async def submit(
        self,
        filing_id: uuid.UUID | None = None,
        *,
        round: int = 1,
        repertoire: str = "rncp",
        in_response_to: uuid.UUID | None = None,
        title: str = "Concepteur développeur d'applications",
        reference: str | None = None,
        **fields: Any,
    ) -> uuid.UUID:
        """What filings announces at a submission; ``fields`` replace the event's defaults."""
        filing_id = filing_id or uuid.uuid4()
        defaults: dict[str, Any] = {
            "activities": ["Concevoir une application", "Déployer une application"],
            "competences": ["Analyser un besoin", "Développer une interface"],
            "competence_blocks": [CompetenceBlock(code="BC01", title="Concevoir", competences=["Analyser un besoin"])],
            "fiche": Fiche(),
        }
        await self.publish(
            FilingSubmitted(
                filing_id=filing_id,
                entity_id=self.entity_id,
                repertoire=repertoire,
                title=title,
                qualification_level=6 if repertoire == "rncp" else None,
                is_cqp=False,
                rests_on_standards=False,
                summary="Former des concepteurs d'applications.",
                submission_round=round,
                in_response_to=in_response_to,
                reference=reference,
                submitted_by=self.depositor_id,
                submitted_at=datetime.now(UTC),
                assessment_methods=["Mise en situation professionnelle"],
                documents=[
                    DocumentRef(
                        document_id=uuid.uuid4(),
                        doc_type="competence_framework",
                        version=1,
                        sha256="a" * 64,
                        size=10,
                        content_type="application/pdf",
                        filename="ref.pdf",
                    )
                ],
                **(defaults | fields),
            )
        )
        return filing_id

    async def withdraw(self, filing_id: uuid.UUID) -> None:
        await self.publish(
            FilingWithdrawalRequested(
                filing_id=filing_id,
                entity_id=self.entity_id,
                repertoire="rncp",
                title="x",
                requested_by=self.depositor_id,
                requested_at=datetime.now(UTC),
            )
        )

    async def sweep(self) -> SweepReport:
        report = await asyncio.to_thread(sweep, self.deps)
        await self.p.settle()
        return report

    async def case(self, filing_id: uuid.UUID, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = await self.client.get(f"/api/review/cases/{filing_id}", headers=headers or self.reviewer)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    async def post(self, path: str, body: Any, headers: dict[str, str], expect: int = 200) -> dict[str, Any]:
        response = await self.client.post(f"/api/review{path}", json=body, headers=headers)
        assert response.status_code == expect, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def events(self, routing_key: str, filing_id: uuid.UUID | None = None) -> list[dict[str, Any]]:
        """What review emitted (its outbox), oldest first."""
        return self.emitted(routing_key, **({"filing_id": filing_id} if filing_id else {}))

    async def to_admissible(self, filing_id: uuid.UUID, recommendations: str | None = None) -> None:
        await self.post(f"/cases/{filing_id}/completeness", {"complete": True, "missing": [], "message": ""}, self.reviewer)
        body: dict[str, Any] = {"admissible": True} | ({"recommendations": recommendations} if recommendations else {})
        await self.post(f"/cases/{filing_id}/admissibility", body, self.reviewer)

    async def to_instruction(self, filing_id: uuid.UUID, recommendations: str | None = None) -> None:
        await self.to_admissible(filing_id, recommendations)
        await self.post(f"/cases/{filing_id}/assignment", {"instructor_id": str(self.instructor_id)}, self.reviewer)

    async def new_session(self, day: date | None = None) -> dict[str, Any]:
        day = day or self.today()
        while day.month in rules.NO_SESSION_MONTHS:
            day += timedelta(days=1)
        return await self.post("/sessions", {"date": day.isoformat()}, self.commission, 201)

    async def to_scheduled(self, filing_id: uuid.UUID, recommendations: str | None = None) -> dict[str, Any]:
        await self.to_instruction(filing_id, recommendations)
        await self.post(f"/cases/{filing_id}/ready", None, self.instructor)
        upcoming = (await self.client.get("/api/review/sessions", params={"upcoming": "true"}, headers=self.commission)).json()
        session = upcoming["items"][0] if upcoming["items"] else await self.new_session()
        await self.post(f"/sessions/{session['id']}/agenda", {"filing_id": str(filing_id)}, self.commission, 201)
        if session["date"] > self.today().isoformat():
            self.p.advance_clock(days=(date.fromisoformat(session["date"]) - self.today()).days)
        return session

    async def to_registered(
        self, filing_id: uuid.UUID, *, recommendations: str | None = None, reasons: list[dict[str, str]] | None = None
    ) -> str:
        """Through the commission's favourable opinion (with its ``reasons``) to registration,
        published in the JO (a registration by right: from completeness straight to the
        decision); the number. ``recommendations`` are made at admissibility."""
        if (await self.case(filing_id))["registration_type"] == "by_right":
            await self.post(f"/cases/{filing_id}/completeness", {"complete": True, "missing": [], "message": ""}, self.reviewer)
        else:
            session = await self.to_scheduled(filing_id, recommendations)
            opinion = {"filing_id": str(filing_id), "opinion": "favourable", "reasons": reasons or []}
            await self.post(f"/sessions/{session['id']}/opinions", opinion, self.commission, 201)
        decision = await self.post(f"/cases/{filing_id}/decision", {"register": True, "motivation": "Oui."}, self.director)
        number: str = decision["registration_number"]
        await self.publish_jo(filing_id)
        return number

    async def publish_jo(self, filing_id: uuid.UUID, reference: str = "JORF n°0280 du 1er décembre 2026, texte n° 42") -> dict[str, Any]:
        """The registration decision's publication in the Journal officiel, effective today."""
        today = self.today().isoformat()
        body = {"jo_date": today, "jo_reference": reference, "effective_date": today}
        return await self.post(f"/cases/{filing_id}/publication", body, self.director)


@asynccontextmanager
async def review_platform(tmp_path, **overrides: Any) -> AsyncIterator[Review]:
    async with embedded_platform(tmp_path, names=["review"], **overrides) as p:
        harness = Review(p)
        # identity's news of the instructor cases are assigned to (review checks it).
        await p.publish(StaffChanged(account_id=harness.instructor_id, roles=["instructor"], active=True, as_of=p.now()))
        yield harness


@pytest.fixture
def start_review(tmp_path):
    """``async with start_review(**overrides) as review``: when the test has set the environment first."""
    return partial(review_platform, tmp_path)


@pytest.fixture
async def review(tmp_path):
    async with review_platform(tmp_path) as harness:
        yield harness


@pytest.fixture
async def review_on_infra(tmp_path, postgres, amqp_url):
    """The same platform on real PostgreSQL and RabbitMQ."""
    async with review_platform(
        tmp_path, database_url=postgres.database_url_template(), amqp_url=amqp_url, bus_namespace=unique_namespace()
    ) as harness:
        yield harness


@pytest.fixture(params=["embedded", pytest.param("infra", marks=pytest.mark.infra)])
def start_review_both(request, tmp_path):
    """``async with start_review_both(**overrides) as review``, in both modes: embedded
    (SQLite, in-process bus, a local folder for files), and on real PostgreSQL, RabbitMQ
    and S3 (buckets of the test's own: review's sweep deletes objects no row names)."""
    overrides: dict[str, Any] = {}
    if request.param == "infra":
        postgres, amqp_url, s3 = (request.getfixturevalue(name) for name in ("postgres", "amqp_url", "s3"))
        overrides = {
            "database_url": postgres.database_url_template(),
            "amqp_url": amqp_url,
            "bus_namespace": unique_namespace(),
            "bucket_prefix": unique_namespace(),
            **s3.settings(),
        }
    return partial(review_platform, tmp_path, **overrides)


@pytest.fixture
async def review_both(start_review_both):
    async with start_review_both() as harness:
        yield harness

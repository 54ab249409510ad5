"""The whole platform in-process, driven through the gateway; review's tokens signed by
a test key whose JWKS review's verifier is given."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa

from certreg_contracts import Envelope
from certreg_contracts.calendar import paris_date
from certreg_contracts.events.entities import EntityVerified
from certreg_contracts.events.filings import CompetenceBlock, DocumentRef, FilingSubmitted, FilingWithdrawn
from certreg_runtime.auth import TokenVerifier
from certreg_runtime.bus.base import OutgoingMessage
from certreg_runtime.service import ServiceContext
from certreg_runtime.tokens import SigningKey, issue_token, jwks
from certreg_testing.platform import TestPlatform, embedded_platform
from review.app.deps import ReviewDeps
from review.domain import rules
from review.jobs.sweeper import SweepReport, sweep


@dataclass
class Review:
    p: TestPlatform
    key: SigningKey
    entity_id: uuid.UUID = field(default_factory=uuid.uuid4)
    depositor_id: uuid.UUID = field(default_factory=uuid.uuid4)
    instructor_id: uuid.UUID = field(default_factory=uuid.uuid4)

    @property
    def client(self):
        return self.p.client

    @property
    def ctx(self) -> ServiceContext:
        return self.p.platform.runners["review"].ctx

    @property
    def deps(self) -> ReviewDeps:
        deps: ReviewDeps = self.ctx.deps
        return deps

    def today(self) -> date:
        return paris_date(self.ctx.clock.now())

    def headers(self, *roles: str, account_id: uuid.UUID | None = None, entity_id: uuid.UUID | None = None) -> dict[str, str]:
        settings = self.p.settings
        token = issue_token(
            self.key,
            subject=account_id or uuid.uuid4(),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl=timedelta(hours=1),
            roles=roles,
            entity_id=entity_id,
            name=f"Test {' '.join(roles)}",
            email=f"{roles[0]}@example.test",
        )
        return {"Authorization": f"Bearer {token}"}

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
        return self.headers("depositor", account_id=self.depositor_id, entity_id=self.entity_id)

    async def publish(self, event: Any, producer: str = "filings") -> None:
        await self.p.platform.bus.publish([OutgoingMessage(Envelope.wrap(event, producer=producer))])
        await self.p.settle()

    async def verify_entity(self, denomination: str, siret: str | None, entity_id: uuid.UUID | None = None) -> None:
        """What entities announces when the certifying entity is verified."""
        await self.publish(
            EntityVerified(entity_id=entity_id or self.entity_id, denomination=denomination, siret=siret, verified_by=uuid.uuid4()),
            producer="entities",
        )

    async def submit(
        self,
        filing_id: uuid.UUID | None = None,
        *,
        round: int = 1,
        repertoire: str = "rncp",
        in_response_to: uuid.UUID | None = None,
        title: str = "Concepteur développeur d'applications",
    ) -> uuid.UUID:
        filing_id = filing_id or uuid.uuid4()
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
                submitted_by=self.depositor_id,
                submitted_at=datetime.now(UTC),
                activities=["Concevoir une application", "Déployer une application"],
                competences=["Analyser un besoin", "Développer une interface"],
                competence_blocks=[CompetenceBlock(code="BC01", title="Concevoir", competences=["Analyser un besoin"])],
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
            )
        )
        return filing_id

    async def withdraw(self, filing_id: uuid.UUID) -> None:
        await self.publish(
            FilingWithdrawn(
                filing_id=filing_id,
                entity_id=self.entity_id,
                repertoire="rncp",
                title="x",
                withdrawn_by=self.depositor_id,
                withdrawn_at=datetime.now(UTC),
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
        outbox = self.ctx.metadata.tables["outbox"]
        with self.ctx.engine.connect() as conn:
            rows = conn.execute(sa.select(outbox.c.body).where(outbox.c.routing_key == routing_key).order_by(outbox.c.id)).all()
        payloads = [Envelope.model_validate_json(r.body).payload for r in rows]
        return [p for p in payloads if filing_id is None or p.get("filing_id") == str(filing_id)]

    async def to_admissible(self, filing_id: uuid.UUID) -> None:
        await self.post(f"/cases/{filing_id}/completeness", {"complete": True, "missing": [], "message": ""}, self.reviewer)
        await self.post(f"/cases/{filing_id}/admissibility", {"admissible": True}, self.reviewer)

    async def to_instruction(self, filing_id: uuid.UUID) -> None:
        await self.to_admissible(filing_id)
        await self.post(f"/cases/{filing_id}/assignment", {"instructor_id": str(self.instructor_id)}, self.reviewer)

    async def new_session(self, day: date | None = None) -> dict[str, Any]:
        day = day or self.today()
        while day.month in rules.NO_SESSION_MONTHS:
            day += timedelta(days=1)
        return await self.post("/sessions", {"date": day.isoformat()}, self.commission, 201)

    async def to_scheduled(self, filing_id: uuid.UUID) -> dict[str, Any]:
        await self.to_instruction(filing_id)
        await self.post(f"/cases/{filing_id}/ready", None, self.instructor)
        upcoming = (await self.client.get("/api/review/sessions", params={"upcoming": "true"}, headers=self.commission)).json()
        session = upcoming["items"][0] if upcoming["items"] else await self.new_session()
        await self.post(f"/sessions/{session['id']}/agenda", {"filing_id": str(filing_id)}, self.commission, 201)
        if session["date"] > self.today().isoformat():
            self.p.advance_clock(days=(date.fromisoformat(session["date"]) - self.today()).days)
        return session

    async def to_registered(self, filing_id: uuid.UUID) -> str:
        """Through the commission's favourable opinion to registration; the number."""
        session = await self.to_scheduled(filing_id)
        await self.post(f"/sessions/{session['id']}/opinions", {"filing_id": str(filing_id), "opinion": "favourable"}, self.commission, 201)
        decision = await self.post(f"/cases/{filing_id}/decision", {"register": True, "motivation": "Oui."}, self.director)
        number: str = decision["registration_number"]
        return number


@asynccontextmanager
async def review_platform(tmp_path, **overrides: Any) -> AsyncIterator[Review]:
    async with embedded_platform(tmp_path, **overrides) as p:
        key = SigningKey.generate()
        keys = jwks([key])
        p.platform.runners["review"].ctx.verifier = TokenVerifier(
            lambda refresh=False: keys, issuer=p.settings.jwt_issuer, audience=p.settings.jwt_audience
        )
        yield Review(p, key)


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
    from certreg_testing.infra import unique_namespace

    async with review_platform(
        tmp_path, database_url=postgres.database_url_template(), amqp_url=amqp_url, bus_namespace=unique_namespace()
    ) as harness:
        yield harness

"""A populated platform for the security suite: every kind of caller, two entities (A and
B) and, for each, the objects an attacker would aim at (filings, pieces, receipts, cases,
messages, letters, notifications, account requests, entity applications).

Everything is made through the gateway's public API as the people would do it, except
the back-office accounts, made as ``certreg admin create`` makes them."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

from certreg_contracts.calendar import paris_date
from certreg_testing.infra import links
from certreg_testing.platform import TestPlatform, eventually
from certreg_testing.samples import random_siret

PASSWORD = "Securite-Matrice-2024!"
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
STAFF_ROLES = ("si_admin", "reviewer", "instructor", "commission", "director")
# Every kind of caller the matrix tries. "onboarding" is the token of a sign-up whose
# entity application is still a draft; "anonymous" sends no token.
KINDS = ("anonymous", "onboarding", "depositor", "entity_manager", *STAFF_ROLES)
PUBLIC_KINDS = ("onboarding", "depositor", "entity_manager")

RNCP_FIELDS: dict[str, Any] = {
    "qualification_level": 6,
    "summary": "Former des concepteurs d'applications.",
    "activities": ["Concevoir une application"],
    "competences": ["Analyser un besoin"],
    "competence_blocks": [
        {
            "code": "BC01",
            "title": "Concevoir",
            "competences": ["Analyser un besoin"],
            "assessment_methods": ["Mise en situation professionnelle"],
        }
    ],
    "assessment_methods": ["Mise en situation professionnelle"],
}


def unique_email(who: str) -> str:
    return f"{who}.{uuid.uuid4().hex[:10]}@securite.example"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def expect(response: httpx.Response, *status: int) -> Any:
    assert response.status_code in status, f"{response.request.method} {response.request.url} -> {response.status_code}: {response.text}"
    return response.json() if "json" in response.headers.get("content-type", "") else response


@dataclass
class Side:
    """One entity and what belongs to it."""

    name: str
    entity_id: str = ""
    siret: str = ""
    manager_id: str = ""
    manager_email: str = ""
    manager: dict[str, str] = field(default_factory=dict)
    depositor_id: str = ""
    depositor_email: str = ""
    depositor: dict[str, str] = field(default_factory=dict)
    application_id: str = ""  # the manager's (submitted, accepted) entity application
    application_document_id: str = ""
    pending_account_id: str = ""  # a colleague waiting for the manager's validation
    draft_id: str = ""  # an editable filing
    draft_document_id: str = ""
    filing_id: str = ""  # a submitted filing, its case under instruction
    document_id: str = ""
    receipt_id: str = ""
    registered_id: str = ""  # a filing registered (decision letter)
    registration_number: str = ""
    letter_id: str = ""
    message_id: str = ""
    external_opinion_id: str = ""  # an external opinion on the case, answered with the expert's report
    notification_id: str = ""  # one of the manager's notifications


@dataclass
class World:
    p: TestPlatform
    staff: dict[str, dict[str, str]] = field(default_factory=dict)
    staff_ids: dict[str, str] = field(default_factory=dict)
    staff_emails: dict[str, str] = field(default_factory=dict)
    a: Side = field(default_factory=lambda: Side("A"))
    b: Side = field(default_factory=lambda: Side("B"))
    # A sign-up whose entity application is a draft (onboarding token), and its objects.
    onboarding: dict[str, str] = field(default_factory=dict)
    onboarding_account_id: str = ""
    onboarding_application_id: str = ""
    session_id: str = ""

    @property
    def client(self) -> httpx.AsyncClient:
        return self.p.client

    def today(self) -> date:
        return paris_date(self.p.platform.runners["review"].ctx.clock.now())

    def headers(self, kind: str) -> dict[str, str]:
        """The caller of ``kind`` (entity A's people for the public side)."""
        if kind == "anonymous":
            return {}
        if kind == "onboarding":
            return self.onboarding
        if kind == "depositor":
            return self.a.depositor
        if kind == "entity_manager":
            return self.a.manager
        return self.staff[kind]

    # ------------------------------------------------------------------ people

    async def refresh(self) -> None:
        """New access tokens for everyone (they live minutes; a suite runs longer)."""
        for role, email in self.staff_emails.items():
            self.staff[role] = await self.p.login(email, PASSWORD)
        for side in (self.a, self.b):
            side.manager = await self.p.login(side.manager_email, PASSWORD)
            side.depositor = await self.p.login(side.depositor_email, PASSWORD)

    async def create_staff(self, role: str) -> tuple[str, dict[str, str]]:
        from identity.app.commands import create_active_staff

        email = self.staff_emails[role] = unique_email(role.replace("_", "-"))
        deps = self.p.platform.runners["identity"].ctx.deps
        account_id = await asyncio.to_thread(
            create_active_staff, deps, email=email, password=PASSWORD, first_name="Agent", last_name=role.title(), roles=[role]
        )
        return str(account_id), await self.p.login(email, PASSWORD)

    async def register(self, first_name: str) -> tuple[str, str, dict[str, str]]:
        email = unique_email(first_name.lower())
        created = expect(
            await self.client.post(
                "/api/identity/accounts",
                json={"email": email, "password": PASSWORD, "first_name": first_name, "last_name": "Martin"},
            ),
            201,
        )
        return email, created["account_id"], bearer(created["onboarding_token"])

    async def activate(self, email: str) -> None:
        msg = await self.p.wait_for_mail(email, "Activez")
        token = next(parse_qs(urlparse(u).query)["token"][0] for u in links(msg) if "token=" in u)
        expect(await self.client.post("/api/identity/activation", json={"token": token, "password": PASSWORD}), 200)

    async def pending_request(self, validator: dict[str, str], account_id: str) -> None:
        async def listed() -> bool:
            items = expect(await self.client.get("/api/identity/account-requests", params={"limit": 200}, headers=validator), 200)["items"]
            return any(i["account_id"] == account_id for i in items)

        await eventually(listed, timeout=20)

    async def new_entity(self, side: Side) -> None:
        """The entity's first person: application with pieces, activation, the SI administrator's approval."""
        email, account_id, onboarding = await self.register(f"Gestion{side.name}")
        side.siret = random_siret()
        app = expect(
            await self.client.post(
                "/api/entities/applications",
                headers=onboarding,
                json={
                    "kind": "other",
                    "legal_form": "association",
                    "has_siret": True,
                    "siret": side.siret,
                    "denomination": f"Organisme {side.name} {uuid.uuid4().hex[:6]}",
                    "named_on_legal_proof": False,
                },
            ),
            201,
        )
        side.application_id, side.entity_id = app["application_id"], app["entity_id"]
        base = f"/api/entities/applications/{side.application_id}/documents"
        piece = expect(await self.client.put(f"{base}/legal_existence", headers=onboarding, files={"file": ("kbis.pdf", PDF)}), 201)
        side.application_document_id = piece["document_id"]
        expect(
            await self.client.put(
                f"{base}/mandate_delegation",
                params={"document_date": self.today().isoformat()},
                headers=onboarding,
                files={"file": ("mandat.pdf", PDF)},
            ),
            201,
        )
        expect(await self.client.post(f"/api/entities/applications/{side.application_id}/submit", headers=onboarding), 202)
        await self.activate(email)
        admin = self.staff["si_admin"]
        await self.pending_request(admin, account_id)
        expect(await self.client.post(f"/api/identity/account-requests/{account_id}/approve", headers=admin, json={}), 200)
        await self.p.settle()
        side.manager_id, side.manager_email, side.manager = account_id, email, await self.p.login(email, PASSWORD)
        side.entity_id = (await self.client.get("/api/identity/me", headers=side.manager)).json()["entity_id"] or side.entity_id

    async def colleague(self, side: Side, *, approve: bool) -> tuple[str, str]:
        """A second person of the entity (approved by its manager, or left waiting)."""
        email, account_id, onboarding = await self.register(f"Membre{side.name}")
        app = expect(
            await self.client.post("/api/entities/applications", headers=onboarding, json={"has_siret": True, "siret": side.siret}),
            201,
        )
        expect(await self.client.post(f"/api/entities/applications/{app['application_id']}/submit", headers=onboarding), 202)
        await self.activate(email)
        await self.pending_request(side.manager, account_id)
        if approve:
            expect(await self.client.post(f"/api/identity/account-requests/{account_id}/approve", headers=side.manager, json={}), 200)
            await self.p.settle()
        return email, account_id

    # ------------------------------------------------------------------ filings and cases

    async def filing(self, side: Side, title: str, *, submit: bool) -> tuple[str, str]:
        headers = side.manager
        filing = expect(
            await self.client.post(
                "/api/filings",
                headers=headers,
                json={"repertoire": "rncp", "title": title, "is_cqp": False, "rests_on_standards": False, **RNCP_FIELDS},
            ),
            201,
        )
        filing_id = filing["filing_id"]
        first_document = ""
        for line in filing["requirements"]:
            if line["required"]:
                params = {"document_date": (self.today() - timedelta(days=5)).isoformat()} if line["dated"] else {}
                piece = expect(
                    await self.client.post(
                        f"/api/filings/{filing_id}/documents/{line['doc_type']}",
                        headers=headers,
                        params=params,
                        files={"file": (f"{line['doc_type']}.pdf", PDF)},
                    ),
                    201,
                )
                first_document = first_document or piece["document_id"]
        if submit:
            expect(await self.client.post(f"/api/filings/{filing_id}/submit", headers=headers, json={"sworn_statement": True}), 202)
            await self.p.settle()
        return filing_id, first_document

    async def post_review(self, path: str, body: Any, who: str, *status: int) -> Any:
        return expect(await self.client.post(f"/api/review{path}", json=body, headers=self.staff[who]), *(status or (200,)))

    async def to_instruction(self, filing_id: str) -> None:
        await self.post_review(f"/cases/{filing_id}/completeness", {"complete": True, "missing": [], "message": ""}, "reviewer")
        await self.post_review(f"/cases/{filing_id}/admissibility", {"admissible": True}, "reviewer")
        await self.post_review(f"/cases/{filing_id}/assignment", {"instructor_id": self.staff_ids["instructor"]}, "reviewer")

    async def to_registered(self, filing_id: str) -> str:
        await self.to_instruction(filing_id)
        await self.post_review(f"/cases/{filing_id}/ready", None, "instructor")
        day = self.today() + timedelta(days=1)
        while day.month == 8:
            day += timedelta(days=1)
        made = await self.client.post("/api/review/sessions", json={"date": day.isoformat()}, headers=self.staff["commission"])
        self.session_id = expect(made, 201)["id"]
        await self.post_review(f"/sessions/{self.session_id}/agenda", {"filing_id": filing_id}, "commission", 201)
        self.p.advance_clock(days=(day - self.today()).days)
        opinion = {"filing_id": filing_id, "opinion": "favourable"}
        await self.post_review(f"/sessions/{self.session_id}/opinions", opinion, "commission", 201)
        decision = await self.post_review(f"/cases/{filing_id}/decision", {"register": True, "motivation": "Conforme."}, "director")
        number: str = decision["registration_number"]
        today = self.today().isoformat()
        jo = {"jo_date": today, "jo_reference": "JORF n°0280 texte n° 42", "effective_date": today}
        await self.post_review(f"/cases/{filing_id}/publication", jo, "director")
        return number

    async def letter_of(self, side: Side, filing_id: str) -> str:
        async def made() -> str | None:
            items = expect(await self.client.get("/api/notifier/letters", params={"filing_id": filing_id}, headers=side.manager), 200)
            return str(items["items"][0]["id"]) if items["items"] else None

        letter: str = await eventually(made, timeout=30)
        return letter

    async def build_side(self, side: Side) -> None:
        await self.new_entity(side)
        email, side.depositor_id = await self.colleague(side, approve=True)
        side.depositor_email = email
        side.depositor = await self.p.login(email, PASSWORD)
        _, side.pending_account_id = await self.colleague(side, approve=False)
        side.draft_id, side.draft_document_id = await self.filing(side, f"Brouillon {side.name}", submit=False)
        side.filing_id, side.document_id = await self.filing(side, f"Dossier {side.name}", submit=True)
        receipts = expect(await self.client.get(f"/api/filings/{side.filing_id}/receipts", headers=side.manager), 200)
        side.receipt_id = receipts["items"][0]["receipt_id"]
        await self.to_instruction(side.filing_id)
        message = expect(
            await self.client.post(
                f"/api/review/cases/{side.filing_id}/messages", json={"body": "Une question sur le dossier."}, headers=side.manager
            ),
            201,
        )
        side.message_id = message["id"]
        asked = await self.post_review(
            f"/cases/{side.filing_id}/external-opinions", {"expert": "Mme Experte", "question": "Votre avis ?"}, "director", 201
        )
        side.external_opinion_id = asked["id"]
        answered = await self.client.post(
            f"/api/review/cases/{side.filing_id}/external-opinions/{asked['id']}/answer",
            data={"answer": "Favorable."},
            files={"file": ("rapport.pdf", PDF, "application/pdf")},
            headers=self.staff["director"],
        )
        expect(answered, 200)
        side.registered_id, _ = await self.filing(side, f"Certification {side.name}", submit=True)
        side.registration_number = await self.to_registered(side.registered_id)
        await self.p.settle()
        side.letter_id = await self.letter_of(side, side.registered_id)
        notes = expect(await self.client.get("/api/notifier/notifications", headers=side.manager), 200)
        side.notification_id = notes["items"][0]["id"]


async def build_world(p: TestPlatform) -> World:
    world = World(p)
    for role in STAFF_ROLES:
        world.staff_ids[role], world.staff[role] = await world.create_staff(role)
    await world.build_side(world.a)
    await world.build_side(world.b)
    # A sign-up still at its draft entity application: the onboarding token's own objects.
    _, world.onboarding_account_id, world.onboarding = await world.register("Inscription")
    app = expect(
        await world.client.post(
            "/api/entities/applications",
            headers=world.onboarding,
            json={
                "kind": "other",
                "legal_form": "company",
                "has_siret": True,
                "siret": random_siret(),
                "denomination": "Société en cours d'inscription",
                "named_on_legal_proof": True,
            },
        ),
        201,
    )
    world.onboarding_application_id = app["application_id"]
    await p.settle()
    return world

"""One distributed platform for the whole end-to-end session (starting it takes seconds),
and the helpers the journeys share: unique people and SIRETs, the platform's date, a
poller for asynchronous effects, staff accounts, an approved entity manager, filings
filled in and submitted. Everything goes through the gateway."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import httpx
import pytest

from certreg_contracts.subscriptions import CONSUMERS
from certreg_testing.infra import SmtpSink, delete_namespace, links, text_body
from certreg_testing.platform import DistributedPlatform, start_platform
from certreg_testing.samples import random_siret

PASSWORD = "Correct-Horse-42!"
# A real (small) PDF: the services sniff the type from the first bytes.
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
# A Windows executable (MZ header), to be uploaded under a .pdf name.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
PARIS = ZoneInfo("Europe/Paris")
WAIT = 30.0  # seconds an asynchronous effect may take (events through RabbitMQ, mail)

T = TypeVar("T")


@pytest.fixture(scope="session")
def platform(tmp_path_factory, postgres, amqp_url, s3, smtp_sink) -> Iterator[DistributedPlatform]:
    workdir = tmp_path_factory.mktemp("platform")
    running = start_platform(
        workdir,
        database_url_template=postgres.database_url_template(),
        amqp_url=amqp_url,
        s3_env=s3.env(),
        smtp_env=smtp_sink.env(),
    )
    try:
        yield running
    finally:
        running.stop()
        # The quorum queues of this run would otherwise stay on the shared broker.
        namespace = running.env["CERTREG_BUS_NAMESPACE"]
        queues = [f"{namespace}.{name}{suffix}" for name in CONSUMERS for suffix in ("", ".parking")]
        _run(delete_namespace(amqp_url, namespace, queues))


# --------------------------------------------------------------------------- small helpers


def _run(coro: Any) -> None:
    """Run a coroutine from a sync fixture, whether or not an event loop is running."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coro)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coro).result()


def unique_email(who: str) -> str:
    return f"{who}.{uuid.uuid4().hex[:10]}@example.org"


def bad_checksum(siret: str) -> str:
    """The same SIRET with its last digit changed: the Luhn key no longer holds."""
    return siret[:-1] + str((int(siret[-1]) + 1) % 10)


def platform_today(platform: DistributedPlatform) -> date:
    """Today in Paris on the services' clock (real time plus the test offset)."""
    offset = float(platform.clock_file.read_text() or 0)
    return (datetime.now(UTC) + timedelta(seconds=offset)).astimezone(PARIS).date()


def date_fr(day: date) -> str:
    """How the mails write a date: « 1er décembre 2026 »."""
    months = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre")
    return f"{'1er' if day.day == 1 else day.day} {months[day.month - 1]} {day.year}"


def eventually(
    check: Callable[[], T | None], what: str, timeout: float = WAIT, interval: float = 0.2, explain: Callable[[], str] | None = None
) -> T:
    """Poll ``check`` until it returns something truthy (an AssertionError counts as "not
    yet"); fail with ``what``, the last error and ``explain()`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            result = check()
            if result:
                return result
            last = result
        except AssertionError as exc:
            last = exc
        if time.monotonic() > deadline:
            detail = f"\n{explain()}" if explain else ""
            pytest.fail(f"{what}: not reached within {timeout:g}s (last: {last}){detail}")
        time.sleep(interval)


def expect(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, f"{response.request.method} {response.request.url} -> {response.status_code}: {response.text}"
    return response.json() if response.content and "json" in response.headers.get("content-type", "") else response


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_of(msg: EmailMessage) -> str:
    """The one-time token of the link a mail carries."""
    found = [u for u in links(msg) if "token=" in u]
    assert found, f"no link with a token in: {text_body(msg)}"
    return parse_qs(urlparse(found[0]).query)["token"][0]


def field_errors(body: dict[str, Any]) -> dict[str, str]:
    """A 422 body as {last element of loc: type}."""
    return {str(e["loc"][-1]): e["type"] for e in body["detail"]}


# --------------------------------------------------------------------------- people


@dataclass
class Person:
    email: str
    password: str = PASSWORD
    account_id: str = ""
    entity_id: str = ""
    siret: str = ""
    application_id: str = ""
    first_name: str = ""
    last_name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Api:
    """An httpx client on the gateway, the SMTP sink and the platform."""

    client: httpx.Client
    platform: DistributedPlatform
    smtp: SmtpSink

    def today(self) -> date:
        return platform_today(self.platform)

    def login(self, person: Person) -> dict[str, str]:
        answer = expect(self.client.post("/api/identity/token", data={"username": person.email, "password": person.password}), 200)
        return bearer(answer["access_token"])

    def mail(self, to: str, subject_contains: str, timeout: float = WAIT) -> EmailMessage:
        return self.smtp.wait_for(to, subject_contains, timeout=timeout)

    # ---------------------------------------------------------------- step 1

    def register(self, first_name: str, last_name: str, email: str | None = None) -> tuple[Person, dict[str, str]]:
        """POST /accounts: the person and their onboarding token's header."""
        person = Person(email or unique_email(first_name.lower()), first_name=first_name, last_name=last_name)
        created = expect(
            self.client.post(
                "/api/identity/accounts",
                json={
                    "email": person.email,
                    "password": person.password,
                    "first_name": first_name,
                    "last_name": last_name,
                    "phone": "01 23 45 67 89",
                    "job_title": "Responsable certification",
                },
            ),
            201,
        )
        assert created["status"] == "pending_activation"
        person.account_id = created["account_id"]
        return person, bearer(created["onboarding_token"])

    def activate(self, person: Person) -> None:
        """The activation link of the mail, through its token."""
        msg = self.mail(person.email, "Activez votre compte")
        assert msg["To"] and person.email in str(msg["To"])
        answer = expect(self.client.post("/api/identity/activation", json={"token": token_of(msg), "password": person.password}), 200)
        assert answer["status"] == "pending_validation"

    def new_entity_application(self, person: Person, onboarding: dict[str, str], siret: str, denomination: str) -> dict[str, Any]:
        app = expect(
            self.client.post(
                "/api/entities/applications",
                headers=onboarding,
                json={
                    "kind": "other",
                    "legal_form": "association",
                    "has_siret": True,
                    "siret": siret,
                    "denomination": denomination,
                    "named_on_legal_proof": False,
                },
            ),
            201,
        )
        person.application_id, person.entity_id, person.siret = app["application_id"], app["entity_id"], siret
        created: dict[str, Any] = app
        return created

    def upload_entity_pieces(self, person: Person, onboarding: dict[str, str]) -> dict[str, dict[str, Any]]:
        base = f"/api/entities/applications/{person.application_id}/documents"
        legal = expect(
            self.client.put(f"{base}/legal_existence", headers=onboarding, files={"file": ("statuts.pdf", PDF, "application/pdf")}), 201
        )
        mandate = expect(
            self.client.put(
                f"{base}/mandate_delegation",
                params={"document_date": self.today().isoformat()},
                headers=onboarding,
                files={"file": ("mandat.pdf", PDF, "application/pdf")},
            ),
            201,
        )
        return {"legal_existence": legal, "mandate_delegation": mandate}

    def submit_application(self, person: Person, onboarding: dict[str, str]) -> None:
        answer = expect(self.client.post(f"/api/entities/applications/{person.application_id}/submit", headers=onboarding), 202)
        assert answer["status"] == "submitted"

    def pending_request(self, validator: dict[str, str], person: Person) -> dict[str, Any]:
        """The person's account request, once identity has linked it to its entity."""

        def listed() -> dict[str, Any] | None:
            items: list[dict[str, Any]] = expect(
                self.client.get("/api/identity/account-requests", params={"limit": 200}, headers=validator), 200
            )["items"]
            return next((i for i in items if i["account_id"] == person.account_id), None)

        return eventually(listed, f"account request of {person.email} listed for its validator")

    def join_entity(self, first_name: str, last_name: str, siret: str) -> Person:
        """A colleague asks to join an existing entity (no piece needed), activated."""
        person, onboarding = self.register(first_name, last_name)
        app = expect(self.client.post("/api/entities/applications", headers=onboarding, json={"has_siret": True, "siret": siret}), 201)
        assert app["new_entity"] is False and app["required_documents"] == []
        person.application_id, person.entity_id, person.siret = app["application_id"], app["entity_id"], siret
        self.submit_application(person, onboarding)
        self.activate(person)
        return person

    def approved_manager(self, admin: Person, denomination: str = "Organisme de formation") -> Person:
        """Step 1 in one call: a new entity whose first account the SI administrator approved."""
        person, onboarding = self.register("Camille", "Durand")
        self.new_entity_application(person, onboarding, random_siret(), f"{denomination} {uuid.uuid4().hex[:6]}")
        self.upload_entity_pieces(person, onboarding)
        self.submit_application(person, onboarding)
        self.activate(person)
        admin_headers = self.login(admin)
        self.pending_request(admin_headers, person)
        expect(self.client.post(f"/api/identity/account-requests/{person.account_id}/approve", headers=admin_headers, json={}), 200)
        self.mail(person.email, "Votre compte est validé")
        return person

    # ---------------------------------------------------------------- step 2

    def create_filing(self, headers: dict[str, str], **body: Any) -> dict[str, Any]:
        filing: dict[str, Any] = expect(self.client.post("/api/filings", headers=headers, json=body), 201)
        return filing

    def filing(self, headers: dict[str, str], filing_id: str) -> dict[str, Any]:
        filing: dict[str, Any] = expect(self.client.get(f"/api/filings/{filing_id}", headers=headers), 200)
        return filing

    def upload_piece(
        self, headers: dict[str, str], filing_id: str, doc_type: str, *, dated: bool = False, content: bytes = PDF
    ) -> dict[str, Any]:
        params = {"document_date": (self.today() - timedelta(days=10)).isoformat()} if dated else {}
        piece: dict[str, Any] = expect(
            self.client.post(
                f"/api/filings/{filing_id}/documents/{doc_type}",
                headers=headers,
                params=params,
                files={"file": (f"{doc_type}.pdf", content, "application/pdf")},
            ),
            201,
        )
        return piece

    def upload_required_pieces(self, headers: dict[str, str], filing_id: str) -> list[str]:
        """Every required piece of the checklist, dated ones dated ten days ago."""
        filing = self.filing(headers, filing_id)
        uploaded = []
        for line in filing["requirements"]:
            if line["required"] and not line["provided"]:
                self.upload_piece(headers, filing_id, line["doc_type"], dated=line["dated"])
                uploaded.append(line["doc_type"])
        return uploaded

    def case(self, headers: dict[str, str], filing_id: str) -> dict[str, Any]:
        case: dict[str, Any] = expect(self.client.get(f"/api/review/cases/{filing_id}", headers=headers), 200)
        return case

    def case_reaches(self, headers: dict[str, str], filing_id: str, status: str, **where: Any) -> dict[str, Any]:
        """The review case once it is in ``status`` (and its fields equal ``where``)."""

        def check() -> dict[str, Any] | None:
            response = self.client.get(f"/api/review/cases/{filing_id}", headers=headers)
            if response.status_code == 404:
                return None
            case: dict[str, Any] = expect(response, 200)
            assert case["status"] == status and all(case.get(k) == v for k, v in where.items()), (
                case["status"],
                {k: case.get(k) for k in where},
            )
            return case

        return eventually(check, f"case {filing_id} in state {status}")

    def filing_reaches(self, headers: dict[str, str], filing_id: str, case_status: str) -> dict[str, Any]:
        """The filing once filings learned review's status (editable items follow it)."""

        def check() -> dict[str, Any]:
            filing = self.filing(headers, filing_id)
            assert filing["case_status"] == case_status, filing["case_status"]
            return filing

        def explain() -> str:
            response = self.client.get(f"/api/filings/{filing_id}", headers=headers)
            review_status = self.client.get(f"/api/review/cases/{filing_id}", headers=headers).json().get("status")
            if review_status != case_status:
                return f"review's case is {review_status!r} itself"
            return (
                f"BUG (filings): review's case is {review_status!r} but the filing still shows "
                f"{response.json().get('case_status')!r}. filings applies review.case.status_changed in the order it "
                "handles them, not the order review made them (services/filings/src/filings/app/handlers.py, "
                "case_status_changed, overwrites case_status/editable_items with the last event handled; the RabbitMQ "
                "consumer runs up to prefetch=16 deliveries at once and retries reorder them): two transitions close "
                "together (e.g. return_to_commission + schedule in one transaction) can leave the older one in force."
            )

        return eventually(check, f"filing {filing_id} showing case status {case_status}", explain=explain)


RNCP_FIELDS: dict[str, Any] = {
    "qualification_level": 6,
    "summary": "Former des concepteurs d'applications.",
    "activities": ["Concevoir une application", "Déployer une application"],
    "competences": ["Analyser un besoin", "Développer une interface"],
    "competence_blocks": [
        {
            "code": "BC01",
            "title": "Concevoir une application",
            "competences": ["Analyser un besoin"],
            "assessment_methods": ["Mise en situation professionnelle"],
        }
    ],
    "assessment_methods": ["Mise en situation professionnelle"],
}
RS_FIELDS: dict[str, Any] = {
    "summary": "Habilitation à la conduite d'engins.",
    "competences": ["Conduire un engin en sécurité"],
    "assessment_methods": ["Épreuve pratique"],
}


def submitted_filing(api: Api, headers: dict[str, str], repertoire: str, title: str, reviewer: dict[str, str]) -> str:
    """A filing filled in, with every required piece, submitted, and received by review."""
    fields = RNCP_FIELDS if repertoire == "rncp" else RS_FIELDS
    filing = api.create_filing(headers, repertoire=repertoire, title=title, is_cqp=False, rests_on_standards=False, **fields)
    filing_id: str = filing["filing_id"]
    api.upload_required_pieces(headers, filing_id)
    expect(api.client.post(f"/api/filings/{filing_id}/submit", headers=headers, json={"sworn_statement": True}), 202)
    api.case_reaches(reviewer, filing_id, "received")
    return filing_id


# --------------------------------------------------------------------------- fixtures


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def _log_sizes(platform: DistributedPlatform) -> dict[str, int]:
    return {p.stem: p.stat().st_size for p in platform.workdir.glob("*.log")}


def _errors_since(platform: DistributedPlatform, sizes: dict[str, int]) -> str:
    """The services' error lines (and tracebacks) written since ``sizes`` were taken."""
    found = []
    for path in sorted(platform.workdir.glob("*.log")):
        with open(path, "rb") as fh:
            fh.seek(sizes.get(path.stem, 0))
            for line in fh.read().decode(errors="replace").splitlines():
                if '"level": "error"' in line or "Traceback" in line or '"exc": ' in line:
                    found.append(f"[{path.stem}] {line[:4000]}")
    return "\n".join(found)


@pytest.fixture
def api(request, platform, smtp_sink) -> Iterator[Api]:
    sizes = _log_sizes(platform)
    with httpx.Client(base_url=platform.base_url, timeout=30) as client:
        yield Api(client, platform, smtp_sink)
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        print(f"--- services' errors during {request.node.name} ---\n{_errors_since(platform, sizes) or '(none)'}")


@pytest.fixture(scope="session")
def si_admin(platform) -> Person:
    """The SI administrator, bootstrapped with ``certreg admin create``."""
    admin = Person(unique_email("admin.si"), first_name="Alex", last_name="Martin")
    done = subprocess.run(
        [sys.executable, "-m", "certreg", "admin", "create", "--email", admin.email, "--password", admin.password,
         "--first-name", admin.first_name, "--last-name", admin.last_name, "--role", "si_admin"],
        env=platform.env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return admin


@pytest.fixture(scope="session")
def staff(platform, smtp_sink, si_admin) -> dict[str, Person]:
    """One back-office agent per role, created by the SI administrator; each chose their
    password through the link of the mail."""
    people: dict[str, Person] = {}
    with httpx.Client(base_url=platform.base_url, timeout=30) as client:
        api = Api(client, platform, smtp_sink)
        admin = api.login(si_admin)
        for role, (first, last) in {
            "reviewer": ("Rémi", "Contrôle"),
            "instructor": ("Inès", "Instruction"),
            "commission": ("Claire", "Commission"),
            "director": ("Denis", "Direction"),
        }.items():
            person = Person(unique_email(role), first_name=first, last_name=last)
            made = expect(
                client.post("/api/identity/staff", headers=admin,
                            json={"email": person.email, "first_name": first, "last_name": last, "roles": [role]}),
                201,
            )  # fmt: skip
            person.account_id = made["account_id"]
            msg = api.mail(person.email, "choisissez votre mot de passe")
            expect(client.post("/api/identity/password/reset", json={"token": token_of(msg), "new_password": person.password}), 204)
            me = expect(client.get("/api/identity/me", headers=api.login(person)), 200)
            assert me["roles"] == [role] and me["status"] == "active"
            people[role] = person
    return people

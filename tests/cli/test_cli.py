"""The `certreg` command: the embedded platform answers for every service, and the
parking queues can be listed and replayed from the command line."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from certreg.cli import main
from certreg_contracts import Envelope
from certreg_contracts.events.platform import Ping
from certreg_contracts.types import SERVICES
from certreg_runtime.bus import Bus, OutgoingMessage
from certreg_runtime.bus.inprocess import InProcessBus
from certreg_runtime.bus.rabbit import RabbitBus
from certreg_testing.infra import delete_namespace, free_port, unique_namespace


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def certreg(*args: str, env: dict[str, str]) -> Ran:
    """``certreg ARGS`` with exactly ``env`` as its environment, run in this process: the
    commands read their settings from the environment at each call, and a subprocess
    would spend seconds importing the platform again (``certreg up`` below runs as one)."""
    out, err = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exit_:  # as the interpreter does: a message is printed, status 1
                if isinstance(exit_.code, str):
                    print(exit_.code, file=sys.stderr)
                code = exit_.code if isinstance(exit_.code, int) else (1 if exit_.code else 0)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return Ran(code, out.getvalue(), err.getvalue())


def test_certreg_up_answers_health_for_every_service(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTREG_")}
    env["CERTREG_DATA_DIR"] = str(tmp_path / "var")
    log = open(tmp_path / "up.log", "wb")  # noqa: SIM115 - the server writes to it until stopped
    proc = subprocess.Popen([sys.executable, "-m", "certreg", "up", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + float(os.environ.get("CERTREG_TEST_READY_SECONDS", "180"))  # as certreg_testing.platform
        healthy: dict[str, dict[str, str]] = {}
        while time.monotonic() < deadline and len(healthy) < len(SERVICES):
            assert proc.poll() is None, (tmp_path / "up.log").read_text()
            for name in SERVICES:
                try:
                    response = httpx.get(f"http://127.0.0.1:{port}/api/{name}/healthz", timeout=2)
                    if response.status_code == 200:
                        healthy[name] = response.json()
                except httpx.HTTPError:
                    pass
            time.sleep(0.3)
        assert healthy == {name: {"status": "ok", "service": name} for name in SERVICES}, (tmp_path / "up.log").read_text()
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        assert ready.status_code == 200, ready.text
        output = (tmp_path / "up.log").read_text()
        assert f"http://127.0.0.1:{port}" in output and "certreg admin create" in output
        # The embedded defaults: SQLite files and the durable bus in the data folder.
        assert {f"{n}.sqlite3" for n in SERVICES} <= {p.name for p in (tmp_path / "var").iterdir()}
        assert (tmp_path / "var" / "bus.sqlite3").exists()
    finally:
        proc.terminate()
        proc.wait(30)


async def _park_one(bus: Bus, consumer: str) -> Envelope:
    """Subscribe a handler that always fails, publish one event, wait until it is parked."""

    async def broken(_: Envelope) -> None:
        raise RuntimeError("handler bug #42")

    bus.subscribe(consumer, [Ping.routing_key], broken)
    await bus.start()
    envelope = Envelope.wrap(Ping(seq=1), producer="test")
    await bus.publish([OutgoingMessage(envelope)])
    for _ in range(200):
        if await bus.parked(consumer):
            break
        await asyncio.sleep(0.05)
    await bus.close()
    return envelope


@pytest.mark.parametrize("kind", ["inprocess", "rabbitmq"])
async def test_dlq_list_and_replay_from_the_command_line(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTREG_")}
    env["CERTREG_DATA_DIR"] = str(tmp_path)
    consumer = "notifier"
    bus: Bus
    if kind == "rabbitmq":
        amqp_url = request.getfixturevalue("amqp_url")
        namespace = unique_namespace()
        env |= {"CERTREG_AMQP_URL": amqp_url, "CERTREG_BUS_NAMESPACE": namespace}
        bus = RabbitBus(amqp_url, namespace=namespace, max_attempts=2, backoff=0.01)
    else:
        bus = InProcessBus(tmp_path / "bus.sqlite3", max_attempts=2, backoff=0.01)
    try:
        envelope = await _park_one(bus, consumer)

        listed = await asyncio.to_thread(certreg, "dlq", "list", "--consumer", consumer, env=env)
        assert listed.returncode == 0, listed.stderr
        assert str(envelope.event_id) in listed.stdout and "handler bug #42" in listed.stdout
        assert "1 parked message(s)" in listed.stdout

        replayed = await asyncio.to_thread(certreg, "dlq", "replay", "--consumer", consumer, env=env)
        assert replayed.returncode == 0, replayed.stderr
        assert f"1 message(s) replayed to {consumer}" in replayed.stdout
        after = await asyncio.to_thread(certreg, "dlq", "list", "--consumer", consumer, env=env)
        assert "0 parked message(s)" in after.stdout
    finally:
        if kind == "rabbitmq":
            await delete_namespace(amqp_url, namespace, [f"{namespace}.{consumer}", f"{namespace}.{consumer}.parking"])


def test_a_production_service_on_the_embedded_defaults_is_refused_with_the_reasons(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTREG_")}
    env |= {"CERTREG_DATA_DIR": str(tmp_path), "CERTREG_ENVIRONMENT": "production", "CERTREG_PUBLIC_URL": "https://certreg.example.org"}
    refused = certreg("serve", "filings", "--port", str(free_port()), env=env)
    assert refused.returncode == 2
    assert "refused in production" in refused.stderr and "Traceback" not in refused.stderr
    for variable in ("CERTREG_DATABASE_URL", "CERTREG_AMQP_URL", "CERTREG_S3_ENDPOINT"):
        assert variable in refused.stderr
    assert not (tmp_path / "filings.sqlite3").exists()

    unsafe = certreg("migrate", env=env | {"CERTREG_PUBLIC_URL": "http://certreg.example.org"})
    assert unsafe.returncode == 2 and "CERTREG_PUBLIC_URL='http://certreg.example.org' is not https" in unsafe.stderr

    unknown = certreg("dlq", "list", env=env | {"CERTREG_ENVIRONMENT": "staging"})
    assert unknown.returncode == 2 and "invalid configuration:\nCERTREG_ENVIRONMENT: Input should be" in unknown.stderr


def test_admin_create_makes_an_active_account_once(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTREG_")}
    env["CERTREG_DATA_DIR"] = str(tmp_path)
    args = ("admin", "create", "--email", "Admin@Example.org", "--password", "Un-Mot-De-Passe-Solide-42", "--role", "si_admin")
    created = certreg(*args, env=env)
    assert created.returncode == 0, created.stderr
    assert "created (si_admin), active" in created.stdout
    again = certreg(*args, env=env)
    assert again.returncode == 1 and "Un compte existe déjà avec l'adresse admin@example.org." in again.stderr


def test_admin_disable_and_enable_an_account(tmp_path: Path) -> None:
    """Offboarding from the command line (issue 11, point 8)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTREG_")}
    env["CERTREG_DATA_DIR"] = str(tmp_path)
    create = ("admin", "create", "--email", "partant@example.org", "--password", "Un-Mot-De-Passe-Solide-42", "--role", "reviewer")
    assert certreg(*create, env=env).returncode == 0
    disabled = certreg("admin", "disable", "--email", "Partant@Example.org", env=env)
    assert disabled.returncode == 0, disabled.stderr
    assert "partant@example.org): disabled" in disabled.stdout
    twice = certreg("admin", "disable", "--email", "partant@example.org", env=env)
    assert twice.returncode == 1 and "disabled" in twice.stderr
    enabled = certreg("admin", "enable", "--email", "partant@example.org", env=env)
    assert enabled.returncode == 0 and enabled.stdout.strip().endswith(": active")


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_the_gateway_serves_from_several_processes(tmp_path: Path) -> None:
    """Issue 16, gateway scale-out: ``certreg serve gateway --workers 2`` runs two gateway
    processes on one port, each proxying to the services' sets (a dead member skipped)."""
    import threading

    import uvicorn
    from fastapi import FastAPI

    from certreg_testing.dead_ends import refused_port

    upstream = FastAPI()

    @upstream.get("/api/{service}/who")
    def who(service: str) -> dict[str, str]:
        return {"service": service}

    upstream_port = free_port()
    server = uvicorn.Server(uvicorn.Config(upstream, host="127.0.0.1", port=upstream_port, log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTREG_")}
    env["CERTREG_DATA_DIR"] = str(tmp_path / "var")
    for name in SERVICES:
        env[f"CERTREG_{name.upper()}_URL"] = f"http://127.0.0.1:{refused_port()},http://127.0.0.1:{upstream_port}"
    log = open(tmp_path / "gateway.log", "wb")  # noqa: SIM115 - the server writes to it until stopped
    command = [sys.executable, "-m", "certreg", "serve", "gateway", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180  # each worker imports everything: slow on a busy machine
        answers: list[httpx.Response] = []
        while time.monotonic() < deadline and len(answers) < 10:
            assert proc.poll() is None, (tmp_path / "gateway.log").read_text()
            try:
                answers.append(httpx.get(f"http://127.0.0.1:{port}/api/filings/who", timeout=5))
            except httpx.HTTPError:
                time.sleep(0.2)
        assert [a.status_code for a in answers] == [200] * 10, (tmp_path / "gateway.log").read_text()
        assert answers[0].json() == {"service": "filings"}
        workers = [pid for pid in _children(proc.pid) if b"multiprocessing-fork" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert len(workers) == 2
    finally:
        proc.terminate()
        proc.wait(30)
        server.should_exit = True
        thread.join(10)

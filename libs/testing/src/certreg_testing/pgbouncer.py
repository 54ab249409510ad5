"""A PgBouncer in transaction pooling, in front of the test PostgreSQL (the Debian
``pgbouncer`` package; tests that need it are skipped without it).

    with PgBouncer(postgres_url) as bouncer:
        engine = create_db_engine(bouncer.url(database_url), ...)

Transaction pooling is what deploy/ runs: a server connection belongs to a client for
one transaction only, so session state (prepared statements, ``SET``, session advisory
locks, ``LISTEN``) does not survive from one transaction to the next.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from sqlalchemy.engine import make_url

from certreg_testing.infra import free_port, port_open

BINARY = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None)


class PgBouncer:
    def __init__(self, server_url: str, *, pool_size: int = 4, max_client_conn: int = 200) -> None:
        if BINARY is None:
            raise RuntimeError("pgbouncer is not installed (apt-get install pgbouncer)")
        self.server = make_url(server_url)
        self.pool_size = pool_size
        self.max_client_conn = max_client_conn
        self.port = free_port()
        self._dir = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, database_url: str) -> str:
        """``database_url`` (a database of the same server) through the bouncer."""
        return make_url(database_url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def start(self) -> PgBouncer:
        user = self.server.username or "postgres"
        password = self.server.password or ""
        (self._dir / "users.txt").write_text(f'"{user}" "{password}"\n')
        (self._dir / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={self.server.host or '127.0.0.1'} port={self.server.port or 5432}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = {'plain' if password else 'trust'}\nauth_file = {self._dir / 'users.txt'}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {self.pool_size}\nmax_client_conn = {self.max_client_conn}\n"
            "ignore_startup_parameters = extra_float_digits,options\n"
            f"logfile = {self._dir / 'pgbouncer.log'}\npidfile = {self._dir / 'pgbouncer.pid'}\n"
        )
        command = [BINARY or "pgbouncer", str(self._dir / "pgbouncer.ini")]
        if os.geteuid() == 0:  # it refuses to run as root
            shutil.chown(self._dir, "postgres")
            for name in ("users.txt", "pgbouncer.ini"):
                shutil.chown(self._dir / name, "postgres")
            command[1:1] = ["-u", "postgres"]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while not port_open("127.0.0.1", self.port, timeout=0.2):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"pgbouncer did not start: {self.log()}")
            time.sleep(0.05)
        return self

    def log(self) -> str:
        path = self._dir / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> PgBouncer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

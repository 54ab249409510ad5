"""Dependencies that fail the worst ways, for fault tests: a server that accepts TCP
connections and never answers (``SilentServer``) and a port nothing listens on
(``refused_port``)."""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType

from certreg_testing.infra import free_port


def refused_port() -> int:
    """A port on 127.0.0.1 where a connection is refused (nothing listens, a moment ago)."""
    return free_port()


class SilentServer:
    """Accepts every connection on 127.0.0.1, reads what comes, answers nothing and
    closes nothing until ``close()``: a blackholed database, S3 or SMTP server."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port: int = self._sock.getsockname()[1]
        self.accepted = 0
        self._conns: list[socket.socket] = []
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="silent-server", daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.accepted += 1
            self._conns.append(conn)
            threading.Thread(target=self._swallow, args=(conn,), daemon=True).start()

    def _swallow(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while conn.recv(65536):
                pass

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._sock.close()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.close()

    def __enter__(self) -> SilentServer:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


__all__ = ["SilentServer", "refused_port"]

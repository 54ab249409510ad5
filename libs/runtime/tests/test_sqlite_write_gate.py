"""The embedded mode's writers of one SQLite file take turns first come, first served
(``certreg_runtime.db.WriteGate``), woken as the writer before them ends, however it ends.

Before: each writer waited in SQLite's busy handler, which polls with sleeps of up to
100 ms, and the lock went to whoever polled first: a writer that had waited long was
overtaken by one that had just come (500 depositors filing at once: p99 28 s). The
PostgreSQL mode has row locks and needs no gate."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from certreg_runtime import db
from certreg_runtime.db import create_db_engine
from certreg_runtime.faults import is_transient


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'gate.sqlite3'}", pool_size=8)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE turns (who TEXT)"))
    yield engine
    engine.dispose()


def write_after(engine: sa.Engine, who: str, start: float, hold: float, order: list[str]) -> threading.Thread:
    """A thread that starts writing at ``start`` (perf_counter), notes when it got the
    write lock, holds it ``hold`` seconds, then commits."""

    def run() -> None:
        time.sleep(max(0.0, start - time.perf_counter()))
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO turns VALUES (:who)"), {"who": who})  # BEGIN IMMEDIATE: the lock
            order.append(who)
            time.sleep(hold)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_writer_that_waited_longer_goes_first(engine: sa.Engine) -> None:
    """``first`` holds the lock 0.6 s; ``early`` comes at 0.05 s, ``late`` at 0.55 s, just
    before the lock is let go. SQLite's busy handler had ``early`` asleep for 100 ms at a
    time by then, while ``late`` polled every few ms and took the lock first."""
    order: list[str] = []
    t0 = time.perf_counter()
    threads = [
        write_after(engine, "first", t0, 0.6, order),
        write_after(engine, "early", t0 + 0.05, 0.0, order),
        write_after(engine, "late", t0 + 0.55, 0.0, order),
    ]
    for thread in threads:
        thread.join(timeout=30)
    assert order == ["first", "early", "late"]


def test_the_gate_is_let_go_however_the_transaction_ends(engine: sa.Engine) -> None:
    """A transaction that fails (rolled back) or whose connection is thrown away lets the
    next writer in at once, not after a timeout."""

    def fail() -> None:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO turns VALUES ('failed')"))
            conn.execute(sa.text("INSERT INTO no_such_table VALUES (1)"))

    with pytest.raises(sa.exc.OperationalError):
        fail()
    conn = engine.connect()
    conn.execute(sa.text("INSERT INTO turns VALUES ('dropped')"))
    conn.invalidate()  # the DBAPI connection closed, its transaction with it
    conn.close()
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO turns VALUES ('next')"))
    assert time.perf_counter() - started < 1.0
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT who FROM turns")).scalars().all() == ["next"]


def test_a_writer_that_waits_too_long_gets_a_transient_failure(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the busy timeout, as SQLite itself would: "database is locked", a transient
    failure (503 with Retry-After for a request, a retry for a handler)."""
    monkeypatch.setattr(db, "SQLITE_BUSY_SECONDS", 0.2)
    with engine.begin() as holder:
        holder.execute(sa.text("INSERT INTO turns VALUES ('holder')"))
        failure: list[BaseException] = []

        def late() -> None:
            try:
                with engine.begin() as conn:
                    conn.execute(sa.text("INSERT INTO turns VALUES ('late')"))
            except BaseException as exc:  # what it raised is the test's subject
                failure.append(exc)

        thread = threading.Thread(target=late)
        thread.start()
        thread.join(timeout=10)
    assert len(failure) == 1 and "database is locked" in str(failure[0])
    assert is_transient(failure[0])
    with engine.begin() as conn:  # the gate was not left held by the one that gave up
        conn.execute(sa.text("INSERT INTO turns VALUES ('after')"))

"""The unit of work's exit: after a commit there is nothing to roll back; a rollback that
fails (the connection just died) never hides the error that caused it, nor turns a block
that ended normally into a failure."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from certreg_contracts.events.platform import Ping
from certreg_runtime.db import create_db_engine
from certreg_runtime.messaging import UnitOfWork, outbox_table
from certreg_testing.infra import unique_db_prefix
from certreg_testing.probe import effects, metadata
from certreg_testing.tcp_proxy import TcpProxy
from certreg_testing.unit import memory_engine


@pytest.fixture
def engine():
    engine = memory_engine(metadata)
    yield engine
    engine.dispose()


def test_after_a_commit_exit_does_not_roll_back(engine) -> None:
    rollbacks: list[str] = []
    with UnitOfWork(engine, metadata, "probe") as uow:
        uow.session.execute(effects.insert().values(event_id="e1", seq=1, trace_id="0"))
        uow.emit(Ping(seq=1))
        uow.commit()
        uow.session.rollback = lambda: rollbacks.append("rollback")  # type: ignore[method-assign]
    assert rollbacks == []
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(effects)).scalar_one() == 1
        assert conn.execute(sa.select(sa.func.count()).select_from(outbox_table(metadata))).scalar_one() == 1


def test_work_after_the_commit_is_not_kept(engine) -> None:
    with UnitOfWork(engine, metadata, "probe") as uow:
        uow.session.execute(effects.insert().values(event_id="e1", seq=1, trace_id="0"))
        uow.commit()
        uow.session.execute(effects.insert().values(event_id="e2", seq=2, trace_id="0"))  # never committed
    with engine.connect() as conn:
        assert conn.execute(sa.select(effects.c.event_id)).scalars().all() == ["e1"]


@pytest.fixture
async def cut_database(postgres):
    """A PostgreSQL database behind a TCP proxy, and a way to run a unit of work in a
    thread whose connection is cut at the moment it says."""
    url = make_url(postgres.create_database(f"{unique_db_prefix()}_probe"))
    direct = create_db_engine(url.render_as_string(hide_password=False))
    metadata.create_all(direct)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    engine = create_db_engine(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))

    async def run(work: Callable[[UnitOfWork, Callable[[], None]], None]) -> None:
        cut_now, cut_done = threading.Event(), threading.Event()

        def cut() -> None:
            cut_now.set()
            assert cut_done.wait(10)

        def in_thread() -> None:
            with UnitOfWork(engine, metadata, "probe") as uow:
                work(uow, cut)

        task = asyncio.ensure_future(asyncio.to_thread(in_thread))
        await asyncio.to_thread(cut_now.wait, 10)
        await proxy.stop()  # the connection dies under the open transaction
        await asyncio.sleep(0.2)
        cut_done.set()
        await task

    try:
        yield run
    finally:
        await proxy.stop()
        engine.dispose()
        direct.dispose()


async def test_a_failing_rollback_does_not_replace_the_original_error(cut_database, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="certreg_runtime.messaging")

    def work(uow: UnitOfWork, cut: Callable[[], None]) -> None:
        uow.session.execute(effects.insert().values(event_id="e1", seq=1, trace_id="0"))
        cut()
        raise LookupError("the real error")

    with pytest.raises(LookupError, match="the real error"):
        await cut_database(work)
    logged = [r.getMessage() for r in caplog.records if r.name == "certreg_runtime.messaging"]
    assert len(logged) == 1 and "failed" in logged[0] and "the real error" in logged[0], logged


async def test_a_failing_rollback_after_a_read_is_logged_not_raised(cut_database, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="certreg_runtime.messaging")

    def work(uow: UnitOfWork, cut: Callable[[], None]) -> None:
        uow.session.execute(sa.select(effects)).all()
        cut()

    await cut_database(work)  # the read was done: leaving the block does not fail
    assert any("closing (rolling back what was not committed) failed" in r.getMessage() for r in caplog.records)


def test_a_read_only_unit_of_work_opens_no_transaction_on_postgresql(postgres, engine) -> None:
    """``Deps.reads()``: its statements run in autocommit (no ``BEGIN``/``ROLLBACK`` round
    trips, issue 16); the connection goes back to the pool as it came, and the next unit of
    work has its transaction. SQLite's engine is left as it is."""
    from psycopg.pq import TransactionStatus

    pg = create_db_engine(postgres.create_database(f"{unique_db_prefix()}_reads"), pool_size=1)
    try:
        for _ in range(2):
            with UnitOfWork(pg, metadata, "probe", read_only=True) as uow:
                assert uow.session.execute(sa.select(sa.literal(1))).scalar_one() == 1
                dbapi = uow.session.connection().connection.dbapi_connection
                assert dbapi is not None and dbapi.autocommit
                assert dbapi.pgconn.transaction_status == TransactionStatus.IDLE
            with UnitOfWork(pg, metadata, "probe") as uow:
                uow.session.execute(sa.select(sa.literal(1)))
                same = uow.session.connection().connection.dbapi_connection
                assert same is dbapi and not same.autocommit
                assert same.pgconn.transaction_status == TransactionStatus.INTRANS
    finally:
        pg.dispose()
    with UnitOfWork(engine, metadata, "probe", read_only=True) as uow:
        assert uow.session.get_bind() is engine

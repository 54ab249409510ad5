"""The runtime's concurrency mechanism (docs/DEVELOPING.md, "Concurrency"), on SQLite and
PostgreSQL: a read ``FOR UPDATE`` holds what it read until commit; an aggregate's
optimistic version turns a stale update into ``StaleDataError``, answered 409
``concurrent_update``. The services' endpoints are tried in tests/concurrency."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.orm import registry
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Field, Session, SQLModel

from certreg_runtime.db import VERSIONED, create_db_engine, row_version
from certreg_runtime.web import install_error_handlers


class ProbeBase(SQLModel, registry=registry()):
    pass


class Thing(ProbeBase, table=True):
    __tablename__ = "things"
    __mapper_args__ = VERSIONED
    row_version: int = row_version()

    id: int = Field(primary_key=True)
    state: str = Field(max_length=20)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'things.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres").create_database(f"things_{uuid.uuid4().hex[:8]}")
    engine = create_db_engine(url)
    ProbeBase.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Thing(id=1, state="draft"))
        session.commit()
    yield engine
    engine.dispose()


def test_what_is_read_for_update_stays_so_until_commit(engine: sa.Engine) -> None:
    """Eight submissions at once, each reading the state locked then changing it after a
    pause: one finds it a draft."""
    barrier, won = threading.Barrier(8), []

    def submit() -> None:
        barrier.wait(timeout=10)
        with Session(engine) as session:
            thing = session.get(Thing, 1, with_for_update=True)
            assert thing is not None
            if thing.state == "draft":
                time.sleep(0.05)
                thing.state = "submitted"
                session.add(thing)
                won.append(1)
            session.commit()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1


def test_a_read_takes_no_write_lock_on_sqlite(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        conn.execute(sa.select(Thing)).all()
        driver = conn.connection.driver_connection
        if engine.dialect.name == "sqlite":
            assert driver is not None and not driver.in_transaction


def test_a_stale_update_raises_instead_of_overwriting(engine: sa.Engine) -> None:
    """Two changes of what each read without a lock: the second is refused."""
    with Session(engine) as first, Session(engine) as second:
        a, b = first.get(Thing, 1), second.get(Thing, 1)
        assert a is not None and b is not None
        a.state = "submitted"
        first.add(a)
        first.commit()
        b.state = "withdrawn"
        second.add(b)
        with pytest.raises(StaleDataError):
            second.commit()
    with Session(engine) as session:
        thing = session.get(Thing, 1)
        assert thing is not None and (thing.state, thing.row_version) == ("submitted", 2)


async def test_a_stale_update_answers_409_concurrent_update() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/things/1/submit")
    def submit() -> None:
        raise StaleDataError("UPDATE statement on table 'things' expected to update 1 row(s); 0 were matched.")

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        answer = await client.post("/things/1/submit")
    assert answer.status_code == 409
    assert answer.json()["code"] == "concurrent_update"
    assert "modifié" in answer.json()["detail"]


def test_every_aggregate_is_versioned() -> None:
    from entities.adapters.tables import Application
    from filings.adapters.tables import Filing
    from identity.adapters.tables import Account
    from review.adapters.tables import Case

    for aggregate in (Filing, Case, Application, Account):
        assert sa.inspect(aggregate).version_id_col is not None, aggregate

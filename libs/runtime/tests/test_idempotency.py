"""Idempotency keys on their own (``certreg_runtime.idempotency``): the answer kept with
the change, replayed for the same request, refused for another, forgotten after
``KEEP_FOR`` (then the request runs again) and purged."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
import sqlalchemy as sa
from pydantic import BaseModel

from certreg_runtime.auth import Principal
from certreg_runtime.errors import Conflict, Invalid, conflict
from certreg_runtime.idempotency import KEEP_FOR, Once, Replay, add_idempotency_table, answer_once, fingerprint, purge_expired
from certreg_runtime.messaging import UnitOfWork, add_messaging_tables
from certreg_testing.unit import memory_engine

metadata = sa.MetaData()
add_messaging_tables(metadata)
add_idempotency_table(metadata)
things = sa.Table("things", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(50)))


class ThingOut(BaseModel):
    id: int
    name: str


@pytest.fixture
def engine() -> Iterator[sa.Engine]:
    engine = memory_engine(metadata)
    yield engine
    engine.dispose()


def user(account: uuid.UUID | None = None) -> Principal:
    return Principal(
        account_id=account or uuid.uuid4(), email="a@example.org", roles=frozenset({"depositor"}), entity_id=None, scope="access"
    )


def make(engine: sa.Engine, name: str, once: Once[tuple[int, str], ThingOut] | None) -> tuple[int, str]:
    with UnitOfWork(engine, metadata, "probe") as uow:
        new_id = int(uow.session.execute(things.insert().values(name=name).returning(things.c.id)).scalar_one())
        if once:
            once.keep(uow, (new_id, name))
        uow.commit()
        return new_id, name


def render(made: tuple[int, str]) -> ThingOut:
    return ThingOut(id=made[0], name=made[1])


def call(engine: sa.Engine, who: Principal, key: str | None, name: str) -> ThingOut:
    return answer_once(
        partial(UnitOfWork, engine, metadata, "probe"),
        who,
        key,
        "make",
        ({"name": name},),
        201,
        render,
        lambda once: make(engine, name, once),
    )


def count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(things)).scalar_one())


def test_the_same_request_again_replays_the_kept_answer(engine: sa.Engine) -> None:
    me = user()
    first = call(engine, me, "k1", "a")
    with pytest.raises(Replay) as replay:
        call(engine, me, "k1", "a")
    assert replay.value.status == 201 and ThingOut.model_validate_json(replay.value.body) == first
    assert count(engine) == 1


def test_another_request_with_the_key_is_refused(engine: sa.Engine) -> None:
    me = user()
    call(engine, me, "k1", "a")
    with pytest.raises(Invalid) as refused:
        call(engine, me, "k1", "b")
    assert refused.value.code == "idempotency_key_reused"
    assert count(engine) == 1


def test_without_a_key_or_with_another_caller_the_request_runs(engine: sa.Engine) -> None:
    call(engine, user(), None, "a")
    call(engine, user(), None, "a")
    call(engine, user(), "k1", "a")
    call(engine, user(), "k1", "a")
    assert count(engine) == 4


def test_a_failure_keeps_nothing(engine: sa.Engine) -> None:
    me = user()

    def failing(once: Once[tuple[int, str], ThingOut] | None) -> tuple[int, str]:
        raise conflict("pas maintenant", code="not_now")

    with pytest.raises(Conflict):
        answer_once(partial(UnitOfWork, engine, metadata, "probe"), me, "k1", "make", ({"name": "a"},), 201, render, failing)
    call(engine, me, "k1", "a")  # sent again: it runs
    assert count(engine) == 1


def test_keys_are_forgotten_after_their_time_and_purged(engine: sa.Engine) -> None:
    me = user()
    call(engine, me, "k1", "a")
    keys = metadata.tables["idempotency_keys"]
    with engine.begin() as conn:
        conn.execute(keys.update().values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    call(engine, me, "k1", "a")  # past its time the key is unknown: the request runs again
    assert count(engine) == 2
    assert purge_expired(engine, datetime.now(UTC) + KEEP_FOR + timedelta(seconds=1)) == 1
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(keys)).scalar_one() == 0


def test_keys_are_visible_ascii_up_to_255_characters(engine: sa.Engine) -> None:
    for bad in ("", "a b", "x" * 256, "clé"):
        with pytest.raises(Invalid) as refused:
            call(engine, user(), bad, "a")
        assert refused.value.detail[0]["loc"] == ["header", "Idempotency-Key"]
    call(engine, user(), "x" * 255, "a")


def test_the_fingerprint_is_the_operation_and_the_request() -> None:
    assert fingerprint("make", {"a": 1, "b": 2}) == fingerprint("make", {"b": 2, "a": 1})
    assert fingerprint("make", {"a": 1}) != fingerprint("other", {"a": 1})
    assert fingerprint("make", ThingOut(id=1, name="x")) == fingerprint("make", {"id": 1, "name": "x"})

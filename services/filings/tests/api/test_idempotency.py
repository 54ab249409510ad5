"""Creating and submitting a filing with an ``Idempotency-Key`` (both modes: SQLite and
the in-process bus, PostgreSQL and RabbitMQ): the same request again replays the first
answer and changes nothing more; another request with the key is refused; keys are the
caller's. And an answer is never an error once the change is committed."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from certreg_runtime.messaging import UnitOfWork
from certreg_testing.infra import unique_namespace
from certreg_testing.samples import RNCP_FILING
from filings.adapters.tables import Filing, Receipt
from services.filings.tests.conftest import Harness, filings_platform

MODES = ["embedded", "distributed"]


@asynccontextmanager
async def platform(tmp_path: Path, mode: str, request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    overrides: dict[str, Any] = {}
    if mode == "distributed":
        postgres, amqp_url = request.getfixturevalue("postgres"), request.getfixturevalue("amqp_url")
        overrides = {"database_url": postgres.database_url_template(), "amqp_url": amqp_url, "bus_namespace": unique_namespace()}
    async with filings_platform(tmp_path, **overrides) as h:
        yield h


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def drafts(h: Harness, entity_id: uuid.UUID) -> list[Filing]:
    return h.p.rows("filings", Filing, entity_id=entity_id)


@pytest.mark.parametrize("mode", MODES)
async def test_creating_again_with_the_key_replays_the_answer_and_makes_one_draft(tmp_path, mode, request) -> None:
    async with platform(tmp_path, mode, request) as h:
        dep, k = h.depositor(), key()
        first = await h.client.post("/api/filings", json=RNCP_FILING, headers={**dep, **k})
        again = await h.client.post("/api/filings", json=RNCP_FILING, headers={**dep, **k})
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in first.headers
        # at once, five more times (a client retrying while the first is in flight)
        together = await asyncio.gather(*(h.client.post("/api/filings", json=RNCP_FILING, headers={**dep, **k}) for _ in range(5)))
        assert {r.status_code for r in together} == {201} and {r.json()["filing_id"] for r in together} == {first.json()["filing_id"]}
        assert [f.id for f in drafts(h, h.entity_id)] == [uuid.UUID(first.json()["filing_id"])]
        assert len(h.outbox("filings.filing.created")) == 1
        # without a key, each request is a new draft (as before)
        await h.client.post("/api/filings", json=RNCP_FILING, headers=dep)
        assert len(drafts(h, h.entity_id)) == 2


@pytest.mark.parametrize("mode", MODES)
async def test_simultaneous_creations_with_one_key_make_one_draft(tmp_path, mode, request) -> None:
    async with platform(tmp_path, mode, request) as h:
        dep, k = h.depositor(), key()
        together = await asyncio.gather(*(h.client.post("/api/filings", json=RNCP_FILING, headers={**dep, **k}) for _ in range(6)))
        assert {r.status_code for r in together} == {201}, [r.text for r in together]
        assert len({r.json()["filing_id"] for r in together}) == 1
        assert len(drafts(h, h.entity_id)) == 1 and len(h.outbox("filings.filing.created")) == 1
        replayed = sum(1 for r in together if "idempotent-replayed" in r.headers)
        print(f"\n[{mode}] 6 simultaneous creations with one key: 1 draft, {replayed} replayed")


@pytest.mark.parametrize("mode", MODES)
async def test_a_key_used_for_another_request_is_refused(tmp_path, mode, request) -> None:
    async with platform(tmp_path, mode, request) as h:
        dep, k = h.depositor(), key()
        assert (await h.client.post("/api/filings", json=RNCP_FILING, headers={**dep, **k})).status_code == 201
        other = await h.client.post("/api/filings", json={**RNCP_FILING, "title": "Autre intitulé"}, headers={**dep, **k})
        assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
        [error] = other.json()["detail"]
        assert error["loc"] == ["header", "Idempotency-Key"] and "nouvelle clé" in error["msg"]
        assert len(drafts(h, h.entity_id)) == 1
        bad = await h.client.post("/api/filings", json=RNCP_FILING, headers={**dep, "Idempotency-Key": "x" * 256})
        assert bad.status_code == 422 and bad.json()["detail"][0]["type"] == "idempotency_key"


async def test_keys_belong_to_their_caller(h: Harness) -> None:
    k = key()
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    a = await h.client.post("/api/filings", json=RNCP_FILING, headers={**h.depositor(mine), **k})
    b = await h.client.post("/api/filings", json=RNCP_FILING, headers={**h.depositor(theirs), **k})
    assert a.status_code == b.status_code == 201 and "idempotent-replayed" not in b.headers
    assert a.json()["filing_id"] != b.json()["filing_id"]
    assert len(drafts(h, mine)) == len(drafts(h, theirs)) == 1


@pytest.mark.parametrize("mode", MODES)
async def test_submitting_again_with_the_key_replays_202_not_409(tmp_path, mode, request) -> None:
    async with platform(tmp_path, mode, request) as h:
        dep = h.depositor()
        filing = await h.create(dep)
        await h.complete(dep, filing)
        fid, k = filing["filing_id"], key()
        first = await h.client.post(f"/api/filings/{fid}/submit", json={"sworn_statement": True}, headers={**dep, **k})
        again = await h.client.post(f"/api/filings/{fid}/submit", json={"sworn_statement": True}, headers={**dep, **k})
        assert first.status_code == again.status_code == 202, again.text
        assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
        without = await h.client.post(f"/api/filings/{fid}/submit", json={"sworn_statement": True}, headers=dep)
        assert without.status_code == 409  # a new submission, without the key, is one too many
        assert len(h.p.rows("filings", Receipt, filing_id=uuid.UUID(fid))) == 1
        assert len(h.outbox("filings.filing.submitted")) == 1


# --------------------------------------------------------------------------- no error once committed


@contextlib.contextmanager
def database_fails_after_each_commit(h: Harness) -> Iterator[list[str]]:
    """From the moment a unit of work of filings commits, every statement on filings'
    database fails (as when the connection dies right after the commit) until the
    request is answered. Yields the statements refused."""
    engine = h.ctx.engine
    refused: list[str] = []
    state = {"cut": False}

    def refuse(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if state["cut"]:
            refused.append(statement.split()[0])
            raise sa.exc.OperationalError(statement, {}, Exception("disk I/O error (the connection was lost after the commit)"))

    commit = UnitOfWork.commit

    def commit_then_cut(self: UnitOfWork) -> None:
        commit(self)
        if self.session.get_bind() is engine:
            state["cut"] = True

    sa.event.listen(engine, "before_cursor_execute", refuse)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(UnitOfWork, "commit", commit_then_cut)
            yield refused
    finally:
        sa.event.remove(engine, "before_cursor_execute", refuse)
        state["cut"] = False


@pytest.mark.parametrize("mode", MODES)
async def test_create_and_submit_answer_what_they_committed_even_if_the_database_fails_after(tmp_path, mode, request) -> None:
    """On the old main both read again after their commit: the database failing then
    made the answer an error (500, then 503) for a draft made, a filing submitted."""
    async with platform(tmp_path, mode, request) as h:
        dep = h.depositor()
        with database_fails_after_each_commit(h):
            created = await h.client.post("/api/filings", json=RNCP_FILING, headers=dep)
        assert created.status_code == 201, created.text
        filing = created.json()
        assert filing["status"] == "draft" and filing["title"] == RNCP_FILING["title"]
        await h.complete(dep, filing)
        with database_fails_after_each_commit(h):
            submitted = await h.client.post(f"/api/filings/{filing['filing_id']}/submit", json={"sworn_statement": True}, headers=dep)
            with pytest.raises(sa.exc.OperationalError), h.ctx.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))  # the database did fail after the commit
        assert submitted.status_code == 202, submitted.text
        assert submitted.json()["status"] == "submitted"


async def test_the_openapi_documents_the_header(h: Harness) -> None:
    spec = (await h.client.get("/api/filings/openapi.json")).json()
    for path in ("/api/filings", "/api/filings/{filing_id}/submit"):
        names = [p["name"] for p in spec["paths"][path]["post"]["parameters"]]
        assert "Idempotency-Key" in names

"""On real PostgreSQL (the migrations matching the models: tests/migrations): the registration number
sequences, the list query, and the audit table refusing changes (and the chain catching
them anyway)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from certreg_runtime.db import create_db_engine
from certreg_runtime.messaging import UnitOfWork
from certreg_runtime.migrations import upgrade
from review.adapters import audit_log, numbers
from review.adapters.tables import Case, metadata, search_text
from review.app import queries
from review.app.transitions import get_case
from review.domain.actor import SYSTEM_ACTOR
from review.jobs import audit_check
from review.service import definition

pytestmark = pytest.mark.infra


@pytest.fixture
def engine(postgres, tmp_path):
    name = f"review_{uuid.uuid4().hex[:12]}"
    url = postgres.create_database(name)
    engine = create_db_engine(url)
    upgrade(definition(), engine)
    yield engine
    engine.dispose()
    postgres.drop_database(name)


def _case(status: str = "received", **kw) -> Case:
    now = datetime.now(UTC)
    filing_id = kw.pop("filing_id", uuid.uuid4())
    title = kw.pop("title", "Titre")
    return Case(
        filing_id=filing_id,
        entity_id=uuid.uuid4(),
        repertoire=kw.pop("repertoire", "rncp"),
        title=title,
        search=search_text(title, str(filing_id)),
        snapshot={},
        submitted_by=uuid.uuid4(),
        status=status,
        opened_at=kw.pop("opened_at", now),
        updated_at=now,
        **kw,
    )


def test_registration_numbers_come_from_one_counter_per_repertoire(engine):
    with Session(engine) as session:
        assert [numbers.next_number(session, "rncp") for _ in range(3)] == [1, 2, 3]
        assert numbers.next_number(session, "rs") == 1
        session.rollback()
    # a rolled-back decision gives its number back: the registry has no gap; the start is honoured
    with Session(engine) as session:
        assert numbers.next_number(session, "rncp") == 1
        assert numbers.next_number(session, "rncp", start=34825) == 34825
        assert numbers.next_number(session, "rncp", start=34825) == 34826
        assert numbers.next_number(session, "rncp", start=10) == 34827  # a lower start never goes back
        session.commit()


def test_list_query_filters_orders_and_searches(engine):
    base = datetime(2026, 1, 1, tzinfo=UTC)
    with Session(engine) as session:
        late = _case("awaiting_complement", overdue=True, opened_at=base, title="Opérateur logistique")
        session.add_all([late, *[_case(opened_at=base + timedelta(days=i), title=f"Titre {i}") for i in range(5)]])
        session.commit()
        page = queries.list_cases(session, queries.CaseFilters(), limit=3)
        assert page.total == 6 and page.items[0]["filing_id"] == late.filing_id and page.items[1]["title"] == "Titre 4"
        page = queries.list_cases(session, queries.CaseFilters(q="logistique"))
        assert page.total == 1 and page.items[0]["filing_id"] == late.filing_id
        page = queries.list_cases(session, queries.CaseFilters(status=("received",), overdue=False), offset=4)
        assert page.total == 5 and [r["title"] for r in page.items] == ["Titre 0"]
        assert len(list(queries.iter_cases(session, queries.CaseFilters()))) == 6


def test_audit_entries_are_append_only_and_tampering_is_detected(engine, capsys):
    filing_id = uuid.uuid4()
    now = datetime.now(UTC)
    with Session(engine) as session:
        for action in ("open", "completeness", "admissibility"):
            audit_log.append(session, filing_id, now, SYSTEM_ACTOR, action, from_state="a", to_state="b")
        session.commit()
    assert audit_check.check_all(engine) == (1, {})

    with engine.begin() as conn, pytest.raises(sa.exc.DBAPIError, match="append-only"):
        conn.execute(sa.text("UPDATE audit_entries SET reason = 'x'"))
    with engine.begin() as conn, pytest.raises(sa.exc.DBAPIError, match="append-only"):
        conn.execute(sa.text("DELETE FROM audit_entries"))

    # someone with the database owner's rights goes around the trigger
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only"))
        conn.execute(sa.text("UPDATE audit_entries SET to_state = 'registered' WHERE seq = 2"))
        conn.execute(sa.text("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only"))
    checked, broken = audit_check.check_all(engine)
    assert checked == 1 and broken[str(filing_id)].seq == 2
    assert audit_check.main([engine.url.render_as_string(hide_password=False)]) == 1
    assert "BROKEN" in capsys.readouterr().out


def test_unit_of_work_keeps_the_chain_under_row_locks(engine):
    case = _case()
    filing_id = case.filing_id
    with Session(engine) as session:
        session.add(case)
        session.commit()
    for _ in range(3):
        uow = UnitOfWork(engine, metadata, "review")
        with uow:
            locked = get_case(uow.session, filing_id, lock=True)
            assert locked is not None
            audit_log.append(uow.session, locked.filing_id, datetime.now(UTC), SYSTEM_ACTOR, "x")
            uow.commit()
    with Session(engine) as session:
        entries = audit_log.timeline(session, filing_id)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[1].prev_hash == entries[0].hash


def test_list_by_repertoire_and_status_is_counted_from_an_index(engine):
    """At 100k cases the count of a repertoire + status filter scanned the whole table
    (bench/bench_cases.py, 67 ms); with seq scans off the plan shows which index serves it."""
    with Session(engine) as session:
        session.add_all(
            [_case(status, repertoire=rep) for status in ("received", "registered") for rep in ("rncp", "rs") for _ in range(5)]
        )
        session.commit()
        session.execute(sa.text("ANALYZE cases"))
        session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        session.execute(sa.text("SET LOCAL enable_bitmapscan = off"))
        count = "SELECT count(*) FROM cases WHERE status = 'registered' AND repertoire = 'rs'"
        plan = "\n".join(session.execute(sa.text(f"EXPLAIN {count}")).scalars())
        assert "Index Only Scan using ix_cases_status_repertoire" in plan, plan
        page = queries.list_cases(session, queries.CaseFilters(repertoire="rs", status=("registered",)))
        assert page.total == 5 and {r["status"] for r in page.items} == {"registered"}

"""On real PostgreSQL: a registration and ``entities.entity.verified`` for the same entity
committing at the same time. Each test holds the first transaction open, runs the second
in a thread until it has finished or PostgreSQL shows it waiting for a lock, then commits
the first: the interleaving is forced, nothing depends on timing."""

from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from certreg_contracts.calendar import paris_date
from certreg_contracts.events.entities import EntityVerified
from certreg_runtime.db import create_db_engine
from certreg_runtime.messaging import UnitOfWork
from certreg_runtime.migrations import upgrade
from review.adapters import certifiers
from review.adapters.tables import Case, Certifier, CommissionSession, Opinion, RegistryRecord, metadata
from review.api.schemas import PublicationIn
from review.app.decisions import publish_case, record_decision
from review.app.transitions import get_case
from review.domain.actor import Actor
from review.service import definition

pytestmark = pytest.mark.infra

SIRET = "73282932000074"
DIRECTOR = Actor(uuid.uuid4(), frozenset({"director"}), "director", "Denis Direction")


@pytest.fixture
def engine(postgres):
    name = f"review_{uuid.uuid4().hex[:12]}"
    engine = create_db_engine(postgres.create_database(name))
    upgrade(definition(), engine)
    yield engine
    engine.dispose()
    postgres.drop_database(name)


def favourable_case(engine: Engine, entity_id: uuid.UUID) -> uuid.UUID:
    """A case of ``entity_id`` with the commission's favourable opinion."""
    now = datetime.now(UTC)
    filing_id = uuid.uuid4()
    with Session(engine) as session:
        sess = CommissionSession(date=paris_date(now), created_by=uuid.uuid4(), created_at=now)
        session.add(sess)
        session.flush()
        session.add(
            Case(filing_id=filing_id, entity_id=entity_id, repertoire="rncp", title="Concepteur d'applications", snapshot={},
                 submitted_by=uuid.uuid4(), status="favourable", opened_at=now, updated_at=now, session_id=sess.id)
        )  # fmt: skip
        session.add(Opinion(session_id=sess.id, filing_id=filing_id, opinion="favourable", reasons=[], given_by=uuid.uuid4(), given_at=now))
        session.commit()
    return filing_id


def register(uow: UnitOfWork, filing_id: uuid.UUID) -> None:
    case = get_case(uow.session, filing_id, lock=True)
    assert case is not None
    record_decision(
        uow,
        case,
        DIRECTOR,
        datetime.now(UTC),
        register=True,
        motivation="Avis favorable.",
        years=5,
        appeal_court="Tribunal administratif de Paris",
        number_start=1,
    )
    today = datetime.now(UTC).date()
    publish_case(
        uow, case, DIRECTOR, datetime.now(UTC), PublicationIn(jo_date=today, jo_reference="JORF n°1 texte n° 1", effective_date=today)
    )


def verify(uow: UnitOfWork, entity_id: uuid.UUID, denomination: str) -> None:
    event = EntityVerified(entity_id=entity_id, denomination=denomination, siret=SIRET, verified_by=uuid.uuid4())
    certifiers.remember(uow.session, event.entity_id, event.denomination, event.siret, datetime.now(UTC))


def interleave(engine: Engine, first: Callable[[UnitOfWork], None], second: Callable[[UnitOfWork], None]) -> None:
    """``first`` runs; ``second`` runs in its own transaction while ``first`` is not yet
    committed, until it is done or waits for a lock; then ``first`` commits and ``second``
    completes. Re-raises what ``second`` raised."""
    pid: queue.Queue[int] = queue.Queue()
    failure: list[BaseException] = []

    def run_second() -> None:
        try:
            with UnitOfWork(engine, metadata, "review") as uow:
                pid.put(uow.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())
                second(uow)
                uow.commit()
        except BaseException as exc:
            failure.append(exc)

    with UnitOfWork(engine, metadata, "review") as uow:
        first(uow)
        uow.session.flush()
        thread = threading.Thread(target=run_second)
        thread.start()
        backend = pid.get(timeout=60)
        with engine.connect() as watcher:
            while thread.is_alive():
                waiting = watcher.execute(
                    sa.text("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = :pid"), {"pid": backend}
                ).scalar()
                if waiting:
                    break
                thread.join(0.02)
        uow.commit()
    thread.join(60)
    assert not thread.is_alive()
    if failure:
        raise failure[0]


def record_of(engine: Engine, filing_id: uuid.UUID) -> RegistryRecord:
    with Session(engine) as session:
        record = session.exec(select(RegistryRecord).where(RegistryRecord.filing_id == filing_id)).one()
        session.expunge(record)
        return record


def test_an_entity_verified_while_its_certification_is_being_registered_is_named_on_the_record(engine):
    entity_id = uuid.uuid4()
    filing_id = favourable_case(engine, entity_id)

    # The registration found no certifier yet; the entity's event arrives before it commits.
    interleave(engine, lambda uow: register(uow, filing_id), lambda uow: verify(uow, entity_id, "Institut du numérique"))

    record = record_of(engine, filing_id)
    assert (record.certifier_name, record.certifier_siret) == ("Institut du numérique", SIRET)


def test_a_certification_registered_while_its_entity_is_being_verified_is_named_on_the_record(engine):
    entity_id = uuid.uuid4()
    filing_id = favourable_case(engine, entity_id)

    interleave(engine, lambda uow: verify(uow, entity_id, "Institut du numérique"), lambda uow: register(uow, filing_id))

    record = record_of(engine, filing_id)
    assert (record.certifier_name, record.certifier_siret) == ("Institut du numérique", SIRET)


def test_two_first_deliveries_of_an_entity_verified_both_succeed(engine):
    entity_id = uuid.uuid4()

    interleave(engine, lambda uow: verify(uow, entity_id, "Ancien nom"), lambda uow: verify(uow, entity_id, "Nouveau nom"))

    with Session(engine) as session:
        certifier = session.get(Certifier, entity_id)
        assert certifier is not None and certifier.denomination == "Nouveau nom"

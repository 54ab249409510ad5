"""The directory learned from identity's events (on an in-memory SQLite database)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from notifier.adapters.directory import SqlDirectory, follow, learn
from notifier.adapters.tables import metadata
from services.notifier.tests.samples import sample_event

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def session():
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine)
    with Session(engine) as s:
        yield s


def feed(session: Session, *events) -> SqlDirectory:
    for event in events:
        learn(session, event, NOW)
        follow(session, event, NOW)
        session.flush()
    return SqlDirectory(session)


def emails(recipients) -> list[str]:
    return [r.email for r in recipients]


def test_a_depositor_is_a_member_once_approved(session) -> None:
    account, entity = uuid.uuid4(), uuid.uuid4()
    d = feed(
        session,
        sample_event("identity.account.registered", account_id=account, email="c@a.fr"),
        sample_event("identity.account.activated", account_id=account, email="c@a.fr", status="pending_validation", entity_id=None),
        sample_event("identity.account.validation_requested", account_id=account, email="c@a.fr", entity_id=entity),
    )
    assert d.entity_members(entity) == []  # not yet validated
    d = feed(session, sample_event("identity.account.approved", account_id=account, email="c@a.fr", entity_id=entity, roles=["depositor"]))
    assert emails(d.entity_members(entity)) == ["c@a.fr"]
    assert d.entity_members(entity, frozenset({"entity_manager"})) == []
    d = feed(
        session,
        sample_event(
            "identity.account.roles_changed", account_id=account, email="c@a.fr", entity_id=entity, roles=["depositor", "entity_manager"]
        ),
    )
    assert emails(d.entity_members(entity, frozenset({"entity_manager"}))) == ["c@a.fr"]


def test_a_rejected_person_is_nobody(session) -> None:
    account, entity = uuid.uuid4(), uuid.uuid4()
    d = feed(session, sample_event("identity.account.rejected", account_id=account, email="r@a.fr", entity_id=entity))
    assert d.person(account) is None and d.entity_members(entity) == []


def test_staff_are_active_once_they_chose_their_password(session) -> None:
    account = uuid.uuid4()
    d = feed(session, sample_event("identity.staff.created", account_id=account, email="i@fc.fr", roles=["instructor"]))
    assert d.staff("instructor") == []
    d = feed(session, sample_event("identity.account.activated", account_id=account, email="i@fc.fr", status="active", entity_id=None))
    assert emails(d.staff("instructor")) == ["i@fc.fr"] and d.staff("reviewer") == []


def test_the_bootstrap_administrator_is_learned_from_its_roles(session) -> None:
    account = uuid.uuid4()
    d = feed(
        session, sample_event("identity.account.roles_changed", account_id=account, email="admin@fc.fr", entity_id=None, roles=["si_admin"])
    )
    assert emails(d.staff("si_admin")) == ["admin@fc.fr"]


def test_followers_are_the_assigned_instructor_and_the_request_authors(session) -> None:
    filing = uuid.uuid4()
    first, second, asker = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for account, address in ((first, "first@fc.fr"), (second, "second@fc.fr"), (asker, "asker@fc.fr")):
        feed(
            session, sample_event("identity.account.roles_changed", account_id=account, email=address, entity_id=None, roles=["instructor"])
        )
    d = feed(session, sample_event("review.case.instructor_assigned", filing_id=filing, instructor_id=first))
    assert emails(d.followers(filing)) == ["first@fc.fr"]
    d = feed(
        session,
        sample_event("review.case.instructor_assigned", filing_id=filing, instructor_id=second),
        sample_event("review.request.opened", filing_id=filing, opened_by=asker),
        sample_event("review.request.opened", filing_id=filing, opened_by=asker),
    )
    assert emails(d.followers(filing)) == ["asker@fc.fr", "second@fc.fr"]
    assert d.followers(uuid.uuid4()) == []

"""The directory of people, learned from identity's events, and the staff following each
case, learned from review's; read by the recipients rules through ``SqlDirectory``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from certreg_contracts import Event
from certreg_contracts.events import identity as ev
from certreg_contracts.events import review as rv
from certreg_contracts.types import PUBLIC_ROLES, STAFF_ROLES
from notifier.adapters.tables import CaseFollower, Person
from notifier.domain.rules import Recipient

ACTIVE = "active"


def _recipient(p: Person) -> Recipient:
    return Recipient(
        email=p.email, account_id=p.account_id, first_name=p.first_name, last_name=p.last_name, staff=bool(p.role_set & STAFF_ROLES)
    )


class SqlDirectory:
    def __init__(self, session: Session) -> None:
        self.session = session

    def person(self, account_id: uuid.UUID) -> Recipient | None:
        p = self.session.get(Person, account_id)
        return _recipient(p) if p is not None and p.status != "rejected" else None

    def entity_members(self, entity_id: uuid.UUID, roles: frozenset[str] = PUBLIC_ROLES) -> list[Recipient]:
        people = self.session.exec(
            select(Person).where(Person.entity_id == entity_id, Person.status == ACTIVE).order_by(Person.email)
        ).all()
        return [_recipient(p) for p in people if p.role_set & roles]

    def staff(self, role: str) -> list[Recipient]:
        people = self.session.exec(
            select(Person).where(Person.status == ACTIVE, col(Person.roles).contains(role)).order_by(Person.email)
        ).all()
        return [_recipient(p) for p in people if role in p.role_set]

    def followers(self, filing_id: uuid.UUID) -> list[Recipient]:
        people = self.session.exec(
            select(Person)
            .join(CaseFollower, col(CaseFollower.account_id) == Person.account_id)
            .where(CaseFollower.filing_id == filing_id, Person.status == ACTIVE)
            .order_by(Person.email)
        ).all()
        return [_recipient(p) for p in people]


def _upsert(session: Session, account_id: uuid.UUID, now: datetime, **values: Any) -> Person:
    person = session.get(Person, account_id)
    if person is None:
        person = Person(account_id=account_id, email=values.pop("email", ""), updated_at=now)
    for key, value in values.items():
        if value is not None:
            setattr(person, key, value)
    person.updated_at = now
    session.add(person)
    return person


def _roles(roles: Iterable[str]) -> str:
    return " ".join(sorted(set(roles)))


def learn(session: Session, event: Event, now: datetime) -> None:
    """Update the directory from an identity event (other events: nothing)."""
    if isinstance(event, ev.AccountRegistered):
        _upsert(
            session,
            event.account_id,
            now,
            email=event.email,
            first_name=event.first_name,
            last_name=event.last_name,
            status="pending_activation",
        )
    elif isinstance(event, (ev.AccountActivationRequested, ev.PasswordResetRequested, ev.AccountUnlockRequested)):
        if session.get(Person, event.account_id) is not None:
            _upsert(session, event.account_id, now, email=event.email, first_name=event.first_name)
    elif isinstance(event, ev.AccountActivated):
        _upsert(
            session, event.account_id, now,
            email=event.email, first_name=event.first_name, last_name=event.last_name, entity_id=event.entity_id, status=event.status,
        )  # fmt: skip
    elif isinstance(event, ev.AccountValidationRequested):
        _upsert(
            session, event.account_id, now,
            email=event.email, first_name=event.first_name, last_name=event.last_name, entity_id=event.entity_id,
            status="pending_validation",
        )  # fmt: skip
    elif isinstance(event, ev.AccountApproved):
        _upsert(
            session, event.account_id, now,
            email=event.email, first_name=event.first_name, last_name=event.last_name,
            entity_id=event.entity_id, roles=_roles(event.roles), status=ACTIVE,
        )  # fmt: skip
    elif isinstance(event, ev.AccountRejected):
        _upsert(
            session, event.account_id, now, email=event.email, first_name=event.first_name, entity_id=event.entity_id, status="rejected"
        )
    elif isinstance(event, ev.AccountRolesChanged):
        # Roles change on existing accounts; an unknown one (the bootstrap administrator,
        # created by `certreg admin create`) is an active account.
        existing = session.get(Person, event.account_id)
        _upsert(
            session, event.account_id, now,
            email=event.email, entity_id=event.entity_id, roles=_roles(event.roles),
            status=existing.status if existing is not None else ACTIVE,
        )  # fmt: skip
    elif isinstance(event, ev.StaffCreated):
        existing = session.get(Person, event.account_id)
        _upsert(
            session, event.account_id, now,
            email=event.email, first_name=event.first_name, last_name=event.last_name, roles=_roles(event.roles),
            status=existing.status if existing is not None else "pending_activation",
        )  # fmt: skip


def follow(session: Session, event: Event, now: datetime) -> None:
    """Record who follows a case: the assigned instructor (replacing the previous one),
    the author of a request."""
    if isinstance(event, rv.CaseInstructorAssigned):
        session.execute(sa.delete(CaseFollower).where(col(CaseFollower.filing_id) == event.filing_id))
        session.add(CaseFollower(filing_id=event.filing_id, account_id=event.instructor_id, since=now))
    elif isinstance(event, rv.RequestOpened) and session.get(CaseFollower, (event.filing_id, event.opened_by)) is None:
        session.add(CaseFollower(filing_id=event.filing_id, account_id=event.opened_by, since=now))

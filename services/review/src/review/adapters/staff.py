"""Review's directory of back-office accounts, learned from identity (``identity.staff.changed``):
whom a case may be assigned to.

Why events and not a question to identity at assignment time: review decides alone, as
every service does with what it was told (identity down does not stop the back office),
and the same directory serves both modes. identity announces every change of a staff
account's roles or status, and at its start every staff account as a backfill (so a
deployment that predates the directory fills it in)."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from certreg_contracts.events.identity import StaffChanged
from certreg_runtime.clock import as_utc
from review.adapters.tables import StaffMember


def display_name(event: StaffChanged) -> str:
    return " ".join(p.strip() for p in (event.first_name, event.last_name) if p and p.strip())[:201]


def learn(session: Session, event: StaffChanged) -> None:
    """The newest news of an account wins; a backfill only adds an account not known yet
    (or the name of one known without it: directories filled before names were sent)."""
    member = session.get(StaffMember, event.account_id)
    name = display_name(event)
    if member is not None and (event.backfill or as_utc(member.as_of) >= event.as_of):
        if name and not member.name:
            member.name = name
            session.add(member)
        return
    member = member or StaffMember(account_id=event.account_id, as_of=event.as_of)
    member.roles = sorted(event.roles)
    member.active = event.active
    member.as_of = event.as_of
    member.name = name or member.name
    session.add(member)


def is_active_instructor(session: Session, account_id: uuid.UUID) -> bool:
    member = session.get(StaffMember, account_id)
    return member is not None and member.active and "instructor" in member.roles

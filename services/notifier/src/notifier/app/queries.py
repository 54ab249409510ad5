"""The read side: a person's bell, the decision letters they may see, the mail outbox.
Rows are returned detached (usable once the session is closed); ``api.views`` shapes them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Generic, TypeVar

import sqlalchemy as sa
from sqlmodel import col, func, select

from certreg_runtime.auth import Principal
from certreg_runtime.errors import not_found
from notifier.adapters.tables import Letter, Mail, Notification
from notifier.app.deps import NotifierDeps

T = TypeVar("T")

LETTERS_LISTED = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int


def notifications(deps: NotifierDeps, user: Principal, *, unread: bool | None, limit: int, offset: int) -> Page[Notification]:
    """The person's own notifications, newest first (``unread`` filters when given)."""
    where: list[sa.ColumnElement[bool]] = [col(Notification.account_id) == user.account_id]
    if unread is True:
        where.append(col(Notification.read_at).is_(None))
    elif unread is False:
        where.append(col(Notification.read_at).is_not(None))
    with deps.uow() as uow:
        total = uow.session.exec(select(func.count()).select_from(Notification).where(*where)).one()
        rows = uow.session.exec(
            select(Notification)
            .where(*where)
            .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
            .limit(limit)
            .offset(offset)
        ).all()
        uow.session.expunge_all()
    return Page(list(rows), total)


def unread_count(deps: NotifierDeps, user: Principal) -> int:
    with deps.uow() as uow:
        return uow.session.exec(
            select(func.count())
            .select_from(Notification)
            .where(col(Notification.account_id) == user.account_id, col(Notification.read_at).is_(None))
        ).one()


def letters(deps: NotifierDeps, user: Principal, filing_id: uuid.UUID | None) -> list[Letter]:
    """The ready letters (of a filing), newest first: staff see all, a member their
    entity's, anyone else none."""
    query = select(Letter).where(col(Letter.status) == "ready").order_by(col(Letter.created_at).desc())
    if filing_id is not None:
        query = query.where(col(Letter.filing_id) == filing_id)
    if not user.is_staff:
        if user.entity_id is None:
            return []
        query = query.where(col(Letter.entity_id) == user.entity_id)
    with deps.uow() as uow:
        rows = uow.session.exec(query.limit(LETTERS_LISTED)).all()
        uow.session.expunge_all()
    return list(rows)


def letter_to_download(deps: NotifierDeps, user: Principal, letter_id: uuid.UUID) -> Letter:
    """A ready letter the person may see (not found otherwise)."""
    with deps.uow() as uow:
        letter = uow.session.get(Letter, letter_id)
        uow.session.expunge_all()
    if letter is None or letter.status != "ready" or not user.may_see_entity(letter.entity_id):
        raise not_found("letter")
    return letter


def outbox(deps: NotifierDeps, *, limit: int, offset: int) -> Page[Mail]:
    """Every mail, newest first (the back office's mail viewer)."""
    with deps.uow() as uow:
        total = uow.session.exec(select(func.count()).select_from(Mail)).one()
        rows = uow.session.exec(select(Mail).order_by(col(Mail.created_at).desc(), col(Mail.id).desc()).limit(limit).offset(offset)).all()
        uow.session.expunge_all()
    return Page(list(rows), total)

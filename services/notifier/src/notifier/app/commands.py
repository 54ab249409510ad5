"""The bell's use cases: a person marks their own notifications read."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import col

from certreg_runtime.auth import Principal
from certreg_runtime.errors import not_found
from notifier.adapters.tables import Notification
from notifier.app.deps import NotifierDeps


def mark_read(deps: NotifierDeps, user: Principal, notification_id: uuid.UUID) -> None:
    """Idempotent; another person's notification is not found."""
    with deps.uow() as uow:
        n = uow.session.get(Notification, notification_id)
        if n is None or n.account_id != user.account_id:
            raise not_found("notification")
        if n.read_at is None:
            n.read_at = deps.clock.now()
            uow.session.add(n)
            uow.commit()


def mark_all_read(deps: NotifierDeps, user: Principal, filing_id: uuid.UUID | None = None) -> None:
    """All my unread notifications, or those about one dossier (read when it is opened)."""
    where = [col(Notification.account_id) == user.account_id, col(Notification.read_at).is_(None)]
    if filing_id is not None:
        where.append(col(Notification.filing_id) == filing_id)
    with deps.uow() as uow:
        uow.session.execute(sa.update(Notification).where(*where).values(read_at=deps.clock.now()))
        uow.commit()

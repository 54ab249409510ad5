"""The bell: a person's own in-app notifications."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from certreg_runtime.api import CurrentUser
from notifier.api.deps import DepsDep, Limit, Offset
from notifier.api.schemas import Count, NotificationPage
from notifier.api.views import notification_out
from notifier.app import commands, queries

router = APIRouter(tags=["notifier"])


@router.get("/notifications", summary="My in-app notifications, newest first")
def list_notifications(
    user: CurrentUser, deps: DepsDep, unread: bool | None = None, limit: Limit = 20, offset: Offset = 0
) -> NotificationPage:
    page = queries.notifications(deps, user, unread=unread, limit=limit, offset=offset)
    return NotificationPage(items=[notification_out(n) for n in page.items], total=page.total, limit=limit, offset=offset)


@router.get("/notifications/unread-count", summary="How many of my notifications are unread")
def unread_count(user: CurrentUser, deps: DepsDep) -> Count:
    return Count(count=queries.unread_count(deps, user))


@router.post("/notifications/{notification_id}/read", status_code=204, summary="Mark one of my notifications read")
def mark_read(notification_id: uuid.UUID, user: CurrentUser, deps: DepsDep) -> None:
    commands.mark_read(deps, user, notification_id)


@router.post("/notifications/read-all", status_code=204, summary="Mark all my notifications read (or those of one filing)")
def mark_all_read(user: CurrentUser, deps: DepsDep, filing_id: uuid.UUID | None = None) -> None:
    commands.mark_all_read(deps, user, filing_id)

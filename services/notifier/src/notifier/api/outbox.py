"""The mail outbox, for the SI administrator (the embedded mode's mail viewer)."""

from __future__ import annotations

from fastapi import APIRouter

from notifier.api.deps import DepsDep, Limit, Offset, SiAdmin
from notifier.api.schemas import MailPage
from notifier.api.views import mail_out
from notifier.app import queries

router = APIRouter(tags=["notifier"])


@router.get("/outbox", summary="Mails sent or pending, newest first (embedded mail viewer)")
def outbox(user: SiAdmin, deps: DepsDep, limit: Limit = 50, offset: Offset = 0) -> MailPage:
    page = queries.outbox(deps, limit=limit, offset=offset)
    return MailPage(items=[mail_out(m) for m in page.items], total=page.total, limit=limit, offset=offset)

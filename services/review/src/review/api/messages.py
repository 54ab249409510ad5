"""The dialogue thread of a case, shared by the staff and the depositor's entity."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter

from certreg_runtime.api import CurrentUser
from certreg_runtime.paging import Offset, page_size
from review.api import views
from review.api.deps import DepsDep
from review.api.schemas import MessageIn, MessageListOut, MessageOut
from review.app import messages, queries

router = APIRouter(tags=["messages"])


@router.get("/cases/{filing_id}/messages", response_model_exclude_unset=True)
def list_messages(
    filing_id: uuid.UUID,
    user: CurrentUser,
    deps: DepsDep,
    limit: Annotated[int, page_size(500)] = 200,
    offset: Offset = 0,
) -> MessageListOut:
    found = queries.messages(deps, user, filing_id, limit=limit, offset=offset)
    return MessageListOut(items=[views.message_out(m, user) for m in found], limit=limit, offset=offset)


@router.post("/cases/{filing_id}/messages", status_code=201, response_model_exclude_unset=True)
def post_message(filing_id: uuid.UUID, body: MessageIn, user: CurrentUser, deps: DepsDep) -> MessageOut:
    return views.message_out(messages.post_message(deps, user, filing_id, body), user)

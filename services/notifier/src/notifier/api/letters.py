"""Decision letters: listed and downloaded by the entity's members and by staff."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from certreg_runtime.api import CurrentUser
from notifier.api.deps import DepsDep
from notifier.api.schemas import LetterList
from notifier.api.views import letter_out
from notifier.app import queries

router = APIRouter(tags=["notifier"])


@router.get("/letters", summary="Decision letters of a filing (or of my entity)")
def list_letters(user: CurrentUser, deps: DepsDep, filing_id: uuid.UUID | None = None) -> LetterList:
    return LetterList(items=[letter_out(letter) for letter in queries.letters(deps, user, filing_id)])


@router.get("/letters/{letter_id}/content", summary="Download a decision letter (PDF)", response_class=StreamingResponse)
def letter_content(letter_id: uuid.UUID, user: CurrentUser, deps: DepsDep) -> StreamingResponse:
    letter = queries.letter_to_download(deps, user, letter_id)
    return StreamingResponse(
        deps.storage.iter_chunks(deps.letters_bucket, letter.object_key),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{letter.filename}"',
            "Content-Length": str(letter.size),
            "X-Content-Type-Options": "nosniff",
        },
    )

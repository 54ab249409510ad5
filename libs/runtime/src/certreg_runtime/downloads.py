"""Sending a stored file back: streamed from the blob store as it is sent, always as an
attachment with its sniffed type, never sniffed nor cached by the browser."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fastapi.responses import StreamingResponse


@dataclass(frozen=True)
class Download:
    """A stored object to send back; ``chunks`` is read from storage only when sent."""

    filename: str
    size: int
    media_type: str
    chunks: Iterator[bytes]


def attachment(download: Download) -> StreamingResponse:
    """A stored file, streamed, never shown inline nor cached."""
    return StreamingResponse(
        download.chunks,
        media_type=download.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{download.filename}"',
            "Content-Length": str(download.size),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )

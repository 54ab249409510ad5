"""The paging parameters of every list, declared once: ``?limit=&offset=``.

``offset`` is bounded: a number past what any database column or ``OFFSET`` clause takes
(``offset=100000000000000000000``) is a 422 naming the field, never a 500. Routes take
``offset: Offset = 0`` and ``limit: Annotated[int, page_size(maximum)] = default``; a query
model (``BaseModel`` read with ``Query()``) uses the same types as its fields."""

from __future__ import annotations

from typing import Annotated

from annotated_types import Interval
from pydantic import Field

# Far past any real list (10⁹ rows), far below what a 64-bit OFFSET takes.
MAX_OFFSET = 10**9

Offset = Annotated[int, Interval(ge=0, le=MAX_OFFSET), Field(description=f"rows to skip (0 to {MAX_OFFSET})")]


def page_size(maximum: int) -> Interval:
    """The constraint of a ``limit`` parameter: 1 to ``maximum``."""
    return Interval(ge=1, le=maximum)


__all__ = ["MAX_OFFSET", "Offset", "page_size"]

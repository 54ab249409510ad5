"""The notifier's route dependencies, declared once."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from certreg_runtime import paging
from certreg_runtime.api import require_roles
from certreg_runtime.auth import Principal
from certreg_runtime.paging import page_size
from notifier.app.deps import NotifierDeps


async def get_deps(request: Request) -> NotifierDeps:
    deps: NotifierDeps = request.app.state.ctx.deps
    return deps


DepsDep = Annotated[NotifierDeps, Depends(get_deps)]
SiAdmin = Annotated[Principal, Depends(require_roles("si_admin"))]

Limit = Annotated[int, page_size(100), Query(description="page size")]
Offset = paging.Offset

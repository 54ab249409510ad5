"""The notifier's route dependencies, declared once."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from certreg_runtime.api import require_roles
from certreg_runtime.auth import Principal
from notifier.app.deps import NotifierDeps


def get_deps(request: Request) -> NotifierDeps:
    deps: NotifierDeps = request.app.state.ctx.deps
    return deps


DepsDep = Annotated[NotifierDeps, Depends(get_deps)]
SiAdmin = Annotated[Principal, Depends(require_roles("si_admin"))]

Limit = Annotated[int, Query(ge=1, le=100, description="page size")]
Offset = Annotated[int, Query(ge=0)]

"""The dependencies of the filings routes, declared once."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from certreg_contracts.types import PUBLIC_ROLES
from certreg_runtime.api import require_roles
from certreg_runtime.auth import Principal
from certreg_runtime.service import Deps


async def get_deps(request: Request) -> Deps:
    deps: Deps = request.app.state.ctx.deps
    return deps


DepsDep = Annotated[Deps, Depends(get_deps)]
# An entity's member (depositor or entity manager): the only one who changes a filing.
Depositor = Annotated[Principal, Depends(require_roles(*sorted(PUBLIC_ROLES)))]

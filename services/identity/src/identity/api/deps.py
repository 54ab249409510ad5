"""The dependencies identity's routes declare, once, as typed aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from certreg_runtime import paging
from certreg_runtime.api import require_roles
from certreg_runtime.auth import Principal
from certreg_runtime.clients import client_address
from certreg_runtime.paging import page_size
from identity.app.deps import IdentityDeps


def _deps(request: Request) -> IdentityDeps:
    deps: IdentityDeps = request.app.state.ctx.deps
    return deps


async def get_deps(request: Request) -> IdentityDeps:
    return _deps(request)


async def client_ip(request: Request) -> str:
    """The client's address: the peer's, or what a trusted proxy says it forwarded
    (``CERTREG_TRUSTED_PROXIES``, ``certreg_runtime.clients``)."""
    deps = _deps(request)
    peer = request.client.host if request.client else ""
    return client_address(peer, request.headers.getlist("x-forwarded-for"), deps.settings.trusted_networks)


DepsDep = Annotated[IdentityDeps, Depends(get_deps)]
ClientIp = Annotated[str, Depends(client_ip)]

Validator = Annotated[Principal, Depends(require_roles("si_admin", "entity_manager"))]
SiAdmin = Annotated[Principal, Depends(require_roles("si_admin"))]
StaffReader = Annotated[Principal, Depends(require_roles("si_admin", "reviewer", "director"))]

Limit = Annotated[int, page_size(200), Query(description="page size")]
Offset = paging.Offset

"""The dependencies identity's routes declare, once, as typed aliases."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from fastapi import Depends, Query, Request

from certreg_runtime import paging
from certreg_runtime.api import require_roles
from certreg_runtime.auth import Principal
from certreg_runtime.paging import page_size
from identity.app.deps import IdentityDeps


def get_deps(request: Request) -> IdentityDeps:
    deps: IdentityDeps = request.app.state.ctx.deps
    return deps


def client_ip(request: Request) -> str:
    """The client's address. The gateway appends the address it saw to X-Forwarded-For;
    that (last) value is trusted only when the peer is on a private network."""
    peer = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(peer)
        trusted = address.is_private or address.is_loopback
    except ValueError:
        trusted = False
    if trusted:
        forwarded = request.headers.getlist("x-forwarded-for")
        if forwarded:
            last = forwarded[-1].split(",")[-1].strip()
            if last:
                return last
    return peer or "unknown"


DepsDep = Annotated[IdentityDeps, Depends(get_deps)]
ClientIp = Annotated[str, Depends(client_ip)]

Validator = Annotated[Principal, Depends(require_roles("si_admin", "entity_manager"))]
SiAdmin = Annotated[Principal, Depends(require_roles("si_admin"))]
StaffReader = Annotated[Principal, Depends(require_roles("si_admin", "reviewer", "director"))]

Limit = Annotated[int, page_size(200), Query(description="page size")]
Offset = paging.Offset

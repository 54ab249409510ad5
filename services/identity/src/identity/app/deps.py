"""What identity's commands, queries and handlers are given."""

from __future__ import annotations

from dataclasses import dataclass

from certreg_runtime.service import Deps, ServiceContext
from identity.adapters.keys import KeyRing
from identity.config import IdentityConfig


@dataclass
class IdentityDeps(Deps):
    keys: KeyRing
    config: IdentityConfig


def build_deps(ctx: ServiceContext) -> IdentityDeps:
    return IdentityDeps(ctx.name, ctx.settings, ctx.clock, ctx.blobs, ctx.uow, keys=KeyRing(ctx.engine), config=ctx.config)

"""What review's commands, handlers and jobs are given."""

from __future__ import annotations

from dataclasses import dataclass

from certreg_runtime.service import Deps, ServiceContext
from review.config import ReviewConfig


@dataclass
class ReviewDeps(Deps):
    config: ReviewConfig


def build_deps(ctx: ServiceContext) -> ReviewDeps:
    config: ReviewConfig = ctx.config
    return ReviewDeps(ctx.name, ctx.settings, ctx.clock, ctx.blobs, ctx.uow, config=config)

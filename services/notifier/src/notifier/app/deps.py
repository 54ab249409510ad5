"""What the notifier's handlers, commands and jobs are given."""

from __future__ import annotations

from dataclasses import dataclass, field

from certreg_runtime.aio import Wakeup
from certreg_runtime.service import Deps, ServiceContext
from notifier.config import NotifierConfig

LETTERS = "letters"  # the bucket purpose of the decision letters


@dataclass
class NotifierDeps(Deps):
    config: NotifierConfig
    # Set after a commit that gave the job work (from any thread).
    mails_due: Wakeup = field(default_factory=Wakeup)
    letters_due: Wakeup = field(default_factory=Wakeup)

    @property
    def letters_bucket(self) -> str:
        return self.bucket(LETTERS)


def build_deps(ctx: ServiceContext) -> NotifierDeps:
    base = ctx.base_deps()
    return NotifierDeps(base.service, base.settings, base.clock, base.blobs, base.uow_factory, config=ctx.config)

"""What the notifier's handlers, commands and jobs are given."""

from __future__ import annotations

from dataclasses import dataclass, field

from certreg_runtime.aio import Wakeup
from certreg_runtime.contacts import Contacts
from certreg_runtime.service import Deps, ServiceContext
from certreg_runtime.settings import service_config
from notifier.config import NotifierConfig

LETTERS = "letters"  # the bucket purpose of the decision letters


@dataclass
class NotifierDeps(Deps):
    config: NotifierConfig
    # The addresses and help notices every mail ends with (the same as the pages').
    contacts: Contacts = field(default_factory=Contacts)
    # Set after a commit that gave the job work (from any thread).
    mails_due: Wakeup = field(default_factory=Wakeup)
    letters_due: Wakeup = field(default_factory=Wakeup)

    @property
    def letters_bucket(self) -> str:
        return self.bucket(LETTERS)


def build_deps(ctx: ServiceContext) -> NotifierDeps:
    base = ctx.base_deps()
    return NotifierDeps(
        base.service,
        base.settings,
        base.clock,
        base.blobs,
        base.uow_factory,
        config=ctx.config,
        contacts=service_config(Contacts, base.settings),
    )

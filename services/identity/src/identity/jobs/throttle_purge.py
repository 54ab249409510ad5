"""Forget the throttling hits that no rule looks at any more, and the refresh tokens of
sessions over for a day."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from identity.adapters import repository as repo
from identity.app.deps import IdentityDeps
from identity.domain.throttle import FORGET_AFTER, KNOWN_ADDRESS, KNOWN_PREFIX

EVERY_SECONDS = 600.0


def purge_throttle_hits(deps: IdentityDeps) -> None:
    with deps.uow() as uow:
        now = deps.clock.now()
        repo.forget_hits_before(uow.session, now - FORGET_AFTER, keep_prefix=KNOWN_PREFIX, keep_until=now - KNOWN_ADDRESS)
        repo.forget_refresh_before(uow.session, now - timedelta(days=1))
        uow.commit()


async def run(deps: IdentityDeps, every: float = EVERY_SECONDS) -> None:
    while True:
        await asyncio.to_thread(purge_throttle_hits, deps)
        await asyncio.sleep(every)

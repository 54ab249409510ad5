"""Delete the draft applications nobody touched for ``CERTREG_ENTITY_DRAFT_TTL_DAYS``."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from certreg_runtime.service import Deps
from entities.app.commands import expire_drafts
from entities.config import EntitiesConfig

log = logging.getLogger(__name__)


async def run(deps: Deps, config: EntitiesConfig) -> None:
    while True:
        expired = await asyncio.to_thread(expire_drafts, deps, timedelta(days=config.entity_draft_ttl_days))
        if expired:
            log.info("expired %d draft entity applications", expired)
        await asyncio.sleep(config.entity_draft_sweep_seconds)

"""Throttling rules: at most ``limit`` hits per sliding ``window``."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from certreg_runtime.errors import Throttled
from identity.domain.onetime import aware


@dataclass(frozen=True)
class Rule:
    limit: int
    window: timedelta

    def since(self, now: datetime) -> datetime:
        return now - self.window

    def retry_after(self, hits: Iterable[datetime], now: datetime) -> int | None:
        """Seconds to wait when ``limit`` hits already fall in the window, else None."""
        now = aware(now)
        recent = sorted(aware(h) for h in hits if aware(h) > now - self.window)
        if len(recent) < self.limit:
            return None
        # The window frees a slot when the oldest hit that keeps it full leaves it.
        freeing = recent[-self.limit] + self.window
        return max(1, math.ceil((freeing - now).total_seconds()))


# 5 failed logins in 15 minutes, per e-mail and per client address (API.md: 429).
LOGIN_FAILURES = Rule(limit=5, window=timedelta(minutes=15))
# Mails sent on request (activation resend, forgotten password): per address.
MAILS_PER_ADDRESS = Rule(limit=3, window=timedelta(hours=1))
# The same requests per client address, against someone spraying many addresses.
MAIL_REQUESTS_PER_CLIENT = Rule(limit=20, window=timedelta(hours=1))
# Hits older than this count for no rule (the longest window is 1 h): they are purged.
FORGET_AFTER = timedelta(hours=2)


def too_many_attempts(seconds: int) -> Throttled:
    minutes = max(1, -(-seconds // 60))
    return Throttled(
        f"Trop de tentatives. Réessayez dans {minutes} minute{'s' if minutes > 1 else ''}.",
        code="too_many_attempts",
        retry_after=seconds,
    )

"""Throttling rules: at most ``limit`` hits per sliding ``window``."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from certreg_runtime.clock import as_utc
from certreg_runtime.errors import Throttled


@dataclass(frozen=True)
class Rule:
    limit: int
    window: timedelta

    def since(self, now: datetime) -> datetime:
        return now - self.window

    def retry_after(self, hits: Iterable[datetime], now: datetime) -> int | None:
        """Seconds to wait when ``limit`` hits already fall in the window, else None."""
        now = as_utc(now)
        recent = sorted(as_utc(h) for h in hits if as_utc(h) > now - self.window)
        if len(recent) < self.limit:
            return None
        # The window frees a slot when the oldest hit that keeps it full leaves it.
        freeing = recent[-self.limit] + self.window
        return max(1, math.ceil((freeing - now).total_seconds()))


@dataclass(frozen=True)
class Progressive:
    """A delay that doubles with each failure past ``free`` ones (within ``window``):
    the next attempt waits ``first`` seconds after the last failure, then twice that…
    up to ``cap``. Slows a guesser; the owner who mistyped twice loses nothing."""

    free: int
    first: timedelta
    cap: timedelta
    window: timedelta

    def since(self, now: datetime) -> datetime:
        return now - self.window

    def delay(self, failures: int) -> timedelta:
        if failures < self.free:
            return timedelta(0)
        delay: timedelta = min(self.cap, self.first * (2 ** (failures - self.free)))
        return delay

    def retry_after(self, hits: Iterable[datetime], now: datetime) -> int | None:
        now = as_utc(now)
        recent = sorted(as_utc(h) for h in hits if as_utc(h) > now - self.window)
        if not recent:
            return None
        wait = recent[-1] + self.delay(len(recent)) - now
        return max(1, math.ceil(wait.total_seconds())) if wait.total_seconds() > 0 else None


# Login policy (docs/SECURITY.md, "Throttling and lock-out policy"; issue 11, point 5).
# Per e-mail AND client address: 3 failures free, then 2 s, 4 s, 8 s… up to 15 minutes.
LOGIN_PAIR = Progressive(free=3, first=timedelta(seconds=2), cap=timedelta(minutes=15), window=timedelta(minutes=15))
# Per client address, whatever the e-mail (spraying many accounts from one address).
LOGIN_ADDRESS = Rule(limit=30, window=timedelta(minutes=15))
# Per e-mail, whatever the address (one account guessed from many addresses): past this,
# the account is locked for the addresses it was never used from; the owner gets an
# unlock link by mail (at most UNLOCK_MAILS of them).
LOGIN_ACCOUNT = Rule(limit=10, window=timedelta(minutes=15))
UNLOCK_MAILS = Rule(limit=1, window=timedelta(minutes=15))
# An address the account logged in from (or unlocked from) stays known this long.
KNOWN_ADDRESS = timedelta(days=30)
# Mails sent on request (activation resend, forgotten password): per address.
MAILS_PER_ADDRESS = Rule(limit=3, window=timedelta(hours=1))
# The same requests per client address, against someone spraying many addresses.
MAIL_REQUESTS_PER_CLIENT = Rule(limit=20, window=timedelta(hours=1))
# Sign-ups (issue 11, point 9): each sends a mail to the address given. Per e-mail
# address, and per client address (IdentityConfig.signups_per_client_per_hour).
SIGNUPS_PER_ADDRESS = Rule(limit=3, window=timedelta(hours=1))
# Hits older than this count for no rule (the longest window is 1 h): they are purged;
# the known addresses (KNOWN_PREFIX) after KNOWN_ADDRESS.
FORGET_AFTER = timedelta(hours=2)
KNOWN_PREFIX = "login:known:"


def signups_per_client(limit: int) -> Rule:
    return Rule(limit=limit, window=timedelta(hours=1))


def _in(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} seconde{'s' if seconds > 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes > 1 else ''}"


def too_many_attempts(seconds: int) -> Throttled:
    return Throttled(f"Trop de tentatives. Réessayez dans {_in(seconds)}.", code="too_many_attempts", retry_after=seconds)


def account_locked(seconds: int) -> Throttled:
    minutes = max(1, -(-seconds // 60))
    return Throttled(
        "Trop de tentatives de connexion à ce compte depuis d'autres adresses : par précaution, il est bloqué "
        f"ici pendant {minutes} minute{'s' if minutes > 1 else ''}. Si ce compte est le vôtre, un lien de déblocage "
        "vient de vous être envoyé par courriel.",
        code="account_locked",
        retry_after=seconds,
    )


def too_many_signups(seconds: int) -> Throttled:
    minutes = max(1, -(-seconds // 60))
    return Throttled(
        f"Trop d'inscriptions depuis votre connexion ou pour cette adresse. Réessayez dans {minutes} minute{'s' if minutes > 1 else ''}.",
        code="too_many_signups",
        retry_after=seconds,
    )

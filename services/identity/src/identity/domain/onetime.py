"""One-time tokens (activation, password reset, set password): a random secret given
once in a link, stored only as its SHA-256, single-use and expiring."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import ClassVar

from certreg_runtime.clock import as_utc
from certreg_runtime.errors import Rejected

ACTIVATION = "activation"
PASSWORD_RESET = "password_reset"
SET_PASSWORD = "set_password"
# Lifts a lock-out for the address that uses it (docs/SECURITY.md, throttling policy).
UNLOCK = "unlock"
PURPOSES = (ACTIVATION, PASSWORD_RESET, SET_PASSWORD, UNLOCK)

TTL = {
    ACTIVATION: timedelta(hours=48),
    PASSWORD_RESET: timedelta(hours=1),
    SET_PASSWORD: timedelta(days=3),
    UNLOCK: timedelta(hours=1),
}


class TokenRejected(Rejected):
    """The token cannot be used; ``code`` says why (the client branches on it)."""

    MESSAGES: ClassVar[dict[str, str]] = {
        "token_invalid": "Ce lien n'est pas valide.",
        "token_used": "Ce lien a déjà été utilisé.",
        "token_expired": "Ce lien a expiré ; demandez-en un nouveau.",
    }

    def __init__(self, code: str) -> None:
        super().__init__(self.MESSAGES[code], code=code)


def new_token() -> tuple[str, str]:
    """(the secret to put in the link, the hash to store)."""
    secret = secrets.token_urlsafe(32)
    return secret, hash_token(secret)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_usable(
    *, found: bool, purpose: str | None, allowed: tuple[str, ...], used_at: datetime | None, expires_at: datetime | None, now: datetime
) -> None:
    """Raise ``TokenRejected`` unless a stored token may be used now for ``allowed``."""
    if not found or purpose not in allowed or expires_at is None:
        raise TokenRejected("token_invalid")
    if used_at is not None:
        raise TokenRejected("token_used")
    if as_utc(now) >= as_utc(expires_at):
        raise TokenRejected("token_expired")

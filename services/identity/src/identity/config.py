"""Identity's own settings (``CERTREG_*`` like the shared ones): only identity reads them."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class IdentityConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CERTREG_", extra="ignore")

    # Access tokens are short-lived.
    access_token_ttl_seconds: int = Field(default=900, gt=0)
    # The refresh token (an httpOnly cookie, rotated at each use): a session lasts at most
    # ``session_absolute_seconds`` from the login, and ends after ``session_idle_seconds``
    # without a renewal (docs/SECURITY.md, "Sessions").
    session_idle_seconds: int = Field(default=30 * 60, gt=0)
    session_absolute_seconds: int = Field(default=12 * 3600, gt=0)
    # The cookie's Secure flag; None: when CERTREG_PUBLIC_URL is https.
    session_cookie_secure: bool | None = None
    # The onboarding token alone authorises the person's entity application.
    onboarding_token_ttl_seconds: int = Field(default=2 * 3600, gt=0)
    # Password hashes computed at once (argon2id, 19 MiB each): the memory a burst of
    # logins may take is slots × 19 MiB. None: one per CPU.
    password_hashing_slots: int | None = Field(default=None, gt=0)
    # Logins that may wait for a slot (None: 4 per slot), each at most
    # ``password_hashing_wait_seconds``; the others are answered 503 with Retry-After.
    password_hashing_queue: int | None = Field(default=None, ge=0)
    password_hashing_wait_seconds: float = Field(default=2.0, ge=0)
    # Sign-ups per client address per hour (issue 11, point 9): each sends a mail.
    signups_per_client_per_hour: int = Field(default=10, gt=0)

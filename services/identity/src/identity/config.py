"""Identity's own settings (``CERTREG_*`` like the shared ones): only identity reads them."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class IdentityConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CERTREG_", extra="ignore")

    # Access tokens are short-lived.
    access_token_ttl_seconds: int = Field(default=900, gt=0)
    # The onboarding token alone authorises the person's entity application.
    onboarding_token_ttl_seconds: int = Field(default=2 * 3600, gt=0)

"""The entities service's own settings (``CERTREG_*`` like the shared ones): only entities reads them."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EntitiesConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CERTREG_", extra="ignore")

    # A draft application (and the candidate entity it declared, and its pieces) is
    # deleted once it has not changed for this many days (issue 11, point 1).
    entity_draft_ttl_days: int = Field(default=30, gt=0)
    # How often the drafts are swept (and once at start).
    entity_draft_sweep_seconds: float = Field(default=3600.0, gt=0)

"""Review's own settings, read from the environment like the shared ones."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ReviewConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CERTREG_", extra="ignore")

    # CERTREG_APPEAL_COURT: where a refused depositor may appeal (printed on the decision).
    appeal_court: str = "Tribunal administratif de Paris"
    # CERTREG_REVIEW_SWEEP_SECONDS: how often the deadline sweeper runs.
    review_sweep_seconds: float = Field(default=60.0, gt=0)

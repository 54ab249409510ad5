"""Review's own settings, read from the environment like the shared ones."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ReviewConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CERTREG_", extra="ignore")

    # CERTREG_APPEAL_COURT: where a refused depositor may appeal (printed on the decision).
    appeal_court: str = "Tribunal administratif de Paris"
    # CERTREG_RNCP_NUMBER_START, CERTREG_RS_NUMBER_START: the least registration number the
    # repertoire gives next, so that a deployment continues the real registry (its last
    # number + 1); numbers are unpadded (RNCP34825, RS5476).
    rncp_number_start: int = Field(default=1, ge=1, le=10**9)
    rs_number_start: int = Field(default=1, ge=1, le=10**9)
    # CERTREG_REVIEW_SWEEP_SECONDS: how often the deadline sweeper runs.
    review_sweep_seconds: float = Field(default=60.0, gt=0)

    def number_start(self, repertoire: str) -> int:
        return self.rncp_number_start if repertoire == "rncp" else self.rs_number_start

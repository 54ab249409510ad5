"""Review's own settings, read from the environment like the shared ones."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from review.domain.partners import DEFAULT_DECLARATION_DAYS


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

    # CERTREG_PARTNER_DECLARATION_DAYS: a certification's partner organisation added or removed
    # more than this many days after it took effect is flagged to staff. No legal period could
    # be verified: 30 is the platform's default, not the law's (review.domain.partners).
    partner_declaration_days: int = Field(default=DEFAULT_DECLARATION_DAYS, ge=0, le=3650)

    def number_start(self, repertoire: str) -> int:
        return self.rncp_number_start if repertoire == "rncp" else self.rs_number_start

"""The notifier's own settings (``CERTREG_*`` like the shared ones)."""

from __future__ import annotations

from datetime import timedelta
from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class NotifierConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CERTREG_", extra="ignore")

    # Outgoing mail; unset host means the local outbox folder (``<data dir>/mail``).
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    # The longest an SMTP exchange may take (connect, and each command's answer).
    smtp_timeout_seconds: float = Field(default=30, gt=0)
    # The sender: an address alone is shown under the service's name (CERTREG_SERVICE_NAME);
    # « Name <address> » is used as it is.
    mail_from: str = "no-reply@certreg.localhost"
    # Who signs the decision letters (issue 12, point 9): CERTREG_SIGNATORY_FIRST_NAME,
    # CERTREG_SIGNATORY_LAST_NAME (unset: the letter names the capacity only — no name is
    # invented) and CERTREG_SIGNATORY_CAPACITY.
    signatory_first_name: str | None = Field(default=None, max_length=100)
    signatory_last_name: str | None = Field(default=None, max_length=100)
    signatory_capacity: str = Field(default="Le directeur général de France compétences", min_length=1, max_length=200)

    # The background jobs (mail sender, letter maker): rows taken per round, the longest
    # wait between rounds when nobody wakes them, how long a replica owns a row it took,
    # and the back-off after a failure (doubling from the base up to the cap, forever).
    # A claim is renewed before each try to send a mail, so it need only outlast one
    # SMTP exchange (at least twice ``smtp_timeout_seconds``); it is released when the
    # notifier stops, and after a crash (kill -9) what it held waits that long.
    job_batch: int = Field(default=20, ge=1)
    job_poll_seconds: float = Field(default=1.0, gt=0)
    job_claim_seconds: int = Field(default=60, gt=0)
    job_retry_base_seconds: int = Field(default=30, gt=0)
    job_retry_max_seconds: int = Field(default=3600, gt=0)

    @model_validator(mode="after")
    def _claim_outlasts_a_try(self) -> Self:
        if self.job_claim_seconds < 2 * self.smtp_timeout_seconds:
            raise ValueError(
                f"CERTREG_JOB_CLAIM_SECONDS ({self.job_claim_seconds}) must be at least twice "
                f"CERTREG_SMTP_TIMEOUT_SECONDS ({self.smtp_timeout_seconds:g}): a mail being sent must stay claimed"
            )
        return self

    def retry_delay(self, attempts: int) -> timedelta:
        """30 s, 1 min, 2 min… at most an hour between tries (with the defaults)."""
        return timedelta(seconds=min(self.job_retry_max_seconds, self.job_retry_base_seconds * 2 ** max(0, attempts - 1)))

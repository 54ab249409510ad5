"""The notifier's own settings (``CERTREG_*`` like the shared ones)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class NotifierConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CERTREG_", extra="ignore")

    # Outgoing mail; unset host means the local outbox folder (``<data dir>/mail``).
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "certreg <no-reply@certreg.localhost>"

    # The background jobs (mail sender, letter maker): rows taken per round, the longest
    # wait between rounds when nobody wakes them, how long a replica owns a row it took,
    # and the back-off after a failure (doubling from the base up to the cap, forever).
    job_batch: int = Field(default=20, ge=1)
    job_poll_seconds: float = Field(default=1.0, gt=0)
    job_claim_seconds: int = Field(default=300, gt=0)
    job_retry_base_seconds: int = Field(default=30, gt=0)
    job_retry_max_seconds: int = Field(default=3600, gt=0)

    def retry_delay(self, attempts: int) -> timedelta:
        """30 s, 1 min, 2 min… at most an hour between tries (with the defaults)."""
        return timedelta(seconds=min(self.job_retry_max_seconds, self.job_retry_base_seconds * 2 ** max(0, attempts - 1)))

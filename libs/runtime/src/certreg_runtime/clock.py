"""The clock every deadline rule reads, injectable so that tests can move time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Protocol, overload


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: datetime | None) -> datetime | None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """A stored datetime made aware: SQLite gives back naive ones, and every datetime the
    services store is in UTC (PostgreSQL gives them back aware already)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().date()


class FixedClock(SystemClock):
    """For unit tests: a clock that moves only when told."""

    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
        return self._at

    def advance(self, **delta: float) -> None:
        self._at += timedelta(**delta)


class OffsetFileClock(SystemClock):
    """System time plus an offset (seconds) read from a file: how end-to-end tests move
    the time of services running in other processes. Only enabled by configuration."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def now(self) -> datetime:
        try:
            offset = float(self._path.read_text().strip() or 0)
        except FileNotFoundError:
            offset = 0.0
        return datetime.now(UTC) + timedelta(seconds=offset)


def clock_from_settings(offset_file: Path | None) -> SystemClock:
    return OffsetFileClock(offset_file) if offset_file else SystemClock()

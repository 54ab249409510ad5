"""The French calendar every service reads dates in: deadlines, reminders and letters
speak of days in Paris, whatever the server's time zone. Pure functions, no I/O.

The legal rules built on it — public holidays, working days, délai franc, the appeal
deadline, request deadlines, reminders, dated pieces, renewal — are in
``legal_dates``, so that every service computes and explains a legal date the same way."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def paris_date(at: datetime) -> date:
    """The calendar day in Paris at the instant ``at`` (an aware datetime; naive = UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(PARIS).date()


def add_months(day: date, months: int) -> date:
    """Calendar months; a day that does not exist in the target month becomes its last
    day (31 December + 2 months = 28 or 29 February)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


__all__ = ["PARIS", "add_months", "paris_date"]

"""Plain rules of the procedure: dates, registration numbers, criteria. No I/O."""

from __future__ import annotations

from datetime import date, datetime

from certreg_contracts import legal_dates
from certreg_contracts.calendar import add_months, paris_date
from review.domain import criteria

# A registration lasts at most 5 years (DESIGN.md, step 3).
MAX_REGISTRATION_YEARS = 5
DEFAULT_REGISTRATION_YEARS = 5
# Reminders of a request's deadline, in days before it (each sent once).
REMINDER_DAYS = (7, 1)
# The commission does not sit in August.
NO_SESSION_MONTHS = (8,)

# Registration numbers: the repertoire's prefix, then its sequence's value, unpadded, as
# France compétences writes them (RNCP34825, RS5476; DESIGN.md, step 3).
NUMBER_PREFIX = {"rncp": "RNCP", "rs": "RS"}


def fr_date(day: date) -> str:
    """A date as French letters, banners and the registry export write it: 31/12/2026."""
    return day.strftime("%d/%m/%Y")


def appeal_of(made_available_at: datetime, first_consulted_at: datetime | None, notified_on: date | None) -> legal_dates.Appeal:
    """Where a decision's appeal deadline stands, from what its row records: fixed once
    ``notified_on`` is (first consultation, or 15 days after it was made available;
    the legal calendar's ``appeal``), else « deux mois à compter de sa notification »."""
    return legal_dates.appeal(made_available_at, first_consulted_at, today=notified_on or made_available_at)


def registration_end(start: date, years: int) -> date:
    return add_months(start, 12 * years)


# What the public registry shows of a published record, on a day.
RECORD_STATES = ("active", "expired", "withdrawn")


def record_state(status: str, start: date, end: date, today: date) -> str:
    """A registration ends on its end date (its last day): from the next day an ``active``
    record reads ``expired``, whether or not the sweeper has written it down yet."""
    if status == "active" and today > end:
        return "expired"
    if status == "active" and today < start:
        return "upcoming"  # published in the Journal officiel, effective from ``start``
    return status


def format_number(repertoire: str, value: int) -> str:
    if value < 1:
        raise ValueError("a registration number is positive")
    return f"{NUMBER_PREFIX[repertoire]}{value}"


def normalise_number(number: str) -> str | None:
    """A number as it is written in the registry (``rncp34825`` -> ``RNCP34825``), or None
    when it is not one. No zero is added or removed: the lookup is exact, so ``RNCP1`` never
    finds a number an older version wrote ``RNCP00001``."""
    text = number.strip().upper()
    for prefix in sorted(NUMBER_PREFIX.values(), key=len, reverse=True):
        digits = text[len(prefix) :]
        if text.startswith(prefix) and digits.isascii() and digits.isdigit() and int(digits) > 0:
            return text
    return None


def reminders_already_due(opened_on: date, due: date) -> set[int]:
    """Reminders that make no sense for a request opened this close to its deadline."""
    return {d for d in REMINDER_DAYS if (due - opened_on).days <= d}


def reminder_to_send(today: date, due: date, sent: set[int]) -> tuple[int | None, set[int]]:
    """The reminder to send now (the closest threshold crossed) and every threshold it
    covers (marked sent together, so that a late sweep sends one reminder, not two)."""
    days_left = (due - today).days
    if days_left < 0:
        return None, set()
    crossed = {d for d in REMINDER_DAYS if days_left <= d and d not in sent}
    if not crossed:
        return None, set()
    return min(crossed), crossed


def is_overdue(today: date, due: date | None) -> bool:
    """The deadline day itself is still in time."""
    return due is not None and today > due


# The registration criteria the commission's reasons refer to (Code du travail, R. 6113-9
# for the RNCP, R. 6113-11 for the RS): a versioned table (``review.domain.criteria``), the
# version being the one in force when the filing was first submitted (the case opened).
def criteria_in_force(repertoire: str, opened_at: datetime) -> criteria.CriteriaVersion:
    """The criteria a case is examined against: those in force on its first submission."""
    return criteria.in_force(repertoire, paris_date(opened_at))


# Every criterion any version of each repertoire knows, with its heading (``GET /criteria``: what
# the UI looks a stored reason's criterion up in; a case's own list is its ``criteria``).
CRITERIA: dict[str, dict[str, str]] = {r: criteria.all_headings(r) for r in criteria.VERSIONS}
CRITERIA_ARTICLES = {r: versions[-1].article for r, versions in criteria.VERSIONS.items()}


def criterion_label(repertoire: str, key: str, opened_at: datetime) -> str:
    """« 2° L'impact du projet de certification professionnelle […] (article R. 6113-9 du code
    du travail) » — the article's item, what opinions, letters and mails print, never the key."""
    return criteria_in_force(repertoire, opened_at).label(key)


LEVEL_LABELS = {n: f"Niveau {n}" for n in range(1, 9)}

"""Dates, numbers and reminders: pure rules."""

from datetime import UTC, date, datetime

import pytest

from certreg_contracts.calendar import paris_date
from review.domain import rules


def test_registration_end_in_calendar_years():
    assert rules.registration_end(date(2026, 3, 10), 5) == date(2031, 3, 10)
    assert rules.registration_end(date(2028, 2, 29), 1) == date(2029, 2, 28)


@pytest.mark.parametrize(
    ("repertoire", "value", "number"),
    [("rncp", 1, "RNCP1"), ("rncp", 34825, "RNCP34825"), ("rs", 7, "RS7"), ("rs", 5476, "RS5476"), ("rs", 12345, "RS12345")],
)
def test_numbers_are_unpadded(repertoire, value, number):
    """Issue 12, point 6: RNCP34825, RS5476 — not RNCP00001."""
    assert rules.format_number(repertoire, value) == number
    assert rules.normalise_number(number) == number


def test_number_lookup_is_exact_and_refuses_garbage():
    assert rules.normalise_number(" rncp34825 ") == "RNCP34825"
    assert rules.normalise_number("RNCP00001") == "RNCP00001"  # never rewritten to RNCP1 (nor the reverse)
    for bad in ("12345", "RNCP", "RNCP0", "RS000", "RSX12", "RS-12", "RNCP١٢"):
        assert rules.normalise_number(bad) is None
    with pytest.raises(ValueError):
        rules.format_number("rs", 0)


def test_local_today_is_paris():
    # 23:30 UTC on 31 December is already 1 January in Paris.
    assert paris_date(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == date(2027, 1, 1)


def test_overdue_starts_the_day_after_the_deadline():
    due = date(2026, 3, 10)
    assert not rules.is_overdue(date(2026, 3, 10), due)
    assert rules.is_overdue(date(2026, 3, 11), due)


def test_reminders_each_once_and_one_at_a_time():
    due = date(2026, 3, 31)
    sent: set[int] = set()
    assert rules.reminder_to_send(date(2026, 3, 20), due, sent) == (None, set())
    days, covered = rules.reminder_to_send(date(2026, 3, 24), due, sent)
    assert (days, covered) == (7, {7})
    sent |= covered
    assert rules.reminder_to_send(date(2026, 3, 25), due, sent) == (None, set())
    days, covered = rules.reminder_to_send(date(2026, 3, 30), due, sent)
    assert (days, covered) == (1, {1})
    sent |= covered
    assert rules.reminder_to_send(date(2026, 3, 31), due, sent) == (None, set())
    # A late sweep crossing both thresholds sends one reminder.
    assert rules.reminder_to_send(date(2026, 3, 31), due, set()) == (1, {1, 7})
    assert rules.reminder_to_send(date(2026, 4, 1), due, set()) == (None, set())


def test_reminders_already_due_when_the_request_is_short():
    assert rules.reminders_already_due(date(2026, 3, 1), date(2026, 3, 4)) == {7}
    assert rules.reminders_already_due(date(2026, 3, 1), date(2026, 3, 2)) == {7, 1}
    assert rules.reminders_already_due(date(2026, 3, 1), date(2026, 4, 1)) == set()


def test_criteria_are_data_per_repertoire():
    assert "qualite_referentiels" in rules.CRITERIA["rncp"]
    assert "qualite_referentiels" in rules.CRITERIA["rs"]
    assert "vae" not in rules.CRITERIA["rs"]

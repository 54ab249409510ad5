"""The legal calendar's deadlines of the procedure: requests, completeness, adjourned
dossiers, reminders, dated pieces, renewal reminders. Table-driven."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certreg_contracts.calendar import add_months
from certreg_contracts.legal_dates import (
    LegalDate,
    dated_piece_expiry,
    deadline_after,
    deadline_on,
    is_dated_piece_valid,
    is_overdue,
    is_working_day,
    reminders,
    renewal_reminders,
)

# --------------------------------------------------------------------------- deadlines fixed as a day

# (due day chosen by staff, the deadline kept)
DEADLINE_ON = [
    (date(2026, 3, 10), date(2026, 3, 10), "a Tuesday stays"),
    (date(2026, 3, 14), date(2026, 3, 16), "Saturday -> Monday"),
    (date(2026, 3, 15), date(2026, 3, 16), "Sunday -> Monday"),
    (date(2026, 5, 1), date(2026, 5, 4), "1 May (Friday) -> Monday 4"),
    (date(2026, 8, 15), date(2026, 8, 17), "15 August (Saturday) -> Monday 17"),
    (date(2026, 12, 25), date(2026, 12, 28), "Christmas (Friday) -> Monday 28"),
    (date(2027, 1, 1), date(2027, 1, 4), "1 January (Friday) -> Monday 4"),
    (date(2026, 11, 11), date(2026, 11, 12), "11 November (Wednesday) -> Thursday"),
    (date(2026, 5, 14), date(2026, 5, 15), "Ascension -> Friday"),
]


@pytest.mark.parametrize(("due", "kept", "case"), DEADLINE_ON, ids=[c for _, _, c in DEADLINE_ON])
def test_deadline_on(due, kept, case):
    assert deadline_on(due, kind="request").day == kept


def test_deadline_on_explanations():
    assert deadline_on(date(2026, 3, 10), kind="completeness") == LegalDate(
        date(2026, 3, 10), "date limite pour compléter le dossier : jusqu'au mardi 10 mars 2026 inclus"
    )
    assert deadline_on(date(2026, 8, 15), kind="request").explanation == (
        "date limite de réponse à la demande de compléments fixée au samedi 15 août 2026 (Assomption), "
        "reportée au premier jour ouvré : lundi 17 août 2026"
    )
    assert deadline_on(date(2026, 3, 14), kind="adjournment").explanation == (
        "date limite d'envoi du dossier amélioré fixée au samedi 14 mars 2026, reportée au premier jour ouvré : lundi 16 mars 2026"
    )


# --------------------------------------------------------------------------- deadlines as a duration

# (start, days, months, last day)
DEADLINE_AFTER = [
    (date(2026, 3, 2), 30, None, date(2026, 4, 1), "30 days, the start day not counted"),
    (date(2026, 3, 2), 1, None, date(2026, 3, 3), "one day = the next day"),
    (date(2026, 3, 6), 1, None, date(2026, 3, 9), "one day from a Friday -> Monday"),
    (date(2026, 12, 10), 15, None, date(2026, 12, 28), "15 days ending on Christmas"),
    (date(2026, 4, 1), None, 1, date(2026, 5, 4), "one month ending on 1 May"),
    (date(2026, 1, 31), None, 1, date(2026, 3, 2), "31 Jan + 1 month = 28 Feb, a Saturday"),
    (date(2028, 1, 31), None, 1, date(2028, 2, 29), "31 Jan 2028 + 1 month = 29 Feb (leap, Tuesday)"),
    (date(2026, 8, 31), None, 2, date(2026, 11, 2), "31 Aug + 2 months = Saturday 31 Oct, then Toussaint"),
]


@pytest.mark.parametrize(
    ("start", "days", "months", "last_day", "case"),
    DEADLINE_AFTER,
    ids=[c for *_, c in DEADLINE_AFTER],
)
def test_deadline_after(start, days, months, last_day, case):
    result = deadline_after(start, days=days, months=months, kind="completeness")
    assert is_working_day(result.day)
    assert result.day == last_day


def test_deadline_after_explanations():
    assert deadline_after(date(2026, 3, 2), days=30, kind="completeness").explanation == (
        "date limite pour compléter le dossier, délai de 30 jours à compter du 2 mars 2026 : jusqu'au mercredi 1er avril 2026 inclus"
    )
    assert deadline_after(date(2026, 4, 1), months=1, kind="adjournment").explanation == (
        "date limite d'envoi du dossier amélioré, délai d'un mois à compter du 1er avril 2026 expirant le "
        "vendredi 1er mai 2026 (fête du Travail), reporté au premier jour ouvré : lundi 4 mai 2026"
    )


@pytest.mark.parametrize(("days", "months"), [(None, None), (30, 1), (0, None), (None, 0), (-3, None)])
def test_deadline_after_wants_one_positive_length(days, months):
    with pytest.raises(ValueError):
        deadline_after(date(2026, 3, 2), days=days, months=months, kind="request")


def test_deadline_in_paris_days():
    # Opened at 23:30 UTC on 1 March: 2 March in Paris, so 30 days end on 1 April.
    assert deadline_after(datetime(2026, 3, 1, 23, 30, tzinfo=UTC), days=30, kind="request").day == date(2026, 4, 1)


def test_overdue_starts_the_day_after_the_deadline():
    due = deadline_on(date(2026, 8, 15), kind="request")  # kept: Monday 17 August
    assert not is_overdue(due, date(2026, 8, 17))
    assert is_overdue(due, date(2026, 8, 18))
    assert not is_overdue(date(2026, 3, 10), datetime(2026, 3, 10, 22, 59, tzinfo=UTC))  # 23:59 in Paris
    assert is_overdue(date(2026, 3, 10), datetime(2026, 3, 10, 23, 0, tzinfo=UTC))  # midnight in Paris


# --------------------------------------------------------------------------- reminders

# (deadline, opened on, reminder days)
REMINDERS = [
    (date(2027, 2, 1), None, [date(2027, 1, 25), date(2027, 1, 31)]),  # D-1 on a Sunday: a message, not moved
    (date(2026, 3, 1), None, [date(2026, 2, 22), date(2026, 2, 28)]),  # across February's end
    (date(2028, 3, 1), None, [date(2028, 2, 23), date(2028, 2, 29)]),  # leap year
    (date(2027, 2, 1), date(2027, 1, 27), [date(2027, 1, 31)]),  # opened 5 days before: no D-7
    (date(2027, 2, 1), date(2027, 1, 25), [date(2027, 1, 31)]),  # opened on D-7 itself
    (date(2027, 2, 1), date(2027, 1, 31), []),  # opened the day before
]


@pytest.mark.parametrize(("due", "opened", "days"), REMINDERS)
def test_reminders(due, opened, days):
    assert [r.day for r in reminders(due, opened_on=opened)] == days


def test_reminder_explanations():
    due = deadline_on(date(2027, 1, 30), kind="request")  # Saturday -> Monday 1 February
    assert [r.explanation for r in reminders(due)] == [
        "rappel à J-7 de la date limite du lundi 1er février 2027",
        "rappel à J-1 de la date limite du lundi 1er février 2027",
    ]


# --------------------------------------------------------------------------- dated pieces

# (document date, last day it is « de moins de trois mois »)
DATED_PIECES = [
    (date(2026, 1, 15), date(2026, 4, 14), "plain"),
    (date(2026, 3, 31), date(2026, 6, 30), "31 March: no 31 June, all of June still counts"),
    (date(2026, 5, 31), date(2026, 8, 30), "31 May -> 31 August is three months"),
    (date(2026, 11, 28), date(2027, 2, 27), "28 November -> 28 February is three months"),
    (date(2026, 11, 30), date(2027, 2, 28), "30 November: February 2027 has 28 days"),
    (date(2027, 11, 30), date(2028, 2, 29), "30 November: February 2028 has 29 days"),
    (date(2027, 11, 29), date(2028, 2, 28), "29 November -> 29 February 2028 is three months"),
    (date(2026, 5, 2), date(2026, 8, 1), "a Saturday stays: an age, not a time limit to act"),
]


@pytest.mark.parametrize(("dated", "last", "case"), DATED_PIECES, ids=[c for *_, c in DATED_PIECES])
def test_dated_piece_expiry(dated, last, case):
    assert dated_piece_expiry(dated).day == last
    assert is_dated_piece_valid(dated, last)
    assert not is_dated_piece_valid(dated, last + timedelta(days=1))
    assert is_dated_piece_valid(dated, dated)
    assert not is_dated_piece_valid(dated, dated - timedelta(days=1))  # dated after the reference day


def test_dated_piece_explanation():
    assert dated_piece_expiry(date(2026, 11, 30)).explanation == (
        "daté du 30 novembre 2026, de moins de trois mois jusqu'au dimanche 28 février 2027 inclus"
    )
    assert dated_piece_expiry(date(2026, 1, 15), months=1).explanation == (
        "daté du 15 janvier 2026, de moins d'un mois jusqu'au samedi 14 février 2026 inclus"
    )


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)), st.integers(min_value=0, max_value=200))
def test_dated_piece_rule_and_expiry_agree(dated, after):
    # The rule the services apply today: refused when dated on or before the same day
    # three months earlier than the reference day (filings/entities ``months_before``).
    on = dated + timedelta(days=after)
    assert is_dated_piece_valid(dated, on) == (dated > add_months(on, -3))
    assert is_dated_piece_valid(dated, on) == (on <= dated_piece_expiry(dated).day)


# --------------------------------------------------------------------------- renewal


@pytest.mark.parametrize(
    ("end", "nine", "seven"),
    [
        (date(2030, 12, 31), date(2030, 3, 31), date(2030, 5, 31)),
        (date(2031, 11, 30), date(2031, 2, 28), date(2031, 4, 30)),  # no 30 February
        (date(2032, 11, 30), date(2032, 2, 29), date(2032, 4, 30)),  # leap year
        (date(2031, 3, 9), date(2030, 6, 9), date(2030, 8, 9)),  # 9 June 2030 is a Sunday: a reminder is not moved
    ],
)
def test_renewal_reminders(end, nine, seven):
    first, second = renewal_reminders(end)
    assert (first.day, second.day) == (nine, seven)
    assert first.explanation.startswith("rappel de renouvellement, neuf mois avant la fin de l'enregistrement le ")
    assert second.explanation.startswith("rappel de renouvellement, sept mois avant")


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_deadlines_are_working_days_on_or_after_the_day_asked(due):
    kept = deadline_on(due, kind="request").day
    assert is_working_day(kept)
    assert 0 <= (kept - due).days <= 3

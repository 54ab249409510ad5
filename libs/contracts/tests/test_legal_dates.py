"""The legal calendar: public holidays, working days, French dates, notification and
appeal deadline. Table-driven; every weekday below was checked against a calendar."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certreg_contracts.calendar import add_months
from certreg_contracts.legal_dates import (
    APPEAL_PENDING_WORDING,
    HOLIDAYS,
    Holiday,
    LegalDate,
    appeal,
    appeal_deadline,
    easter_sunday,
    french_date,
    holiday_name,
    is_public_holiday,
    is_working_day,
    next_working_day,
    notification_date,
    public_holidays,
    working_day_from,
)

# --------------------------------------------------------------------------- Easter and holidays

# Easter Sundays as published (2008 and 2285 are among the earliest possible, 2038 the latest).
EASTER = [
    (1818, date(1818, 3, 22)),
    (2008, date(2008, 3, 23)),
    (2019, date(2019, 4, 21)),
    (2024, date(2024, 3, 31)),
    (2025, date(2025, 4, 20)),
    (2026, date(2026, 4, 5)),
    (2027, date(2027, 3, 28)),
    (2028, date(2028, 4, 16)),
    (2029, date(2029, 4, 1)),
    (2030, date(2030, 4, 21)),
    (2038, date(2038, 4, 25)),
    (2285, date(2285, 3, 22)),
]


@pytest.mark.parametrize(("year", "sunday"), EASTER)
def test_easter_sunday(year, sunday):
    assert easter_sunday(year) == sunday
    assert sunday.weekday() == 6


def test_easter_before_the_gregorian_calendar_is_refused():
    with pytest.raises(ValueError):
        easter_sunday(1582)


def test_the_eleven_holidays_of_2026():
    assert dict(public_holidays(2026)) == {
        date(2026, 1, 1): "jour de l'An",
        date(2026, 4, 6): "lundi de Pâques",
        date(2026, 5, 1): "fête du Travail",
        date(2026, 5, 8): "Victoire 1945",
        date(2026, 5, 14): "Ascension",
        date(2026, 5, 25): "lundi de Pentecôte",
        date(2026, 7, 14): "fête nationale",
        date(2026, 8, 15): "Assomption",
        date(2026, 11, 1): "Toussaint",
        date(2026, 11, 11): "Armistice 1918",
        date(2026, 12, 25): "Noël",
    }
    assert len(HOLIDAYS) == 11  # art. L3133-1 lists eleven


@pytest.mark.parametrize(
    ("year", "easter_monday", "ascension", "whit_monday"),
    [
        (2026, date(2026, 4, 6), date(2026, 5, 14), date(2026, 5, 25)),
        (2027, date(2027, 3, 29), date(2027, 5, 6), date(2027, 5, 17)),
        (2028, date(2028, 4, 17), date(2028, 5, 25), date(2028, 6, 5)),
    ],
)
def test_easter_based_holidays(year, easter_monday, ascension, whit_monday):
    holidays = public_holidays(year)
    assert holidays[easter_monday] == "lundi de Pâques" and easter_monday.weekday() == 0
    assert holidays[ascension] == "Ascension" and ascension.weekday() == 3
    assert holidays[whit_monday] == "lundi de Pentecôte" and whit_monday.weekday() == 0


def test_ascension_on_1_may_is_one_day_with_both_names():
    # 2008: Easter 23 March, Ascension 1 May.
    assert holiday_name(date(2008, 5, 1)) == "fête du Travail et Ascension"
    assert len(public_holidays(2008)) == 10


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 3, 2), True),  # Monday
        (date(2026, 3, 6), True),  # Friday
        (date(2026, 3, 7), False),  # Saturday
        (date(2026, 3, 8), False),  # Sunday
        (date(2027, 1, 1), False),  # 1 January, a Friday
        (date(2026, 4, 6), False),  # Easter Monday
        (date(2026, 4, 3), True),  # Good Friday: a holiday in Alsace-Moselle only
        (date(2026, 12, 26), False),  # Saturday (26 December: Alsace-Moselle only anyway)
        (date(2027, 12, 27), True),  # Monday after Christmas
        (date(2028, 6, 5), False),  # Whit Monday
    ],
)
def test_working_days(day, working):
    assert is_working_day(day) is working


def test_next_working_day_and_extension():
    # Thursday 24 December 2026 -> Friday 25 is Christmas -> Monday 28.
    assert next_working_day(date(2026, 12, 24)) == date(2026, 12, 28)
    assert next_working_day(date(2026, 3, 2)) == date(2026, 3, 3)  # strictly after
    assert working_day_from(date(2026, 3, 2)) == date(2026, 3, 2)  # the day itself when working
    assert working_day_from(date(2026, 8, 15)) == date(2026, 8, 17)


def test_an_instant_is_a_day_in_paris():
    # 23:30 UTC on 31 December 2026 is already 1 January 2027 in Paris: a holiday.
    assert is_public_holiday(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    assert not is_public_holiday(datetime(2026, 12, 31, 22, 30, tzinfo=UTC))


def test_a_holiday_is_fixed_or_after_easter_not_both():
    with pytest.raises(ValueError):
        Holiday("?")
    with pytest.raises(ValueError):
        Holiday("?", month_day=(1, 1), after_easter=1)


# --------------------------------------------------------------------------- French dates


@pytest.mark.parametrize(
    ("day", "short", "long"),
    [
        (date(2027, 2, 1), "1er février 2027", "lundi 1er février 2027"),
        (date(2026, 11, 30), "30 novembre 2026", "lundi 30 novembre 2026"),
        (date(2026, 8, 15), "15 août 2026", "samedi 15 août 2026"),
        (date(2028, 2, 29), "29 février 2028", "mardi 29 février 2028"),
        (date(2026, 12, 1), "1er décembre 2026", "mardi 1er décembre 2026"),
    ],
)
def test_french_date(day, short, long):
    assert french_date(day) == short
    assert french_date(day, weekday=True) == long
    assert LegalDate(day, "…").text == long == str(LegalDate(day, "…"))


# --------------------------------------------------------------------------- appeal deadline

# (notified on, last day to appeal, what the case shows). Two months from the
# notification, délai franc (one more day), then the next working day.
APPEAL = [
    # the example: 30 January 2027 is a Saturday, 31 a Sunday
    (date(2026, 11, 30), date(2027, 2, 1), "weekend"),
    # 1 March -> 2 May included (1 May is the uncounted day: being a holiday changes nothing)
    (date(2025, 3, 1), date(2025, 5, 2), "1 March -> 2 May"),
    (date(2021, 1, 3), date(2021, 3, 4), "plain"),
    (date(2026, 3, 2), date(2026, 5, 4), "ends on a Sunday"),
    # month ends: the same day number, or the month's last day (art. 641 CPC), then + 1
    (date(2026, 12, 31), date(2027, 3, 1), "31 Dec -> 28 Feb + 1"),
    (date(2026, 12, 29), date(2027, 3, 1), "29 Dec -> 28 Feb + 1"),
    (date(2027, 12, 29), date(2028, 3, 1), "29 Dec -> 29 Feb 2028 (leap) + 1"),
    (date(2026, 7, 31), date(2026, 10, 1), "31 Jul -> 30 Sep + 1"),
    (date(2026, 4, 30), date(2026, 7, 1), "30 Apr -> 30 Jun + 1"),
    (date(2028, 2, 29), date(2028, 5, 2), "29 Feb 2028 -> Sun 30 Apr, Mon 1 May -> Tue 2 May"),
    # public holidays on the last day
    (date(2026, 10, 31), date(2027, 1, 4), "1 January (Friday) then a weekend"),
    (date(2027, 1, 28), date(2027, 3, 30), "Easter Monday"),
    (date(2028, 2, 28), date(2028, 5, 2), "Saturday, Sunday, then 1 May"),
    (date(2026, 3, 7), date(2026, 5, 11), "8 May (Friday) then a weekend"),
    (date(2026, 3, 13), date(2026, 5, 15), "Ascension"),
    (date(2026, 3, 24), date(2026, 5, 26), "Whit Monday"),
    (date(2026, 5, 13), date(2026, 7, 15), "14 July"),
    (date(2026, 6, 14), date(2026, 8, 17), "15 August (Saturday)"),
    (date(2026, 8, 31), date(2026, 11, 2), "1 November (Sunday)"),
    (date(2026, 9, 10), date(2026, 11, 12), "11 November"),
    (date(2026, 10, 24), date(2026, 12, 28), "25 December (Friday) then a weekend"),
]


@pytest.mark.parametrize(("notified", "last_day", "case"), APPEAL, ids=[c for _, _, c in APPEAL])
def test_appeal_deadline(notified, last_day, case):
    result = appeal_deadline(notified)
    assert result.day == last_day
    assert is_working_day(result.day)
    assert result.explanation.startswith(f"notifiée le {french_date(notified)}, délai franc de deux mois")
    assert french_date(last_day, weekday=True) in result.explanation


def test_appeal_explanations():
    notified = notification_date(date(2026, 11, 30), date(2026, 11, 30), today=date(2026, 11, 30))
    assert notified is not None
    assert appeal_deadline(notified).explanation == (
        "notifiée le 30 novembre 2026 (première consultation), délai franc de deux mois expirant le "
        "dimanche 31 janvier 2027, reporté au premier jour ouvré : lundi 1er février 2027"
    )
    assert appeal_deadline(date(2021, 1, 3)).explanation == (
        "notifiée le 3 janvier 2021, délai franc de deux mois : jusqu'au jeudi 4 mars 2021 inclus"
    )
    assert appeal_deadline(date(2027, 1, 28)).explanation.endswith(
        "expirant le lundi 29 mars 2027 (lundi de Pâques), reporté au premier jour ouvré : mardi 30 mars 2027"
    )


# --------------------------------------------------------------------------- notification

AVAILABLE = date(2026, 3, 2)  # a Monday; + 15 days = Tuesday 17 March

# (first consultation, today, notified on or None, explanation)
NOTIFICATION = [
    (date(2026, 3, 2), date(2026, 3, 2), date(2026, 3, 2), "notifiée le 2 mars 2026 (première consultation)"),
    (date(2026, 3, 9), date(2026, 3, 20), date(2026, 3, 9), "notifiée le 9 mars 2026 (première consultation)"),
    (date(2026, 3, 17), date(2026, 3, 17), date(2026, 3, 17), "notifiée le 17 mars 2026 (première consultation)"),
    (
        None,
        date(2026, 3, 17),
        date(2026, 3, 17),
        "notifiée le 17 mars 2026 (quinze jours après sa mise à disposition le 2 mars 2026, sans consultation)",
    ),
    (
        date(2026, 4, 10),
        date(2026, 4, 10),
        date(2026, 3, 17),
        "notifiée le 17 mars 2026 (quinze jours après sa mise à disposition le 2 mars 2026 ; consultée le 10 avril 2026, après ce délai)",
    ),
    (None, date(2026, 3, 16), None, None),
    (None, date(2026, 3, 2), None, None),
]


@pytest.mark.parametrize(("consulted", "today", "notified", "explanation"), NOTIFICATION)
def test_notification_date(consulted, today, notified, explanation):
    result = notification_date(AVAILABLE, consulted, today=today)
    if notified is None:
        assert result is None
    else:
        assert result == LegalDate(notified, explanation)


def test_consultation_before_availability_is_refused():
    with pytest.raises(ValueError):
        notification_date(AVAILABLE, AVAILABLE - timedelta(days=1), today=AVAILABLE)


def test_instants_are_read_in_paris():
    # Made available at 23:30 UTC on 1 March = 00:30 on 2 March in Paris.
    at = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    result = notification_date(at, datetime(2026, 3, 9, 8, 0, tzinfo=UTC), today=date(2026, 3, 9))
    assert result is not None and result.day == date(2026, 3, 9)
    assert notification_date(at, today=date(2026, 3, 16)) is None
    later = notification_date(at, today=date(2026, 3, 17))
    assert later is not None and later.day == date(2026, 3, 17)


def test_appeal_by_consultation_and_after_15_days():
    by_consultation = appeal(date(2026, 11, 20), date(2026, 11, 30), today=date(2026, 12, 1))
    assert by_consultation.fixed
    assert by_consultation.last_day is not None and by_consultation.last_day.day == date(2027, 2, 1)
    assert by_consultation.wording == (
        "dans un délai de deux mois à compter de sa notification, soit jusqu'au lundi 1er février 2027 inclus"
    )
    # Made available 15 November 2026, never consulted: notified 30 November -> same day.
    deemed = appeal(date(2026, 11, 15), today=date(2026, 12, 1))
    assert deemed.notification is not None and deemed.notification.day == date(2026, 11, 30)
    assert deemed.last_day is not None and deemed.last_day.day == date(2027, 2, 1)
    assert deemed.explanation.startswith("notifiée le 30 novembre 2026 (quinze jours après sa mise à disposition le 15 novembre 2026")
    # Consulted after the 15 days: the 15th day notified it.
    late = appeal(date(2026, 11, 15), date(2026, 12, 10), today=date(2026, 12, 10))
    assert late.last_day is not None and deemed.last_day is not None and late.last_day.day == deemed.last_day.day


def test_appeal_not_fixed_yet():
    pending = appeal(date(2026, 11, 20), today=date(2026, 11, 25))
    assert not pending.fixed and pending.notification is None and pending.last_day is None
    assert pending.wording == APPEAL_PENDING_WORDING == "dans un délai de deux mois à compter de sa notification"
    assert pending.explanation == (
        "délai de deux mois à compter de sa notification, pas encore intervenue : mise à disposition le "
        "20 novembre 2026, notifiée à sa première consultation ou au plus tard le 5 décembre 2026"
    )


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_appeal_deadline_is_a_working_day_just_after_two_months(notified):
    last = appeal_deadline(notified).day
    two_months = add_months(notified, 2)
    assert is_working_day(last)
    assert last > two_months  # délai franc: the day two months on is never the last one
    # + 1 (franc), then at most Saturday, Sunday and a Monday holiday skipped
    assert (last - two_months).days <= 4
    # every day skipped between the uncounted day and the last one is not a working day
    assert all(not is_working_day(two_months + timedelta(days=n)) for n in range(1, (last - two_months).days))


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    st.integers(min_value=0, max_value=40) | st.none(),
    st.integers(min_value=0, max_value=40),
)
def test_notification_is_the_first_of_consultation_and_15_days(available, consult_after, wait):
    consulted = None if consult_after is None else available + timedelta(days=consult_after)
    today = (consulted or available) + timedelta(days=wait)
    result = notification_date(available, consulted, today=today)
    deemed = available + timedelta(days=15)
    if consulted is None and today < deemed:
        assert result is None
    else:
        assert result is not None
        assert result.day == min(deemed, consulted or deemed)

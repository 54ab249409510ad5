"""One legal calendar: every legal date the platform computes, prints or explains.

Pure functions, no I/O, no clock: every function takes the days it needs (``today``
included). A ``datetime`` given where a day is expected is read as its day in Paris
(``calendar.paris_date``); a ``date`` is taken as a Paris calendar day already.

Each computed date is a ``LegalDate``: the day and a one-line French explanation the
UI shows on hover and the letters may quote.

Sources (Légifrance):
- public holidays: Code du travail, art. L3133-1 (the eleven « fêtes légales »,
  metropolitan France; the extra days of Alsace-Moselle, art. L3134-13, and of the
  overseas departments, art. L3422-2, do not apply: the court is the Tribunal
  administratif de Paris);
- counting a time limit: Code de procédure civile, art. 641 (the day of the act does
  not count; a limit in months ends on the day with the same number, or on the last
  day of the month when there is none) and art. 642 (a limit that would end on a
  Saturday, a Sunday or a public holiday is extended to the next working day), which
  the administrative judge applies to the time limits of administrative procedure;
- the appeal: Code de justice administrative, art. R.421-1 (two months from the
  notification), a *délai franc* by the Conseil d'État's settled case law (neither the
  day of notification nor the day the two months end is counted).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Literal

from certreg_contracts.calendar import add_months, paris_date

Day = dt.date | dt.datetime
"""A calendar day, or an instant read as its day in Paris."""

ONE_DAY = dt.timedelta(days=1)

# --------------------------------------------------------------------------- French words

MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
NUMBERS_FR = {
    1: "un",
    2: "deux",
    3: "trois",
    4: "quatre",
    5: "cinq",
    6: "six",
    7: "sept",
    8: "huit",
    9: "neuf",
    10: "dix",
    11: "onze",
    12: "douze",
    15: "quinze",
}


def french_date(day: Day, *, weekday: bool = False) -> str:
    """``1er février 2027``, or ``lundi 1er février 2027`` with ``weekday``."""
    d = as_day(day)
    number = "1er" if d.day == 1 else str(d.day)
    text = f"{number} {MONTHS_FR[d.month - 1]} {d.year}"
    return f"{WEEKDAYS_FR[d.weekday()]} {text}" if weekday else text


def _count(n: int, unit: str) -> str:
    """``deux mois``, ``quinze jours``, ``un jour``, ``45 jours``."""
    plural = unit if n == 1 or unit.endswith("s") else unit + "s"
    return f"{NUMBERS_FR.get(n, str(n))} {plural}"


def _of(words: str) -> str:
    """``de deux mois``, ``d'un mois`` (the article elided before « un »)."""
    return f"d'{words}" if words.startswith("un ") else f"de {words}"


def as_day(day: Day) -> dt.date:
    """The calendar day: a ``date`` as is, a ``datetime`` as its day in Paris."""
    if isinstance(day, dt.datetime):
        return paris_date(day)
    return day


# --------------------------------------------------------------------------- public holidays


def easter_sunday(year: int) -> dt.date:
    """Easter Sunday of the Gregorian calendar (anonymous Gregorian computus, as given by
    Meeus/Jones/Butcher), valid for every year from 1583."""
    if year < 1583:
        raise ValueError("the Gregorian computus applies from 1583")
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


@dataclass(frozen=True, slots=True)
class Holiday:
    """One line of art. L3133-1: a fixed day (month, day) or a day after Easter Sunday."""

    name: str
    month_day: tuple[int, int] | None = None
    after_easter: int | None = None

    def __post_init__(self) -> None:
        if (self.month_day is None) == (self.after_easter is None):
            raise ValueError("a holiday is either a fixed day or a day after Easter")

    def in_year(self, year: int) -> dt.date:
        if self.month_day is not None:
            return dt.date(year, *self.month_day)
        assert self.after_easter is not None
        return easter_sunday(year) + dt.timedelta(days=self.after_easter)


# Code du travail, art. L3133-1 (Légifrance, version in force): « Les fêtes légales
# ci-après désignées sont des jours fériés : 1° Le 1er janvier ; 2° Le lundi de Pâques ;
# 3° Le 1er mai ; 4° Le 8 mai ; 5° L'Ascension ; 6° Le lundi de Pentecôte ; 7° Le 14
# juillet ; 8° L'Assomption ; 9° La Toussaint ; 10° Le 11 novembre ; 11° Le jour de Noël. »
# In the law's order, with their usual names. Easter Monday is Easter Sunday + 1,
# Ascension Thursday + 39, Whit Monday + 50 (Pentecost is the 7th Sunday after Easter);
# Easter Sunday and Pentecost Sunday are Sundays, never working days anyway. Whit
# Monday stays a public holiday where it is worked as the « journée de solidarité »
# (art. L3133-7 s. choose a day to work, they do not strike it from the list). Not
# here: the extra days of Alsace-Moselle (art. L3134-13) and of the overseas
# departments (art. L3422-2) — the platform's court is the Tribunal administratif de Paris.
# The list in force is applied to every year: it is not a history of past holidays.
HOLIDAYS: tuple[Holiday, ...] = (
    Holiday("jour de l'An", month_day=(1, 1)),
    Holiday("lundi de Pâques", after_easter=1),
    Holiday("fête du Travail", month_day=(5, 1)),
    Holiday("Victoire 1945", month_day=(5, 8)),
    Holiday("Ascension", after_easter=39),
    Holiday("lundi de Pentecôte", after_easter=50),
    Holiday("fête nationale", month_day=(7, 14)),
    Holiday("Assomption", month_day=(8, 15)),
    Holiday("Toussaint", month_day=(11, 1)),
    Holiday("Armistice 1918", month_day=(11, 11)),
    Holiday("Noël", month_day=(12, 25)),
)


@lru_cache(maxsize=256)
def public_holidays(year: int) -> Mapping[dt.date, str]:
    """The public holidays of ``year`` (art. L3133-1), day -> French name, in date
    order. When two fall on the same day (Ascension on 1 or 8 May), the names are
    joined in the law's order."""
    days: dict[dt.date, str] = {}
    for holiday in HOLIDAYS:
        day = holiday.in_year(year)
        days[day] = f"{days[day]} et {holiday.name}" if day in days else holiday.name
    return MappingProxyType(dict(sorted(days.items())))


def holiday_name(day: Day) -> str | None:
    d = as_day(day)
    return public_holidays(d.year).get(d)


def is_public_holiday(day: Day) -> bool:
    return holiday_name(day) is not None


def is_working_day(day: Day) -> bool:
    """Monday to Friday, and not a public holiday (art. 642 CPC: a Saturday, a Sunday,
    a public holiday is not a day on which a time limit may end)."""
    d = as_day(day)
    return d.weekday() < 5 and not is_public_holiday(d)


def next_working_day(day: Day) -> dt.date:
    """The first working day strictly after ``day``."""
    return working_day_from(as_day(day) + ONE_DAY)


def working_day_from(day: Day) -> dt.date:
    """``day`` when it is a working day, else the first working day after it (the
    extension of art. 642 CPC)."""
    d = as_day(day)
    while not is_working_day(d):
        d += ONE_DAY
    return d


def why_not_working(day: Day) -> str:
    """``dimanche 31 janvier 2027``, ``lundi 5 avril 2027 (lundi de Pâques)``."""
    d = as_day(day)
    name = holiday_name(d)
    return french_date(d, weekday=True) + (f" ({name})" if name else "")


# --------------------------------------------------------------------------- value type


@dataclass(frozen=True, slots=True)
class LegalDate:
    """A computed legal day and why it is that day (one line of French)."""

    day: dt.date
    explanation: str

    @property
    def text(self) -> str:
        """``lundi 1er février 2027``, as letters and pages print it."""
        return french_date(self.day, weekday=True)

    def as_json(self) -> dict[str, str]:
        return {"date": self.day.isoformat(), "text": self.text, "explanation": self.explanation}

    def __str__(self) -> str:
        return self.text


def _extended(last_day: dt.date, lead: str, ending: str, reported: str = "reporté") -> LegalDate:
    """``lead`` (e.g. "délai franc de deux mois") whose last day is ``last_day``, extended
    to the next working day when that day is not one (art. 642 CPC). ``ending`` says
    how it would have ended ("expirant le", "fixée au") when it is extended."""
    day = working_day_from(last_day)
    if day == last_day:
        return LegalDate(day, f"{lead} : jusqu'au {french_date(day, weekday=True)} inclus")
    return LegalDate(
        day, f"{lead} {ending} {why_not_working(last_day)}, {reported} au premier jour ouvré : {french_date(day, weekday=True)}"
    )


# --------------------------------------------------------------------------- notification and appeal

# The decision is notified on the platform: on its first consultation by the
# depositor, or, without one, this many days after it was made available (DESIGN.md,
# step 3; the day it is made available does not count, art. 641 CPC).
NOTIFICATION_AFTER_DAYS = 15
# Code de justice administrative, art. R.421-1: two months from the notification.
APPEAL_MONTHS = 2
APPEAL_PENDING_WORDING = "dans un délai de deux mois à compter de sa notification"


def notification_date(made_available: Day, first_consulted: Day | None = None, *, today: Day) -> LegalDate | None:
    """The day the decision counts as notified, or None while it is not fixed yet
    (not consulted, and fewer than 15 days since it was made available).

    The first consultation notifies it; so does the 15th day after it was made
    available, whichever comes first: a consultation after those 15 days changes nothing.
    """
    available = as_day(made_available)
    deemed = available + dt.timedelta(days=NOTIFICATION_AFTER_DAYS)
    after = f"{_count(NOTIFICATION_AFTER_DAYS, 'jour')} après sa mise à disposition le {french_date(available)}"
    if first_consulted is not None:
        consulted = as_day(first_consulted)
        if consulted < available:
            raise ValueError("a decision cannot be consulted before it is made available")
        if consulted <= deemed:
            return LegalDate(consulted, f"notifiée le {french_date(consulted)} (première consultation)")
        return LegalDate(deemed, f"notifiée le {french_date(deemed)} ({after} ; consultée le {french_date(consulted)}, après ce délai)")
    if as_day(today) >= deemed:
        return LegalDate(deemed, f"notifiée le {french_date(deemed)} ({after}, sans consultation)")
    return None


def appeal_deadline(notified: LegalDate | Day) -> LegalDate:
    """The last day to bring a contentious appeal against a decision notified on
    ``notified`` (a ``notification_date`` result, or a day).

    Two months (art. R.421-1 CJA), counted from the day of notification to the day with
    the same number two months later, or the last day of that month when it has none
    (art. 641 CPC); *délai franc*: that day does not count either, so the appeal may be
    brought the day after; extended to the next working day when that day is a
    Saturday, a Sunday or a public holiday (art. 642 CPC). Notified on 1 March: until
    2 May included; notified on 30 November 2026: until Monday 1 February 2027.
    """
    if isinstance(notified, LegalDate):
        on, how = notified.day, notified.explanation
    else:
        on = as_day(notified)
        how = f"notifiée le {french_date(on)}"
    last_day = add_months(on, APPEAL_MONTHS) + ONE_DAY
    return _extended(last_day, f"{how}, délai franc {_of(_count(APPEAL_MONTHS, 'mois'))}", "expirant le")


@dataclass(frozen=True, slots=True)
class Appeal:
    """Where the appeal deadline of a decision stands on a given day."""

    notification: LegalDate | None
    last_day: LegalDate | None
    explanation: str

    @property
    def fixed(self) -> bool:
        return self.last_day is not None

    @property
    def wording(self) -> str:
        """What a letter or page says of the time limit: always the legal wording
        (art. R.421-5 CJA wants the time limit stated), and the day once it is fixed."""
        if self.last_day is None:
            return APPEAL_PENDING_WORDING
        return f"{APPEAL_PENDING_WORDING}, soit jusqu'au {self.last_day.text} inclus"


def appeal(made_available: Day, first_consulted: Day | None = None, *, today: Day) -> Appeal:
    """The appeal deadline of a decision made available on the platform on
    ``made_available``: fixed once the decision is notified, else said to run for
    « deux mois à compter de sa notification »."""
    notified = notification_date(made_available, first_consulted, today=today)
    if notified is None:
        available = as_day(made_available)
        latest = available + dt.timedelta(days=NOTIFICATION_AFTER_DAYS)
        return Appeal(
            None,
            None,
            f"délai {_of(_count(APPEAL_MONTHS, 'mois'))} à compter de sa notification, pas encore intervenue : "
            f"mise à disposition le {french_date(available)}, notifiée à sa première consultation "
            f"ou au plus tard le {french_date(latest)}",
        )
    last = appeal_deadline(notified)
    return Appeal(notified, last, last.explanation)


# --------------------------------------------------------------------------- deadlines of the procedure

DeadlineKind = Literal["request", "completeness", "adjournment"]
DEADLINE_LABELS: dict[DeadlineKind, str] = {
    "request": "date limite de réponse à la demande de compléments",
    "completeness": "date limite pour compléter le dossier",
    "adjournment": "date limite d'envoi du dossier amélioré",
}


def deadline_on(due_on: Day, *, kind: DeadlineKind) -> LegalDate:
    """A deadline staff fixed as a day (a request, the completeness of a dossier, an
    adjourned dossier): that day, or the next working day when it is a Saturday, a
    Sunday or a public holiday (art. 642 CPC, to the depositor's benefit)."""
    return _extended(as_day(due_on), DEADLINE_LABELS[kind], "fixée au", "reportée")


def deadline_after(start: Day, *, days: int | None = None, months: int | None = None, kind: DeadlineKind) -> LegalDate:
    """A time limit of ``days`` days or ``months`` months from ``start``: the start day
    does not count, a limit in months ends on the same day number or the month's last
    day (art. 641 CPC); extended to the next working day (art. 642 CPC)."""
    if (days is None) == (months is None):
        raise ValueError("give either days or months")
    begin = as_day(start)
    if days is not None:
        if days < 1:
            raise ValueError("a time limit lasts at least one day")
        last_day, length = begin + dt.timedelta(days=days), _count(days, "jour")
    else:
        assert months is not None
        if months < 1:
            raise ValueError("a time limit lasts at least one month")
        last_day, length = add_months(begin, months), _count(months, "mois")
    lead = f"{DEADLINE_LABELS[kind]}, délai {_of(length)} à compter du {french_date(begin)}"
    return _extended(last_day, lead, "expirant le")


def is_overdue(due: LegalDate | Day, today: Day) -> bool:
    """Past the deadline: the deadline day itself is still in time (art. 642 CPC: a
    time limit ends on its last day at midnight)."""
    last = due.day if isinstance(due, LegalDate) else as_day(due)
    return as_day(today) > last


# Reminders of a deadline, in calendar days before it (D-7, D-1).
REMINDER_DAYS = (7, 1)


def reminders(due: LegalDate | Day, *, opened_on: Day | None = None) -> list[LegalDate]:
    """The reminder days of a deadline (D-7 then D-1), in calendar days: a reminder is
    a message, not a time limit, so a weekend or a holiday does not move it. With
    ``opened_on``, the reminders that would fall on or before it are left out."""
    last = due.day if isinstance(due, LegalDate) else as_day(due)
    opened = None if opened_on is None else as_day(opened_on)
    out = []
    for before in REMINDER_DAYS:
        day = last - dt.timedelta(days=before)
        if opened is not None and day <= opened:
            continue
        out.append(LegalDate(day, f"rappel à J-{before} de la date limite du {french_date(last, weekday=True)}"))
    return out


# --------------------------------------------------------------------------- dated pieces

# Dated pieces (criminal record bulletin n°3, mandate delegation, …) must be dated
# « de moins de trois mois » (DESIGN.md, steps 1 and 2).
DATED_PIECE_MONTHS = 3


def _too_old_from(document_date: dt.date, months: int) -> dt.date:
    """The first day on which a piece dated ``document_date`` is ``months`` months old or
    more: the first day ``on`` with ``add_months(on, -months) >= document_date``."""
    candidate = add_months(document_date, months)
    if add_months(candidate, -months) >= document_date:
        return candidate
    # ``candidate`` was cut to the last day of a shorter month (30 November + 3 months =
    # 28 February): every day of that month is still under the limit.
    return candidate + ONE_DAY


def is_dated_piece_valid(document_date: Day, on: Day, *, months: int = DATED_PIECE_MONTHS) -> bool:
    """Whether a piece dated ``document_date`` is « de moins de trois mois » on the
    reference day ``on`` (and not dated after it): the day ``months`` months before
    ``on`` is earlier than the piece's date."""
    dated, ref = as_day(document_date), as_day(on)
    return dated <= ref and add_months(ref, -months) < dated


def dated_piece_expiry(document_date: Day, *, months: int = DATED_PIECE_MONTHS) -> LegalDate:
    """The last reference day on which a piece dated ``document_date`` is still under
    ``months`` months old. In calendar days: an age limit, not a time limit to act, so
    it is not extended to a working day."""
    dated = as_day(document_date)
    last = _too_old_from(dated, months) - ONE_DAY
    return LegalDate(
        last, f"daté du {french_date(dated)}, de moins {_of(_count(months, 'mois'))} jusqu'au {french_date(last, weekday=True)} inclus"
    )


# --------------------------------------------------------------------------- renewal

# Reminders to file the renewal of a registration, in months before its end.
RENEWAL_REMINDER_MONTHS = (9, 7)


def renewal_reminders(registration_end: Day) -> list[LegalDate]:
    """The renewal reminders of a registration ending on ``registration_end``: 9 then 7
    months before (same day number, or the month's last day), in calendar days."""
    end = as_day(registration_end)
    return [
        LegalDate(
            add_months(end, -before),
            f"rappel de renouvellement, {_count(before, 'mois')} avant la fin de l'enregistrement le {french_date(end, weekday=True)}",
        )
        for before in RENEWAL_REMINDER_MONTHS
    ]


__all__ = [
    "APPEAL_MONTHS",
    "APPEAL_PENDING_WORDING",
    "DATED_PIECE_MONTHS",
    "DEADLINE_LABELS",
    "HOLIDAYS",
    "NOTIFICATION_AFTER_DAYS",
    "REMINDER_DAYS",
    "RENEWAL_REMINDER_MONTHS",
    "Appeal",
    "Day",
    "DeadlineKind",
    "Holiday",
    "LegalDate",
    "appeal",
    "appeal_deadline",
    "as_day",
    "dated_piece_expiry",
    "deadline_after",
    "deadline_on",
    "easter_sunday",
    "french_date",
    "holiday_name",
    "is_dated_piece_valid",
    "is_overdue",
    "is_public_holiday",
    "is_working_day",
    "next_working_day",
    "notification_date",
    "public_holidays",
    "reminders",
    "renewal_reminders",
    "why_not_working",
    "working_day_from",
]

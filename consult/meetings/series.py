"""When the occurrences of a meeting series fall (SPEC §3 Meeting): weekly, every other
week, or the nth weekday of each month. Pure date arithmetic; each date becomes its own
meeting, with its own calendar UID (no RRULE)."""
from __future__ import annotations

import calendar
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from consult.meetings.models import SERIES_PATTERNS

# More than a year of weekly meetings is a plan nobody keeps; extend the series later.
MAX_OCCURRENCES = 60
NTH_CHOICES = (1, 2, 3, 4, -1)


class SeriesError(ValueError):
    """A series that cannot be made; `message` is shown to the user."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def first_on_or_after(day: date, weekday: int) -> date:
    """The first date on or after `day` that falls on `weekday` (1 = Monday)."""
    return day + timedelta(days=(weekday - day.isoweekday()) % 7)


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    """The nth (1–4) or last (-1) `weekday` (1 = Monday) of the month."""
    if nth == -1:
        last = date(year, month, calendar.monthrange(year, month)[1])
        return last - timedelta(days=(last.isoweekday() - weekday) % 7)
    return first_on_or_after(date(year, month, 1), weekday) + timedelta(weeks=nth - 1)


def nth_of(day: date) -> int:
    """Which occurrence of its weekday in its month `day` is (1–5)."""
    return (day.day - 1) // 7 + 1


def occurrence_dates(pattern: str, *, weekday: int, nth: int | None = None,
                     first_date: date, until_date: date) -> list[date]:
    """Every date of the series from `first_date` to `until_date` inclusive.

    weekly and biweekly start from the first `weekday` on or after `first_date`, every
    other week counted from that one; monthly takes the nth (or last) `weekday` of each
    month. At most MAX_OCCURRENCES dates: a longer series is refused, not cut short."""
    if pattern not in SERIES_PATTERNS:
        raise SeriesError(_l("Choose how the meeting repeats."))
    if weekday not in range(1, 8):
        raise SeriesError(_l("Choose the weekday."))
    if until_date < first_date:
        raise SeriesError(_l("The last date must be on or after the first date."))
    dates: list[date] = []
    if pattern == "monthly":
        if nth not in NTH_CHOICES:
            raise SeriesError(_l("Choose which weekday of the month."))
        year, month = first_date.year, first_date.month
        while date(year, month, 1) <= until_date:
            day = nth_weekday(year, month, weekday, nth)
            if first_date <= day <= until_date:
                dates.append(day)
            if len(dates) > MAX_OCCURRENCES:
                break
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    else:
        step = timedelta(weeks=1 if pattern == "weekly" else 2)
        day = first_on_or_after(first_date, weekday)
        while day <= until_date and len(dates) <= MAX_OCCURRENCES:
            dates.append(day)
            day += step
    if len(dates) > MAX_OCCURRENCES:
        raise SeriesError(_l("A series has at most %(max)s meetings. Choose an earlier last "
                             "date, or make a new series later.", max=MAX_OCCURRENCES))
    if not dates:
        raise SeriesError(_l("No meeting falls between the first and the last date."))
    return dates

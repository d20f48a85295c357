"""The periods indicators are counted over (SPEC §7): a month, a quarter, a year or a
date range, as Helsinki calendar days. A timestamp (stored in UTC) belongs to the
period when its Helsinki date does."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from consult.timeutil import HELSINKI

PERIOD_KINDS = ("month", "quarter", "year", "range")
# A date range longer than this is refused: the page counts, it does not archive.
MAX_RANGE_DAYS = 3 * 366 + 31


@dataclass(frozen=True)
class Period:
    kind: str
    start: date  # first day
    end: date  # last day, inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """Naive UTC [from, to): Helsinki midnight of the first day and of the day after
        the last."""
        return utc_midnight(self.start), utc_midnight(self.end + timedelta(days=1))

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def utc_midnight(day: date) -> datetime:
    local = datetime.combine(day, time(0), tzinfo=HELSINKI)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def month_of(day: date) -> Period:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period("month", first, following - timedelta(days=1))


def quarter_of(day: date) -> Period:
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    last_month = month_of(date(day.year, first.month + 2, 1))
    return Period("quarter", first, last_month.end)


def year_of(day: date) -> Period:
    return Period("year", date(day.year, 1, 1), date(day.year, 12, 31))


def period_of(kind: str, day: date, start: date | None = None,
              end: date | None = None) -> Period:
    """The period of `kind` that holds `day`; for a range, `start`..`end`."""
    if kind == "range":
        if start is None or end is None or end < start:
            raise ValueError("range")
        return Period("range", start, end)
    return {"month": month_of, "quarter": quarter_of, "year": year_of}[kind](day)


def months_until(period: Period, count: int = 12) -> list[Period]:
    """The `count` months ending with the period's last month, oldest first (the trend)."""
    months, current = [], month_of(period.end)
    for _ in range(count):
        months.append(current)
        current = month_of(current.start - timedelta(days=1))
    return months[::-1]


def helsinki_date(value: datetime) -> date:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(HELSINKI).date()


def pieces(first: date, last: date) -> list[tuple[str, date, date]]:
    """[first, last] as (grain, from, to) with `to` exclusive: its whole years
    ("year"), its other whole quarters ("quarter") and months ("month"), and the days
    left at either end ("day"), in order. The counts answer the years, quarters and
    months, the facts the days."""
    parts: list[tuple[str, date, date]] = []
    cursor = first
    while cursor <= last:
        grain, following = "day", min(month_of(cursor).end, last) + timedelta(days=1)
        if cursor.day == 1:
            for kind, of in (("year", year_of), ("quarter", quarter_of), ("month", month_of)):
                whole = of(cursor)
                if whole.start == cursor and whole.end <= last:
                    grain, following = kind, whole.end + timedelta(days=1)
                    break
        if parts and parts[-1][0] == grain and parts[-1][2] == cursor:
            parts[-1] = (grain, parts[-1][1], following)
        else:
            parts.append((grain, cursor, following))
        cursor = following
    return parts

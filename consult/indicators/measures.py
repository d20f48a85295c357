"""How each indicator is computed from its cases (SPEC §7), apart from the database:
medians, nearest-rank percentiles, shares and the small-cell rule.

- A median of an even count is the mean of the middle two.
- The 90th percentile is the nearest rank: the value at rank ⌈0.9·n⌉ of the sorted
  values (1-based).
- Counts of 1–4 are not shown ("<5"). A median or percentile needs at least five
  cases. A share is shown only when both the cases it counts and the cases it is a
  share of are none or at least five: a share of a small count would give the count
  away."""
from __future__ import annotations

import math
from functools import lru_cache
from dataclasses import dataclass

MIN_CELL = 5


def median(values: list[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        raise ValueError("median of nothing")
    middle = n // 2
    if n % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def nearest_rank(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of nothing")
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return float(ordered[rank - 1])


def small(count: int) -> bool:
    return 0 < count < MIN_CELL


@dataclass(frozen=True)
class Value:
    """One cell: a count, a share in per cent or a number of days; `suppressed` when
    the small-cell rule hides it. `cases` is how many cases are behind it."""

    kind: str  # count · share · days
    number: float | None
    cases: int
    suppressed: bool = False

    @property
    def shown(self) -> bool:
        return not self.suppressed and self.number is not None


@lru_cache(maxsize=4096)  # a Value is immutable; a page makes thousands of them
def count(n: int) -> Value:
    return Value("count", n, n, suppressed=small(n))


def share(part: int, whole: int) -> Value:
    if whole == 0:
        return Value("share", None, 0)
    hidden = small(part) or small(whole)
    return Value("share", round(100 * part / whole, 1), whole, suppressed=hidden)


def days(values: list[int], statistic: str) -> Value:
    """The median (`median`) or the 90th percentile (`p90`) of lead times in days."""
    if len(values) < MIN_CELL:
        return Value("days", None, len(values), suppressed=bool(values))
    number = median(values) if statistic == "median" else nearest_rank(values, 90)
    return Value("days", number, len(values))


def _at(ordered: list[tuple[float, int]], index: int) -> float:
    """The value at 0-based `index` of the sorted values that `ordered` counts."""
    for value, n in ordered:
        if index < n:
            return float(value)
        index -= n
    raise IndexError(index)


def days_counted(counts: dict[int, int], statistic: str) -> Value:
    """`days()` of the values that `counts` ({days: how many cases}) holds."""
    ordered = sorted((value, n) for value, n in counts.items() if n > 0)
    total = sum(n for _, n in ordered)
    if total < MIN_CELL:
        return Value("days", None, total, suppressed=bool(total))
    if statistic == "median":
        middle = total // 2
        number = (_at(ordered, middle) if total % 2
                  else (_at(ordered, middle - 1) + _at(ordered, middle)) / 2)
    else:
        number = _at(ordered, max(1, math.ceil(90 / 100 * total)) - 1)
    return Value("days", number, total)

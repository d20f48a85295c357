"""Simple charts drawn on the server as SVG (no script, no CDN): bars over months and
bars by organisation kind. Each chart is shown next to a table with the same numbers;
a value the small-cell rule hides draws no bar and reads "<5"."""
from __future__ import annotations

from dataclasses import dataclass

from consult.indicators.measures import Value

LABEL_WIDTH = 300  # room for the category names left of horizontal bars
ROW_HEIGHT = 22
PLOT_HEIGHT = 150


@dataclass(frozen=True)
class Bar:
    label: str
    text: str  # the number as the table shows it
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    maximum: int


def shown(value: Value) -> str:
    if value.suppressed:
        return "<5"
    return "–" if value.number is None else f"{value.number:g}"


def _top(points) -> int:
    return max([int(v.number) for _, v in points if v.shown] + [1])


def columns(points: list[tuple[str, Value]], *, width: int = 640) -> Chart:
    """Vertical bars side by side (a trend over months)."""
    top = _top(points)
    slot = width / max(len(points), 1)
    bars = []
    for index, (label, value) in enumerate(points):
        height = PLOT_HEIGHT * value.number / top if value.shown else 0
        bars.append(Bar(label, shown(value), index * slot + slot * 0.15, 20 + PLOT_HEIGHT - height,
                        slot * 0.7, height))
    return Chart(width, PLOT_HEIGHT + 60, bars, top)


def rows(points: list[tuple[str, Value]], *, width: int = 720) -> Chart:
    """Horizontal bars one under another (counts by organisation kind)."""
    top = _top(points)
    plot = width - LABEL_WIDTH - 50
    bars = []
    for index, (label, value) in enumerate(points):
        length = plot * value.number / top if value.shown else 0
        bars.append(Bar(label, shown(value), LABEL_WIDTH, index * ROW_HEIGHT + 4, length,
                        ROW_HEIGHT - 8))
    return Chart(width, len(points) * ROW_HEIGHT + 8, bars, top)

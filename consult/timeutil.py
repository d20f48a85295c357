"""Time in one place: stored in UTC, shown in Europe/Helsinki."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")


def utcnow() -> datetime:
    """Naive UTC now, the form every *_at column stores."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_helsinki(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(HELSINKI)


def today() -> date:
    """Today in Helsinki: consents and due dates are Finnish calendar days."""
    return datetime.now(HELSINKI).date()

"""Reading what a page is given in its address: ids, page numbers and dates that the
database and the calendar can use, or nothing. Anything else a person may type or
paste there (a number beyond INTEGER, "²", year 9999) reads as absent, never as an
error inside the app."""
from __future__ import annotations

from datetime import date, datetime

from flask import request
from werkzeug.routing import IntegerConverter

# PostgreSQL's INTEGER, the type of every id.
MAX_ID = 2**31 - 1
# The years a date may fall in: the app counts days and weeks around it.
FIRST_YEAR, LAST_YEAR = 1900, 2199


class DatabaseId(IntegerConverter):
    """The `<int:…>` of every route: ASCII digits up to MAX_ID; a longer number
    matches no route (404), as an id that does not exist."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def whole_number(value: str | None) -> int | None:
    """A number from 0 to MAX_ID written in ASCII digits (a version, a revision, a
    score), or None. Python's int() also reads "١٢" and refuses "²", though
    str.isdigit() takes both."""
    if value is None or len(value) > len(str(MAX_ID)) or not value.isascii() \
            or not value.isdigit():
        return None
    number = int(value)
    return number if number <= MAX_ID else None


def database_id(value: str | None) -> int | None:
    """A positive id from text, or None."""
    return whole_number(value) or None


def row_id(value) -> int:
    """The `coerce` of a form field that chooses a row: its id, 0 for "none", or
    ValueError, which the field shows as an invalid choice."""
    number = value if isinstance(value, int) and 0 <= value <= MAX_ID \
        else whole_number(value if isinstance(value, str) else None)
    if number is None:
        raise ValueError(value)
    return number


def optional_row_id(value) -> int | None:
    return None if value in (None, "") else row_id(value)


def id_arg(name: str) -> int | None:
    return database_id(request.args.get(name))


def page_arg(name: str = "page") -> int:
    """A page number of a list; the first page for anything else."""
    return database_id(request.args.get(name)) or 1


def sensible(day: date) -> bool:
    return FIRST_YEAR <= day.year <= LAST_YEAR


def date_arg(name: str, pattern: str = "%Y-%m-%d") -> date | None:
    """A date in the given strptime pattern, within the sensible years, or None."""
    text = request.args.get(name, "")
    if not text.isascii():
        return None
    try:
        day = datetime.strptime(text, pattern).date()
    except ValueError:
        return None
    return day if sensible(day) else None

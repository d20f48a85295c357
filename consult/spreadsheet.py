"""Text cells of CSV files people open in a spreadsheet (the access report, the
indicators). A name an administrator typed that starts like a formula (=, +, -, @, or
a tab or carriage return before one) would run as a formula in Excel or LibreOffice;
such a cell gets a leading apostrophe, which the spreadsheet shows as plain text."""
from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text

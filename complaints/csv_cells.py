"""Cells for CSV files people open in a spreadsheet: text that starts like a formula stays text.

Excel, LibreOffice and Google Sheets evaluate a cell starting with = + - or @ (also after a
leading tab or carriage return) as a formula, so "=HYPERLINK(...)" typed as an app's name would
become a live link in an open-data download or a regulator's export. Such a cell gets a leading
apostrophe, which spreadsheets read as "this is text" and do not show (OWASP's advice).

Numbers stay numbers: a Python int, float or Decimal, and a string that is nothing but a
number ("-3", "+12.50"), cannot call anything, and a column of figures with a negative change
in it must still add up. Every CSV the platform writes goes through `csv_row`.
"""

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def csv_cell(value: Any) -> Any:
    """`value` as a CSV cell: None is empty, numbers as they are, text defused."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal):  # bool is an int: written as True/False
        return value
    text = str(value)
    if text.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(value) for value in values]

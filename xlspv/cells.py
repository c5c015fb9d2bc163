"""The one set of rules for a cell, from any source: blank, number, date, SPV id, Excel error text.

Every reader follows these rules, so a workbook, a CSV file, an in-memory table, the Terms range and
the Excel functions cannot drift apart. A cell comes from one of three kinds of source:

- ``"xlsx"``: a typed workbook cell (read by openpyxl). A number must be a number and a date a date; a
  text (even ``'-2500'`` or ``'2026-03-31'``) is refused, an Excel error text (``#DIV/0!``) is named as
  such, and a blank cell's message says that a formula saved without its value reads as blank.
- ``"csv"``: a text, parsed: plain decimals (``-1500``, ``200.5``, ``1e3``; no thousands separators,
  currency signs or parentheses) and ISO dates (``YYYY-MM-DD``, a time after it dropped).
- ``"memory"``: a Python or numpy value taken as it is; a text is parsed as in a CSV file.

Each function raises :class:`~xlspv.errors.SpvInputError` whose message starts with ``where`` (the
file, sheet and cell, or the CSV line and column) and ends with the fix.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np

from .dates import to_ordinal
from .errors import SpvInputError

#: The kinds of source a cell comes from (see the module's docstring).
SOURCES = ("xlsx", "csv", "memory")
#: What a workbook cell holds when its formula failed (openpyxl reads it as text).
EXCEL_ERRORS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA")
#: Appended to a blank xlsx cell's message: openpyxl reads a formula's saved result, and there is none
#: when the file was written by a program that does not calculate.
UNSAVED_FORMULA = " (a formula saved without its value reads as blank: open and save it in Excel)"
#: The number types a typed cell may hold (booleans excluded where it matters).
NUMBER_TYPES = (int, float, np.integer, np.floating)


def is_blank(cell: Any) -> bool:
    """Whether a cell is empty: ``None`` (an empty cell, in openpyxl and xlwings) or a text of spaces.

    >>> [is_blank(c) for c in (None, "", "  ", 0, "0", float("nan"))]
    [True, True, True, False, False, False]
    """
    return cell is None or (isinstance(cell, str) and not cell.strip())


def is_missing(cell: Any) -> bool:
    """:func:`is_blank`, or a float NaN: how pandas shows an empty cell of an in-memory table.

    >>> is_missing(float("nan")), is_missing(None), is_missing(0.0)
    (True, True, False)
    """
    return is_blank(cell) or (isinstance(cell, float) and math.isnan(cell))


def excel_error(cell: Any) -> str | None:
    """The Excel error a cell's text is (``"#DIV/0!"``), or ``None``."""
    if isinstance(cell, str) and cell.strip().upper() in EXCEL_ERRORS:
        return cell.strip().upper()
    return None


def parse_date(cell: Any, where: str, source: str) -> int:
    """Ordinal of a date cell, by the rules of its ``source`` (one of :data:`SOURCES`).

    - xlsx: an Excel date (read as a date or datetime) or a date serial; a text is refused
      (``'2026-03-31' is text, not a date``).
    - csv: an ISO text, ``YYYY-MM-DD`` (a time after it is allowed and dropped).
    - memory: a date, datetime, ``numpy.datetime64`` or Excel serial as it is; a text as in a CSV.

    >>> parse_date("2026-03-31", "line 2", "csv") == dt.date(2026, 3, 31).toordinal()
    True
    >>> parse_date("#N/A", "x.xlsx, sheet Flows, row 2", "xlsx")
    Traceback (most recent call last):
    ...
    xlspv.errors.SpvInputError: x.xlsx, sheet Flows, row 2: holds the error #N/A; fix its formula or ...
    """
    if is_missing(cell):
        hint = UNSAVED_FORMULA if source == "xlsx" else ""
        raise SpvInputError(f"{where}: the date is blank{hint}; enter a date.")
    if isinstance(cell, str):
        text = cell.strip()
        if source == "xlsx":
            if text.upper() in EXCEL_ERRORS:
                raise SpvInputError(f"{where}: holds the error {text}; fix its formula or enter a date.")
            raise SpvInputError(
                f"{where}: {cell!r} is text, not a date; enter a real date (type it as 2026-03-31 in a "
                "date-formatted cell)."
            )
        try:
            return dt.datetime.fromisoformat(text).toordinal()
        except ValueError:
            raise SpvInputError(
                f"{where}: {cell!r} is not a date; write dates as YYYY-MM-DD, e.g. 2026-03-31."
            ) from None
    if isinstance(cell, (bool, np.bool_, dt.time, dt.timedelta)):
        raise SpvInputError(f"{where}: {cell!r} is not a date; enter a date.")
    return to_ordinal(cell, what=where)  # dates, datetimes and Excel serials (range-checked)


def parse_number(cell: Any, where: str, source: str, fix: str = "enter a number") -> float:
    """A finite float from a number cell, by the rules of its ``source`` (one of :data:`SOURCES`).

    - xlsx: a number; a text (even ``'-2500'``), a date or a boolean is refused.
    - csv: a plain decimal text (``-1500``, ``200.5``, ``1e3``); no thousands separators, currency
      signs or parentheses.
    - memory: a number as it is; a text as in a CSV.

    ``fix`` ends the message of a cell that is not a number (what to enter instead).

    >>> parse_number(" -1500 ", "flows.csv, line 2, column value", "csv")
    -1500.0
    >>> parse_number("1,500", "flows.csv, line 2", "csv")
    Traceback (most recent call last):
    ...
    xlspv.errors.SpvInputError: flows.csv, line 2: '1,500' is not a number; write a plain number ...
    """
    if is_missing(cell):
        hint = UNSAVED_FORMULA if source == "xlsx" else ""
        raise SpvInputError(f"{where}: the cell is blank{hint}; enter a number (0 if nothing).")
    if isinstance(cell, str):
        text = cell.strip()
        if source == "xlsx":
            if text.upper() in EXCEL_ERRORS:
                raise SpvInputError(f"{where}: holds the error {text}; fix its formula or enter a number.")
            raise SpvInputError(f"{where}: {cell!r} is text, not a number; {fix}.")
        try:
            number = float(text)
        except ValueError:
            raise SpvInputError(
                f"{where}: {cell!r} is not a number; write a plain number such as -1500 or 200.5 (no "
                "thousands separators or currency signs)."
            ) from None
    elif isinstance(cell, (bool, np.bool_)):
        raise SpvInputError(f"{where}: {cell!r} is not a number; {fix}.")
    elif isinstance(cell, (dt.date, dt.time, dt.timedelta, np.datetime64)):
        raise SpvInputError(f"{where}: holds a date or time, not a number; {fix}.")
    elif isinstance(cell, NUMBER_TYPES):
        number = float(cell)
    else:
        raise SpvInputError(f"{where}: {cell!r} is not a number; {fix}.")
    if not math.isfinite(number):
        shown = cell if isinstance(cell, str) else number  # inf, not np.float64(inf)
        raise SpvInputError(f"{where}: {shown!r} is not a finite number; enter a number.")
    return number


def parse_id(cell: Any, where: str) -> str:
    """An SPV id as text: ``1``, ``1.0`` and ``"1"`` are the same id.

    >>> parse_id(7.0, "SPVs, row 1, column id"), parse_id(" A1 ", "SPVs, row 2, column id")
    ('7', 'A1')
    """
    if is_missing(cell):
        raise SpvInputError(f"{where}: the SPV id is blank; enter the SPV's id.")
    if isinstance(cell, (bool, np.bool_, dt.date, np.datetime64)):
        raise SpvInputError(f"{where}: {cell!r} is not an SPV id; enter a text or a whole number.")
    if isinstance(cell, (float, np.floating)):
        return str(int(cell)) if float(cell).is_integer() else repr(float(cell))
    if isinstance(cell, (int, np.integer)):
        return str(int(cell))
    return str(cell).strip()


__all__ = [
    "EXCEL_ERRORS",
    "NUMBER_TYPES",
    "SOURCES",
    "UNSAVED_FORMULA",
    "excel_error",
    "is_blank",
    "is_missing",
    "parse_date",
    "parse_id",
    "parse_number",
]

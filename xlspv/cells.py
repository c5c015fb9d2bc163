"""The one set of rules for a cell, from any source: blank, number, date, SPV id, Excel error text.

Every reader follows these rules, so a workbook, a CSV file, an in-memory table, the Terms range,
the command line and the Excel functions cannot drift apart. A cell comes from one of three kinds of
source:

- ``"xlsx"``: a typed workbook cell (read by python-calamine, or openpyxl). A number must be a number
  and a date a date; a text (even ``'-2500'`` or ``'2026-03-31'``) is refused, an Excel error text
  (``#DIV/0!``) is named as such, and a blank cell's message says that a formula saved without its
  value reads as blank.
- ``"csv"``: a text, parsed: decimals written with a point (``-1500``, ``200.5``, ``1e3``; no currency
  signs or parentheses) and ISO dates (``YYYY-MM-DD``, a time after it dropped).
- ``"memory"``: a Python or numpy value taken as it is; a text is parsed as in a CSV file.

The rules every source shares:

- **Numbers written as text** (:func:`number_from_text`; a CSV cell, a term typed as text, a command
  line option) are unambiguous or refused, never guessed. A comma is a thousands separator only where
  it cannot be a decimal comma: in proper groups of three digits followed by a decimal point
  (``1,234.5``), or in two groups or more (``1,234,567``). Every other comma is refused with the fix:
  ``0,055``, ``0,1``, ``5,5%``, ``1,500`` (1500 in New York, 1.5 in Frankfurt) and ``1.234,5``.
- **Dates** are 1 March 1900 (Excel serial 61) to 31 December 9999, from every source: Excel's serials
  1 to 60 include a 29 February 1900 that never existed, and a date before 1900 has no serial at all
  (it would become a negative number in a workbook).
- **Text** (notes, names, ids, comments) holds no control character (U+0000 to U+001F but tab, line
  feed and carriage return; U+007F): a workbook cannot hold one, so it is refused with one line
  naming the cell, never written or cleaned silently.

Each function raises :class:`~xlspv.errors.SpvInputError` whose message starts with ``where`` (the
file, sheet and cell, or the CSV line and column) and ends with the fix.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Any

import numpy as np

from .dates import EXCEL_EPOCH_ORDINAL, FIRST_SAFE_SERIAL, LAST_SERIAL, to_ordinal
from .errors import AmbiguousNumberError, SpvError, SpvInputError

#: The kinds of source a cell comes from (see the module's docstring).
SOURCES = ("xlsx", "csv", "memory")
#: What a workbook cell holds when its formula failed (openpyxl reads it as text).
EXCEL_ERRORS = (
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!", "#CALC!",
)  # fmt: skip
#: Appended to a blank xlsx cell's message: openpyxl reads a formula's saved result, and there is none
#: when the file was written by a program that does not calculate.
UNSAVED_FORMULA = " (a formula saved without its value reads as blank: open and save it in Excel)"
#: The number types a typed cell may hold (booleans excluded where it matters).
NUMBER_TYPES = (int, float, np.integer, np.floating)


#: The first and last day a date may be: 1 March 1900 (serial 61) and 31 December 9999.
FIRST_DAY = FIRST_SAFE_SERIAL + EXCEL_EPOCH_ORDINAL
LAST_DAY = LAST_SERIAL + EXCEL_EPOCH_ORDINAL
#: Control characters no text may hold: a workbook's XML cannot carry them (tab, LF and CR it can).
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_BYTES = re.compile(b"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: How a workbook's XML writes a control character (``_x0007_``); openpyxl reads it back as it is
#: written, but Excel shows the character (``_x005F_`` escapes a literal underscore).
ESCAPED_CONTROL = re.compile(r"(?<!_x005F)_x(00(?:0[0-8BbCcEeFf]|1[0-9A-Fa-f])|007[Ff])_")

# A comma is a thousands separator only where it cannot be a decimal comma (see the module docstring).
_GROUPED = re.compile(r"[+-]?[1-9]\d{0,2}(?:,\d{3})+\.\d*(?:[eE][+-]?\d+)?|[+-]?[1-9]\d{0,2}(?:,\d{3}){2,}")
_ONE_GROUP = re.compile(r"[+-]?[1-9]\d{0,2},\d{3}")  # 1,500: a thousands separator or a decimal comma
_DECIMAL_COMMA = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d*),\d+")  # 0,055 or 1.234,5


def _plain(number: Decimal) -> str:
    """A decimal as a person writes it: 0.055, 5.5, 1500 (no exponent, no trailing zeros)."""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "+0") else text


def _ambiguous(text: str, percent: bool) -> AmbiguousNumberError | ValueError:
    """The error of a numeric text with a comma that is not a safe thousands separator."""
    body = text.rstrip("%").strip() if percent else text
    readings: list[Decimal] = []
    if _ONE_GROUP.fullmatch(body):
        readings.append(Decimal(body.replace(",", "")))
    if _DECIMAL_COMMA.fullmatch(body):
        readings.append(Decimal(body.replace(".", "").replace(",", ".")))
    if not readings:
        return ValueError(text)
    shown: list[str] = []
    for value in readings:
        if percent and text.endswith("%"):
            shown += [_plain(value) + "%", _plain(value / 100)]
        elif percent:
            shown += [_plain(value), _plain(value * 100) + "%"]
        else:
            shown.append(_plain(value))
    unique = list(dict.fromkeys(shown))
    return AmbiguousNumberError(f"{text!r} is ambiguous: write {' or '.join(unique)}")


def number_from_text(text: str, *, percent: bool = False) -> float:
    """The number a text writes, by the one rule for numbers typed as text (module docstring).

    ``percent`` allows a trailing ``%`` (``"5.5%"`` = 0.055), as a term's value may have. Raises
    :class:`~xlspv.errors.AmbiguousNumberError` (whose message shows the fix) for a comma that may be
    a decimal comma, and a plain ``ValueError`` for a text that is no number; the callers add where
    and the fix (both are ``ValueError``: catch the first one first).

    >>> number_from_text("1,234,567.5"), number_from_text("5.5%", percent=True)
    (1234567.5, 0.055)
    >>> number_from_text("0,055", percent=True)
    Traceback (most recent call last):
    ...
    xlspv.errors.AmbiguousNumberError: '0,055' is ambiguous: write 0.055 or 5.5%
    >>> number_from_text("1,500")
    Traceback (most recent call last):
    ...
    xlspv.errors.AmbiguousNumberError: '1,500' is ambiguous: write 1500 or 1.5
    """
    stripped = text.strip()
    scale = 1.0
    body = stripped
    if percent and body.endswith("%"):
        body, scale = body[:-1].strip(), 0.01
    if "," in body:
        if not _GROUPED.fullmatch(body):
            raise _ambiguous(stripped, percent)
        body = body.replace(",", "")
    return float(body) * scale  # a ValueError for a text that is no number


def finite_number(value: Any, what: str, error: type[SpvError] = SpvInputError) -> float:
    """A finite float from a number or a numeric text (``"5%"`` = 0.05), else ``error`` naming ``what``.

    Texts follow :func:`number_from_text` (a comma that may be a decimal comma is refused with the fix,
    never guessed). ``error`` is the caller's error class (``TermsError`` for terms, ``RiskModelError``
    for the risk model), so each surface keeps its own kind of error and the one rule.

    >>> finite_number("5%", "rate"), finite_number(0.25, "share")
    (0.05, 0.25)
    """
    if isinstance(value, bool) or value is None:
        raise error(f"{what}: {value!r} is not a number; enter a number.")
    if isinstance(value, str):
        try:
            number = number_from_text(value, percent=True)
        except AmbiguousNumberError as exc:
            raise error(f"{what}: {exc}.") from None
        except ValueError:
            raise error(f"{what}: {value!r} is not a number; enter a number.") from None
    else:
        try:
            number = as_float(value, what, error)
        except SpvError:
            raise
        except (TypeError, ValueError):
            raise error(f"{what}: {value!r} is not a number; enter a number.") from None
    if not math.isfinite(number):
        raise error(f"{what}: {value!r} is not a finite number; enter a number.")
    return number


def as_float(value: Any, what: str, error: type[SpvError] = SpvInputError) -> float:
    """``float(value)``, refusing with ``error`` naming ``what`` an integer beyond a float's range.

    Python raises ``OverflowError`` for ``float(10**400)``; the message does not repeat the number
    (Python cannot even print an integer of over 4,300 digits).

    >>> as_float(7, "rate")
    7.0
    """
    try:
        return float(value)
    except OverflowError:
        raise error(
            f"{what}: the number is beyond a float's range (about ±1.8e308); enter a smaller number."
        ) from None


def control_character(text: str) -> str | None:
    """The first control character a text holds, as ``U+0007``, or ``None``.

    >>> control_character("bell" + chr(7)), control_character("tab" + chr(9) + "line feed" + chr(10))
    ('U+0007', None)
    >>> control_character("bell_x0007_ as a workbook's XML writes it")
    'U+0007'

    A workbook's XML writes a control character as ``_x0007_``; openpyxl reads that back as it is
    written, Excel as the character, so both forms are refused.
    """
    found = CONTROL.search(text)
    if found is not None:
        return f"U+{ord(found.group()):04X}"
    if "_x" not in text:  # every escape starts so; the plain search is ~30x faster than the pattern's
        return None
    escaped = ESCAPED_CONTROL.search(text)
    return None if escaped is None else f"U+{escaped.group(1).upper()}"


def check_text(cell: Any, where: str) -> None:
    """Refuse a text cell holding a control character, naming the cell and the character."""
    if isinstance(cell, str):
        code = control_character(cell)
        if code is not None:
            raise SpvInputError(f"{where}: remove the control character {code} from the text {cell!r}.")


def check_day(ordinal: int, where: str, shown: Any) -> int:
    """Refuse a day before 1 March 1900 or after 31 December 9999 (Excel's dates that count right)."""
    if not FIRST_DAY <= ordinal <= LAST_DAY:
        raise SpvInputError(
            f"{where}: {shown} is outside Excel's date range (1 March 1900 to 31 December 9999); "
            "enter a real date."
        )
    return ordinal


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
            day = dt.datetime.fromisoformat(text).toordinal()
        except ValueError:
            raise SpvInputError(
                f"{where}: {cell!r} is not a date; write dates as YYYY-MM-DD, e.g. 2026-03-31."
            ) from None
        return check_day(day, where, repr(cell))
    if isinstance(cell, (bool, np.bool_, dt.time, dt.timedelta)):
        raise SpvInputError(f"{where}: {cell!r} is not a date; enter a date.")
    day = to_ordinal(cell, what=where)  # dates, datetimes and Excel serials (serials range-checked)
    return check_day(day, where, dt.date.fromordinal(day).isoformat())


def parse_number(cell: Any, where: str, source: str, fix: str = "enter a number") -> float:
    """A finite float from a number cell, by the rules of its ``source`` (one of :data:`SOURCES`).

    - xlsx: a number; a text (even ``'-2500'``), a date or a boolean is refused.
    - csv: a decimal text (``-1500``, ``200.5``, ``1e3``) by :func:`number_from_text` (a comma only
      as an unambiguous thousands separator); no currency signs or parentheses.
    - memory: a number as it is; a text as in a CSV.

    ``fix`` ends the message of a cell that is not a number (what to enter instead).

    >>> parse_number(" -1500 ", "flows.csv, line 2, column value", "csv")
    -1500.0
    >>> parse_number("1,500", "flows.csv, line 2", "csv")
    Traceback (most recent call last):
    ...
    xlspv.errors.SpvInputError: flows.csv, line 2: '1,500' is ambiguous: write 1500 or 1.5.
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
            number = number_from_text(text)
        except AmbiguousNumberError as exc:
            raise SpvInputError(f"{where}: {exc}.") from None
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
        number = as_float(cell, where)
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
    check_text(cell, where)
    return str(cell).strip()


__all__ = [
    "CONTROL",
    "CONTROL_BYTES",
    "FIRST_DAY",
    "LAST_DAY",
    "check_day",
    "check_text",
    "control_character",
    "number_from_text",
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

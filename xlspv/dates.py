"""Dates as xlspv counts them: whole days, as proleptic Gregorian ordinals (``date.toordinal()``).

Accepted everywhere a date is due: ``datetime.date``, ``datetime.datetime`` (the time of day is
dropped: accrual is by whole days), numpy ``datetime64``, pandas ``Timestamp`` and Excel serial
numbers of the 1900 date system (whole or with a time fraction). Excel's serials 1 to 60 include the
fictitious 29 February 1900, so serials below 61 (before 1 March 1900) are refused rather than
silently shifted by a day.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import SpvInputError

#: ``date.toordinal()`` of Excel's day 0 (30 December 1899) in the 1900 date system.
EXCEL_EPOCH_ORDINAL = _dt.date(1899, 12, 30).toordinal()
#: Excel serial of 1 March 1900, the first serial that names the same day in Excel and in this calendar.
FIRST_SAFE_SERIAL = 61
#: Largest serial Excel shows as a date (31 December 9999).
LAST_SERIAL = 2958465
#: The first and last days of Excel's date range (1 March 1900, serial 61; 31 December 9999): the one
#: date rule of every surface, dates given as date objects included.
FIRST_ORDINAL = _dt.date(1900, 3, 1).toordinal()
LAST_ORDINAL = _dt.date(9999, 12, 31).toordinal()
#: ``date.toordinal()`` of numpy's day 0 (``datetime64`` counts days from 1 January 1970).
NUMPY_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()


def ordinal_from_serial(serial: float, *, what: str = "date") -> int:
    """Ordinal of an Excel 1900-system serial number (the fraction, a time of day, is dropped)."""
    if not np.isfinite(serial):
        raise SpvInputError(f"{what}: {serial!r} is not a date; enter a date or an Excel date serial.")
    whole = int(np.floor(serial))
    if whole < FIRST_SAFE_SERIAL or whole > LAST_SERIAL:
        raise _serial_out_of_range(repr(serial), what)
    return whole + EXCEL_EPOCH_ORDINAL


def _serial_out_of_range(shown: str, what: str) -> SpvInputError:
    return SpvInputError(
        f"{what}: {shown} is outside Excel's date range (serial 61 = 1 March 1900 to {LAST_SERIAL} = "
        "31 December 9999); enter a real date."
    )


def _in_range(ordinal: int, what: str) -> int:
    """``ordinal`` if it lies in Excel's date range, else the one message of every surface."""
    if FIRST_ORDINAL <= ordinal <= LAST_ORDINAL:
        return ordinal
    shown = _dt.date.fromordinal(ordinal).isoformat() if 1 <= ordinal <= LAST_ORDINAL else repr(ordinal)
    raise SpvInputError(
        f"{what}: {shown} is outside Excel's date range (1 March 1900 to 31 December 9999); enter a real "
        "date."
    )


def _all_in_range(ordinals: np.ndarray, name: str) -> np.ndarray:
    """``ordinals`` when every one lies in Excel's date range; else the first outside, named by row."""
    if ordinals.size and (ordinals.min() < FIRST_ORDINAL or ordinals.max() > LAST_ORDINAL):
        bad = int(np.flatnonzero((ordinals < FIRST_ORDINAL) | (ordinals > LAST_ORDINAL))[0])
        _in_range(int(ordinals.ravel()[bad]), f"{name} row {bad + 1}")
    return ordinals


def serial_from_ordinal(ordinal: int | np.ndarray) -> Any:
    """Excel 1900-system serial of an ordinal (or array of ordinals)."""
    return ordinal - EXCEL_EPOCH_ORDINAL


def to_ordinal(value: Any, *, what: str = "date") -> int:
    """Ordinal of one date-like value; raises :class:`SpvInputError` naming ``what`` otherwise."""
    if isinstance(value, _dt.datetime):  # pandas Timestamps too: their own (local) calendar date
        if value != value:  # pandas NaT, which passes for a datetime
            raise SpvInputError(f"{what}: the date is missing (NaT); enter a date.")
        return _in_range(value.date().toordinal(), what)
    if isinstance(value, _dt.date):
        return _in_range(value.toordinal(), what)
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            raise SpvInputError(f"{what}: the date is missing (NaT); enter a date.")
        return _in_range(int(value.astype("datetime64[D]").astype(np.int64)) + NUMPY_EPOCH_ORDINAL, what)
    if isinstance(value, (bool, np.bool_)):
        raise SpvInputError(f"{what}: {value!r} is not a date; enter a date.")
    if isinstance(value, (int, float, np.integer, np.floating)):
        if isinstance(value, int) and abs(value) > 1e300:  # float() would raise OverflowError
            raise _serial_out_of_range("the serial", what)
        return ordinal_from_serial(float(value), what=what)
    if value is None:
        raise SpvInputError(f"{what}: the date is blank; enter a date.")
    raise SpvInputError(f"{what}: {value!r} is not a date; enter a date or an Excel date serial.")


def to_ordinals(values: Any, *, name: str = "dates") -> np.ndarray:
    """Ordinals (int64 array) of a sequence of date-like values; errors name ``name`` and the row."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        days = values.astype("datetime64[D]", copy=False)  # (whole days already: not copied)
        bad = np.flatnonzero(np.isnat(days))
        if bad.size:
            raise SpvInputError(f"{name} row {bad[0] + 1}: the date is missing (NaT); enter a date.")
        return _all_in_range(days.view(np.int64) + NUMPY_EPOCH_ORDINAL, name)  # one new array
    if hasattr(values, "to_numpy") and getattr(values, "dtype", None) is not None:
        arr = values.to_numpy()
        if arr.dtype.kind == "M":
            return to_ordinals(arr, name=name)
        values = arr
    if isinstance(values, np.ndarray) and values.dtype.kind in "iuf":
        flat = values.astype(np.float64).ravel()
        return np.fromiter(
            (ordinal_from_serial(s, what=f"{name} row {i + 1}") for i, s in enumerate(flat)),
            dtype=np.int64,
            count=flat.size,
        )
    seq: Sequence[Any] = list(values)
    if seq and all(type(v) is _dt.date for v in seq):  # the common case, kept fast
        return _all_in_range(np.fromiter(map(_dt.date.toordinal, seq), dtype=np.int64, count=len(seq)), name)
    return np.fromiter(
        (to_ordinal(v, what=f"{name} row {i + 1}") for i, v in enumerate(seq)),
        dtype=np.int64,
        count=len(seq),
    )


def to_date(ordinal: int) -> _dt.date:
    """``datetime.date`` of an ordinal."""
    return _dt.date.fromordinal(int(ordinal))


def to_datetime64(ordinals: np.ndarray) -> np.ndarray:
    """``datetime64[D]`` array of an ordinal array."""
    days = np.asarray(ordinals, dtype=np.int64) - NUMPY_EPOCH_ORDINAL  # a new array (a scalar for one)
    if isinstance(days, np.ndarray):
        return days.view("datetime64[D]")  # the same 8 bytes: one pass over the ordinals, not two
    return days.astype("datetime64[D]")


def years_of(days: np.ndarray) -> np.ndarray:
    """Calendar year of each day ordinal (through a table of the days spanned: no datetime conversion)."""
    if days.size == 0:
        return days.copy()
    lo = int(days.min())
    table = to_datetime64(np.arange(lo, int(days.max()) + 1)).astype("datetime64[Y]").astype(np.int64) + 1970
    return table[days - lo]


def distinct_days(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct days (sorted) and each day's position among them: ``np.unique`` in O(n), no sort."""
    lo = int(days.min())
    offset = days - lo
    present = np.zeros(int(offset.max()) + 1, dtype=bool)
    present[offset.ravel()] = True
    unique = np.flatnonzero(present) + lo
    return unique, (np.cumsum(present) - 1)[offset]

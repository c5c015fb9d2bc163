"""Day-count conventions: the year fraction between two dates.

One small vectorised function per convention, chosen from :data:`DAY_COUNTS` by name. Dates are
ordinals (see :mod:`xlspv.dates`); arrays of starts and ends broadcast against each other.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .dates import to_datetime64
from .errors import TermsError

YearFraction = Callable[[np.ndarray, np.ndarray], np.ndarray]


def act_365f(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """ACT/365F: actual days / 365, whatever the year (Excel's XIRR convention)."""
    return _actual(start, end, 365.0)


def act_360(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """ACT/360: actual days / 360 (the SOFR money-market convention)."""
    return _actual(start, end, 360.0)


def _actual(start: np.ndarray, end: np.ndarray, basis: float) -> np.ndarray:
    """Actual days / ``basis``: the difference made as float64 and divided in place (one new array,
    not two; ordinals are exact in float64, so the same bits as ``(end - start) / basis``)."""
    days = np.subtract(end, start, dtype=np.float64)
    if isinstance(days, np.ndarray):
        days /= basis
        return days
    return days / basis


def _ymd(ordinals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day and "is the last day of its month" of each ordinal."""
    days = to_datetime64(ordinals)
    months = days.astype("datetime64[M]")
    year = months.astype(np.int64) // 12 + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    last = (months + 1).astype("datetime64[D]") - 1 == days
    return year, month, day, last


def days_360_us(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Days between two dates by the US 30/360 method, exactly as Excel's ``DAYS360(start, end, FALSE)``.

    - a start on the last day of its month counts as the 30th;
    - an end on the 31st counts as the 30th when the start (so adjusted) is the 30th;
    - days = 360 (y2 - y1) + 30 (m2 - m1) + (d2 - d1).

    An end on the last day of February is not adjusted (Excel's rule, unlike the NASD one).
    """
    y1, m1, d1, last1 = _ymd(np.asarray(start))
    y2, m2, d2, _ = _ymd(np.asarray(end))
    d1 = np.where(last1, 30, d1)
    d2 = np.where((d2 == 31) & (d1 == 30), 30, d2)
    return 360 * (y2 - y1) + 30 * (m2 - m1) + (d2 - d1)


def thirty_360_us(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """30/360 US: ``DAYS360(start, end, FALSE) / 360``."""
    return days_360_us(start, end) / 360.0


#: Day-count conventions by their canonical name.
DAY_COUNTS: dict[str, YearFraction] = {
    "ACT/365F": act_365f,
    "ACT/360": act_360,
    "30/360": thirty_360_us,
}

#: Other spellings users type, mapped to the canonical name (compared without case or spaces).
DAY_COUNT_ALIASES = {
    "ACT/365F": "ACT/365F",
    "ACT/365": "ACT/365F",
    "ACT/365FIXED": "ACT/365F",
    "ACTUAL/365": "ACT/365F",
    "ACTUAL/365F": "ACT/365F",
    "ACT/360": "ACT/360",
    "ACTUAL/360": "ACT/360",
    "30/360": "30/360",
    "30/360US": "30/360",
    "30U/360": "30/360",
    "DAYS360": "30/360",
}


def canonical_day_count(name: object) -> str:
    """Canonical name of a day count; :class:`TermsError` naming the value otherwise."""
    key = str(name).replace(" ", "").upper() if isinstance(name, str) else None
    if key not in DAY_COUNT_ALIASES:
        raise TermsError(f"day_count: {name!r} is not a day count; use one of {', '.join(DAY_COUNTS)}.")
    return DAY_COUNT_ALIASES[key]


def year_fraction(day_count: str, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Year fraction from ``start`` to ``end`` (ordinals) under the named convention.

    A span from a date to the same date is 0 under every convention: nothing accrues between rows on
    one date. (Excel's ``DAYS360(d, d, FALSE)`` is -2 when ``d`` is 28 February of a common year, since
    the start moves to the 30th and the end does not; xlspv does not accrue that.)

    >>> float(year_fraction("30/360", 739310, 739310))  # 2025-02-28 to itself
    0.0
    """
    start, end = np.asarray(start), np.asarray(end)
    name = canonical_day_count(day_count)
    fraction = DAY_COUNTS[name](start, end)
    return np.where(start == end, 0.0, fraction) if name == "30/360" else fraction  # ACT: already 0

"""Deemed-interest accrual between consecutive dates, under the terms' rate, day count and compounding.

Every convention is expressed as an *accrual exponent* ``E`` over a span:

- periodic compounding (m per year): ``E = m t ln(1 + r/m)``, growth factor ``exp(E)``
  (= ``(1 + r/m) ** (m t)``);
- continuous: ``E = r t``, growth factor ``exp(E)``;
- simple: ``E = r t``, the interest per unit of principal (interest does not earn interest).

Exponents add over sub-spans, which is how a span crossing a rate change is split at the change date
(each piece at its own rate and its own day-count fraction).
"""

from __future__ import annotations

import numpy as np

from .dates import to_date
from .daycount import year_fraction
from .errors import RateScheduleError
from .terms import RateSchedule, Terms


def exponent(terms: Terms, rate: np.ndarray | float, t: np.ndarray) -> np.ndarray:
    """Accrual exponent of rate(s) ``rate`` over year fraction(s) ``t`` (broadcasting)."""
    m = terms.periods_per_year
    rate = np.asarray(rate, dtype=np.float64)
    if m is None:
        return rate * t
    return m * t * np.log1p(rate / m)


def span_exponents(terms: Terms, days: np.ndarray) -> np.ndarray:
    """Accrual exponent of each span between consecutive sorted ``days``; 0 for the first row.

    ``days`` is 1-D (ordinals in date order). A rate schedule splits each span at its change dates.
    """
    days = np.asarray(days, dtype=np.int64)
    out = np.zeros(days.size)
    if days.size < 2:
        check_schedule_start(terms, days)
        return out
    rate = terms.deemed_rate
    if not isinstance(rate, RateSchedule):
        out[1:] = exponent(terms, rate, year_fraction(terms.day_count, days[:-1], days[1:]))
        return out
    check_schedule_start(terms, days)
    changes = np.asarray(rate.dates, dtype=np.int64)
    changes = changes[(changes > days[0]) & (changes < days[-1])]
    timeline = np.union1d(days, changes)
    pieces = exponent(
        terms, rate.rate_on(timeline[:-1]), year_fraction(terms.day_count, timeline[:-1], timeline[1:])
    )
    cumulative = np.concatenate(([0.0], np.cumsum(pieces)))
    at_rows = cumulative[np.searchsorted(timeline, days)]
    out[1:] = np.diff(at_rows)
    return out


def check_schedule_start(terms: Terms, days: np.ndarray) -> None:
    rate = terms.deemed_rate
    if isinstance(rate, RateSchedule) and days.size and rate.dates[0] > days[0]:
        raise RateScheduleError(
            f"deemed_rate: the rate schedule starts on {to_date(rate.dates[0])}, after the first "
            f"cash flow on {to_date(days[0])}; add a rate effective on or before {to_date(days[0])}."
        )

"""What the investor's position is worth: present values of its flows and of the 90/10 switch.

At a discount rate ``d`` (annual, annual compounding, the terms' day count), a flow on date ``t`` is
worth ``flow / (1 + d) ** yearfrac(t0, t)`` at ``t0``, the first funding date (``docs/waterfall.md``,
"Present values"). Reported, per SPV and for a program:

- ``japan_received``: PV of Japan's receipts; ``japan_funded``: PV of its fundings (positive);
  ``npv_japan``: the first less the second;
- ``us_received``: PV of the US's receipts;
- the value of the 90/10 switch: against a counterfactual where the before-split continues for ever
  (Japan gets ``japan_share_before`` of every distribution), ``switch_value_japan`` = PV(Japan's
  counterfactual receipts) - PV(Japan's receipts under the rule): what the switch moves from Japan to
  the US; ``switch_value_us`` = PV(US receipts) - PV(US counterfactual receipts), the same amount seen
  from the US (cash is conserved row by row, so the two are equal to rounding).

The default discount rate is the deemed rate (with any guarantee fee; a dated schedule's first rate):
at it, the PV of Japan's receipts up to the threshold equals the PV of its fundings when the default
accrual (ACT/365F, annual) is used, so the NPV measures what the after-split adds.

Everything here is pure numpy; :func:`group_values` is the vectorised engine the program view uses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from .cells import as_float
from .dates import to_date
from .daycount import year_fraction
from .errors import TermsError
from .terms import RateSchedule, Terms

#: The figures of :class:`PresentValues`, in their order (also the columns of the program tables).
VALUE_FIGURES = (
    "japan_received",
    "japan_funded",
    "npv_japan",
    "us_received",
    "japan_received_no_switch",
    "us_received_no_switch",
    "switch_value_japan",
    "switch_value_us",
)


@dataclass(frozen=True)
class PresentValues:
    """Present values of one SPV's (or one program's) flows at ``discount_rate``, at ``start``.

    Money in the input's unit; see the module docstring for each figure.
    """

    discount_rate: float
    start: dt.date
    japan_received: float
    japan_funded: float
    npv_japan: float
    us_received: float
    japan_received_no_switch: float
    us_received_no_switch: float
    switch_value_japan: float
    switch_value_us: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def default_discount_rate(terms: Terms) -> float:
    """The deemed rate the terms accrue at (guarantee fee included; a schedule's first rate)."""
    rate = terms.deemed_rate
    return float(rate.rates[0]) if isinstance(rate, RateSchedule) else float(rate)


def check_discount_rate(rate: Any, where: str = "discount_rate") -> float:
    """A discount rate as a finite float above -100%; TermsError naming ``where`` otherwise."""
    try:
        number = as_float(rate, where, TermsError)
    except TermsError:
        raise
    except (TypeError, ValueError):
        raise TermsError(f"{where}: {rate!r} is not a number; enter a rate such as 0.05.") from None
    if not np.isfinite(number) or number <= -1.0:
        raise TermsError(f"{where}: {rate!r} must be a finite rate above -100%, e.g. 0.05.")
    return number


def group_values(
    values: np.ndarray,
    days: np.ndarray,
    japan: np.ndarray,
    us: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    *,
    rate: float,
    day_count: str,
    share_before: np.ndarray | float,
) -> dict[str, np.ndarray]:
    """Present values per group of rows (per SPV, or one group for a program), vectorised.

    Parameters
    ----------
    values, days, japan, us : ndarray, shape (rows,)
        Each row's value (negative = a funding), date ordinal, and payouts to Japan and the US.
    group : ndarray of int, shape (rows,)
        The group of each row, in ``range(n_groups)``.
    rate : float
        Annual discount rate as a decimal (annual compounding), above -1.
    day_count : str
        The year fraction's convention (the terms').
    share_before : float or ndarray, shape (n_groups,)
        Japan's before-share, for the counterfactual "before-split for ever".

    Returns
    -------
    dict of str to ndarray
        One array of ``n_groups`` per name of :data:`VALUE_FIGURES`, plus ``start`` (ordinals: each
        group's first funding day, or its first day without a funding).
    """
    values = np.asarray(values, dtype=np.float64)
    days = np.asarray(days, dtype=np.int64)
    funding = values < 0.0
    big = np.iinfo(np.int64).max
    start = np.full(n_groups, big, dtype=np.int64)
    np.minimum.at(start, group[funding], days[funding])
    first_day = np.full(n_groups, big, dtype=np.int64)
    np.minimum.at(first_day, group, days)
    start = np.where(start == big, first_day, start)
    t = year_fraction(day_count, start[group], days)
    factor = np.exp(-t * np.log1p(rate))  # 1 / (1 + d) ** t
    distributed = np.where(values > 0.0, values, 0.0)
    before = np.broadcast_to(np.asarray(share_before, dtype=np.float64), (n_groups,))[group]
    sums = {
        name: np.bincount(group, weights=flow * factor, minlength=n_groups)
        for name, flow in (
            ("japan_received", japan),
            ("japan_funded", np.where(funding, -values, 0.0)),
            ("us_received", us),
            ("japan_received_no_switch", before * distributed),
            ("us_received_no_switch", (1.0 - before) * distributed),
        )
    }
    sums["npv_japan"] = sums["japan_received"] - sums["japan_funded"]
    sums["switch_value_japan"] = sums["japan_received_no_switch"] - sums["japan_received"]
    sums["switch_value_us"] = sums["us_received"] - sums["us_received_no_switch"]
    sums["start"] = start
    return sums


def present_values(waterfall: Any, discount_rate: float | None = None) -> PresentValues:
    """Present values of one computed waterfall (:func:`xlspv.compute`).

    Parameters
    ----------
    waterfall : xlspv.waterfall.Waterfall
        The computed waterfall.
    discount_rate : float, optional
        Annual discount rate as a decimal; default the deemed rate (:func:`default_discount_rate`).

    Examples
    --------
    Japan funds 100 on 1 Jan 2025 and gets 50 of 100 distributed on 1 Jan 2026 (365 days), at 10%:
    PV of its receipts 50 / 1.1, of its funding 100; without the switch it would get the same 50 (the
    row stays before the threshold), so the switch is worth nothing yet.

    >>> import datetime as dt
    >>> from xlspv import compute
    >>> w = compute([-100, 100], [dt.date(2025, 1, 1), dt.date(2026, 1, 1)], 0.10)
    >>> pv = present_values(w)
    >>> round(pv.japan_received, 9), round(pv.npv_japan, 9), pv.switch_value_japan
    (45.454545455, -54.545454545, 0.0)
    """
    terms = waterfall.terms
    rate = default_discount_rate(terms) if discount_rate is None else check_discount_rate(discount_rate)
    v = waterfall.flows.values
    sums = group_values(
        v,
        waterfall.flows.days,
        waterfall.japan,
        waterfall.us,
        np.zeros(v.size, dtype=np.int64),
        1,
        rate=rate,
        day_count=terms.day_count,
        share_before=terms.japan_share_before,
    )
    return PresentValues(
        discount_rate=rate,
        start=to_date(int(sums["start"][0])),
        **{name: float(sums[name][0]) for name in VALUE_FIGURES},
    )


__all__ = [
    "VALUE_FIGURES",
    "PresentValues",
    "check_discount_rate",
    "default_discount_rate",
    "group_values",
    "present_values",
]

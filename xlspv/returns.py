"""XNPV, IRR and NPV: the other return functions, by XIRR's search and the values rule of every input.

``irr`` is :func:`xlspv.xirr.xirr` with period numbers in place of dates (one period = 365 days, so
the search and its choice of root are XIRR's); ``npv`` follows ``numpy_financial.npv``; ``xnpv`` is
Excel's ``XNPV``. Values go through the same rule as XIRR's (:func:`xlspv.xirr._fast_values`, else
:func:`xlspv.inputs.prepare`, which names the bad row).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .dates import FIRST_SAFE_SERIAL
from .errors import SpvInputError
from .inputs import prepare
from .xirr import _NOT_FINITE, _check_rate, _fast_values, _xirr_any_order

_PERIODS = np.arange(1200, dtype=np.int64) * 365  # periodic flows as days: 365 per period


def xnpv(rate: float, values: Any, dates: Any) -> float:
    """Net present value of dated flows at an annual ``rate``, as Excel's ``XNPV`` (earliest date = t0).

    >>> import datetime as dt
    >>> round(xnpv(0.1, [-1000, 1100], [dt.date(2025, 1, 1), dt.date(2026, 1, 1)]), 9)
    0.0
    """
    r = _check_rate(rate, "rate")
    flows = prepare(values, dates)
    t = (flows.days - flows.days.min()) / 365.0
    return float(np.sum(flows.values * np.exp(-t * math.log1p(r))))


def irr(values: Any, guess: float = 0.1) -> float | None:
    """IRR of evenly spaced flows (one per period), as Excel's ``IRR``; ``None`` where there is none.

    Same search as :func:`xirr`, with period numbers 0, 1, 2, ... in place of years. Faster than
    ``numpy_financial.irr`` (which finds every root of a polynomial) and with Excel's choice of root.

    >>> round(irr([-100, 60, 60]), 10)
    0.1306623863
    """
    g = guess if type(guess) is float and -1.0 < guess < math.inf else _check_rate(guess)
    v = _fast_values(values)
    rate = _NOT_FINITE
    if v is not None and v.size:
        periods = _PERIODS[: v.size] if v.size <= _PERIODS.size else np.arange(v.size, dtype=np.int64) * 365
        rate = _xirr_any_order(v, periods, 1, g)
    if rate < -1.0:  # the careful path names the bad row
        v = _periodic_values(values)
        rate = _xirr_any_order(v, np.arange(v.size, dtype=np.int64) * 365, 1, g)
    return None if math.isnan(rate) else float(rate)


def _periodic_values(values: Any) -> np.ndarray:
    """Values of evenly spaced flows by the values rule of every xlspv input (:func:`prepare`, with
    stand-in dates one per period): a text, a blank or a non-finite value is refused naming its row."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__") or getattr(values, "ndim", 1) == 0:
        raise SpvInputError(f"values: {values!r} is not a list of cash flows; give one value per period.")
    count = values.size if isinstance(values, np.ndarray) else len(values)  # an array counts every cell
    return prepare(values, np.arange(FIRST_SAFE_SERIAL, FIRST_SAFE_SERIAL + count)).values


def npv(rate: float, values: Any) -> float:
    """NPV of flows at periods 0, 1, 2, ... (``numpy_financial.npv``: the first flow is not discounted).

    Differences from Excel: Excel's ``NPV`` discounts its first value by one period, so it equals
    this result divided by ``1 + rate``.

    >>> round(npv(0.1, [-100, 60, 60]), 4)
    4.1322
    """
    import numpy_financial as npf

    r = _check_rate(rate, "rate")
    v = _fast_values(values)
    if v is None or not v.size or not np.isfinite(v).all():  # never a text read as a number, nor a NaN
        v = _periodic_values(values)
    return float(npf.npv(r, v))

"""XIRR at the edges: every input form takes the same path, and the root search finds a root wherever
one exists (issue "Numbers at the edges"), checked by XNPV, never a wrong number.

Expected values are built by hand from the rate: a funding ``A`` and a receipt ``A (1 + r) ** (d / 365)``
``d`` days later have the one root ``r``; three annual flows ``-1, -c (x1 + x2), c`` with
``c = -1 / (x1 x2)`` have NPV ``c (x - x1)(x - x2)`` in ``x = 1 / (1 + rate)``: roots ``1 / x1 - 1``
and ``1 / x2 - 1``.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xlspv
from xlspv.xirr import _scan

D = dt.date
ANNUAL = [D(2025, 1, 1), D(2026, 1, 1), D(2027, 1, 1)]  # 365 days apart (2028's leap day comes later)


def _xnpv_relative(rate: float, values, days) -> float:
    """|XNPV| at ``rate`` over the sum of the discounted sizes, in log space (no overflow)."""
    t = (np.asarray(days, dtype=float) - days[0]) / 365.0
    logs = [math.log(abs(v)) - ti * math.log1p(rate) for v, ti in zip(values, t, strict=True) if v]
    top = max(logs)
    signs = [math.copysign(1.0, v) for v in values if v]
    terms = [s * math.exp(x - top) for s, x in zip(signs, logs, strict=True)]
    return abs(math.fsum(terms)) / math.fsum(abs(x) for x in terms)


def _two_roots(r1: float, r2: float) -> list[float]:
    x1, x2 = 1 / (1 + r1), 1 / (1 + r2)
    c = -1 / (x1 * x2)
    return [-1.0, -c * (x1 + x2), c]


@pytest.mark.parametrize(
    "form",
    [
        "list",
        "numpy_float",
        "numpy_int",
        "numpy_datetime_ns",
        "pandas_series",
        "pandas_index",
        "series_time_of_day",
    ],
)
def test_xirr_every_input_form_gives_the_list_result(form):
    dates = [D(2025, 1, 1) + dt.timedelta(days=30 * i) for i in range(40)]
    values = [-1000] + [30 + i for i in range(39)]
    expected = xlspv.xirr([float(v) for v in values], dates)
    v, d = {
        "list": (values, dates),
        "numpy_float": (np.array(values, dtype=float), np.array(dates, dtype="datetime64[D]")),
        "numpy_int": (np.array(values), np.array(dates, dtype="datetime64[D]")),
        "numpy_datetime_ns": (np.array(values, dtype=float), np.array(dates, dtype="datetime64[ns]")),
        "pandas_series": (pd.Series(values, dtype=float), pd.Series(pd.to_datetime(dates))),
        "pandas_index": (pd.Index(values, dtype=float), pd.DatetimeIndex(dates)),
        "series_time_of_day": (pd.Series(values), pd.Series(pd.to_datetime(dates)) + pd.Timedelta(hours=23)),
    }[form]
    assert xlspv.xirr(v, d) == expected


def test_xirr_series_with_a_missing_date_names_the_row():
    dates = pd.Series(pd.to_datetime(["2025-01-01", None, "2027-01-01"]))
    with pytest.raises(xlspv.SpvInputError, match="dates row 2"):
        xlspv.xirr(pd.Series([-100.0, 50.0, 70.0]), dates)


@pytest.mark.parametrize("irr", [1e9, 1e12, 1e15, 1e100])
def test_xirr_finds_roots_above_4_85e8_from_the_flows_own_bounds(irr):
    # near-zero funding, a year later a receipt: IRRs far above the old scan's end (s = 20)
    values = [-1e-6, 1e-6 * (1 + irr)]
    days = np.array([0.0, 365.0])
    assert xlspv.xirr(values, ANNUAL[:2]) == pytest.approx(irr, rel=1e-12)
    assert _scan(np.array(values), days, 0.1) == pytest.approx(irr, rel=1e-12)  # the fallback alone


def test_xirr_scan_finds_a_root_near_minus_100_percent():
    values = [-1.0, 1e-12]  # rate = 1e-12 - 1
    assert _scan(np.array(values), np.array([0.0, 365.0]), 0.1) == pytest.approx(1e-12 - 1, abs=1e-24)


@settings(max_examples=60, deadline=None)
@given(
    log_rate=st.floats(min_value=-30.0, max_value=200.0),
    days=st.integers(min_value=1, max_value=3650),
    size=st.floats(min_value=1e-9, max_value=1e9),
)
def test_xirr_extreme_rates_are_roots_by_xnpv(log_rate, days, size):
    # rate = e^s - 1 for s = log_rate: from -100% + 1e-13 to e^200
    rate = math.expm1(log_rate)
    if log_rate * days / 365.0 > 700.0:  # the receipt itself would overflow a float
        return
    receipt = size * math.exp(log_rate * days / 365.0)
    if not (rate > -1.0 and math.isfinite(receipt) and receipt > 0.0):
        return
    values = [-size, receipt]
    dates = [D(2025, 1, 1), D(2025, 1, 1) + dt.timedelta(days=days)]
    found = xlspv.xirr(values, dates)
    scanned = _scan(np.array(values), np.array([0.0, float(days)]), 0.1)
    for root in (found, scanned):
        assert root is not None and not math.isnan(root)
        # the root to the precision a float rate has (near -100%, 1 + rate keeps few digits; over a
        # short span, a unit in the last place of XNPV moves the rate by 365 / days of it) ...
        assert abs(root - rate) <= 1e-9 * abs(rate) + 1e-15 + 3e-16 * 365 / days
        if 1.0 + rate > 1e-6:  # ... and where 1 + rate keeps 10 digits, XNPV is 0 to 1e-9
            assert _xnpv_relative(root, values, [0, days]) < 1e-9


@settings(max_examples=60, deadline=None)
@given(
    r1=st.floats(min_value=-0.9, max_value=3.0),
    gap=st.floats(min_value=1e-5, max_value=0.009),
)
def test_xirr_scan_finds_both_of_two_roots_closer_than_a_step(r1, gap):
    # roots r1 and r2 with ln(1 + r2) - ln(1 + r1) = gap < 0.01, the scan's step: NPV need not change
    # sign at any scan point, yet both roots are found, each the answer nearest its side's guess
    r2 = (1 + r1) * math.exp(gap) - 1
    values = _two_roots(r1, r2)
    days = np.array([0.0, 365.0, 730.0])
    low = _scan(np.array(values), days, r1 - 10.0)
    high = _scan(np.array(values), days, r2 + 10.0)
    assert low == pytest.approx(r1, abs=1e-7 * (1 + r1) + 1e-9)
    assert high == pytest.approx(r2, abs=1e-7 * (1 + r2) + 1e-9)
    for root in (low, high):
        assert _xnpv_relative(root, values, [0, 365, 730]) < 1e-9


def test_xirr_close_roots_known_values():
    values = _two_roots(0.10, 0.1001)  # [-1, 2.2001, -1.21011]
    assert values == pytest.approx([-1.0, 2.2001, -1.21011], rel=1e-12)
    assert xlspv.xirr(values, ANNUAL, guess=0.0) == pytest.approx(0.10, abs=1e-9)
    assert xlspv.xirr(values, ANNUAL, guess=5.0) == pytest.approx(0.1001, abs=1e-9)


def test_xirr_no_root_stays_none_when_npv_only_comes_close():
    # NPV = c (x - x1)(x - x2) shifted up: a dip towards 0 that never reaches it has no root
    values = _two_roots(0.10, 0.1001)
    values[0] -= 1e-6  # moves the parabola in x away from 0: the pair of roots disappears
    assert xlspv.xirr(values, ANNUAL) is None

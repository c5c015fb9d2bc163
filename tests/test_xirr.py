"""XIRR, XNPV, IRR and NPV against independent references.

Sources of the expected values, named on each table:

- hand: worked with pencil-and-paper algebra in the test (closed forms such as ``1100 / 1000 - 1``);
- LibreOffice: values computed by a real spreadsheet engine, LibreOffice Calc 7.4.7.2 (headless,
  recalculating every formula on load), on 2026-11-25. They are hard-coded here so the tests do not
  need LibreOffice; ``python tests/test_xirr.py`` rebuilds the workbook, recalculates it and prints the
  values again (it needs ``soffice`` on the PATH);
- numpy-financial: ``numpy_financial.irr`` on evenly spaced flows.

The contract (``docs/waterfall.md``, section 11, "Returns") asks for agreement with Excel's and
LibreOffice's XIRR to 1e-9 relative, ``None`` where no root exists (never a wrong number) and the root
found even where Newton's method from the guess fails.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from xlspv import SpvInputError, irr, npv, xirr, xirr_many, xnpv

D = dt.date
REL = 1e-9


def _monthly(year: int, month: int, day: int, n: int) -> list[dt.date]:
    out = []
    for k in range(n):
        m = month - 1 + k
        out.append(D(year + m // 12, m % 12 + 1, day))
    return out


# id: (values, dates, guess, LibreOffice Calc 7.4.7.2 XIRR(values, dates, guess), read on 2026-11-25).
# LibreOffice writes 15 significant digits into the .xlsx; that is far inside the 1e-9 tolerance.
LIBREOFFICE_CASES: dict[str, tuple[list[float], list[dt.date], float, float]] = {
    "one_year_10pct": ([-1000, 1100], [D(2025, 1, 1), D(2026, 1, 1)], 0.1, 0.0999999999999999),
    "excel_help_example": (
        [-10000, 2750, 4250, 3250, 2750],
        [D(2008, 1, 1), D(2008, 3, 1), D(2008, 10, 30), D(2009, 2, 15), D(2009, 4, 1)],
        0.1,
        0.373362533518832,
    ),
    "many_flows_monthly": (
        [-50000] + [1000] * 60 + [5000],
        [D(2020, 1, 15)] + _monthly(2020, 2, 15, 60) + [D(2025, 1, 15)],
        0.1,
        0.105583604223711,
    ),
    "negative_irr": (
        [-1000, 300, 250, 200],
        [D(2025, 1, 1), D(2026, 3, 1), D(2027, 6, 30), D(2028, 12, 31)],
        0.1,
        -0.111225008642904,
    ),
    "out_of_order_first_is_earliest": (
        [-10000, 2750, 3250, 2750, 4250],
        [D(2008, 1, 1), D(2009, 4, 1), D(2009, 2, 15), D(2008, 3, 1), D(2008, 10, 30)],
        0.1,
        0.373362533518832,
    ),
    "out_of_order_first_not_earliest": (
        [2750, -10000, 3250, 2750, 4250],
        [D(2009, 4, 1), D(2008, 1, 1), D(2009, 2, 15), D(2008, 3, 1), D(2008, 10, 30)],
        0.1,
        0.373362533518831,
    ),
    "same_date_flows": (
        [-1000, -500, 800, 300, 700],
        [D(2024, 2, 29), D(2024, 2, 29), D(2025, 2, 28), D(2025, 2, 28), D(2026, 7, 15)],
        0.1,
        0.128511575159587,
    ),
    "large_irr_900pct": ([-100, 1000], [D(2025, 1, 1), D(2026, 1, 1)], 0.1, 9.0),
    "large_irr_short_span": ([-100, 180], [D(2025, 1, 1), D(2025, 3, 2)], 0.1, 34.719694791035),
    "two_roots_low_guess": ([-1000, 2500, -1540], [D(2025, 1, 1), D(2026, 1, 1), D(2027, 1, 1)], 0.05, 0.1),
    "two_roots_high_guess": ([-1000, 2500, -1540], [D(2025, 1, 1), D(2026, 1, 1), D(2027, 1, 1)], 0.5, 0.4),
    "multiple_sign_changes": (
        [-5000, 3000, -1000, 4000, -500],
        [D(2021, 3, 31), D(2022, 1, 31), D(2022, 11, 30), D(2024, 2, 29), D(2025, 6, 30)],
        0.1,
        0.0523710750649701,
    ),
    "small_rate": ([-1000, 1000.5], [D(2025, 1, 1), D(2025, 7, 20)], 0.1, 0.000912688197636429),
    "spv_project_billions": (
        [-1e9, -5e8, 1.2e8, 2.5e8, 3e8, 4.1e8, 6e8],
        [
            D(2026, 1, 20),
            D(2026, 9, 30),
            D(2027, 12, 31),
            D(2028, 12, 31),
            D(2029, 6, 30),
            D(2030, 12, 31),
            D(2032, 3, 15),
        ],
        0.1,
        0.0264478742954458,
    ),
    "newton_from_guess_steps_below_minus_100pct": ([-100, 1], [D(2025, 1, 1), D(2026, 1, 1)], 0.1, -0.99),
    "near_total_loss": (
        [-1000, 10, 5],
        [D(2025, 1, 1), D(2025, 12, 31), D(2027, 6, 30)],
        0.1,
        -0.876496289404546,
    ),
    "forty_annual_flows": (
        [-1000000] + [80000] * 40,
        [D(2025 + k, 1, 1) for k in range(41)],
        0.1,
        0.0756297617483078,
    ),
}

# Cases where LibreOffice Calc 7.4.7.2 returned an error (Err:502, written as #VALUE! in .xlsx; Excel
# says #NUM!): there is no IRR, and xlspv must say so (None), never a number.
LIBREOFFICE_NO_IRR: dict[str, tuple[list[float], list[dt.date]]] = {
    # -100 + 300 x - 300 x^2 (x = 1 / (1 + r)) has discriminant 300^2 - 4 * 100 * 300 < 0: no root
    "no_real_root_both_signs": ([-100, 300, -300], [D(2025, 1, 1), D(2026, 1, 1), D(2027, 1, 1)]),
    "all_positive": ([100, 200], [D(2025, 1, 1), D(2026, 1, 1)]),
    "all_negative": ([-100, -200], [D(2025, 1, 1), D(2026, 1, 1)]),
}


@pytest.mark.parametrize(
    ("values", "dates", "guess", "expected"),
    list(LIBREOFFICE_CASES.values()),
    ids=list(LIBREOFFICE_CASES),
)
def test_xirr_agrees_with_libreoffice_calc(values, dates, guess, expected):
    assert xirr(values, dates, guess) == pytest.approx(expected, rel=REL)


@pytest.mark.parametrize(("values", "dates"), list(LIBREOFFICE_NO_IRR.values()), ids=list(LIBREOFFICE_NO_IRR))
def test_xirr_is_none_where_libreoffice_has_no_irr(values, dates):
    assert xirr(values, dates) is None


def _days(start: dt.date, *offsets: int) -> list[dt.date]:
    return [start + dt.timedelta(days=k) for k in offsets]


# Hand-worked: with one outflow P at t = 0 and one inflow Q after d days, (1 + r) ** (d / 365) = Q / P.
HAND_CASES = {
    "1000_to_1100_in_365_days": ([-1000, 1100], _days(D(2025, 1, 1), 0, 365), 1100 / 1000 - 1),
    "1000_to_1210_in_730_days": ([-1000, 1210], _days(D(2025, 1, 1), 0, 730), (1210 / 1000) ** 0.5 - 1),
    "leap_year_366_days_is_not_one_year": (
        [-1000, 1100],
        [D(2024, 1, 1), D(2025, 1, 1)],
        (1100 / 1000) ** (365 / 366) - 1,
    ),
    "loss_half_in_ten_years": ([-100, 50], _days(D(2025, 1, 1), 0, 3650), 0.5 ** (365 / 3650) - 1),
    "inflow_first_then_repay": ([1000, -1100], _days(D(2025, 1, 1), 0, 365), 0.1),
    # -1000 + 2500 x - 1540 x^2 = 0 with x = 1 / (1 + r): 1 + r = 1.1 or 1.4; Newton from 0.1 finds 0.1
    "two_roots_default_guess": ([-1000, 2500, -1540], _days(D(2025, 1, 1), 0, 365, 730), 0.1),
    # Japan in the spec's worked example: -100 + 30 x + 90.4 x^2 = 0
    "quadratic_two_years": (
        [-100, 30, 90.4],
        _days(D(2025, 1, 1), 0, 365, 730),
        1 / ((-30 + math.sqrt(30**2 + 4 * 100 * 90.4)) / (2 * 90.4)) - 1,
    ),
    # Newton from 0.1 cannot reach these quickly or at all; the root exists and must be found
    "doubling_in_10_days": ([-100, 200], _days(D(2025, 1, 1), 0, 10), 2 ** (365 / 10) - 1),
    "fivefold_in_60_days": ([-100, 500], _days(D(2025, 1, 1), 0, 60), 5 ** (365 / 60) - 1),
    "almost_total_loss": ([-100, 1e-6], _days(D(2025, 1, 1), 0, 365), 1e-6 / 100 - 1),
    # same-date flows are summed first: -600 on day 0, +660 on day 365
    "same_date_summed": ([-1000, 400, 300, 360], _days(D(2025, 1, 1), 0, 0, 365, 365), 660 / 600 - 1),
    "zero_flows_change_nothing": ([0, -1000, 0, 1100, 0], _days(D(2025, 1, 1), 0, 0, 100, 365, 365), 0.1),
}


@pytest.mark.parametrize(("values", "dates", "expected"), list(HAND_CASES.values()), ids=list(HAND_CASES))
def test_xirr_hand_worked(values, dates, expected):
    assert xirr(values, dates) == pytest.approx(expected, rel=REL)


# guess: LibreOffice Calc 7.4.7.2 XIRR([-1000, 2500, -1540], [2025-01-01, 2026-01-01, 2027-01-01], guess),
# read on 2026-11-25
TWO_ROOTS_BY_GUESS = {
    0.05: 0.1,
    0.1: 0.1,
    0.2: 0.0999999999999999,
    0.25: 0.4,
    0.3: 0.4,
    0.35: 0.4,
    0.5: 0.4,
    1.0: 0.4,
    2.0: 0.1,
    -0.5: 0.0999999999999999,
    -0.9: 0.1,
}


@pytest.mark.parametrize(
    ("guess", "expected"),
    list(TWO_ROOTS_BY_GUESS.items()),
    ids=[f"guess_{g:+.0%}" for g in TWO_ROOTS_BY_GUESS],
)
def test_xirr_two_roots_newton_from_the_guess_picks_the_root_libreoffice_picks(guess, expected):
    """Roots 0.1 and 0.4 (hand: -1000 + 2500 x - 1540 x^2 = 0 with x = 1 / (1 + r), 365-day spacing).

    Which one is returned depends on Newton's path from the guess, not only on the nearest root
    (from 200% Newton lands on 10%). Expected values: LibreOffice Calc 7.4.7.2, 2026-11-25,
    ``XIRR(values, dates, guess)``.
    """
    result = xirr([-1000, 2500, -1540], _days(D(2025, 1, 1), 0, 365, 730), guess)
    assert result == pytest.approx(expected, rel=REL)


def test_xirr_where_newton_fails_returns_the_root_nearest_the_guess():
    """Roots -90% and +900%: -1 + 10.1 x - x^2 = 0 with x = 1 / (1 + r) gives x = 10 or 0.1.

    From guess 20 (hand): f(20) = -1 + 10.1 / 21 - 1 / 21^2 = -0.5213, f'(20) = -10.1 / 21^2 + 2 / 21^3
    = -0.02269, so Newton's first step goes to 20 - 0.5213 / 0.02269 = -2.98, below -100%: Newton fails.
    The spec: xlspv still finds a root, the one nearest the guess: +900%.
    """
    dates = _days(D(2025, 1, 1), 0, 365, 730)
    assert xirr([-1, 10.1, -1], dates, guess=20.0) == pytest.approx(9.0, rel=REL)
    assert xirr([-1, 10.1, -1], dates, guess=-0.95) == pytest.approx(-0.9, rel=REL)


NO_ROOT_CASES = {
    "quadratic_negative_discriminant": ([-100, 300, -300], _days(D(2025, 1, 1), 0, 365, 730)),
    "mirror_of_that": ([100, -300, 300], _days(D(2025, 1, 1), 0, 365, 730)),
    # -100 + 50 x - 100 x^2 < 0 for every x
    "never_crosses_zero": ([-100, 50, -100], _days(D(2025, 1, 1), 0, 365, 730)),
    # -100 + 200 x - 100.01 x^2 peaks at -0.01 (x = 1): a near miss, still no root
    "near_tangent_no_root": ([-100, 200, -100.01], _days(D(2025, 1, 1), 0, 365, 730)),
    "all_positive": ([100, 200, 300], _days(D(2025, 1, 1), 0, 365, 730)),
    "all_negative": ([-100, -200], _days(D(2025, 1, 1), 0, 365)),
    "all_zero": ([0, 0, 0], _days(D(2025, 1, 1), 0, 365, 730)),
    "single_flow": ([-100], [D(2025, 1, 1)]),
    "opposite_flows_same_day_net_zero": ([-100, 100], [D(2025, 1, 1), D(2025, 1, 1)]),
    # summed per date: 0 on day 0 and +5 on day 365: one sign only
    "same_day_nets_to_one_sign": ([-100, 100, 5], _days(D(2025, 1, 1), 0, 0, 365)),
}


@pytest.mark.parametrize(("values", "dates"), list(NO_ROOT_CASES.values()), ids=list(NO_ROOT_CASES))
def test_xirr_without_a_root_is_none(values, dates):
    assert xirr(values, dates) is None


def test_xirr_double_root_is_found_near_zero():
    # -100 + 200 x - 100 x^2 = -100 (1 - x)^2: a double root at r = 0 (ill-conditioned: ~sqrt(eps))
    result = xirr([-100, 200, -100], _days(D(2025, 1, 1), 0, 365, 730))
    assert result is not None and abs(result) < 1e-6


@pytest.mark.parametrize(
    ("values", "dates", "guess", "expected"),
    list(LIBREOFFICE_CASES.values()),
    ids=list(LIBREOFFICE_CASES),
)
def test_xnpv_at_xirr_is_zero(values, dates, guess, expected):
    rate = xirr(values, dates, guess)
    scale = sum(abs(v) for v in values)
    assert abs(xnpv(rate, values, dates)) <= 1e-9 * scale


@pytest.mark.parametrize(
    ("rate", "values", "dates", "expected"),
    [
        (0.1, [-1000, 1100], _days(D(2025, 1, 1), 0, 365), 0.0),
        (0.05, [-100, 50, 60], _days(D(2025, 1, 1), 0, 365, 730), -100 + 50 / 1.05 + 60 / 1.05**2),
        (0.08, [200, -100], _days(D(2025, 1, 1), 100, 0), -100 + 200 / 1.08 ** (100 / 365)),
        (0.0, [-1, 2, 3], _days(D(2025, 1, 1), 0, 7, 9), 4.0),
        (-0.5, [-100, 100], _days(D(2025, 1, 1), 0, 365), -100 + 100 / 0.5),
    ],
    ids=["zero_at_irr", "two_years", "out_of_order_t0_is_earliest", "zero_rate_sums", "minus_50pct"],
)
def test_xnpv_hand_worked(rate, values, dates, expected):
    assert xnpv(rate, values, dates) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(
    "values",
    [
        [-100, 60, 60],
        [-1000, 300, 400, 500],
        [-100, 39, 59, 55, 20],
        [-500, 100, 100, 100, 100, 100, 100],
        [-1000, 200, 200, 200, 200],
        [-100, -50, 80, 90, 40],
    ],
    ids=["two_periods", "three_periods", "npf_docs_example", "six_periods", "negative_irr", "two_outflows"],
)
def test_irr_agrees_with_numpy_financial(values):
    assert irr(values) == pytest.approx(npf.irr(values), rel=REL)


def test_irr_hand_worked():
    # -100 + 60 x + 60 x^2 = 0: x = (-60 + sqrt(3600 + 24000)) / 120, r = 1 / x - 1
    expected = 1 / ((-60 + math.sqrt(60**2 + 4 * 100 * 60)) / 120) - 1
    assert irr([-100, 60, 60]) == pytest.approx(expected, rel=REL)
    assert irr([100, 200]) is None


@pytest.mark.parametrize(
    ("rate", "values", "expected"),
    [(0.1, [-100, 110], 0.0), (0.05, [-100, 50, 60], -100 + 50 / 1.05 + 60 / 1.05**2), (0.0, [1, 2, 3], 6.0)],
    ids=["zero_at_irr", "two_periods", "zero_rate"],
)
def test_npv_first_flow_undiscounted(rate, values, expected):
    assert npv(rate, values) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_xirr_many_equals_xirr_row_by_row():
    cases = list(LIBREOFFICE_CASES.values()) + [(v, d, 0.1, None) for v, d in NO_ROOT_CASES.values()]
    cases = [c for c in cases if c[2] == 0.1]  # xirr_many takes one guess for all rows
    width = max(len(c[0]) for c in cases)
    values = np.zeros((len(cases), width))
    days = np.zeros((len(cases), width), dtype=np.int64)
    for i, (v, d, _, _) in enumerate(cases):
        values[i, : len(v)] = v
        days[i, : len(d)] = [x.toordinal() for x in d]
        days[i, len(d) :] = max(x.toordinal() for x in d)  # zero flows pad on the last date
    result = xirr_many(values, days)
    for i, (v, d, _, _) in enumerate(cases):
        single = xirr(v, d)
        if single is None:
            assert math.isnan(result[i]), i
        else:
            assert result[i] == pytest.approx(single, rel=1e-12), i


@pytest.mark.parametrize(
    "dates",
    [
        [D(2025, 1, 1), D(2026, 1, 1)],
        [dt.datetime(2025, 1, 1, 9, 30), dt.datetime(2026, 1, 1, 23, 59)],
        [45658, 46023],  # Excel serials of 2025-01-01 and 2026-01-01
        [45658.75, 46023.25],  # a time of day is dropped
        np.array(["2025-01-01", "2026-01-01"], dtype="datetime64[D]"),
        [np.datetime64("2025-01-01"), np.datetime64("2026-01-01T12:00")],
        [__import__("pandas").Timestamp("2025-01-01"), __import__("pandas").Timestamp("2026-01-01")],
    ],
    ids=[
        "date",
        "datetime",
        "serial_int",
        "serial_fraction",
        "datetime64_array",
        "datetime64_list",
        "timestamp",
    ],
)
def test_xirr_accepts_every_date_form(dates):
    assert xirr([-1000, 1100], dates) == pytest.approx(0.1, rel=REL)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: xirr([-100, 110], [D(2025, 1, 1)]), "values has 2 rows but dates has 1"),
        (lambda: xirr([-100, float("nan")], [D(2025, 1, 1), D(2026, 1, 1)]), "values row 2"),
        (lambda: xirr([-100, "110"], [D(2025, 1, 1), D(2026, 1, 1)]), "values row 2"),
        (lambda: xirr([-100, 110], [D(2025, 1, 1), None]), "dates row 2"),
        # the list path converts in one C pass that refuses, never converts, these (np.fromiter would)
        (lambda: xirr([-100, None], [D(2025, 1, 1), D(2026, 1, 1)]), "values row 2"),
        (lambda: xirr([-100, b"110"], [D(2025, 1, 1), D(2026, 1, 1)]), "values row 2"),
        (lambda: xirr([-100, [110.0]], [D(2025, 1, 1), D(2026, 1, 1)]), "values row 2"),
        # one values rule for lists, tuples and arrays alike (a review found a list path accepting these)
        (
            lambda: xirr([__import__("decimal").Decimal(-100), 110.0], [D(2025, 1, 1), D(2026, 1, 1)]),
            "values row 1",
        ),
        (
            lambda: xirr([[-100.0, 1], 5, 110], np.array(["2025-01-01"] * 3, dtype="datetime64[D]")),
            "values row 1",
        ),
        (lambda: npv(0.1, [[1, 2], 3]), "values row 1"),
        (lambda: npv(0.1, 5.0), "values: 5.0 is not a list of cash flows"),
        (lambda: xirr([-100, 110], [D(2025, 1, 1), D(2026, 1, 1)], guess=-1.0), "guess"),
        (lambda: xirr([-100, 110], [D(2025, 1, 1), D(2026, 1, 1)], guess="10%"), "guess"),
        (lambda: irr([-100, float("nan")]), "values"),
        (lambda: xnpv(-1.5, [-100, 110], [D(2025, 1, 1), D(2026, 1, 1)]), "^rate"),
        (lambda: npv(-1.0, [-100, 110]), "^rate"),
    ],
    ids=[
        "lengths_differ",
        "nan_value",
        "text_value",
        "missing_date",
        "blank_value",
        "bytes_value",
        "nested_value",
        "decimal_value_in_a_list",
        "nested_unequal_values",
        "npv_nested_values",
        "npv_one_number",
        "guess_minus_100pct",
        "guess_text",
        "irr_nan",
        "xnpv_rate_minus_150pct_names_rate",
        "npv_rate_minus_100pct_names_rate",
    ],
)
def test_xirr_bad_input_raises_typed_error(call, match):
    with pytest.raises(SpvInputError, match=match):
        call()


_FLOW = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda x: round(x, 2))


@settings(max_examples=150, deadline=None)
@given(
    flows=st.lists(st.tuples(_FLOW, st.integers(0, 3650)), min_size=2, max_size=8),
)
def test_xirr_is_a_root_or_none_only_when_npv_never_changes_sign(flows):
    """Never a wrong number: a returned rate zeroes XNPV; None only where XNPV keeps one sign.

    The reference for "no root" is an independent dense scan of XNPV over rates from -99.9% to
    +10,000% (a finer grid than xlspv's own fallback), in plain Python.
    """
    values = [v for v, _ in flows]
    dates = [D(2025, 1, 1) + dt.timedelta(days=k) for _, k in flows]
    result = xirr(values, dates)
    d0 = min(dates)
    net: dict[int, float] = {}
    for v, d in zip(values, dates, strict=True):
        net[(d - d0).days] = net.get((d - d0).days, 0.0) + v

    years = np.array(list(net.keys()), dtype=float) / 365
    flows_by_day = np.array(list(net.values()))
    if result is not None:
        assert result > -1.0

        def npv_at(rate: float) -> tuple[float, float]:
            discounted = flows_by_day * np.exp(-years * math.log1p(rate))  # flow / (1 + r) ** years
            return float(discounted.sum()), float(np.abs(discounted).sum())

        value, scale = npv_at(result)
        if abs(value) > 1e-9 * scale:
            # near -100% the rounding of the rate itself moves XNPV more than that: then ask only that
            # the root lies within 1e-9 (relative) of the result, i.e. XNPV changes sign around it
            delta = 1e-9 * abs(result)
            lowest = math.nextafter(-1.0, 0.0)  # the rate nearest -100% that log1p accepts
            below, above = npv_at(max(result - delta, lowest))[0], npv_at(result + delta)[0]
            assert below == 0 or above == 0 or (below < 0) != (above < 0), (result, value, scale)
    else:
        # ln(1 + r) from ln(0.001) to ln(101): rates from -99.9% to +10,000%
        log_growth = np.linspace(math.log(1e-3), math.log(101.0), 4001)[:, None]
        grid = (flows_by_day[None, :] * np.exp(-log_growth * years[None, :])).sum(axis=1)
        signs = set(np.sign(grid[grid != 0.0]).tolist())
        assert len(signs) <= 1, "xirr said no IRR but XNPV changes sign"


def _regenerate_libreoffice_reference() -> None:  # pragma: no cover - a tool, not a test
    """Rebuild the LibreOffice reference values: ``python tests/test_xirr.py``.

    Writes a workbook with one XIRR formula per case, recalculates it with headless LibreOffice in a
    throwaway profile that forces a recalculation on load (``OOXMLRecalcMode`` = 0: "always"), and
    prints each case's value. Also prints DAYS360(start, end, FALSE) for the 30/360 pairs of
    ``tests/test_waterfall.py``.
    """
    import pathlib
    import subprocess
    import tempfile

    import openpyxl

    days360_pairs = [
        (D(2025, 1, 31), D(2025, 3, 31)),
        (D(2025, 1, 30), D(2025, 3, 31)),
        (D(2025, 1, 29), D(2025, 3, 31)),
        (D(2025, 2, 28), D(2025, 3, 31)),
        (D(2024, 2, 28), D(2024, 3, 31)),
        (D(2024, 2, 29), D(2024, 3, 31)),
        (D(2025, 1, 15), D(2025, 2, 28)),
        (D(2024, 12, 31), D(2025, 2, 28)),
        (D(2025, 2, 28), D(2026, 2, 28)),
        (D(2025, 3, 31), D(2025, 4, 30)),
        (D(2025, 4, 30), D(2025, 5, 31)),
        (D(2025, 5, 15), D(2025, 5, 31)),
        (D(2025, 1, 1), D(2026, 1, 1)),
        (D(2024, 2, 29), D(2025, 2, 28)),
        (D(2025, 2, 27), D(2025, 2, 28)),
        (D(2024, 1, 31), D(2024, 2, 29)),
        (D(2023, 2, 28), D(2024, 2, 29)),
    ]
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="xlspv_lo_"))
    profile = tmp / "profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        '<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" '
        'oor:op="fuse"><value>0</value></prop></item>\n</oor:items>\n'
    )
    two_roots = ([-1000, 2500, -1540], [D(2025, 1, 1), D(2026, 1, 1), D(2027, 1, 1)])
    cases = {
        **{k: (v, d, g) for k, (v, d, g, _) in LIBREOFFICE_CASES.items()},
        **{k: (v, d, 0.1) for k, (v, d) in LIBREOFFICE_NO_IRR.items()},
        **{f"two_roots_guess_{g}": (*two_roots, g) for g in TWO_ROOTS_BY_GUESS},
    }
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "xirr"
    for i, (name, (values, dates, guess)) in enumerate(cases.items()):
        sheet = wb.create_sheet(f"c{i}")
        for r, (v, d) in enumerate(zip(values, dates, strict=True), start=1):
            sheet.cell(r, 1, v)
            sheet.cell(r, 2, d)
        n = len(values)
        ws.append([name, f"=XIRR(c{i}!A1:A{n},c{i}!B1:B{n},{guess})"])
    d360 = wb.create_sheet("days360")
    for r, (a, b) in enumerate(days360_pairs, start=1):
        d360.append([a, b, f"=DAYS360(A{r},B{r},FALSE)"])
    src = tmp / "in.xlsx"
    wb.save(src)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp / "out"),
            str(src),
        ],
        check=True,
    )
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--version"], check=False)
    result = openpyxl.load_workbook(tmp / "out" / "in.xlsx", data_only=True)
    for name, value in result["xirr"].iter_rows(values_only=True):
        print(f"{name}: {value!r}")
    for a, b, days in result["days360"].iter_rows(values_only=True):
        print(f"DAYS360({a:%Y-%m-%d}, {b:%Y-%m-%d}, FALSE) = {days}")


if __name__ == "__main__":  # pragma: no cover
    _regenerate_libreoffice_reference()


@settings(max_examples=100, deadline=None)
@given(flows=st.lists(st.tuples(_FLOW, st.integers(0, 3650)), min_size=2, max_size=40))
# roots past a float's range (ln(1 + r) > 709.8): plain Python's expm1 (xlwings Lite) once raised here
@example(flows=[(1.0, 0), (-7.0, 1)])
@example(flows=[(1.0, 72), (1.0, 76), (-7.0, 73)])
def test_xirr_of_lists_equals_xirr_of_arrays_on_every_call(flows):
    """The list path (its own conversion; after its first call, the compiled kernel without numba's
    dispatcher) gives bitwise the rate of the array path, whichever call it is."""
    values = [v for v, _ in flows]
    dates = [D(2025, 1, 1) + dt.timedelta(days=d) for _, d in flows]
    arrays = xirr(np.array(values), np.array(dates, dtype="datetime64[D]"))
    for _ in range(2):
        listed = xirr(values, dates)
        assert (listed is None and arrays is None) or listed == arrays

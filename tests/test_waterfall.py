"""The waterfall rule, pinned by known values worked by hand.

Every expected number below is arithmetic written from ``docs/waterfall.md`` (sections 2 and 7: the
inputs and the rule, event by event), never recomputed with xlspv: e.g. a balance of 100 funded on
2025-01-01 at a 10% deemed rate is ``100 * 1.1 ** (365 / 365)`` on 2026-01-01. Dates of the common
tables:

- ``Y25`` .. ``Y28`` are 1 January 2025 .. 2028 (each 365 days apart: 2028-02-29 falls after Y28);
- ``M25`` is 2 July 2025 (182 days after Y25, 183 days before Y26);
- ``J28``, ``J29`` are 1 July 2028 and 1 July 2029 (365 days apart).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

import xlspv
from xlspv import RateScheduleError, Terms
from xlspv.rows import TIER_NAMES

D = dt.date
Y25, Y26, Y27, Y28 = D(2025, 1, 1), D(2026, 1, 1), D(2027, 1, 1), D(2028, 1, 1)
M25 = D(2025, 7, 2)
J28, J29 = D(2028, 7, 1), D(2029, 7, 1)
F, B, T, A = "funding", "before", "threshold", "after"


def _close(actual, expected, what=""):
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float),
        np.asarray(expected, dtype=float),
        rtol=1e-12,
        atol=1e-9,
        err_msg=what,
    )


def _check_table(table: pd.DataFrame, expected: dict) -> None:
    for column in ("interest", "japan", "us", "partner", "balance"):
        if column in expected:
            _close(table[column], expected[column], column)
    if "tier" in expected:
        assert table["tier"].tolist() == expected["tier"]


# --- the rule, row by row ----------------------------------------------------------------------------
# id: (values, dates, expected per row, threshold date, unrecovered); default terms, deemed rate 10%.
RULE_CASES = {
    # rule 3, before: B = 100 * 1.1 = 110; Japan 0.5 * 60 = 30 < 110; B = 110 - 30
    "before_threshold": (
        [-100, 60],
        [Y25, Y26],
        {
            "interest": [0, 100 * (1.1 ** (365 / 365) - 1)],
            "japan": [0, 0.5 * 60],
            "us": [0, 60 - 0.5 * 60],
            "balance": [100, 100 * 1.1 - 0.5 * 60],
            "tier": [F, B],
        },
        None,
        100 * 1.1 - 0.5 * 60,
    ),
    # rule 3, threshold inside the row: B = 80 * 1.1 = 88; x = 88 / 0.5 = 176 at 50/50, 200 - 176 at 10/90
    "threshold_inside_row": (
        [-100, 60, 200],
        [Y25, Y26, Y27],
        {
            "interest": [0, 10, 80 * 0.1],
            "japan": [0, 30, 88 + 0.1 * (200 - 88 / 0.5)],
            "us": [0, 30, 200 - (88 + 0.1 * (200 - 88 / 0.5))],
            "balance": [100, 80, 0],
            "tier": [F, B, T],
        },
        Y27,
        0.0,
    ),
    # rule 4, after: B = 0, nothing accrues, 10/90
    "after_threshold": (
        [-100, 60, 200, 50],
        [Y25, Y26, Y27, Y28],
        {
            "interest": [0, 10, 8, 0],
            "japan": [0, 30, 90.4, 0.1 * 50],
            "us": [0, 30, 109.6, 0.9 * 50],
            "balance": [100, 80, 0, 0],
            "tier": [F, B, T, A],
        },
        Y27,
        0.0,
    ),
    # rule 2, reopening: 40 funded after the threshold grows to 40 * 1.1 = 44; 0.5 * 100 = 50 >= 44,
    # x = 44 / 0.5 = 88, Japan 44 + 0.1 * (100 - 88); the threshold is the last clearing row
    "reopened_by_funding_then_recovered": (
        [-100, 60, 200, 50, -40, 100],
        [Y25, Y26, Y27, Y28, J28, J29],
        {
            "interest": [0, 10, 8, 0, 0, 40 * 0.1],
            "japan": [0, 30, 90.4, 5, 0, 44 + 0.1 * (100 - 88)],
            "us": [0, 30, 109.6, 45, 0, 100 - (44 + 0.1 * 12)],
            "balance": [100, 80, 0, 0, 40, 0],
            "tier": [F, B, T, A, F, T],
        },
        J29,
        0.0,
    ),
    # reopened and not recovered: 0.5 * 60 = 30 < 44, B = 14 left: no threshold although one was hit
    "reopened_by_funding_not_recovered": (
        [-100, 60, 200, 50, -40, 60],
        [Y25, Y26, Y27, Y28, J28, J29],
        {
            "japan": [0, 30, 90.4, 5, 0, 0.5 * 60],
            "us": [0, 30, 109.6, 45, 0, 30],
            "balance": [100, 80, 0, 0, 40, 44 - 30],
            "tier": [F, B, T, A, F, B],
        },
        None,
        44 - 30,
    ),
    # C == x exactly: B = 110 = 0.5 * 220, the after-part is 0
    "distribution_exactly_clears": (
        [-100, 220],
        [Y25, Y26],
        {"japan": [0, 110 + 0.1 * 0], "us": [0, 220 - 110], "balance": [100, 0], "tier": [F, T]},
        Y26,
        0.0,
    ),
    # one cent short of x: before, 0.01 * 0.5 left
    "distribution_just_short": (
        [-100, 219.98],
        [Y25, Y26],
        {
            "japan": [0, 0.5 * 219.98],
            "us": [0, 219.98 - 0.5 * 219.98],
            "balance": [100, 110 - 0.5 * 219.98],
            "tier": [F, B],
        },
        None,
        110 - 0.5 * 219.98,
    ),
    # rule 4 also before any funding: B == 0, 10/90, and the tier is "after" (B was already 0)
    "distribution_before_any_funding": (
        [50, -100, 60],
        [D(2024, 7, 1), Y25, Y26],
        {
            "interest": [0, 0, 10],
            "japan": [0.1 * 50, 0, 30],
            "us": [0.9 * 50, 0, 30],
            "balance": [0, 100, 80],
            "tier": [A, F, B],
        },
        None,
        80.0,
    ),
    # same date, distribution first: the 300 clears B = 110 (x = 220, Japan 110 + 0.1 * 80), then the
    # funding of 50 reopens it (not netted: netting would give a 250 distribution)
    "same_date_distribution_then_funding": (
        [-100, 300, -50],
        [Y25, Y26, Y26],
        {
            "interest": [0, 10, 0],
            "japan": [0, 110 + 0.1 * (300 - 220), 0],
            "us": [0, 300 - 118, 0],
            "balance": [100, 0, 50],
            "tier": [F, T, F],
        },
        None,
        50.0,
    ),
    # same date, funding first: B = 110 + 50 = 160 > 0.5 * 300 = 150: before, 10 left
    "same_date_funding_then_distribution": (
        [-100, -50, 300],
        [Y25, Y26, Y26],
        {
            "interest": [0, 10, 0],
            "japan": [0, 0, 150],
            "us": [0, 0, 150],
            "balance": [100, 160, 10],
            "tier": [F, F, B],
        },
        None,
        10.0,
    ),
    # funding and distribution on the first date are not netted: B = 100, Japan 0.5 * 100
    "same_date_not_netted": (
        [-100, 100],
        [Y25, Y25],
        {"interest": [0, 0], "japan": [0, 50], "us": [0, 50], "balance": [100, 50], "tier": [F, B]},
        None,
        50.0,
    ),
    # zero row: accrues, pays nothing, tier "before"; 182 + 183 = 365 days in two pieces
    "zero_row_accrues_only": (
        [-100, 0, 60],
        [Y25, M25, Y26],
        {
            "interest": [
                0,
                100 * (1.1 ** (182 / 365) - 1),
                100 * 1.1 ** (182 / 365) * (1.1 ** (183 / 365) - 1),
            ],
            "japan": [0, 0, 30],
            "us": [0, 0, 30],
            "balance": [100, 100 * 1.1 ** (182 / 365), 80],
            "tier": [F, B, B],
        },
        None,
        80.0,
    ),
    # zero rows with B == 0 (before any funding, after the threshold): "after", no interest
    "zero_rows_with_no_balance": (
        [0, -100, 220, 0],
        [D(2024, 12, 1), Y25, Y26, Y27],
        {
            "interest": [0, 0, 10, 0],
            "japan": [0, 0, 110, 0],
            "us": [0, 0, 110, 0],
            "balance": [0, 100, 0, 0],
            "tier": [A, F, T, A],
        },
        Y26,
        0.0,
    ),
    # zero row on the funding date: interest 0 (same date), B stays 100
    "zero_row_on_funding_date": (
        [-100, 0, 60],
        [Y25, Y25, Y26],
        {"interest": [0, 0, 10], "japan": [0, 0, 30], "balance": [100, 100, 80], "tier": [F, B, B]},
        None,
        80.0,
    ),
    # interest: 0 on the first row and on a row sharing the previous row's date; a second funding adds
    "interest_first_and_same_date_rows": (
        [-100, -50, 30, 0],
        [Y25, Y26, Y26, Y27],
        {
            "interest": [0, 100 * 0.1, 0, (160 - 15) * 0.1],
            "japan": [0, 0, 15, 0],
            "balance": [100, 160, 160 - 15, (160 - 15) * 1.1],
            "tier": [F, F, B, B],
        },
        None,
        (160 - 15) * 1.1,
    ),
    # no funding at all: every distribution at 10/90, no threshold (Excel: #N/A)
    "no_funding": (
        [50, 70],
        [Y25, Y26],
        {"interest": [0, 0], "japan": [5, 7], "us": [45, 63], "balance": [0, 0], "tier": [A, A]},
        None,
        0.0,
    ),
    # two fundings, cleared, stays 0 to the end: the threshold is the clearing row's date
    "two_fundings_cleared": (
        [-100, -100, 500, 10],
        [Y25, Y26, Y27, Y28],
        {
            "interest": [0, 10, 210 * 0.1, 0],
            "japan": [0, 0, 231 + 0.1 * (500 - 462), 1],
            "balance": [100, 210, 0, 0],
            "tier": [F, F, T, A],
        },
        Y27,
        0.0,
    ),
}


@pytest.mark.parametrize(
    ("values", "dates", "expected", "threshold", "unrecovered"),
    list(RULE_CASES.values()),
    ids=list(RULE_CASES),
)
def test_rule_known_values(values, dates, expected, threshold, unrecovered):
    w = xlspv.compute(values, dates, 0.1)
    table = w.table()
    _check_table(table, expected)
    _close(table["partner"], np.zeros(len(values)), "partner")  # partner_share defaults to 0
    assert table.columns.tolist()[:8] == [
        "date",
        "value",
        "interest",
        "japan",
        "us",
        "partner",
        "balance",
        "tier",
    ]
    assert w.threshold_date == threshold
    assert w.unrecovered == pytest.approx(unrecovered, rel=1e-12, abs=1e-9)
    s = w.summary()
    assert s.threshold_date == threshold
    assert s.unrecovered == pytest.approx(unrecovered, rel=1e-12, abs=1e-9)


def test_outputs_are_aligned_with_rows_given_out_of_order():
    # "threshold_inside_row" in the order Y27, Y25, Y26
    table = xlspv.waterfall([200, -100, 60], [Y27, Y25, Y26], 0.1)
    assert table["date"].tolist() == [pd.Timestamp(Y27), pd.Timestamp(Y25), pd.Timestamp(Y26)]
    _check_table(
        table,
        {
            "interest": [8, 0, 10],
            "japan": [90.4, 0, 30],
            "us": [109.6, 0, 30],
            "balance": [0, 100, 80],
            "tier": [T, F, B],
        },
    )


def test_same_date_rows_keep_input_order_when_rows_are_out_of_order():
    # sorted: -100 (Y25), then on Y26 the -50 before the 300 (their input order): B = 160, Japan 150
    w = xlspv.compute([-50, -100, 300], [Y26, Y25, Y26], 0.1)
    _check_table(
        w.table(),
        {
            "interest": [100 * 0.1, 0, 0],
            "japan": [0, 0, 150],
            "us": [0, 0, 150],
            "balance": [160, 100, 10],
            "tier": [F, F, B],
        },
    )
    # the other input order on Y26: the 300 first clears B = 110, then the funding reopens it
    w = xlspv.compute([300, -100, -50], [Y26, Y25, Y26], 0.1)
    _check_table(
        w.table(), {"interest": [10, 0, 0], "japan": [118, 0, 0], "balance": [0, 100, 50], "tier": [T, F, F]}
    )
    assert w.threshold_date is None


def test_tier_names_are_the_four_of_the_spec():
    values, dates = RULE_CASES["reopened_by_funding_then_recovered"][:2]
    tiers = set(xlspv.waterfall(values, dates, 0.1)["tier"])
    assert tiers == {"funding", "before", "threshold", "after"}


# --- day counts ------------------------------------------------------------------------------------
# One funding of 1000 at 10% annual, a zero row at the end: balance = 1000 * 1.1 ** yearfrac.
# 30/360: days = 360 (y2 - y1) + 30 (m2 - m1) + (d2 - d1), a start on the last day of its month counts as
# 30, an end on the 31st counts as 30 when the start (so adjusted) is 30, an end on the last day of
# February is NOT adjusted (Excel's DAYS360(start, end, FALSE)). Every 30/360 day count below was also
# checked against LibreOffice Calc 7.4.7.2's DAYS360(start, end, FALSE) on 2026-11-25 (the pairs are in
# ``tests/test_xirr.py``'s reference generator).
DAY_COUNT_CASES = {
    "act365f_leap_year_is_366_days": ("ACT/365F", D(2024, 1, 1), D(2025, 1, 1), 366 / 365),
    "act365f_half_year": ("ACT/365F", Y25, M25, 182 / 365),
    "act360_leap_year": ("ACT/360", D(2024, 1, 1), D(2025, 1, 1), 366 / 360),
    "act360_half_year": ("ACT/360", Y25, M25, 182 / 360),
    "30_360_whole_year": ("30/360", Y25, Y26, (360 * 1 + 30 * 0 + 0) / 360),
    "30_360_start_31st_end_31st": (
        "30/360",
        D(2025, 1, 31),
        D(2025, 3, 31),
        (30 * (3 - 1) + (30 - 30)) / 360,
    ),
    "30_360_start_30th_end_31st": (
        "30/360",
        D(2025, 1, 30),
        D(2025, 3, 31),
        (30 * (3 - 1) + (30 - 30)) / 360,
    ),
    "30_360_start_29th_end_31st_kept": (
        "30/360",
        D(2025, 1, 29),
        D(2025, 3, 31),
        (30 * (3 - 1) + (31 - 29)) / 360,
    ),
    "30_360_start_feb28_last_day": (
        "30/360",
        D(2025, 2, 28),
        D(2025, 3, 31),
        (30 * (3 - 2) + (30 - 30)) / 360,
    ),
    "30_360_start_feb28_leap_not_last": (
        "30/360",
        D(2024, 2, 28),
        D(2024, 3, 31),
        (30 * (3 - 2) + (31 - 28)) / 360,
    ),
    "30_360_start_feb29_leap_last": (
        "30/360",
        D(2024, 2, 29),
        D(2024, 3, 31),
        (30 * (3 - 2) + (30 - 30)) / 360,
    ),
    "30_360_end_feb28_not_adjusted": (
        "30/360",
        D(2025, 1, 15),
        D(2025, 2, 28),
        (30 * (2 - 1) + (28 - 15)) / 360,
    ),
    "30_360_start_dec31_end_feb28": (
        "30/360",
        D(2024, 12, 31),
        D(2025, 2, 28),
        (360 * (2025 - 2024) + 30 * (2 - 12) + (28 - 30)) / 360,
    ),
    "30_360_feb_end_to_feb_end": (
        "30/360",
        D(2025, 2, 28),
        D(2026, 2, 28),
        (360 * 1 + 30 * 0 + (28 - 30)) / 360,
    ),
    "30_360_feb29_to_feb28": ("30/360", D(2024, 2, 29), D(2025, 2, 28), (360 * 1 + 30 * 0 + (28 - 30)) / 360),
    "30_360_to_feb29_end_not_adjusted": (
        "30/360",
        D(2024, 1, 31),
        D(2024, 2, 29),
        (30 * (2 - 1) + (29 - 30)) / 360,
    ),
    "30_360_start_apr30_last_end_31st": (
        "30/360",
        D(2025, 4, 30),
        D(2025, 5, 31),
        (30 * (5 - 4) + (30 - 30)) / 360,
    ),
    "30_360_start_mar31_end_apr30": (
        "30/360",
        D(2025, 3, 31),
        D(2025, 4, 30),
        (30 * (4 - 3) + (30 - 30)) / 360,
    ),
    "30_360_mid_month_to_31st_kept": ("30/360", D(2025, 5, 15), D(2025, 5, 31), (31 - 15) / 360),
    "30_360_feb27_to_feb28": ("30/360", D(2025, 2, 27), D(2025, 2, 28), (28 - 27) / 360),
}


@pytest.mark.parametrize(
    ("day_count", "start", "end", "year_fraction"),
    list(DAY_COUNT_CASES.values()),
    ids=list(DAY_COUNT_CASES),
)
def test_day_count_known_values(day_count, start, end, year_fraction):
    table = xlspv.waterfall([-1000, 0], [start, end], Terms(0.1, day_count=day_count))
    _close(table["balance"], [1000, 1000 * 1.1**year_fraction])
    _close(table["interest"], [0, 1000 * (1.1**year_fraction - 1)])


def test_30_360_accrues_span_by_span():
    # 2025-01-31 -> 2025-02-28: start last of January = 30, days 30 * 1 + (28 - 30) = 28;
    # 2025-02-28 -> 2025-03-31: start last of February = 30, end 31st -> 30, days 30 * 1 + 0 = 30;
    # 28 + 30 = 58, not DAYS360(2025-01-31, 2025-03-31) = 60: B grows between consecutive dates (rule 1)
    table = xlspv.waterfall(
        [-1000, 0, 0], [D(2025, 1, 31), D(2025, 2, 28), D(2025, 3, 31)], Terms(0.1, day_count="30/360")
    )
    _close(table["balance"], [1000, 1000 * 1.1 ** (28 / 360), 1000 * 1.1 ** (28 / 360) * 1.1 ** (30 / 360)])


@pytest.mark.parametrize(
    "day",
    [D(2025, 2, 28), D(2024, 2, 29)],
    ids=["feb28_non_leap", "feb29_leap"],
)
def test_30_360_same_date_rows_on_the_last_day_of_february_accrue_nothing(day):
    # Rows on one date: no span, interest 0 ("0 ... on a row sharing the previous row's date"). Excel's
    # DAYS360(d, d, FALSE) is -2 (Feb 28) or -1 (Feb 29) here, because the start is moved to the 30th
    # and the end is not: applying it to a zero-length span would accrue negative interest.
    # Japan funds 100 and gets 0.5 * 60 the same day: B = 100 - 30; a second funding adds 50.
    terms = Terms(0.1, day_count="30/360")
    table = xlspv.waterfall([-100, 60, -50, 0], [day, day, day, D(day.year, 3, 31)], terms)
    _check_table(
        table,
        {
            "interest": [0, 0, 0, 120 * (1.1 ** ((30 * (3 - 2) + (30 - 30)) / 360) - 1)],
            "japan": [0, 30, 0, 0],
            "balance": [100, 70, 120, 120 * 1.1 ** (30 / 360)],
            "tier": [F, B, F, B],
        },
    )


# --- compounding -----------------------------------------------------------------------------------
# 1000 funded on Y25 at 12%, a zero row on M25: t = 182 / 365 (ACT/365F) or 182 / 360 (ACT/360).
COMPOUNDING_CASES = {
    "annual": ("annual", "ACT/365F", 1000 * (1 + 0.12) ** (182 / 365)),
    "semiannual": ("semiannual", "ACT/365F", 1000 * (1 + 0.12 / 2) ** (2 * 182 / 365)),
    "quarterly": ("quarterly", "ACT/365F", 1000 * (1 + 0.12 / 4) ** (4 * 182 / 365)),
    "monthly": ("monthly", "ACT/365F", 1000 * (1 + 0.12 / 12) ** (12 * 182 / 365)),
    "continuous": ("continuous", "ACT/365F", 1000 * math.exp(0.12 * 182 / 365)),
    "simple": ("simple", "ACT/365F", 1000 * (1 + 0.12 * 182 / 365)),
    "monthly_act360": ("monthly", "ACT/360", 1000 * (1 + 0.12 / 12) ** (12 * 182 / 360)),
    "continuous_act360": ("continuous", "ACT/360", 1000 * math.exp(0.12 * 182 / 360)),
    "simple_act360": ("simple", "ACT/360", 1000 * (1 + 0.12 * 182 / 360)),
    # 2025-01-01 -> 2025-07-02 in 30/360: 30 * (7 - 1) + (2 - 1) = 181 days
    "semiannual_30_360": ("semiannual", "30/360", 1000 * (1 + 0.12 / 2) ** (2 * (30 * 6 + 1) / 360)),
}


@pytest.mark.parametrize(
    ("compounding", "day_count", "balance"), list(COMPOUNDING_CASES.values()), ids=list(COMPOUNDING_CASES)
)
def test_compounding_known_values(compounding, day_count, balance):
    table = xlspv.waterfall([-1000, 0], [Y25, M25], Terms(0.12, compounding=compounding, day_count=day_count))
    _close(table["balance"], [1000, balance])
    _close(table["interest"], [0, balance - 1000])


@pytest.mark.parametrize(
    ("compounding", "grown"),
    [
        ("annual", 1000 * 1.12),
        ("semiannual", 1000 * 1.06**2),
        ("quarterly", 1000 * 1.03**4),
        ("monthly", 1000 * 1.01**12),
        ("continuous", 1000 * math.exp(0.12)),
        ("simple", 1000 * (1 + 0.12)),
    ],
    ids=["annual", "semiannual", "quarterly", "monthly", "continuous", "simple"],
)
def test_compounding_over_split_spans_equals_one_span(compounding, grown):
    # Y25 -> M25 -> Y26 (182 + 183 days): compounding conventions are additive in the exponent; simple
    # interest on an unchanged principal is additive too: 1000 * 0.12 * (182 + 183) / 365
    table = xlspv.waterfall([-1000, 0, 0], [Y25, M25, Y26], Terms(0.12, compounding=compounding))
    _close(table["balance"].iloc[-1], grown)


def test_simple_interest_is_tracked_apart_and_paid_first():
    # 12% simple, 1000 funded, one year between rows:
    # Y26: interest 1000 * 0.12 = 120; Japan 0.5 * 100 = 50 pays interest: 70 interest left, principal 1000
    # Y27: interest on principal only 1000 * 0.12 = 120 (not 1070 * 0.12); owed 1000 + 190; Japan 200 pays
    #      the 190 interest then 10 of principal: principal 990
    # Y28: interest 990 * 0.12 = 118.8; owed 1108.8 <= 0.5 * 3000: threshold, x = 1108.8 / 0.5 = 2217.6
    table = xlspv.waterfall([-1000, 100, 400, 3000], [Y25, Y26, Y27, Y28], Terms(0.12, compounding="simple"))
    _check_table(
        table,
        {
            "interest": [0, 120, 1000 * 0.12, 990 * 0.12],
            "japan": [0, 50, 200, 1108.8 + 0.1 * (3000 - 2217.6)],
            "us": [0, 50, 200, 3000 - (1108.8 + 0.1 * (3000 - 2217.6))],
            "balance": [1000, 1000 + 70, 990, 0],
            "tier": [F, B, B, T],
        },
    )


def test_simple_interest_across_zero_rows_does_not_compound():
    table = xlspv.waterfall([-1000, 0, 0], [Y25, M25, Y26], Terms(0.12, compounding="simple"))
    _close(table["interest"], [0, 1000 * 0.12 * 182 / 365, 1000 * 0.12 * 183 / 365])
    _close(table["balance"], [1000, 1000 + 1000 * 0.12 * 182 / 365, 1000 + 1000 * 0.12 * 365 / 365])


def test_simple_interest_with_a_negative_rate_never_leaves_a_negative_balance():
    # -60% simple over 730 days is -100 * 0.6 * 2 = -120 of interest on a principal of 100: the raw
    # formula would leave B = -20. B is what is still owed to Japan; the spec's tiers ("before": B > 0;
    # "after": B == 0) and the "unrecovered deemed allocation" have no meaning for B < 0.
    w = xlspv.compute([-100, 0, 50], [Y25, Y27, Y28], Terms(-0.6, compounding="simple"))
    assert np.all(w.balance >= 0), w.balance
    assert w.unrecovered >= 0
    assert np.all(w.balance[w.tiers == "before"] > 0)


# --- rate schedule ---------------------------------------------------------------------------------
SCHEDULE = [(Y25, 0.10), (M25, 0.20)]  # 10% from 2025-01-01, 20% from 2025-07-02


def test_schedule_span_crossing_a_change_is_split_at_the_change_date():
    # Y25 -> Y26 crosses M25: 182 days at 10%, then 183 days at 20%
    table = xlspv.waterfall([-100, 0], [Y25, Y26], Terms(SCHEDULE))
    _close(table["interest"], [0, 100 * (1.1 ** (182 / 365) * 1.2 ** (183 / 365) - 1)])


def test_schedule_change_on_a_row_date_applies_after_it():
    table = xlspv.waterfall([-100, 0, 0], [Y25, M25, Y26], Terms(SCHEDULE))
    grown = 100 * 1.1 ** (182 / 365)
    _close(table["interest"], [0, grown - 100, grown * (1.2 ** (183 / 365) - 1)])
    _close(table["balance"], [100, grown, grown * 1.2 ** (183 / 365)])


def test_schedule_change_on_a_distribution_date_applies_after_it():
    # on M25: B = 100 * 1.1 ** (182 / 365) at 10%, Japan takes 0.5 * 20; the rest grows at 20%
    table = xlspv.waterfall([-100, 20, 0], [Y25, M25, Y26], Terms(SCHEDULE))
    after_row = 100 * 1.1 ** (182 / 365) - 0.5 * 20
    _close(table["balance"], [100, after_row, after_row * 1.2 ** (183 / 365)])


def test_schedule_older_and_future_rows_pick_the_rate_in_force():
    terms = Terms([(D(2020, 1, 1), 0.05), (D(2024, 6, 30), 0.10), (D(2030, 1, 1), 0.50)])
    table = xlspv.waterfall([-100, 0], [Y25, Y26], terms)
    _close(table["balance"], [100, 100 * 1.1])


def test_schedule_with_simple_interest_splits_the_rate():
    table = xlspv.waterfall([-100, 0], [Y25, Y26], Terms(SCHEDULE, compounding="simple"))
    _close(table["interest"], [0, 100 * (0.10 * 182 / 365 + 0.20 * 183 / 365)])


def test_schedule_with_monthly_compounding_splits_the_rate():
    table = xlspv.waterfall([-100, 0], [Y25, Y26], Terms(SCHEDULE, compounding="monthly"))
    _close(
        table["balance"],
        [100, 100 * (1 + 0.10 / 12) ** (12 * 182 / 365) * (1 + 0.20 / 12) ** (12 * 183 / 365)],
    )


def test_schedule_split_under_30_360_uses_each_pieces_day_count():
    # change on 2025-02-28: DAYS360(01-31, 02-28) = 30 + (28 - 30) = 28 days at 10%,
    # then DAYS360(02-28, 03-31) = 30 days at 20%
    terms = Terms([(D(2025, 1, 1), 0.10), (D(2025, 2, 28), 0.20)], day_count="30/360")
    table = xlspv.waterfall([-100, 0], [D(2025, 1, 31), D(2025, 3, 31)], terms)
    _close(table["balance"], [100, 100 * 1.1 ** (28 / 360) * 1.2 ** (30 / 360)])


def test_schedule_from_a_terms_table_with_a_third_column():
    terms = Terms.from_mapping([("deemed_rate", "20%", M25), ("deemed_rate", "10%", Y25)])
    table = xlspv.waterfall([-100, 0], [Y25, Y26], terms)
    _close(table["balance"], [100, 100 * 1.1 ** (182 / 365) * 1.2 ** (183 / 365)])


@pytest.mark.parametrize(
    ("make_terms", "dates", "words"),
    [
        (lambda: Terms([(Y25, 0.1), (M25, 0.2), (M25, 0.3)]), [Y25, Y26], ["2025-07-02"]),
        (lambda: Terms([(Y25, 0.1), (dt.datetime(2025, 1, 1, 18), 0.3)]), [Y25, Y26], ["2025-01-01"]),
        (lambda: Terms({}), [Y25, Y26], ["empty"]),
        (lambda: Terms([(M25, 0.1)]), [Y25, Y26], ["2025-07-02", "2025-01-01"]),
        (lambda: Terms([(M25, 0.1)]), [Y26, D(2025, 3, 1)], ["2025-07-02", "2025-03-01"]),
        (lambda: Terms([(Y26, 0.1)]), [Y25], ["2026-01-01", "2025-01-01"]),
    ],
    ids=[
        "two_rates_on_one_date",
        "two_rates_date_and_datetime",
        "empty_schedule",
        "starts_after_first_row",
        "starts_after_first_row_out_of_order",
        "starts_after_single_row",
    ],
)
def test_schedule_errors_name_the_dates(make_terms, dates, words):
    with pytest.raises(RateScheduleError) as err:
        xlspv.waterfall([-100] + [0] * (len(dates) - 1), dates, make_terms())
    for word in words:
        assert word in str(err.value), (word, str(err.value))


def test_schedule_starting_on_the_first_row_date_is_fine():
    table = xlspv.waterfall([-100, 0], [M25, Y26], Terms([(M25, 0.2)]))
    _close(table["balance"], [100, 100 * 1.2 ** (183 / 365)])


# --- shares and partner ----------------------------------------------------------------------------


def test_other_shares_split_before_and_after():
    # before 60/40, after 20/80, 8%: B = 1000 * 1.08 = 1080; 0.6 * 500 = 300 < 1080: B = 780;
    # B = 780 * 1.08 = 842.4 <= 0.6 * 2000: x = 842.4 / 0.6 = 1404; Japan 842.4 + 0.2 * (2000 - 1404)
    terms = Terms(0.08, japan_share_before=0.6, japan_share_after=0.2)
    table = xlspv.waterfall([-1000, 500, 2000, 100], [Y25, Y26, Y27, Y28], terms)
    _check_table(
        table,
        {
            "japan": [0, 300, 842.4 + 0.2 * (2000 - 842.4 / 0.6), 0.2 * 100],
            "us": [0, 200, 2000 - (842.4 + 0.2 * 596), 80],
            "balance": [1000, 780, 0, 0],
            "tier": [F, B, T, A],
        },
    )


def test_all_to_japan_before_and_nothing_after():
    terms = Terms(0.1, japan_share_before=1.0, japan_share_after=0.0)
    table = xlspv.waterfall([-100, 50, 100, 30], [Y25, Y26, Y27, Y28], terms)
    # B = 110 - 50 = 60, then 66 <= 100: Japan 66 + 0 * 34; after: 0
    _check_table(
        table,
        {"japan": [0, 50, 66, 0], "us": [0, 0, 34, 30], "balance": [100, 60, 0, 0], "tier": [F, B, T, A]},
    )


def test_partner_share_is_that_part_of_japans_side():
    w = xlspv.compute([-100, 60, 200], [Y25, Y26, Y27], Terms(0.1, partner_share=0.25))
    table = w.table()
    _check_table(
        table, {"japan": [0, 30, 90.4], "us": [0, 30, 109.6], "partner": [0, 0.25 * 30, 0.25 * 90.4]}
    )
    _close(w.party_flows("partner"), [-0.25 * 100, 0.25 * 30, 0.25 * 90.4])
    s = w.summary()
    assert s.partner_funded == pytest.approx(0.25 * 100)
    assert s.partner_received == pytest.approx(0.25 * (30 + 90.4))
    assert s.multiple_partner == pytest.approx((0.25 * 120.4) / (0.25 * 100))
    assert s.xirr_partner == pytest.approx(_japan_irr_of_threshold_case(), rel=1e-9)


# --- summary ---------------------------------------------------------------------------------------


def _japan_irr_of_threshold_case() -> float:
    # -100 + 30 x + 90.4 x^2 = 0 with x = 1 / (1 + r) (365-day years)
    x = (-30 + math.sqrt(30**2 + 4 * 100 * 90.4)) / (2 * 90.4)
    return 1 / x - 1


def test_summary_fields_known_values():
    s = xlspv.summary([-100, 60, 200], [Y25, Y26, Y27], 0.1)
    assert s.threshold_date == Y27
    assert s.unrecovered == 0.0
    assert s.japan_funded == pytest.approx(100)
    assert s.japan_received == pytest.approx(30 + 90.4)
    assert s.us_received == pytest.approx(30 + 109.6)
    assert s.distributed == pytest.approx(60 + 200)
    assert s.multiple_japan == pytest.approx(120.4 / 100)
    assert s.xirr_japan == pytest.approx(_japan_irr_of_threshold_case(), rel=1e-9)
    # project: -100 + 60 x + 200 x^2 = 0
    x = (-60 + math.sqrt(60**2 + 4 * 100 * 200)) / (2 * 200)
    assert s.xirr_project == pytest.approx(1 / x - 1, rel=1e-9)
    assert s.xirr_us is None  # the US never funds: no IRR
    assert s.xirr_partner is None and s.partner_funded == 0 and s.partner_received == 0
    assert s.multiple_partner is None


def test_summary_threshold_not_reached():
    s = xlspv.summary([-100, 60], [Y25, Y26], 0.1)
    assert s.threshold_date is None
    assert s.unrecovered == pytest.approx(110 - 30)
    assert s.xirr_japan == pytest.approx(30 / 100 - 1, rel=1e-9)  # -100 + 30 / (1 + r) = 0
    assert s.multiple_japan == pytest.approx(0.3)


def test_summary_without_funding():
    s = xlspv.summary([50, 70], [Y25, Y26], 0.1)
    assert s.threshold_date is None
    assert s.unrecovered == 0.0
    assert (
        s.japan_funded == 0 and s.japan_received == pytest.approx(12) and s.us_received == pytest.approx(108)
    )
    assert s.multiple_japan is None
    assert s.xirr_japan is None and s.xirr_us is None and s.xirr_project is None


def test_party_flows_known_values():
    w = xlspv.compute([-100, 60, 200], [Y25, Y26, Y27], 0.1)
    _close(w.party_flows("Japan"), [-100, 30, 90.4])
    _close(w.party_flows("US"), [0, 30, 109.6])
    _close(w.party_flows("project"), [-100, 60, 200])
    with pytest.raises(xlspv.SpvInputError, match="'Korea'"):
        w.party_flows("Korea")


# --- the spec's XIRR check -------------------------------------------------------------------------
# default terms, one funding, distributions before the threshold, the last row clears B exactly:
# Japan's XIRR equals deemed_rate. B by hand: B grows by (1 + r) ** (days / 365) and falls by 0.5 C.
XIRR_TIE_CASES = {
    "10pct_two_distributions": (
        0.10,
        1000.0,
        [(D(2025, 9, 15), 100.0), (D(2026, 6, 30), 250.0)],
        D(2028, 2, 29),
    ),
    "5pct_one_year": (0.05, 1e9, [], D(2026, 1, 1)),
    "4.5pct_billions": (
        0.045,
        5.5e9,
        [(D(2026, 12, 31), 4e8), (D(2027, 12, 31), 6e8), (D(2029, 6, 30), 9e8)],
        D(2033, 1, 19),
    ),
    "negative_rate": (-0.02, 100.0, [(D(2025, 4, 1), 10.0)], D(2027, 8, 1)),
    "35pct_with_zero_row": (0.35, 250.0, [(D(2025, 3, 1), 0.0), (D(2025, 3, 1), 40.0)], D(2026, 2, 1)),
}


@pytest.mark.parametrize(
    ("rate", "funding", "before_rows", "last_date"), list(XIRR_TIE_CASES.values()), ids=list(XIRR_TIE_CASES)
)
def test_japan_xirr_equals_deemed_rate_when_last_row_clears_balance(rate, funding, before_rows, last_date):
    start = D(2025, 1, 1)
    balance, when = funding, start
    for date, cash in before_rows:
        balance = balance * (1 + rate) ** ((date - when).days / 365) - 0.5 * cash
        when = date
    balance *= (1 + rate) ** ((last_date - when).days / 365)
    values = [-funding] + [c for _, c in before_rows] + [balance / 0.5]
    dates = [start] + [d for d, _ in before_rows] + [last_date]
    w = xlspv.compute(values, dates, rate)
    assert w.unrecovered <= 1e-12 * funding  # cleared to floating-point accuracy
    assert w.xirr("japan") == pytest.approx(rate, rel=1e-9, abs=1e-12)
    assert w.summary().xirr_japan == pytest.approx(rate, rel=1e-9, abs=1e-12)


# --- date forms ------------------------------------------------------------------------------------
# "threshold_inside_row" with its dates in every accepted form; Excel serial 45658 = 2025-01-01
# (days since 1899-12-30), 46023 = 2026-01-01 (+365), 46388 = 2027-01-01 (+365).
DATE_FORMS = {
    "date": [Y25, Y26, Y27],
    "datetime_with_times": [
        dt.datetime(2025, 1, 1, 23, 59),
        dt.datetime(2026, 1, 1, 0, 1),
        dt.datetime(2027, 1, 1, 12),
    ],
    "numpy_datetime64_list": [
        np.datetime64("2025-01-01"),
        np.datetime64("2026-01-01"),
        np.datetime64("2027-01-01"),
    ],
    "numpy_datetime64_ns_array": np.array(
        ["2025-01-01T10:00", "2026-01-01", "2027-01-01T23:00"], dtype="datetime64[ns]"
    ),
    "numpy_datetime64_day_array": np.array(["2025-01-01", "2026-01-01", "2027-01-01"], dtype="datetime64[D]"),
    "pandas_timestamps": [
        pd.Timestamp("2025-01-01"),
        pd.Timestamp("2026-01-01 08:00"),
        pd.Timestamp("2027-01-01"),
    ],
    "pandas_datetime_index": pd.DatetimeIndex(["2025-01-01", "2026-01-01", "2027-01-01"]),
    "pandas_series": pd.Series(pd.to_datetime(["2025-01-01", "2026-01-01", "2027-01-01"])),
    "excel_serials_int": [45658, 45658 + 365, 45658 + 730],
    "excel_serials_with_time": [45658.25, 46023.999, 46388.5],
    "excel_serials_numpy": np.array([45658, 46023, 46388], dtype=np.int64),
    "excel_serials_numpy_float": np.array([45658.0, 46023.0, 46388.0]),
    "mixed": [Y25, pd.Timestamp("2026-01-01"), 46388],
    # a time zone does not move the calendar date: the time of day is dropped, as for a datetime
    "datetime_tz_aware_late_evening": [
        dt.datetime(y, 1, 1, 23, tzinfo=dt.timezone(dt.timedelta(hours=-5))) for y in (2025, 2026, 2027)
    ],
    "pandas_timestamps_tz_aware_late_evening": [
        pd.Timestamp(f"{y}-01-01 23:00", tz="US/Eastern") for y in (2025, 2026, 2027)
    ],
    "pandas_datetime_index_tz_aware": pd.DatetimeIndex(
        ["2025-01-01 23:00", "2026-01-01 23:00", "2027-01-01 23:00"]
    ).tz_localize("US/Eastern"),
}


@pytest.mark.parametrize("dates", list(DATE_FORMS.values()), ids=list(DATE_FORMS))
def test_every_date_form_gives_the_same_waterfall(dates):
    w = xlspv.compute([-100, 60, 200], dates, 0.1)
    table = w.table()
    assert table["date"].tolist() == [pd.Timestamp(Y25), pd.Timestamp(Y26), pd.Timestamp(Y27)]
    _check_table(
        table, {"interest": [0, 10, 8], "japan": [0, 30, 90.4], "balance": [100, 80, 0], "tier": [F, B, T]}
    )
    assert w.threshold_date == Y27


# --- batch -----------------------------------------------------------------------------------------


def _assert_batch_row_equals_single(batch, s, values, dates, terms):
    w = xlspv.compute(values, dates, terms)
    np.testing.assert_allclose(batch.japan[s], w.japan, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(batch.us[s], w.us, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(batch.partner[s], w.partner, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(batch.interest[s], w.interest, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(batch.balance[s], w.balance, rtol=1e-12, atol=1e-9)
    assert TIER_NAMES[batch.tier[s]].tolist() == w.tiers.tolist()
    expected_day = -1 if w.threshold_date is None else w.threshold_date.toordinal()
    assert int(batch.threshold_days[s]) == expected_day
    assert batch.unrecovered[s] == pytest.approx(w.unrecovered, rel=1e-12, abs=1e-9)


SHARED_DATES = [Y25, M25, Y26, Y26, Y27, Y28, J28, J29]
SCENARIOS = [
    [-100, 0, 60, 0, 200, 50, -40, 100],  # threshold, after, reopened, recovered
    [-100, 10, 10, -50, 10, 10, 10, 10],  # never recovered
    [50, -100, 300, -50, 0, 0, 0, 0],  # distribution before funding, same-date threshold then funding
    [-1000, 0, 0, 0, 0, 0, 0, 2500],  # one funding, cleared on the last row
    [0, 0, 0, 0, 0, 0, 0, 0],  # nothing at all
    [30, 40, 50, 60, 70, 80, 90, 100],  # no funding
]


@pytest.mark.parametrize(
    "terms",
    [
        Terms(0.1),
        Terms(0.07, compounding="simple", day_count="30/360"),
        Terms([(Y25, 0.05), (Y26, 0.15)], japan_share_before=0.6, japan_share_after=0.2, partner_share=0.3),
    ],
    ids=["default_10pct", "simple_30_360", "schedule_other_shares_partner"],
)
def test_batch_equals_single_path_row_by_row(terms):
    batch = xlspv.waterfall_batch(np.array(SCENARIOS, dtype=float), SHARED_DATES, terms)
    for s, values in enumerate(SCENARIOS):
        _assert_batch_row_equals_single(batch, s, values, SHARED_DATES, terms)


def test_batch_with_rows_out_of_order_equals_single_path():
    order = [5, 2, 0, 7, 3, 1, 6, 4]  # keeps the two Y26 rows (2 before 3) in order
    dates = [SHARED_DATES[i] for i in order]
    values = np.array([[row[i] for i in order] for row in SCENARIOS], dtype=float)
    batch = xlspv.waterfall_batch(values, dates, Terms(0.1))
    for s in range(len(SCENARIOS)):
        _assert_batch_row_equals_single(batch, s, values[s].tolist(), dates, Terms(0.1))


def test_batch_deemed_rate_grid_known_values():
    # r = 0: B = 100 - 30 = 70 <= 0.5 * 200, x = 140: Japan 70 + 0.1 * 60; r = 10%: the spec example
    batch = xlspv.waterfall_batch([-100, 60, 200], [Y25, Y26, Y27], Terms(0.1), deemed_rates=[0.0, 0.1])
    np.testing.assert_allclose(
        batch.japan, [[0, 30, 70 + 0.1 * (200 - 140)], [0, 30, 88 + 0.1 * (200 - 176)]], rtol=1e-12, atol=1e-9
    )
    assert batch.threshold_days.tolist() == [Y27.toordinal(), Y27.toordinal()]


@pytest.mark.parametrize(
    "terms",
    [
        Terms(0.1),
        Terms(0.1, compounding="monthly", day_count="ACT/360"),
        Terms(0.1, compounding="simple"),
        Terms([(Y25, 0.3)], partner_share=0.5),
    ],
    ids=["default", "monthly_act360", "simple", "schedule_replaced_by_grid"],
)
def test_batch_deemed_rate_grid_equals_single_path(terms):
    rates = [-0.5, 0.0, 0.03, 0.1, 0.25, 1.5]
    values = SCENARIOS[0]
    batch = xlspv.waterfall_batch(values, SHARED_DATES, terms, deemed_rates=rates)
    assert batch.japan.shape == (len(rates), len(values))
    for s, rate in enumerate(rates):
        _assert_batch_row_equals_single(batch, s, values, SHARED_DATES, terms.with_rate(rate))


def test_batch_per_scenario_dates_and_terms_equal_single_path():
    dates = [
        SHARED_DATES,
        [Y26, Y25, M25, Y27, Y27, J28, Y28, J29],
        [
            D(2030, 1, 31),
            D(2030, 2, 28),
            D(2030, 3, 31),
            D(2030, 3, 31),
            D(2031, 2, 28),
            D(2032, 2, 29),
            D(2033, 5, 31),
            D(2033, 5, 31),
        ],
        [Y25] * 8,
    ]
    values = [
        SCENARIOS[0],
        [60, -100, 0, 200, -10, 5, 5, 30],
        [-500, 100, 0, 300, 50, 80, 400, -20],
        [-100, 60, 0, 200, 5, -5, 3, 1],
    ]
    terms = [
        Terms(0.1),
        Terms(0.06, compounding="quarterly", day_count="ACT/360", partner_share=0.2),
        Terms(
            [(D(2029, 1, 1), 0.04), (D(2031, 6, 30), 0.09)],
            day_count="30/360",
            compounding="simple",
            japan_share_before=0.7,
            japan_share_after=0.05,
        ),
        Terms(0.2, compounding="continuous"),
    ]
    batch = xlspv.waterfall_batch(np.array(values, dtype=float), dates, terms)
    for s in range(len(values)):
        _assert_batch_row_equals_single(batch, s, values[s], dates[s], terms[s])


def test_batch_per_scenario_dates_with_a_rate_grid():
    dates = [[Y25, Y26, Y27], [Y26, Y27, Y28]]
    batch = xlspv.waterfall_batch(
        np.array([[-100, 60, 200], [-100, 60, 200]], dtype=float),
        dates,
        [Terms(0.1), Terms(0.1, day_count="ACT/360")],
        deemed_rates=[0.05, 0.2],
    )
    _assert_batch_row_equals_single(batch, 0, [-100, 60, 200], dates[0], Terms(0.05))
    _assert_batch_row_equals_single(batch, 1, [-100, 60, 200], dates[1], Terms(0.2, day_count="ACT/360"))


def test_batch_xirr_equals_single_path():
    batch = xlspv.waterfall_batch(
        np.array(SCENARIOS, dtype=float), SHARED_DATES, Terms(0.1, partner_share=0.4)
    )
    for party in ("japan", "us", "partner", "project"):
        result = batch.xirr(party)
        for s, values in enumerate(SCENARIOS):
            single = xlspv.compute(values, SHARED_DATES, Terms(0.1, partner_share=0.4)).xirr(party)
            if single is None:
                assert math.isnan(result[s]), (party, s)
            else:
                assert result[s] == pytest.approx(single, rel=1e-12), (party, s)


def test_large_batch_equals_single_path_row_by_row():
    # enough scenarios (200) for the batch path to run its multi-threaded kernel and XIRR search
    rng = np.random.default_rng(20251125)
    n_scen, n_rows = 200, 12
    offsets = np.sort(rng.integers(0, 3000, size=(n_scen, n_rows)), axis=1)
    dates = [[Y25 + dt.timedelta(days=int(k)) for k in row] for row in offsets]
    values = np.round(rng.uniform(-1000, 1500, size=(n_scen, n_rows)), 2)
    values[:, 0] = -np.round(rng.uniform(1, 1000, size=n_scen), 2)  # every scenario starts with a funding
    terms = [
        Terms(
            float(rng.uniform(-0.1, 0.3)),
            compounding=["annual", "monthly", "simple", "continuous"][s % 4],
            day_count=["ACT/365F", "ACT/360", "30/360"][s % 3],
            partner_share=0.25,
        )
        for s in range(n_scen)
    ]
    batch = xlspv.waterfall_batch(values, dates, terms)
    japan_irr = batch.xirr("japan")
    for s in range(n_scen):
        _assert_batch_row_equals_single(batch, s, values[s].tolist(), dates[s], terms[s])
        single = xlspv.compute(values[s].tolist(), dates[s], terms[s]).xirr("japan")
        if single is None:
            assert math.isnan(japan_irr[s]), s
        else:
            assert japan_irr[s] == pytest.approx(single, rel=1e-12), s

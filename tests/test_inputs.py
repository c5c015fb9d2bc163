"""Bad cash-flow inputs raise typed errors that name the argument, the row and the value.

Spec, "Excel error conventions": an input that cannot be used (lengths differ, a text where a number
must be, a bad term, no date) is an error whose message says which argument and why; a blank in the
middle of the data is an error, not a zero. Excel serials 1-60 include the fictitious 29 February 1900,
so xlspv refuses serials before 61 (``xlspv/dates.py``).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import xlspv
from xlspv import RateScheduleError, SpvError, SpvInputError, Terms, TermsError

D = dt.date
DATES2 = [D(2025, 1, 1), D(2026, 1, 1)]
DATES3 = [D(2025, 1, 1), D(2026, 1, 1), D(2027, 1, 1)]


def _raises(error, call, words):
    with pytest.raises(error) as err:
        call()
    assert isinstance(err.value, ValueError) and isinstance(err.value, SpvError)
    for word in words:
        assert word in str(err.value), (word, str(err.value))


@pytest.mark.parametrize(
    ("values", "dates", "words"),
    [
        ([-100, 60, 200], DATES2, ["values has 3 rows", "dates has 2"]),
        ([-100], DATES2, ["values has 1 rows", "dates has 2"]),
        ([], [], ["no rows"]),
        ([-100, "60"], DATES2, ["values row 2", "'60'", "not a number"]),
        ([-100, "abc"], DATES2, ["values row 2", "'abc'"]),
        (["-", 60], DATES2, ["values row 1", "'-'"]),
        ([-100, True], DATES2, ["values row 2", "True"]),
        ([-100, None, 200], DATES3, ["values row 2", "blank"]),
        ([-100, "", 200], DATES3, ["values row 2", "blank"]),
        ([-100, "   ", 200], DATES3, ["values row 2", "blank"]),
        ([-100, float("nan")], DATES2, ["values row 2", "nan"]),
        (np.array([-100.0, np.nan, 3.0]), DATES3, ["values row 2", "nan"]),
        (pd.Series([-100.0, 60.0, np.nan]), DATES3, ["values row 3", "nan"]),
        ([-100, float("inf")], DATES2, ["values row 2", "inf"]),
        ([-100, 60], [D(2025, 1, 1), None], ["dates row 2", "blank"]),
        ([-100, 60], [None, D(2025, 1, 1)], ["dates row 1", "blank"]),
        ([-100, 60], [D(2025, 1, 1), np.datetime64("NaT")], ["dates row 2", "missing"]),
        ([-100, 60], np.array(["2025-01-01", "NaT"], dtype="datetime64[D]"), ["dates row 2", "missing"]),
        ([-100, 60], pd.to_datetime(["2025-01-01", None]), ["dates row 2", "missing"]),
        ([-100, 60], pd.Series(pd.to_datetime(["2025-01-01", None])), ["dates row 2", "missing"]),
        ([-100, 60], [D(2025, 1, 1), pd.NaT], ["dates row 2"]),
        ([-100, 60], [D(2025, 1, 1), float("nan")], ["dates row 2"]),
        ([-100, 60], [D(2025, 1, 1), "2026-01-01"], ["dates row 2", "'2026-01-01'", "not a date"]),
        ([-100, 60], [D(2025, 1, 1), True], ["dates row 2", "True"]),
    ],
    ids=[
        "more_values_than_dates",
        "more_dates_than_values",
        "no_rows",
        "numeric_text_value",
        "text_value",
        "dash_text_value",
        "bool_value",
        "blank_none_in_middle",
        "blank_empty_text_in_middle",
        "blank_spaces_in_middle",
        "nan_value",
        "nan_in_numpy_values",
        "nan_in_pandas_values",
        "inf_value",
        "missing_date_none",
        "missing_first_date",
        "missing_date_numpy_nat",
        "nat_in_datetime64_array",
        "nat_in_datetime_index",
        "nat_in_pandas_series",
        "pandas_nat_in_a_list",
        "nan_serial_date",
        "text_date",
        "bool_date",
    ],
)
def test_bad_cash_flow_input_raises_spv_input_error(values, dates, words):
    _raises(SpvInputError, lambda: xlspv.waterfall(values, dates, 0.05), words)


@pytest.mark.parametrize(
    "serial",
    [60, 60.99, 1, 0, -1, 2958466],
    ids=[
        "serial_60_fictitious_feb_29_1900",
        "serial_60_with_time",
        "serial_1",
        "serial_0",
        "negative",
        "after_9999_12_31",
    ],
)
def test_excel_serials_outside_the_safe_range_are_refused(serial):
    _raises(SpvInputError, lambda: xlspv.waterfall([-100, 60], [serial, 46023], 0.05), ["dates row 1"])
    _raises(
        SpvInputError, lambda: xlspv.waterfall([-100, 60], np.array([serial, 46023]), 0.05), ["dates row 1"]
    )


@pytest.mark.parametrize(
    ("serial", "expected"),
    [(61, D(1900, 3, 1)), (61.5, D(1900, 3, 1)), (45658, D(2025, 1, 1)), (2958465, D(9999, 12, 31))],
    ids=["first_safe_serial", "first_safe_with_time", "2025_01_01", "last_serial"],
)
def test_excel_serials_in_range_are_days_since_1899_12_30(serial, expected):
    table = xlspv.waterfall([0], [serial], 0.05)
    assert table["date"].iloc[0] == pd.Timestamp(expected)


@pytest.mark.parametrize(
    ("terms", "error", "words"),
    [
        (-1.0, TermsError, ["deemed_rate", "-100%"]),
        (-1.2, TermsError, ["deemed_rate", "-1.2"]),
        (float("nan"), TermsError, ["deemed_rate", "nan"]),
        ({"deemed_rate": "-100%"}, TermsError, ["deemed_rate"]),
        ({"deemed_rate": 0.05, "japan_share_before": 1.2}, TermsError, ["japan_share_before", "1.2"]),
        ({"deemed_rate": 0.05, "japan_share_after": -0.1}, TermsError, ["japan_share_after", "-0.1"]),
        ({"deemed_rate": 0.05, "partner_share": 1.5}, TermsError, ["partner_share", "1.5"]),
        ({"deemed_rate": 0.05, "japan_share_before": 0}, TermsError, ["japan_share_before"]),
        ({"deemed_rate": 0.05, "day_count": "ACT/ACT ISDA"}, TermsError, ["day_count", "'ACT/ACT ISDA'"]),
        ({"deemed_rate": 0.05, "compounding": "weekly"}, TermsError, ["compounding", "'weekly'"]),
        ({"deemed_rate": 0.05, "color": "red"}, TermsError, ["'color'"]),
        (True, TermsError, ["True"]),
        ("5%", TermsError, []),
    ],
    ids=[
        "rate_minus_100pct",
        "rate_below_minus_100pct",
        "rate_nan",
        "rate_minus_100pct_text_table",
        "share_before_above_1",
        "share_after_negative",
        "partner_above_1",
        "share_before_zero",
        "unknown_day_count",
        "unknown_compounding",
        "unknown_term",
        "bool_terms",
        "bare_text_terms",
    ],
)
def test_bad_terms_given_to_waterfall_raise_terms_error(terms, error, words):
    _raises(error, lambda: xlspv.waterfall([-100, 60], DATES2, terms), words)


def test_empty_schedule_raises_rate_schedule_error():
    _raises(RateScheduleError, lambda: xlspv.waterfall([-100, 60], DATES2, Terms({})), ["empty"])


def test_schedule_starting_after_the_first_row_names_both_dates():
    terms = Terms([(D(2025, 3, 1), 0.05)])
    _raises(
        RateScheduleError, lambda: xlspv.waterfall([-100, 60], DATES2, terms), ["2025-03-01", "2025-01-01"]
    )


def test_rows_out_of_order_do_not_hide_the_first_date_from_the_schedule_check():
    # the earliest row is the last in input order
    terms = Terms([(D(2025, 1, 1), 0.05)])
    _raises(
        RateScheduleError,
        lambda: xlspv.waterfall([60, -100], [D(2026, 1, 1), D(2024, 12, 31)], terms),
        ["2025-01-01", "2024-12-31"],
    )


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda: xlspv.waterfall_batch([[-100, np.nan]], DATES2, Terms(0.05)), SpvInputError, ["values"]),
        (
            lambda: xlspv.waterfall_batch([[-100, 60, 10]], DATES2, Terms(0.05)),
            SpvInputError,
            ["values", "dates", "3"],
        ),
        (
            lambda: xlspv.waterfall_batch([[-100, 60]], [D(2025, 1, 1), None], Terms(0.05)),
            SpvInputError,
            ["dates row 2"],
        ),
        (
            lambda: xlspv.waterfall_batch([[-100, 60]] * 3, DATES2, [Terms(0.05)] * 2),
            TermsError,
            ["2 terms", "3 scenarios"],
        ),
        (
            lambda: xlspv.waterfall_batch([-100, 60], DATES2, Terms(0.05), deemed_rates=[0.05, -1.0]),
            TermsError,
            ["deemed_rates"],
        ),
        (
            lambda: xlspv.waterfall_batch([-100, 60], DATES2, Terms(0.05), deemed_rates=[0.05, np.nan]),
            TermsError,
            ["deemed_rates"],
        ),
        (
            lambda: xlspv.waterfall_batch([-100, 60], DATES2, Terms([(D(2025, 6, 1), 0.05)])),
            RateScheduleError,
            ["2025-06-01", "2025-01-01"],
        ),
    ],
    ids=[
        "batch_nan",
        "batch_lengths_differ",
        "batch_missing_date",
        "batch_terms_count",
        "batch_rate_minus_100pct",
        "batch_rate_nan",
        "batch_schedule_starts_late",
    ],
)
def test_bad_batch_input_raises_typed_error(call, error, words):
    _raises(error, call, words)

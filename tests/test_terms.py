"""Terms: validation on construction, ``Terms.from_mapping`` and the typed errors.

The rules pinned here are the spec's "Inputs" section (``docs/waterfall.md``): ``deemed_rate``
is required, finite and above -100%, one number or a dated schedule (sorted, no two rates on one date,
not empty); shares in [0, 1] with ``japan_share_before`` > 0; the day counts and compoundings listed;
and the style guide's rule that every error is a typed ``ValueError`` naming the term, row and value.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from xlspv import RateSchedule, RateScheduleError, SpvError, Terms, TermsError

D = dt.date


def test_defaults_are_the_specs():
    t = Terms(0.05)
    assert (t.deemed_rate, t.japan_share_before, t.japan_share_after) == (0.05, 0.5, 0.1)
    assert (t.day_count, t.compounding, t.partner_share) == ("ACT/365F", "annual", 0.0)
    assert (t.allocation_basis, t.useful_life) == ("cumulative", None)


def test_terms_are_immutable():
    t = Terms(0.05)
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.deemed_rate = 0.06  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"deemed_rate": "5%"}, {"deemed_rate": 0.05}),
        ({"deemed_rate": " 4.5 % "}, {"deemed_rate": 0.045}),
        ({"deemed_rate": "0.07"}, {"deemed_rate": 0.07}),
        ({"deemed_rate": 0}, {"deemed_rate": 0.0}),
        ({"deemed_rate": -0.99}, {"deemed_rate": -0.99}),
        (
            {"deemed_rate": 0.05, "japan_share_before": 1, "japan_share_after": 0},
            {"japan_share_before": 1.0, "japan_share_after": 0.0},
        ),
        (
            {"deemed_rate": 0.05, "japan_share_before": "50%", "japan_share_after": "10%"},
            {"japan_share_before": 0.5, "japan_share_after": 0.1},
        ),
        ({"deemed_rate": 0.05, "partner_share": 1.0}, {"partner_share": 1.0}),
        ({"deemed_rate": 0.05, "day_count": "act/360"}, {"day_count": "ACT/360"}),
        ({"deemed_rate": 0.05, "day_count": "Actual/365"}, {"day_count": "ACT/365F"}),
        ({"deemed_rate": 0.05, "day_count": "30U/360"}, {"day_count": "30/360"}),
        ({"deemed_rate": 0.05, "day_count": "30/360"}, {"day_count": "30/360"}),
        ({"deemed_rate": 0.05, "compounding": "Semi-Annual"}, {"compounding": "semiannual"}),
        ({"deemed_rate": 0.05, "compounding": "MONTHLY"}, {"compounding": "monthly"}),
        ({"deemed_rate": 0.05, "compounding": "continuous"}, {"compounding": "continuous"}),
        ({"deemed_rate": 0.05, "compounding": "simple"}, {"compounding": "simple"}),
        ({"deemed_rate": 0.05, "compounding": "quarterly"}, {"compounding": "quarterly"}),
    ],
    ids=[
        "rate_percent_text",
        "rate_percent_text_spaces",
        "rate_decimal_text",
        "rate_zero",
        "rate_minus_99pct",
        "shares_at_bounds",
        "shares_percent_text",
        "partner_all",
        "act360_lowercase",
        "actual365_alias",
        "30u360_alias",
        "30_360",
        "semi_annual_alias",
        "monthly_upper",
        "continuous",
        "simple",
        "quarterly",
    ],
)
def test_valid_terms_are_normalised(kwargs, expected):
    t = Terms(**kwargs)
    for name, value in expected.items():
        assert (
            getattr(t, name) == pytest.approx(value)
            if isinstance(value, float)
            else getattr(t, name) == value
        )


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"deemed_rate": None}, ["deemed_rate", "required"]),
        ({"deemed_rate": ""}, ["deemed_rate", "required"]),
        ({"deemed_rate": -1.0}, ["deemed_rate", "-1.0", "-100%"]),
        ({"deemed_rate": -1.5}, ["deemed_rate", "-1.5"]),
        ({"deemed_rate": "-100%"}, ["deemed_rate", "-100%"]),
        ({"deemed_rate": float("nan")}, ["deemed_rate", "nan"]),
        ({"deemed_rate": float("inf")}, ["deemed_rate", "inf"]),
        ({"deemed_rate": "abc"}, ["deemed_rate", "'abc'"]),
        ({"deemed_rate": True}, ["deemed_rate", "True"]),
        ({"deemed_rate": 0.05, "japan_share_before": 1.5}, ["japan_share_before", "1.5", "[0, 1]"]),
        ({"deemed_rate": 0.05, "japan_share_before": -0.1}, ["japan_share_before", "-0.1"]),
        ({"deemed_rate": 0.05, "japan_share_before": 0}, ["japan_share_before", "0"]),
        ({"deemed_rate": 0.05, "japan_share_after": 1.01}, ["japan_share_after", "1.01"]),
        ({"deemed_rate": 0.05, "japan_share_after": -0.5}, ["japan_share_after", "-0.5"]),
        ({"deemed_rate": 0.05, "japan_share_after": "110%"}, ["japan_share_after", "1.1"]),
        ({"deemed_rate": 0.05, "partner_share": 2}, ["partner_share", "2"]),
        ({"deemed_rate": 0.05, "partner_share": -0.01}, ["partner_share", "-0.01"]),
        ({"deemed_rate": 0.05, "partner_share": None}, ["partner_share", "None"]),
        ({"deemed_rate": 0.05, "day_count": "ACT/ACT"}, ["day_count", "'ACT/ACT'"]),
        ({"deemed_rate": 0.05, "day_count": None}, ["day_count", "None"]),
        ({"deemed_rate": 0.05, "compounding": "daily"}, ["compounding", "'daily'"]),
        ({"deemed_rate": 0.05, "compounding": 12}, ["compounding", "12"]),
        ({"deemed_rate": 0.05, "allocation_basis": "yearly"}, ["allocation_basis", "'yearly'"]),
        ({"deemed_rate": 0.05, "allocation_basis": "scheduled"}, ["useful_life", "required"]),
        ({"deemed_rate": 0.05, "allocation_basis": "scheduled", "useful_life": 2.5}, ["useful_life", "2.5"]),
        ({"deemed_rate": 0.05, "allocation_basis": "scheduled", "useful_life": 0}, ["useful_life", "0"]),
    ],
    ids=[
        "rate_missing",
        "rate_blank",
        "rate_minus_100pct",
        "rate_below_minus_100pct",
        "rate_minus_100pct_text",
        "rate_nan",
        "rate_inf",
        "rate_text",
        "rate_bool",
        "before_above_1",
        "before_negative",
        "before_zero",
        "after_above_1",
        "after_negative",
        "after_percent_above_100",
        "partner_above_1",
        "partner_negative",
        "partner_none",
        "day_count_unknown",
        "day_count_none",
        "compounding_unknown",
        "compounding_number",
        "basis_unknown",
        "scheduled_without_life",
        "life_fractional",
        "life_zero",
    ],
)
def test_bad_terms_raise_terms_error_naming_term_and_value(kwargs, words):
    with pytest.raises(TermsError) as err:
        Terms(**kwargs)
    assert isinstance(err.value, ValueError) and isinstance(err.value, SpvError)
    for word in words:
        assert word in str(err.value), (word, str(err.value))


def test_useful_life_whole_float_counts_as_whole_years():
    # spec: "useful_life (whole years >= 1 ...; 3.0 counts as 3)"
    t = Terms(0.05, allocation_basis="scheduled", useful_life=3.0)
    assert t.useful_life == 3 and isinstance(t.useful_life, int)


# --- rate schedules -------------------------------------------------------------------------------


def test_schedule_rows_are_sorted_and_kept():
    s = RateSchedule.from_rows([(D(2027, 1, 1), 0.06), (D(2025, 1, 1), "5%"), (D(2026, 1, 1), 0.055)])
    assert s.rates == (0.05, 0.055, 0.06)
    assert s.dates == (D(2025, 1, 1).toordinal(), D(2026, 1, 1).toordinal(), D(2027, 1, 1).toordinal())


@pytest.mark.parametrize(
    "rate",
    [
        [(D(2025, 1, 1), 0.05), (D(2026, 1, 1), 0.06)],
        ((D(2025, 1, 1), 0.05), (D(2026, 1, 1), 0.06)),
        {D(2025, 1, 1): 0.05, D(2026, 1, 1): 0.06},
        [(45658, 0.05), (46023, 0.06)],  # Excel serials of 2025-01-01 and 2026-01-01
    ],
    ids=["list_of_rows", "tuple_of_rows", "mapping", "excel_serial_dates"],
)
def test_terms_accept_a_schedule_in_every_form(rate):
    t = Terms(rate)
    assert isinstance(t.deemed_rate, RateSchedule)
    assert t.deemed_rate.rates == (0.05, 0.06)
    assert t.deemed_rate.dates == (D(2025, 1, 1).toordinal(), D(2026, 1, 1).toordinal())
    assert t.flat_rate is None


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (lambda: RateSchedule.from_rows([]), ["empty"]),
        (lambda: Terms({}), ["empty"]),
        (lambda: Terms([]), ["empty"]),
        (lambda: RateSchedule.from_rows([(D(2025, 1, 1), 0.05), (D(2025, 1, 1), 0.06)]), ["2025-01-01"]),
        (
            lambda: Terms([(D(2026, 7, 1), 0.05), (D(2025, 1, 1), 0.04), (dt.datetime(2026, 7, 1, 9), 0.06)]),
            ["2026-07-01"],
        ),
    ],
    ids=[
        "from_rows_empty",
        "terms_empty_mapping",
        "terms_empty_list",
        "two_rates_one_date",
        "two_rates_one_date_date_and_datetime",
    ],
)
def test_bad_schedule_raises_rate_schedule_error(build, words):
    with pytest.raises(RateScheduleError) as err:
        build()
    for word in words:
        assert word in str(err.value), (word, str(err.value))


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        ([(D(2025, 1, 1), 0.05), (D(2026, 1, 1), -1.0)], ["row 2", "2026-01-01", "-100%"]),
        ([(D(2025, 1, 1), "abc")], ["row 1", "2025-01-01", "'abc'"]),
        ([(D(2025, 1, 1), None)], ["row 1", "2025-01-01"]),
    ],
    ids=["rate_minus_100pct", "rate_text", "rate_blank"],
)
def test_bad_schedule_rate_names_row_and_date(rows, words):
    with pytest.raises(TermsError) as err:
        RateSchedule.from_rows(rows)
    for word in words:
        assert word in str(err.value), (word, str(err.value))


def test_bad_schedule_date_names_the_row():
    with pytest.raises(SpvError, match="row 2"):
        RateSchedule.from_rows([(D(2025, 1, 1), 0.05), ("next year", 0.06)])


# --- Terms.from_mapping ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rows",
    [
        {"deemed_rate": 0.045, "japan_share_before": 0.4, "day_count": "30/360"},
        {"Deemed Rate": 0.045, "JAPAN SHARE BEFORE": 0.4, "Day-Count": "30/360"},
        [("deemed_rate", 0.045), ("Japan_Share_Before", 0.4), ("day count", "30/360")],
        [["  deemed rate ", "4.5%"], ["japan-share-before", "40%"], ["DAY_COUNT", "30/360"]],
    ],
    ids=["dict_exact", "dict_case_spaces_dashes", "pairs_mixed_case", "lists_percent_text"],
)
def test_from_mapping_names_are_case_insensitive(rows):
    t = Terms.from_mapping(rows)
    assert t == Terms(0.045, japan_share_before=0.4, day_count="30/360")


def test_from_mapping_skips_blank_rows_and_blank_values_mean_default():
    rows = [
        ("deemed_rate", 0.05),
        (None, None),
        ("", ""),
        ("   ", None),
        (),
        ("japan_share_after", ""),  # blank value: the default
        ("compounding", "quarterly"),
        (None, None, None),
    ]
    t = Terms.from_mapping(rows)
    assert t == Terms(0.05, compounding="quarterly")
    assert t.japan_share_after == 0.1


def test_from_mapping_every_term():
    t = Terms.from_mapping(
        {
            "deemed_rate": "6%",
            "japan_share_before": "60%",
            "japan_share_after": 0.2,
            "day_count": "ACT/360",
            "compounding": "monthly",
            "partner_share": "25%",
            "allocation_basis": "Cumulative",
            "useful_life": 20,
        }
    )
    assert (t.deemed_rate, t.japan_share_before, t.japan_share_after) == pytest.approx((0.06, 0.6, 0.2))
    assert (t.day_count, t.compounding, t.partner_share) == ("ACT/360", "monthly", 0.25)
    assert (t.allocation_basis, t.useful_life) == ("cumulative", 20)


def test_from_mapping_schedule_rows_with_a_third_column():
    rows = [
        ("deemed_rate", "6%", D(2027, 1, 1)),
        ("Deemed Rate", 0.05, D(2025, 1, 1)),
        ("japan_share_before", 0.5, None),  # a blank third column on another term is fine
        ("deemed_rate", 0.055, 46023),  # Excel serial of 2026-01-01
    ]
    t = Terms.from_mapping(rows)
    assert isinstance(t.deemed_rate, RateSchedule)
    assert t.deemed_rate.rates == pytest.approx((0.05, 0.055, 0.06))
    assert t.deemed_rate.dates == tuple(D(y, 1, 1).toordinal() for y in (2025, 2026, 2027))


@pytest.mark.parametrize(
    ("rows", "error", "words"),
    [
        (
            [("deemed_rate", 0.05), ("deemed_rat", 0.1)],
            TermsError,
            ["row 2", "'deemed_rat'", "japan_share_before"],
        ),
        ([("deemed_rate", 0.05), ("spread", 0.01)], TermsError, ["row 2", "'spread'"]),
        (
            [("deemed_rate", 0.05), ("japan_share_before", 0.5), ("Japan Share Before", 0.4)],
            TermsError,
            ["row 3", "japan_share_before", "twice"],
        ),
        ([("deemed_rate", 0.05), ("deemed_rate", 0.06)], TermsError, ["row 2", "deemed_rate", "twice"]),
        ([("japan_share_before", 0.5)], TermsError, ["deemed_rate", "required"]),
        ([("deemed_rate", None)], TermsError, ["deemed_rate", "required"]),
        (
            [("deemed_rate", 0.05, D(2025, 1, 1)), ("deemed_rate", 0.06)],
            TermsError,
            ["deemed_rate", "not both"],
        ),
        (
            [("deemed_rate", 0.05, D(2025, 1, 1)), ("deemed_rate", 0.06, D(2025, 1, 1))],
            RateScheduleError,
            ["2025-01-01"],
        ),
        ([("deemed_rate", 0.05), (42, 0.5)], TermsError, ["row 2", "42"]),
        (
            [("deemed_rate", 0.05), ("japan_share_before", "fifty")],
            TermsError,
            ["japan_share_before", "'fifty'"],
        ),
        ([("deemed_rate", "-150%")], TermsError, ["deemed_rate", "-1.5"]),
        ([("deemed_rate", 0.05), ("day_count", "ACT/ACT")], TermsError, ["day_count", "'ACT/ACT'"]),
        ([0.05], TermsError, ["row 1", "0.05"]),
    ],
    ids=[
        "unknown_name_typo",
        "unknown_name",
        "name_twice_other_case",
        "rate_twice",
        "rate_missing",
        "rate_blank",
        "schedule_and_flat_rate",
        "schedule_two_rates_one_date",
        "name_not_text",
        "share_text",
        "rate_below_minus_100pct",
        "bad_day_count",
        "row_is_a_bare_number",
    ],
)
def test_from_mapping_errors_name_the_row_and_value(rows, error, words):
    with pytest.raises(error) as err:
        Terms.from_mapping(rows)
    for word in words:
        assert word in str(err.value), (word, str(err.value))


def test_with_rate_copies_and_revalidates():
    t = Terms(0.05, compounding="monthly")
    u = t.with_rate(0.07)
    assert (u.deemed_rate, u.compounding, t.deemed_rate) == (0.07, "monthly", 0.05)
    with pytest.raises(TermsError, match="deemed_rate"):
        t.with_rate(-2.0)


@pytest.mark.parametrize(
    "terms",
    [
        Terms(0.05),
        Terms(
            "4.5%",
            japan_share_before=0.6,
            japan_share_after=0.2,
            day_count="30/360",
            compounding="monthly",
            partner_share=0.25,
        ),
        Terms(0.05, allocation_basis="scheduled", useful_life=20),
        Terms([(D(2025, 1, 1), 0.05), (D(2026, 7, 1), 0.06)], compounding="simple"),
    ],
    ids=["defaults", "every_term", "scheduled_basis", "rate_schedule"],
)
def test_as_range_reads_back_with_from_mapping(terms):
    # one Terms range is the interchange between workbooks and the core: what as_range writes must read back
    assert Terms.from_mapping(terms.as_range()) == terms

"""The second reading: a scheduled (yearly) deemed allocation (spec "Second reading", rules 1-6).

Expected values are worked by hand and written as arithmetic: interest = rate * P * days / 365 (ACT/365F
unless stated), installments = funding / useful_life, due = shortfall in + interest + installments;
Japan gets 50% until the year's due is met, then 10%. Money is in $m.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xlspv
from xlspv import RateSchedule, RateScheduleError, Terms, TermsError
from xlspv.scheduled import SCHEDULE_COLUMNS, anniversary

D = dt.date
REL = 1e-12


def scheduled(rate, life, **terms):
    return Terms(rate, allocation_basis="scheduled", useful_life=life, **terms)


def approx(x):
    return pytest.approx(x, rel=REL, abs=1e-9)


def year(w, k):
    """Row k of the per-year table as a dict of floats (dates left as they are)."""
    return w.schedule.iloc[k].to_dict()


# --- rule 1: allocation years and anniversaries -------------------------------------------------


@pytest.mark.parametrize(
    ("start", "years", "expected"),
    [
        (D(2025, 1, 1), 1, D(2026, 1, 1)),
        (D(2025, 1, 31), 3, D(2028, 1, 31)),
        (D(2024, 2, 29), 1, D(2025, 2, 28)),  # common year: 28 February
        (D(2024, 2, 29), 3, D(2027, 2, 28)),
        (D(2024, 2, 29), 4, D(2028, 2, 29)),  # computed from the start, not chained: 29 again
        (D(2025, 2, 28), 3, D(2028, 2, 28)),  # a 28 February start stays on the 28th
    ],
    ids=["new-year", "month-end", "feb29-common", "feb29-common-3", "feb29-leap", "feb28-start"],
)
def test_anniversaries_are_computed_from_the_start(start, years, expected):
    assert anniversary(start, years) == expected


def test_allocation_years_past_9999_are_an_error_naming_useful_life():
    with pytest.raises(TermsError, match="useful_life"):
        xlspv.compute([-100, 10], [D(2025, 1, 1), D(2026, 1, 1)], scheduled(0.05, 9_000))


# --- the published example -----------------------------------------------------------------------


def test_published_example_10bn_at_5_5pct_over_20_years_is_1_05bn_due_in_year_one():
    # $10bn at 4.5% + 1% over 20 years: $0.55bn interest + $0.5bn principal (Korean commentary).
    w = xlspv.compute([-10_000, 3_000], [D(2026, 1, 1), D(2026, 7, 1)], scheduled(0.045 + 0.01, 20))
    y0 = year(w, 0)
    assert y0["interest"] == approx(10_000 * 0.055 * 365 / 365)
    assert y0["installments"] == approx(10_000 / 20)
    assert y0["due"] == approx(550 + 500)
    # 50% of the first 2_100 meets the 1_050; 10% of the other 900.
    assert w.japan[1] == approx(1_050 + 0.1 * (3_000 - 1_050 / 0.5))
    assert list(w.tiers) == ["funding", "threshold"]
    assert y0["paid"] == approx(1_050)
    assert y0["shortfall_out"] == 0.0
    # Year 2 (2027): P = 10_000 - 500 for the whole year.
    assert year(w, 1)["due"] == approx((10_000 - 500) * 0.055 * 365 / 365 + 500)
    # One table row per year up to the last installment; what is left is the 19 later installments.
    assert len(w.schedule) == 20
    assert w.balance[1] == approx(19 * 500)
    assert w.unrecovered == approx(19 * 500)
    assert w.threshold_date is None


def test_schedule_table_columns_and_dates():
    w = xlspv.compute([-10_000, 3_000], [D(2026, 1, 1), D(2026, 7, 1)], scheduled(0.055, 3))
    assert tuple(w.schedule.columns) == SCHEDULE_COLUMNS
    assert list(w.schedule["year"]) == [0, 1, 2]
    assert [d.date() for d in w.schedule["start"]] == [D(2026, 1, 1), D(2027, 1, 1), D(2028, 1, 1)]
    assert [d.date() for d in w.schedule["end"]] == [D(2027, 1, 1), D(2028, 1, 1), D(2029, 1, 1)]


# --- rules 4 and 5: a year that earns too little -------------------------------------------------


def test_a_year_that_earns_too_little_carries_a_shortfall_that_a_later_year_clears():
    values = [-1_000, 400, 1_200]
    dates = [D(2025, 1, 1), D(2025, 6, 30), D(2026, 6, 30)]
    w = xlspv.compute(values, dates, scheduled(0.10, 4))
    # Year 0: 100 interest + 250 installment = 350 due; half of 400 pays 200 of it.
    assert year(w, 0)["due"] == approx(1_000 * 0.10 + 1_000 / 4)
    assert w.japan[1] == approx(0.5 * 400)
    assert w.tiers[1] == "before"
    assert year(w, 0)["shortfall_out"] == approx(350 - 200)
    assert w.balance[1] == approx(150 + 3 * 250)  # still due this year + 3 later installments
    # Year 1: 150 carried (no interest on it) + 750 * 10% + 250 = 475; met inside the 1_200 row.
    assert year(w, 1)["shortfall_in"] == approx(150)
    assert year(w, 1)["interest"] == approx(750 * 0.10)
    assert year(w, 1)["due"] == approx(150 + 75 + 250)
    assert w.japan[2] == approx(475 + 0.1 * (1_200 - 475 / 0.5))
    assert w.tiers[2] == "threshold"
    assert year(w, 1)["shortfall_out"] == 0.0
    assert w.balance[2] == approx(2 * 250)
    # Per-row interest: simple, on the scheduled principal, stepping down at the anniversary.
    assert w.interest[0] == 0.0
    assert w.interest[1] == approx(1_000 * 0.10 * 180 / 365)
    assert w.interest[2] == approx(0.10 * (1_000 * 185 + 750 * 180) / 365)


def test_years_with_no_rows_turn_their_interest_and_installments_into_shortfall():
    w = xlspv.compute([-1_000, 1_000], [D(2025, 1, 1), D(2027, 6, 30)], scheduled(0.10, 4))
    s = w.schedule
    assert s.loc[0, "shortfall_out"] == approx(100 + 250)
    assert s.loc[1, "paid"] == 0.0
    assert s.loc[1, "shortfall_out"] == approx(350 + 750 * 0.10 + 250)
    assert s.loc[2, "due"] == approx(675 + 500 * 0.10 + 250)
    # Half of 1_000 is below the 975 due: the whole row is before the (yearly) threshold.
    assert w.japan[1] == approx(0.5 * 1_000)
    assert w.tiers[1] == "before"
    assert w.interest[1] == approx(0.10 * (1_000 * 365 + 750 * 365 + 500 * 180) / 365)
    # The table runs to the last installment's year (2028, a leap year), without payments after the last row.
    assert s.loc[3, "due"] == approx(475 + 250 * 0.10 * 366 / 365 + 250)
    assert s.loc[3, "paid"] == 0.0


def test_never_reaching_the_threshold_leaves_due_this_year_plus_later_installments():
    w = xlspv.compute([-1_000, 1_000], [D(2025, 1, 1), D(2027, 6, 30)], scheduled(0.10, 4))
    unrecovered = (975 - 500) + 250  # still due in 2027 + the 2028 installment (no later interest)
    assert w.unrecovered == approx(unrecovered)
    assert w.balance[1] == approx(unrecovered)
    assert w.threshold_date is None
    s = w.summary()
    assert s.threshold_date is None
    assert s.unrecovered == approx(unrecovered)


# --- rule 2: fundings in later years -------------------------------------------------------------

LATER_VALUES = [-1_000, 2_000, -600, 3_000, 1_000]
LATER_DATES = [D(2025, 1, 1), D(2025, 12, 1), D(2026, 7, 1), D(2026, 12, 1), D(2027, 12, 1)]
#: Year 1 (2026): P = 500 until 1 July (181 days), then 500 + 600 (184 days).
LATER_DUE_1 = 0.10 * (500 * 181 + 1_100 * 184) / 365 + 500 + 600 / 2


def test_a_funding_in_a_later_year_has_its_own_installments():
    w = xlspv.compute(LATER_VALUES, LATER_DATES, scheduled(0.10, 2))
    s = w.schedule
    assert s["installments"].tolist() == approx([500, 500 + 300, 300])
    assert s["due"].tolist() == approx([100 + 500, LATER_DUE_1, 300 * 0.10 + 300])
    assert w.japan.tolist() == approx(
        [0, 600 + 0.1 * (2_000 - 1_200), 0, LATER_DUE_1 + 0.1 * (3_000 - 2 * LATER_DUE_1), 330 + 0.1 * 340]
    )
    assert list(w.tiers) == ["funding", "threshold", "funding", "threshold", "threshold"]
    # Balance after each row: still due this year + later installments of the fundings made so far.
    assert w.balance.tolist() == approx([600 + 500, 500, LATER_DUE_1 + 300, 300, 0])
    # Rule 6: the 2027 row pays off the last amount ever due.
    assert w.threshold_date == D(2027, 12, 1)
    assert w.unrecovered == 0.0


def test_rows_out_of_date_order_give_outputs_aligned_with_the_input():
    ordered = xlspv.compute(LATER_VALUES, LATER_DATES, scheduled(0.10, 2))
    perm = [3, 0, 4, 2, 1]
    shuffled = xlspv.compute(
        [LATER_VALUES[i] for i in perm], [LATER_DATES[i] for i in perm], scheduled(0.10, 2)
    )
    for name in ("japan", "us", "partner", "interest", "balance", "tier_codes"):
        assert getattr(shuffled, name).tolist() == getattr(ordered, name)[perm].tolist(), name
    assert shuffled.threshold_date == D(2027, 12, 1)
    assert shuffled.schedule.equals(ordered.schedule)


def test_a_funding_later_in_the_year_is_due_from_the_year_start():
    # Rule 4: the amount due is fixed at the year's start, fundings later in the year included.
    values = [100, -1_000]
    dates = [D(2025, 1, 1), D(2025, 3, 1)]
    w = xlspv.compute(values, dates, scheduled(0.05, 10))
    due = 1_000 * 0.05 * 306 / 365 + 1_000 / 10
    assert year(w, 0)["due"] == approx(due)
    assert w.japan[0] == approx(0.5 * 100)
    assert w.tiers[0] == "before"
    assert w.balance.tolist() == approx([due - 50, due - 50 + 9 * 100])


def test_a_funding_after_the_threshold_reopens_it():
    values = [-1_000, 2_000, -500]
    dates = [D(2025, 1, 1), D(2025, 6, 1), D(2026, 6, 1)]
    w = xlspv.compute(values, dates, scheduled(0.0, 1))
    assert w.tiers[1] == "threshold"
    assert w.balance[1] == 0.0
    assert w.threshold_date is None
    assert w.unrecovered == approx(500)  # year 1: the new 500, no distribution after it


def test_rule_6_threshold_is_not_before_a_funding_made_later_in_the_year():
    # useful_life 1: year 0's due (fixed at the year's start, rule 4) includes the 1 July funding:
    # interest 0.1 * 50 * 184 / 365 + installment 50. The 1 January distribution's before-share (100)
    # meets it, so nothing is ever due again; but the 50 is not recovered before it is funded: the
    # threshold is the funding's row (1 July), not 1 January.
    values = [200, -50]
    dates = [D(2025, 1, 1), D(2025, 7, 1)]
    w = xlspv.compute(values, dates, scheduled(0.10, 1))
    due = 0.1 * 50 * 184 / 365 + 50
    assert year(w, 0)["due"] == approx(due)
    assert w.japan[0] == approx(due + 0.1 * (200 - due / 0.5))
    assert w.tiers.tolist() == ["threshold", "funding"]
    assert w.balance.tolist() == [0.0, 0.0]
    assert w.threshold_date == D(2025, 7, 1)
    assert w.unrecovered == 0.0


def test_rule_6_threshold_is_not_before_the_last_of_several_fundings_in_the_year():
    # 1,000 funded on 1 January, 50 more on 1 June, useful life 1, rate 0: due 1,050 at the year's
    # start; the 1 March distribution's before-share (2,500) meets it. Threshold: the 1 June funding.
    values = [-1_000, 5_000, -50, 10]
    dates = [D(2025, 1, 1), D(2025, 3, 1), D(2025, 6, 1), D(2025, 9, 1)]
    w = xlspv.compute(values, dates, scheduled(0.0, 1))
    assert year(w, 0)["due"] == approx(1_050)
    assert w.tiers.tolist() == ["funding", "threshold", "funding", "after"]
    assert w.threshold_date == D(2025, 6, 1)
    assert w.summary().threshold_date == D(2025, 6, 1)


def test_rule_6_threshold_after_the_last_funding_is_unchanged():
    # the last funding comes first: the paying row is the threshold, as before
    values = [-1_000, 5_000]
    dates = [D(2025, 1, 1), D(2025, 3, 1)]
    w = xlspv.compute(values, dates, scheduled(0.0, 1))
    assert w.threshold_date == D(2025, 3, 1)


# --- rule 3: rates, day counts, 29 February -------------------------------------------------------


def test_a_29_february_start_has_28_february_anniversaries_in_common_years():
    values = [-1_000, 100, 100, 500, 500]
    dates = [D(2024, 2, 29), D(2025, 2, 27), D(2025, 2, 28), D(2028, 2, 28), D(2028, 2, 29)]
    w = xlspv.compute(values, dates, scheduled(0.05, 5))
    s = w.schedule
    assert [d.date() for d in s["start"]] == [
        D(2024, 2, 29),
        D(2025, 2, 28),
        D(2026, 2, 28),
        D(2027, 2, 28),
        D(2028, 2, 29),
    ]
    assert s.loc[4, "end"].date() == D(2029, 2, 28)
    due_3 = 400 * 0.05 * 366 / 365 + 200 + (30 + 200 + (40 + 200 + (50 + 200 - 50) - 50))
    assert s["due"].tolist() == approx(
        [50 + 200, 40 + 200 + 200, 30 + 200 + 390, due_3, 200 * 0.05 + 200 + (due_3 - 250)]
    )
    # 27 Feb 2025 is in year 0, 28 Feb 2025 opens year 1; 28 Feb 2028 is still year 3.
    assert s["paid"].tolist() == approx([50, 50, 0, 250, 250])
    assert w.unrecovered == approx(s.loc[4, "due"] - 250)


def test_a_rate_change_splits_the_interest_at_its_date():
    rates = RateSchedule.from_rows([(D(2025, 1, 1), 0.04), (D(2025, 7, 1), 0.06)])
    w = xlspv.compute([-1_000, 10], [D(2025, 1, 1), D(2025, 10, 1)], scheduled(rates, 10))
    assert year(w, 0)["interest"] == approx(1_000 * (0.04 * 181 + 0.06 * 184) / 365)
    assert w.interest[1] == approx(1_000 * (0.04 * 181 + 0.06 * 92) / 365)
    assert year(w, 1)["interest"] == approx(900 * 0.06 * 365 / 365)


def test_a_rate_schedule_starting_after_the_first_row_is_an_error():
    rates = RateSchedule.from_rows([(D(2025, 2, 1), 0.04)])
    with pytest.raises(RateScheduleError, match="2025-02-01"):
        xlspv.compute([-1_000, 10], [D(2025, 1, 1), D(2025, 10, 1)], scheduled(rates, 10))


@pytest.mark.parametrize(
    ("day_count", "interest_0"),
    [
        ("ACT/365F", 0.10 * (1_000 * 28 + 2_000 * 337) / 365),
        ("ACT/360", 0.10 * (1_000 * 28 + 2_000 * 337) / 360),
        # DAYS360(31 Jan, 28 Feb) = 28; DAYS360(28 Feb, 31 Jan) = 330: not additive, split at the funding.
        ("30/360", 0.10 * (1_000 * 28 + 2_000 * 330) / 360),
    ],
    ids=["act365f", "act360", "30-360"],
)
def test_day_counts_apply_to_each_piece_between_changes_of_principal(day_count, interest_0):
    values = [-1_000, -1_000, 5]
    dates = [D(2025, 1, 31), D(2025, 2, 28), D(2025, 12, 1)]
    w = xlspv.compute(values, dates, scheduled(0.10, 10, day_count=day_count))
    assert year(w, 0)["interest"] == approx(interest_0)
    assert year(w, 0)["due"] == approx(interest_0 + 2_000 / 10)


@pytest.mark.parametrize(
    "compounding", ["annual", "semiannual", "quarterly", "monthly", "continuous", "simple"]
)
def test_compounding_plays_no_part(compounding):
    base = xlspv.compute(LATER_VALUES, LATER_DATES, scheduled(0.10, 2))
    other = xlspv.compute(LATER_VALUES, LATER_DATES, scheduled(0.10, 2, compounding=compounding))
    assert other.japan.tolist() == base.japan.tolist()
    assert other.schedule.equals(base.schedule)


# --- per-row outputs -------------------------------------------------------------------------------


def test_partner_gets_its_share_of_japans_payout():
    terms = scheduled(0.055, 20, partner_share=0.25)
    w = xlspv.compute([-10_000, 3_000], [D(2026, 1, 1), D(2026, 7, 1)], terms)
    assert w.partner.tolist() == approx([0, 0.25 * 1_140])
    assert w.us.tolist() == approx([0, 3_000 - 1_140])
    assert w.summary().partner_funded == approx(0.25 * 10_000)


def test_same_date_rows_are_not_netted_and_accrue_nothing_between_them():
    w = xlspv.compute([-1_000, 200, 0], [D(2025, 1, 1), D(2025, 1, 1), D(2025, 1, 1)], scheduled(0.1, 4))
    assert w.interest.tolist() == [0, 0, 0]
    assert w.japan.tolist() == approx([0, 0.5 * 200, 0])
    assert list(w.tiers) == ["funding", "before", "before"]  # zero rows count as before, as in the default


def test_no_funding_means_nothing_due_and_no_threshold():
    w = xlspv.compute([100, 50], [D(2025, 1, 1), D(2026, 6, 1)], scheduled(0.1, 4))
    assert w.japan.tolist() == approx([0.1 * 100, 0.1 * 50])
    assert list(w.tiers) == ["after", "after"]
    assert w.threshold_date is None
    assert w.unrecovered == 0.0
    assert w.schedule["due"].tolist() == [0.0, 0.0]


def test_rows_after_the_years_due_is_met_are_after_until_the_next_year():
    values = [-1_000, 2_000, 100, 100]
    dates = [D(2025, 1, 1), D(2025, 3, 1), D(2025, 9, 1), D(2026, 3, 1)]
    w = xlspv.compute(values, dates, scheduled(0.0, 2))
    assert list(w.tiers) == ["funding", "threshold", "after", "before"]
    assert w.japan.tolist() == approx([0, 500 + 0.1 * 1_000, 0.1 * 100, 0.5 * 100])


# --- properties ------------------------------------------------------------------------------------

START = D(2020, 1, 1)


@st.composite
def schedules(draw):
    n = draw(st.integers(1, 25))
    offsets = draw(st.lists(st.integers(0, 15 * 366), min_size=n, max_size=n))
    values = draw(
        st.lists(
            st.one_of(
                st.floats(-1e4, -1e-3), st.floats(1e-3, 1e4), st.just(0.0), st.sampled_from([-100.0, 100.0])
            ),
            min_size=n,
            max_size=n,
        )
    )
    dates = [START + dt.timedelta(days=o) for o in offsets]
    if draw(st.booleans()):
        changes = draw(
            st.lists(
                st.tuples(st.integers(1, 16 * 366), st.floats(-0.05, 0.2)),
                max_size=4,
                unique_by=lambda c: c[0],
            )
        )
        later = [(START + dt.timedelta(days=d), r) for d, r in changes]
        rate = RateSchedule.from_rows(
            [(min(dates), draw(st.floats(-0.05, 0.2)))] + [(d, r) for d, r in later if d > min(dates)]
        )
    else:
        rate = draw(st.floats(-0.05, 0.2))
    terms = scheduled(
        rate,
        draw(st.integers(1, 30)),
        japan_share_before=draw(st.floats(0.05, 1.0)),
        japan_share_after=draw(st.floats(0.0, 1.0)),
        day_count=draw(st.sampled_from(["ACT/365F", "ACT/360", "30/360"])),
        partner_share=draw(st.floats(0.0, 1.0)),
    )
    return values, dates, terms


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules())
def test_cash_is_conserved_and_the_year_table_adds_up(case):
    values, dates, terms = case
    w = xlspv.compute(values, dates, terms)
    v = np.asarray(values)
    dist = v > 0
    # Spec rule 5: nothing created or lost in any row.
    np.testing.assert_allclose((w.japan + w.us)[dist], v[dist], rtol=REL, atol=0)
    assert np.all(w.japan[v <= 0] == 0) and np.all(w.us[v <= 0] == 0)
    low, high = sorted((terms.japan_share_before, terms.japan_share_after))
    assert np.all(w.japan[dist] >= low * v[dist] * (1 - 1e-12))
    assert np.all(w.japan[dist] <= high * v[dist] * (1 + 1e-12))
    np.testing.assert_allclose(w.partner, terms.partner_share * w.japan, rtol=REL)
    assert np.all((w.tiers == "funding") == (v < 0))
    assert np.all(w.balance >= 0)

    s = w.schedule
    np.testing.assert_allclose(
        s["due"], s["shortfall_in"] + s["interest"] + s["installments"], rtol=1e-12, atol=1e-9
    )
    np.testing.assert_allclose(s["shortfall_out"], np.maximum(s["due"] - s["paid"], 0), rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(s["shortfall_in"].to_numpy()[1:], s["shortfall_out"].to_numpy()[:-1])
    assert s.loc[0, "shortfall_in"] == 0.0
    assert np.all(s["paid"] <= np.maximum(s["due"], 0) * (1 + 1e-12) + 1e-9)
    np.testing.assert_allclose(s["installments"].sum(), -v[v < 0].sum(), rtol=1e-9, atol=1e-9)
    # Each year's rows: Japan gets what met the due at the before-share plus the after-share of the rest.
    sb, sa = terms.japan_share_before, terms.japan_share_after
    day = np.array([np.datetime64(d) for d in dates])
    for k in s.index:
        in_year = (day >= s.loc[k, "start"].to_datetime64()) & (day < s.loc[k, "end"].to_datetime64())
        cash = v[in_year & dist].sum()
        paid = s.loc[k, "paid"]
        assert w.japan[in_year].sum() == pytest.approx(paid + sa * (cash - paid / sb), rel=1e-9, abs=1e-6)
    # Rule 6 and the headline figures.
    last = int(np.lexsort((np.arange(v.size), day))[-1])
    assert w.unrecovered == w.balance[last]
    if (v < 0).any() and w.unrecovered == 0:
        assert w.threshold_date is not None
        assert w.balance[w.threshold_row] == 0
    else:
        assert w.threshold_date is None


@st.composite
def light_allocations(draw):
    """One funding, a long useful life, a low rate, and every year's cash at least twice its due."""
    start = draw(st.dates(D(2020, 1, 1), D(2030, 12, 31)).filter(lambda d: (d.month, d.day) != (2, 29)))
    funded = 1_000.0
    life = draw(st.integers(50, 400))
    rate = draw(st.floats(0.0, 0.02))
    day_count = draw(st.sampled_from(["ACT/365F", "ACT/360"]))
    n_years = draw(st.integers(1, 10))
    values, dates = [-funded], [start]
    for k in range(n_years):
        # due <= 1_000 * (0.02 * 366 / 360 + 1 / 50) < 41 and 50% of 90 = 45 > 41, every year.
        cash = draw(st.floats(90.0, 150.0))
        weights = draw(st.lists(st.floats(0.05, 1.0), min_size=1, max_size=4))
        offsets = draw(st.lists(st.integers(1, 364), min_size=len(weights), max_size=len(weights)))
        for weight, offset in zip(weights, offsets, strict=True):
            values.append(cash * weight / sum(weights))
            dates.append(anniversary(start, k) + dt.timedelta(days=offset))
    return funded, life, rate, day_count, start, n_years, values, dates


@settings(max_examples=200, deadline=None)
@given(light_allocations(), st.floats(0.0, 0.5))
def test_both_readings_agree_on_each_rows_split_while_due_remains(case, share_after):
    funded, life, rate, day_count, start, n_years, values, dates = case
    common = dict(japan_share_after=share_after, day_count=day_count)
    cumulative = xlspv.compute(values, dates, Terms(rate, **common))
    yearly = xlspv.compute(values, dates, scheduled(rate, life, **common))
    v = np.asarray(values)
    # The set-up: the running balance is never cleared (half of all cash < funded), so the
    # cumulative reading splits every distribution 50/50.
    assert 0.5 * v[v > 0].sum() < funded
    assert set(cumulative.tiers[1:]) == {"before"}
    assert cumulative.japan[1:].tolist() == (0.5 * v[1:]).tolist()
    per_year = 365.0 if day_count == "ACT/365F" else 360.0
    for k in range(n_years):
        begin, end = anniversary(start, k), anniversary(start, k + 1)
        rows = [i for i, d in enumerate(dates) if begin <= d < end and values[i] > 0]
        # Due by hand: simple interest on what is left after k installments, plus one installment.
        due = rate * funded * (life - k) / life * (end - begin).days / per_year + funded / life
        assert yearly.schedule.loc[k, "due"] == pytest.approx(due, rel=REL)
        assert yearly.schedule.loc[k, "shortfall_out"] == 0.0
        tiers = [yearly.tiers[i] for i in sorted(rows, key=lambda i: (dates[i], i))]
        assert tiers.count("threshold") == 1, "every year's due is met inside one row"
        met = tiers.index("threshold")
        assert set(tiers[:met]) <= {"before"} and set(tiers[met + 1 :]) <= {"after"}
        for i in rows:
            if yearly.tiers[i] == "before":  # due remains after the row: the readings agree exactly
                assert yearly.japan[i] == cumulative.japan[i]
            else:  # the year's due is met: the scheduled reading pays Japan less of this cash
                assert yearly.japan[i] <= cumulative.japan[i] * (1 + REL)  # equal when share_after = 0.5
        cash = v[rows].sum()
        assert yearly.japan[rows].sum() == pytest.approx(due + share_after * (cash - due / 0.5), rel=1e-9)


# --- the compiled reading against the row-at-a-time reference ---------------------------------------


def _reference(values, dates, terms):
    from scheduled_reference import reference_rows

    from xlspv.inputs import prepare

    flows = prepare(values, dates)
    return flows, reference_rows(flows, terms)


@st.composite
def long_schedules(draw):
    """Up to 120 rows over up to 40 years, often several on one date, fundings anywhere."""
    n = draw(st.integers(1, 120))
    offsets = sorted(draw(st.lists(st.integers(0, 40 * 366), min_size=n, max_size=n)))
    if draw(st.booleans()):  # runs of rows on one date
        offsets = [offsets[i - i % 3] for i in range(n)]
    values = draw(
        st.lists(
            st.one_of(
                st.floats(-1e4, -1e-3), st.floats(1e-3, 1e4), st.just(0.0), st.sampled_from([-100.0, 100.0])
            ),
            min_size=n,
            max_size=n,
        )
    )
    start = draw(st.sampled_from([D(2020, 1, 1), D(2024, 2, 29), D(2025, 1, 31), D(2025, 12, 31)]))
    return values, [start + dt.timedelta(days=o) for o in offsets]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules())
def test_compiled_reading_equals_the_row_at_a_time_reference(case):
    _assert_equals_reference(*case)


DAY_COUNTS = st.sampled_from(["ACT/365F", "ACT/360", "30/360"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(long_schedules(), st.integers(1, 45), st.floats(-0.05, 0.2), DAY_COUNTS)
def test_compiled_reading_equals_the_reference_on_long_schedules(case, life, rate, day_count):
    values, dates = case
    _assert_equals_reference(values, dates, scheduled(rate, life, day_count=day_count))


def _assert_equals_reference(values, dates, terms):
    """Same tiers and threshold; money equal to rounding (the sums are taken in another order)."""
    got = xlspv.compute(values, dates, terms)
    flows, ref = _reference(values, dates, terms)
    back = np.argsort(flows.order)  # date order -> input order
    scale = max(1.0, float(np.abs(values).sum()))
    for name in ("japan", "interest", "balance"):
        np.testing.assert_allclose(
            getattr(got, name), getattr(ref, name)[0][back], rtol=1e-10, atol=1e-12 * scale, err_msg=name
        )
    assert got.tier_codes.tolist() == ref.tier[0][back].tolist()
    assert got.unrecovered == pytest.approx(float(ref.unrecovered[0]), rel=1e-10, abs=1e-12 * scale)
    ref_pos = int(ref.threshold_pos[0])
    assert got.threshold_row == (int(flows.order[ref_pos]) if ref_pos >= 0 else None)
    table, expected = got.schedule, ref.schedule
    assert table.columns.tolist() == expected.columns.tolist()
    assert table["year"].tolist() == expected["year"].tolist()
    assert table["start"].equals(expected["start"]) and table["end"].equals(expected["end"])
    for column in ("shortfall_in", "interest", "installments", "due", "paid", "shortfall_out"):
        np.testing.assert_allclose(
            table[column], expected[column], rtol=1e-10, atol=1e-12 * scale, err_msg=column
        )

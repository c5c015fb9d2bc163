"""Invariants of the waterfall, checked with hypothesis on generated schedules and terms.

From ``docs/waterfall.md`` (sections 7 and 10): rule 5 (nothing is created or lost: the parts add up
to the cash in every row, to relative 1e-12; all payouts 0 on a funding row; the partner holds its
share of Japan's side), the tiers and the threshold date as defined there, the monotonicity in the
deemed rate, the spec's XIRR check, and that the batch path equals the single path.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import xlspv
from xlspv import Terms
from xlspv.rows import TIER_NAMES

START = dt.date(2025, 1, 1)
SETTINGS = settings(max_examples=200, deadline=None)

_funding = st.floats(min_value=1.0, max_value=1e9, allow_nan=False).map(lambda x: -round(x, 2))
_distribution = st.floats(min_value=0.01, max_value=2e9, allow_nan=False).map(lambda x: round(x, 2))
_value = st.one_of(_funding, _distribution, _distribution, st.just(0.0))
_row = st.tuples(_value, st.integers(min_value=0, max_value=3000))
_schedule = st.lists(_row, min_size=1, max_size=12)
_share = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@st.composite
def _terms(draw, rate=None):
    before = draw(st.floats(min_value=0.01, max_value=1.0))
    return Terms(
        draw(st.floats(min_value=-0.5, max_value=1.0)) if rate is None else rate,
        japan_share_before=before,
        japan_share_after=draw(_share),
        day_count=draw(st.sampled_from(["ACT/365F", "ACT/360", "30/360"])),
        compounding=draw(
            st.sampled_from(["annual", "semiannual", "quarterly", "monthly", "continuous", "simple"])
        ),
        partner_share=draw(_share),
    )


def _unzip(rows):
    return [v for v, _ in rows], [START + dt.timedelta(days=k) for _, k in rows]


@SETTINGS
@given(rows=_schedule, terms=_terms())
def test_parts_add_up_to_the_cash_in_every_row(rows, terms):
    values, dates = _unzip(rows)
    table = xlspv.waterfall(values, dates, terms)
    v = np.asarray(values)
    japan, us, partner = table["japan"].to_numpy(), table["us"].to_numpy(), table["partner"].to_numpy()
    paid = v > 0
    assert np.all(np.abs(japan[paid] + us[paid] - v[paid]) <= 1e-12 * v[paid])
    assert np.all(japan[paid] >= -1e-12 * v[paid]) and np.all(us[paid] >= -1e-12 * v[paid])
    assert np.all(japan[~paid] == 0) and np.all(us[~paid] == 0) and np.all(partner[~paid] == 0)
    np.testing.assert_allclose(partner, terms.partner_share * japan, rtol=1e-12, atol=0)


@SETTINGS
@given(rows=_schedule, terms=_terms())
def test_tiers_and_threshold_date_follow_their_definitions(rows, terms):
    values, dates = _unzip(rows)
    w = xlspv.compute(values, dates, terms)
    table = w.table()
    v = np.asarray(values)
    tier, balance = table["tier"].to_numpy(), table["balance"].to_numpy()
    assert np.all((tier == "funding") == (v < 0))
    assert np.all(balance >= 0)  # B is an amount still owed to Japan
    assert np.all(balance[tier == "funding"] > 0)
    assert np.all(balance[tier == "before"] > 0)
    assert np.all(balance[(tier == "threshold") | (tier == "after")] == 0)
    # threshold date: the row where B last becomes 0 and stays 0 to the end (date order, ties by input)
    order = sorted(range(len(values)), key=lambda i: (dates[i], i))
    final = balance[order[-1]]
    clearing = [i for i in order if tier[i] == "threshold"]
    if final > 0 or not clearing or not np.any(v < 0):
        assert w.threshold_date is None
        assert w.unrecovered == final
    else:
        assert w.threshold_date == dates[clearing[-1]]
        assert w.unrecovered == 0


@SETTINGS
@given(
    rows=_schedule,
    low=st.floats(min_value=-0.5, max_value=1.0),
    step=st.floats(min_value=1e-4, max_value=0.5),
    data=st.data(),
)
def test_higher_deemed_rate_never_brings_threshold_earlier_nor_lowers_japans_total(rows, low, step, data):
    # Japan's payout grows with the balance only when japan_share_after <= japan_share_before (as in the
    # MOU's 50/50 then 10/90); with a larger after-share a longer "before" phase would pay Japan less.
    before = data.draw(st.floats(min_value=0.01, max_value=1.0), label="before")
    after = data.draw(st.floats(min_value=0.0, max_value=before), label="after")
    day_count = data.draw(st.sampled_from(["ACT/365F", "ACT/360", "30/360"]), label="day_count")
    compounding = data.draw(
        st.sampled_from(["annual", "semiannual", "quarterly", "monthly", "continuous", "simple"]),
        label="comp",
    )
    values, dates = _unzip(rows)

    def run(rate):
        terms = Terms(
            rate,
            japan_share_before=before,
            japan_share_after=after,
            day_count=day_count,
            compounding=compounding,
        )
        return xlspv.compute(values, dates, terms)

    lo, hi = run(low), run(low + step)
    scale = sum(abs(x) for x in values)
    assert hi.japan.sum() >= lo.japan.sum() - 1e-12 * scale
    if hi.threshold_date is not None:
        assert lo.threshold_date is not None and lo.threshold_date <= hi.threshold_date
    assert np.all(hi.balance >= lo.balance - 1e-12 * scale)


@SETTINGS
@given(
    rate=st.floats(min_value=-0.3, max_value=0.6),
    funding=st.floats(min_value=1.0, max_value=1e10),
    gaps=st.lists(st.integers(min_value=0, max_value=800), min_size=0, max_size=6),
    fractions=st.lists(st.floats(min_value=0.0, max_value=0.95), min_size=6, max_size=6),
    last_gap=st.integers(min_value=1, max_value=3000),
)
def test_japan_xirr_equals_deemed_rate_when_last_row_clears_the_balance(
    rate, funding, gaps, fractions, last_gap
):
    """The spec's check: default terms, one funding, distributions before the threshold, the last row
    clears B exactly (C == x = B / 0.5): Japan's XIRR equals deemed_rate to 1e-9.

    B by hand: it grows by (1 + r) ** (days / 365) and falls by 0.5 C; each distribution is a fraction
    below 1 of 2 B so it stays before the threshold.
    """
    day, balance = 0, funding
    values, days = [-funding], [0]
    for gap, frac in zip(gaps, fractions, strict=False):
        balance *= (1 + rate) ** (gap / 365)
        cash = frac * 2 * balance
        balance -= 0.5 * cash
        day += gap
        values.append(cash)
        days.append(day)
    balance *= (1 + rate) ** (last_gap / 365)
    values.append(balance / 0.5)
    days.append(day + last_gap)
    dates = [START + dt.timedelta(days=k) for k in days]
    w = xlspv.compute(values, dates, rate)
    assert w.tiers[-1] in ("threshold", "before")
    assert w.unrecovered <= 1e-12 * funding
    result = w.xirr("japan")
    assert result is not None
    assert abs(result - rate) <= 1e-9 * max(1.0, abs(rate))


@settings(max_examples=100, deadline=None)
@given(
    n_rows=st.integers(min_value=1, max_value=10),
    data=st.data(),
)
def test_batch_equals_single_path(n_rows, data):
    n_scen = data.draw(st.integers(min_value=1, max_value=5), label="scenarios")
    per_scenario_dates = data.draw(st.booleans(), label="per_scenario_dates")
    per_scenario_terms = data.draw(st.booleans(), label="per_scenario_terms")
    offsets = st.lists(st.integers(0, 3000), min_size=n_rows, max_size=n_rows)
    values = np.array(
        [data.draw(st.lists(_value, min_size=n_rows, max_size=n_rows), label="values") for _ in range(n_scen)]
    )
    if per_scenario_dates:
        dates = [
            [START + dt.timedelta(days=k) for k in data.draw(offsets, label="days")] for _ in range(n_scen)
        ]
    else:
        shared = [START + dt.timedelta(days=k) for k in data.draw(offsets, label="days")]
        dates = shared
    if per_scenario_terms:
        terms = [data.draw(_terms(), label="terms") for _ in range(n_scen)]
    else:
        terms = data.draw(_terms(), label="terms")
    rates = data.draw(
        st.one_of(st.none(), st.lists(st.floats(-0.5, 1.0), min_size=n_scen, max_size=n_scen)), label="rates"
    )
    assume(not (rates is not None and values.ndim != 2))
    batch = xlspv.waterfall_batch(values, dates, terms, deemed_rates=rates)
    for s in range(n_scen):
        t = terms[s] if per_scenario_terms else terms
        if rates is not None:
            t = t.with_rate(rates[s])
        d = dates[s] if per_scenario_dates else dates
        w = xlspv.compute(values[s].tolist(), d, t)
        scale = max(1.0, float(np.abs(values[s]).sum()))
        for name in ("japan", "us", "interest", "balance"):
            np.testing.assert_allclose(
                getattr(batch, name)[s], getattr(w, name), rtol=1e-12, atol=1e-12 * scale, err_msg=name
            )
        np.testing.assert_allclose(batch.partner[s], w.partner, rtol=1e-12, atol=1e-12 * scale)
        assert TIER_NAMES[batch.tier[s]].tolist() == w.tiers.tolist()
        expected_day = -1 if w.threshold_date is None else w.threshold_date.toordinal()
        assert int(batch.threshold_days[s]) == expected_day


# --- an independent plain reading of the spec, as an oracle --------------------------------------------


def _last_day_of_month(d: dt.date) -> bool:
    return (d + dt.timedelta(days=1)).month != d.month


def _days360(a: dt.date, b: dt.date) -> int:
    """Excel's DAYS360(a, b, FALSE) as the spec words it."""
    d1 = 30 if _last_day_of_month(a) else a.day
    d2 = 30 if (b.day == 31 and d1 == 30) else b.day
    return 360 * (b.year - a.year) + 30 * (b.month - a.month) + (d2 - d1)


def _year_fraction(day_count: str, a: dt.date, b: dt.date) -> float:
    if day_count == "30/360":
        return _days360(a, b) / 360
    return (b - a).days / (365 if day_count == "ACT/365F" else 360)


_PERIODS = {"annual": 1, "semiannual": 2, "quarterly": 4, "monthly": 12}


def _reference(values, dates, rates, before, after, day_count, compounding):
    """The rule, event by event, in plain Python; ``rates`` is [(effective date, rate)], sorted."""
    n = len(values)
    order = sorted(range(n), key=lambda i: (dates[i], i))
    principal = accrued = 0.0
    out = {k: [0.0] * n for k in ("japan", "us", "interest", "balance")}
    tier = [""] * n
    prev = None
    for i in order:
        grown = 0.0
        cleared = False
        if prev is not None and dates[i] > prev and principal + accrued > 0:
            cuts = [prev] + [d for d, _ in rates if prev < d < dates[i]] + [dates[i]]
            for a, b in zip(cuts, cuts[1:], strict=False):
                r = [rate for d, rate in rates if d <= a][-1]
                t = _year_fraction(day_count, a, b)
                if compounding == "simple":
                    grown += principal * r * t
                else:
                    factor = (
                        np.exp(r * t)
                        if compounding == "continuous"
                        else ((1 + r / _PERIODS[compounding]) ** (_PERIODS[compounding] * t))
                    )
                    step = (principal + grown) * (factor - 1)
                    grown += step
            if compounding == "simple" and grown < 0 and principal + accrued + grown <= 0:
                # docs/waterfall.md, section 13: simple interest at a negative rate stops the balance
                # at 0 (never below), and that row is the threshold row
                grown = -(principal + accrued)
                principal = accrued = 0.0
                cleared = True
            elif compounding == "simple":
                accrued += grown
            else:
                principal += grown
        out["interest"][i] = grown
        prev = dates[i]
        c = values[i]
        owed = principal + accrued
        if c < 0:
            principal += -c
            tier[i] = "funding"
        elif owed > 0 and before * c < owed:
            paid = before * c
            from_interest = min(paid, accrued)
            accrued -= from_interest
            principal -= paid - from_interest
            out["japan"][i], out["us"][i], tier[i] = paid, c - paid, "before"
        elif owed > 0:
            paid = owed + after * (c - owed / before)
            principal = accrued = 0.0
            out["japan"][i], out["us"][i], tier[i] = paid, c - paid, "threshold"
        else:
            out["japan"][i], out["us"][i] = after * c, c - after * c
            tier[i] = "threshold" if cleared else "after"
        out["balance"][i] = principal + accrued
    return out, tier


_MONTH_ENDS = [
    dt.date(y, m, 1) - dt.timedelta(days=1) for y in (2024, 2025, 2026, 2027, 2028) for m in range(1, 13)
]
_date = st.one_of(
    st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2031, 12, 31)), st.sampled_from(_MONTH_ENDS)
)


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.tuples(_value, _date), min_size=1, max_size=10),
    rate_rows=st.lists(
        st.tuples(_date, st.floats(min_value=-0.2, max_value=0.6)),
        min_size=1,
        max_size=3,
        unique_by=lambda r: r[0],
    ),
    before=st.floats(min_value=0.05, max_value=1.0),
    after=_share,
    day_count=st.sampled_from(["ACT/365F", "ACT/360", "30/360"]),
    compounding=st.sampled_from(["annual", "semiannual", "quarterly", "monthly", "continuous", "simple"]),
    flat=st.booleans(),
)
def test_matches_a_plain_reading_of_the_spec(rows, rate_rows, before, after, day_count, compounding, flat):
    values = [v for v, _ in rows]
    dates = [d for _, d in rows]
    rate_rows = sorted(rate_rows)
    rate_rows[0] = (min(rate_rows[0][0], min(dates)), rate_rows[0][1])  # the schedule covers the first row
    if flat:
        rate_rows = [(min(dates), rate_rows[0][1])]
    deemed = rate_rows[0][1] if flat else rate_rows
    terms = Terms(
        deemed,
        japan_share_before=before,
        japan_share_after=after,
        day_count=day_count,
        compounding=compounding,
    )
    expected, tiers = _reference(values, dates, rate_rows, before, after, day_count, compounding)
    w = xlspv.compute(values, dates, terms)
    scale = max(1.0, sum(abs(v) for v in values))
    for name in ("japan", "us", "interest", "balance"):
        np.testing.assert_allclose(
            getattr(w, name), expected[name], rtol=1e-9, atol=1e-9 * scale, err_msg=name
        )
    assert w.tiers.tolist() == tiers

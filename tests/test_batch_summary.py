"""Summary mode (:func:`xlspv.waterfall_summary`) gives exactly the figures of the full batch and of the
single-SPV path, on every input form, in chunks and on any number of threads.

The expected values here are the other paths' own outputs: the rule itself is pinned by the known
values of ``test_waterfall.py``; what this module pins is that the three paths agree to the last bit
(``assert_array_equal``, not a tolerance), which holds because they share one compiled rule, one
accrual computation and numpy's own summation order.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xlspv
from xlspv import RateScheduleError, SpvInputError, Terms, TermsError
from xlspv.terms import RateSchedule

D = dt.date
EQ = np.testing.assert_array_equal


def _monthly(n: int, start: str = "2026-01") -> np.ndarray:
    months = np.arange(np.datetime64(start, "M"), np.datetime64(start, "M") + n)
    return (months + 1).astype("datetime64[D]") - 1  # month ends: spans of 28 to 31 days


def _scenarios(n_scen: int, n_rows: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scale = rng.uniform(0.2, 20.0, size=(n_scen, 1)) * 1200 / n_rows  # some recover, some never do
    v = rng.uniform(0, 1, size=(n_scen, n_rows)) * scale * (rng.random((n_scen, n_rows)) < 0.8)
    v[:, : max(1, n_rows // 10)] = -rng.uniform(50, 150, size=(n_scen, max(1, n_rows // 10)))
    v[:, n_rows // 2] -= rng.uniform(0, 100, size=n_scen) * (rng.random(n_scen) < 0.3)  # a late funding
    return v


def _assert_summary_equals_batch(summary, batch, positions=None):
    EQ(summary.unrecovered, batch.unrecovered)
    EQ(summary.japan_received, batch.japan.sum(axis=1))
    EQ(summary.us_received, batch.us.sum(axis=1))
    EQ(summary.threshold_days, batch.threshold_days)
    if positions is not None:
        EQ(summary.balance_at, batch.balance[:, positions])


def _assert_summary_equals_single(summary, s, values, dates, terms):
    w = xlspv.compute(values, dates, terms)
    one = w.summary()
    assert summary.unrecovered[s] == one.unrecovered
    assert summary.japan_received[s] == one.japan_received
    assert summary.us_received[s] == one.us_received
    assert summary.japan_funded[s] == one.japan_funded
    assert summary.threshold_row[s] == (-1 if w.threshold_row is None else w.threshold_row)
    if summary.xirr_japan is not None:
        assert (math.isnan(summary.xirr_japan[s]) and one.xirr_japan is None) or (
            summary.xirr_japan[s] == one.xirr_japan
        )


def test_summary_equals_full_batch_shared_terms_and_dates():
    values, dates = _scenarios(300, 120), _monthly(120)
    terms = Terms(0.06, partner_share=0.2)
    positions = [0, 11, 59, -1]
    summary = xlspv.waterfall_summary(values, dates, terms, xirr=True, balance_at=positions)
    batch = xlspv.waterfall_batch(values, dates, terms)
    _assert_summary_equals_batch(summary, batch, positions)
    EQ(summary.xirr_japan, batch.xirr("japan"))
    EQ(summary.japan_funded, [-row[row < 0].sum() for row in values])
    assert (summary.threshold_row >= 0).any() and (summary.threshold_row < 0).any()
    for s in (0, 1, 7):
        _assert_summary_equals_single(summary, s, values[s], dates, terms)


@pytest.mark.parametrize(
    "terms",
    [Terms(0.1), Terms(0.1, compounding="simple", day_count="30/360"), Terms(0.1, compounding="monthly")],
    ids=["annual", "simple_30_360", "monthly"],
)
def test_summary_flat_rate_per_scenario_equals_batch_and_single(terms):
    values, dates = _scenarios(1, 60)[0], _monthly(60)
    rates = np.linspace(-0.5, 2.0, 97)
    summary = xlspv.waterfall_summary(values, dates, terms, deemed_rates=rates, xirr=True, balance_at=[30])
    batch = xlspv.waterfall_batch(values, dates, terms, deemed_rates=rates)
    _assert_summary_equals_batch(summary, batch, [30])
    for s in (0, 40, 96):
        _assert_summary_equals_single(summary, s, values, dates, terms.with_rate(float(rates[s])))


@pytest.mark.parametrize("compounding", ["annual", "semiannual", "continuous", "simple"])
def test_summary_rate_path_equals_batch_and_rate_schedule(compounding):
    # a rate reset every six months from before the first row (the Monte Carlo form)
    n_scen, n_rows = 130, 96
    values, dates = _scenarios(n_scen, n_rows, seed=11), _monthly(n_rows, "2026-03")
    resets = np.arange(np.datetime64("2026-01"), np.datetime64("2035-01"), 6).astype("datetime64[D]")
    rng = np.random.default_rng(5)
    paths = np.clip(0.04 + np.cumsum(rng.normal(0, 0.01, size=(n_scen, resets.size)), axis=1), -0.5, None)
    terms = Terms(0.05, compounding=compounding, day_count="ACT/360")
    summary = xlspv.waterfall_summary(
        values, dates, terms, deemed_rates=paths, rate_dates=resets, xirr=True, balance_at=[12, 50]
    )
    batch = xlspv.waterfall_batch(values, dates, terms, deemed_rates=paths, rate_dates=resets)
    _assert_summary_equals_batch(summary, batch, [12, 50])
    for s in (0, 64, 129):
        schedule = RateSchedule.from_rows(zip(resets.tolist(), paths[s].tolist(), strict=True))
        _assert_summary_equals_single(summary, s, values[s], dates, terms.with_rate(schedule))
        EQ(batch.balance[s], xlspv.compute(values[s], dates, terms.with_rate(schedule)).balance)


def test_summary_per_scenario_dates_out_of_order_equals_batch():
    n_scen, n_rows = 90, 40
    rng = np.random.default_rng(8)
    values = _scenarios(n_scen, n_rows, seed=2)
    offsets = rng.integers(0, 4000, size=(n_scen, n_rows))
    dates = np.datetime64("2025-01-01") + offsets.astype("timedelta64[D]")  # rows in any order
    terms = Terms(0.08, day_count="30/360")
    summary = xlspv.waterfall_summary(values, dates, terms, xirr=True, balance_at=[3, 39], chunk=16)
    batch = xlspv.waterfall_batch(values, dates, terms)
    EQ(summary.unrecovered, batch.unrecovered)
    EQ(summary.threshold_days, batch.threshold_days)
    EQ(summary.balance_at, batch.balance[:, [3, 39]])
    EQ(summary.xirr_japan, batch.xirr("japan"))
    order = np.argsort(dates, axis=1, kind="stable")  # totals are summed in date order
    sorted_japan = np.take_along_axis(batch.japan, order, axis=1)
    EQ(summary.japan_received, sorted_japan.sum(axis=1))
    for s in (0, 45, 89):
        w = xlspv.compute(values[s], dates[s], terms)
        assert summary.threshold_row[s] == (-1 if w.threshold_row is None else w.threshold_row)


def test_summary_per_scenario_terms_with_their_own_schedules_equals_batch():
    dates = _monthly(48)
    values = _scenarios(6, 48, seed=4)
    terms = [
        Terms(0.1),
        Terms(0.05, compounding="quarterly", day_count="ACT/360", japan_share_before=0.7),
        Terms([(D(2025, 1, 1), 0.04), (D(2027, 6, 30), 0.09)], compounding="simple"),
        Terms([(D(2026, 1, 1), 0.02), (D(2026, 7, 1), 0.2)], day_count="30/360"),
        Terms(0.2, compounding="continuous", japan_share_after=0.3),
        Terms(0.1),
    ]
    summary = xlspv.waterfall_summary(values, dates, terms, xirr=True, balance_at=[20])
    batch = xlspv.waterfall_batch(values, dates, terms)
    _assert_summary_equals_batch(summary, batch, [20])
    for s in range(6):
        _assert_summary_equals_single(summary, s, values[s], dates, terms[s])


def test_summary_is_the_same_in_any_chunks_and_on_any_threads():
    values, dates = _scenarios(500, 60, seed=9), _monthly(60)
    rates = np.random.default_rng(1).uniform(0.0, 0.2, size=(500, 6))
    resets = np.arange(np.datetime64("2025-12"), np.datetime64("2031-01"), 12).astype("datetime64[D]")
    base = xlspv.waterfall_summary(
        values, dates, Terms(0.1), deemed_rates=rates, rate_dates=resets, xirr=True, threads=1
    )
    for chunk, threads in [(1, 2), (64, 2), (77, 1), (10_000, 2)]:
        other = xlspv.waterfall_summary(
            values,
            dates,
            Terms(0.1),
            deemed_rates=rates,
            rate_dates=resets,
            xirr=True,
            chunk=chunk,
            threads=threads,
        )
        for field in (
            "threshold_row",
            "threshold_days",
            "unrecovered",
            "japan_received",
            "us_received",
            "japan_funded",
            "xirr_japan",
        ):
            EQ(getattr(other, field), getattr(base, field), err_msg=f"{field} chunk={chunk}")


@pytest.mark.parametrize("per_scenario_dates", [False, True], ids=["one-pass", "chunked"])
def test_summary_on_default_threads_probes_and_gives_the_one_thread_result(per_scenario_dates, monkeypatch):
    """From PROBE_FROM scenarios the default times threaded and one-thread probes: same numbers."""
    from xlspv import batch
    from xlspv._jit import default_threads

    if default_threads() < 2:
        pytest.skip("one thread only: nothing to choose between")
    monkeypatch.setattr(batch, "PROBE_FROM", 512)  # probes of whole blocks on a small, quick case
    values, dates = _scenarios(1_500, 24, seed=5), _monthly(24)
    if per_scenario_dates:
        dates = np.broadcast_to(dates, values.shape).copy()
    seen = []
    for name in ("_summary_serial", "_summary_parallel"):
        kernel = getattr(batch, name)
        monkeypatch.setattr(batch, name, lambda *a, _k=kernel, _n=name: seen.append(_n) or _k(*a))
    chunk = 300 if per_scenario_dates else None
    default = xlspv.waterfall_summary(values, dates, Terms(0.05), xirr=True, chunk=chunk)
    assert seen[:4] == ["_summary_parallel", "_summary_serial"] * 2  # the probes, alternating
    assert len(seen) > 4 and seen[4] in ("_summary_parallel", "_summary_serial")  # then the faster
    one = xlspv.waterfall_summary(values, dates, Terms(0.05), xirr=True, threads=1)
    for field in (
        "threshold_row",
        "threshold_days",
        "unrecovered",
        "japan_received",
        "us_received",
        "japan_funded",
        "xirr_japan",
    ):
        EQ(getattr(default, field), getattr(one, field), err_msg=field)


def test_summary_threshold_dates_are_nat_where_not_reached():
    s = xlspv.waterfall_summary(
        [-100, 60, 200], [D(2025, 1, 1), D(2026, 1, 1), D(2027, 1, 1)], Terms(0.1), deemed_rates=[0.1, 0.4]
    )
    assert s.threshold_dates[0] == np.datetime64("2027-01-01")
    assert np.isnat(s.threshold_dates[1])
    assert s.xirr_japan is None and s.balance_at is None


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"balance_at": [3]}, SpvInputError, ["balance_at", "-3", "2"]),
        ({"balance_at": [0.5]}, SpvInputError, ["balance_at"]),
        ({"rate_dates": ["2025-01-01"]}, TermsError, ["rate_dates", "deemed_rates"]),
        ({"deemed_rates": [[0.1, 0.2]]}, TermsError, ["rate_dates"]),
        (
            {"deemed_rates": [[0.1, 0.2]], "rate_dates": np.array(["2025-06-01", "2026-01-01"], "M8[D]")},
            RateScheduleError,
            ["rate_dates", "2025-06-01", "2025-01-01"],
        ),
        (
            {"deemed_rates": [[0.1, 0.2]], "rate_dates": np.array(["2026-01-01", "2025-01-01"], "M8[D]")},
            TermsError,
            ["rate_dates", "increase"],
        ),
        ({"deemed_rates": [0.1, -1.0]}, TermsError, ["deemed_rates"]),
        ({"chunk": 0}, SpvInputError, ["chunk"]),
        ({"threads": 0}, SpvInputError, ["threads"]),
    ],
    ids=[
        "position_past_end",
        "position_not_whole",
        "dates_without_rates",
        "path_without_dates",
        "path_starts_late",
        "path_dates_unsorted",
        "rate_minus_100pct",
        "chunk_zero",
        "threads_zero",
    ],
)
def test_summary_bad_arguments_name_the_argument(kwargs, error, words):
    with pytest.raises(error) as info:
        xlspv.waterfall_summary(
            [-100, 60, 200], [D(2025, 1, 1), D(2026, 1, 1), D(2027, 1, 1)], Terms(0.1), **kwargs
        )
    for word in words:
        assert word in str(info.value)


# ---- the summary kernel's fast paths (xlspv/summary_kernel.py) against the general paths ---------------

_COMPOUNDINGS = ["annual", "semiannual", "monthly", "continuous", "simple"]
_DAY_COUNTS = ["ACT/365F", "ACT/360", "30/360"]


def _random_terms(rng: np.random.Generator) -> Terms:
    return Terms(
        float(rng.uniform(-0.3, 0.6)),
        compounding=str(rng.choice(_COMPOUNDINGS)),
        day_count=str(rng.choice(_DAY_COUNTS)),
        japan_share_before=float(rng.uniform(0.05, 1.0)),
        japan_share_after=float(rng.uniform(0.0, 1.0)),
    )


def _random_case(rng: np.random.Generator, n_scen: int, n_rows: int, dates_kind: str):
    """Values with fundings and distributions anywhere (and zeros), dates of the kind asked for."""
    v = rng.uniform(-150, 150, size=(n_scen, n_rows)) * (rng.random((n_scen, n_rows)) < 0.9)
    v[:, 0] = -rng.uniform(1, 200, size=n_scen)
    if dates_kind == "monthly":  # four distinct spans: every span from the look-up table
        dates = _monthly(n_rows)
    else:  # daily gaps of 0 to 400 days: more distinct spans than the table holds, and repeated dates
        gaps = rng.integers(0, 400, size=n_rows) * (rng.random(n_rows) < 0.95)
        dates = np.datetime64("2024-02-29") + np.cumsum(gaps).astype("timedelta64[D]")
    return v, dates


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_scen=st.integers(1, 11),
    n_rows=st.integers(1, 140),
    form=st.sampled_from(["shared_terms", "flat_rates", "shared_values", "terms_each", "rate_paths"]),
    dates_kind=st.sampled_from(["monthly", "daily"]),
)
def test_summary_fast_paths_equal_the_full_batch(seed, n_scen, n_rows, form, dates_kind):
    """Four scenarios interleaved (and a last group that repeats one), growth from the distinct
    spans, totals summed blockwise: every figure equals the full batch's bitwise, on any form."""
    rng = np.random.default_rng(seed)
    values, dates = _random_case(rng, n_scen, n_rows, dates_kind)
    terms = _random_terms(rng)
    kwargs: dict = {}
    if form in ("flat_rates", "shared_values"):
        kwargs["deemed_rates"] = rng.uniform(-0.4, 0.8, size=n_scen)
        values = values[0] if form == "shared_values" else values
    elif form == "terms_each":
        terms = [_random_terms(rng) for _ in range(n_scen)]
    elif form == "rate_paths":
        first = dates[0] - np.timedelta64(int(rng.integers(0, 90)), "D")
        kwargs["rate_dates"] = first + np.cumsum(rng.integers(1, 200, size=5)).astype("timedelta64[D]")
        kwargs["rate_dates"][0] = first
        kwargs["deemed_rates"] = rng.uniform(-0.4, 0.8, size=(n_scen, 5))
    positions = [0, n_rows // 2, -1]
    summary = xlspv.waterfall_summary(values, dates, terms, balance_at=positions, **kwargs)
    batch = xlspv.waterfall_batch(values, dates, terms, **kwargs)
    _assert_summary_equals_batch(summary, batch, positions)
    threshold_rows = np.where(batch.threshold_days >= 0, summary.threshold_row, -1)
    EQ(summary.threshold_row, threshold_rows)
    EQ(summary.japan_funded, [-row[row < 0].sum() for row in np.broadcast_to(values, batch.values.shape)])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_rows=st.integers(2, 300), changes=st.integers(0, 6))
def test_growth_from_distinct_spans_equals_growth_row(seed, n_rows, changes):
    """plan_keys + _growth_keyed give accrual.growth_row's numbers bitwise (one-piece spans from the
    table, spans split at rate changes and spans past the table computed row by row)."""
    from xlspv.accrual import growth_row, plan
    from xlspv.batch import SPAN_KEYS
    from xlspv.summary_kernel import _growth_keyed, plan_keys

    rng = np.random.default_rng(seed)
    days = 740_000 + np.cumsum(rng.integers(0, 60, size=(3, n_rows)), axis=1)
    path = None
    if changes:
        path = np.sort(rng.choice(np.arange(days.min() - 30, days.max() + 30), changes, replace=False))
        path[0] = days.min() - 1
    p = plan(str(rng.choice(_DAY_COUNTS)), days, path)
    g, n = p.ends.shape
    keys, key_n = np.empty((g, n), dtype=np.int64), np.empty((g, 2), dtype=np.int64)
    key_f, key_p = np.empty((g, SPAN_KEYS)), np.empty((g, SPAN_KEYS), dtype=np.int64)
    plan_keys(p.fractions, p.period, p.ends, keys, key_f, key_p, key_n)
    annual = rng.uniform(-0.5, 0.9, size=(5, max(1, changes)))
    simple = np.array([False, True, False, True, False])
    got, want = np.empty(n), np.empty(n)
    for s in range(5):
        _growth_keyed(
            s,
            p.fractions,
            p.period,
            p.ends,
            annual,
            simple,
            keys,
            key_f,
            key_p,
            key_n,
            np.empty(SPAN_KEYS),
            got,
        )
        growth_row(p.fractions[s % g], p.period[s % g], p.ends[s % g], annual[s], simple[s], want)
        EQ(got, want)


@pytest.mark.parametrize("n", [1, 7, 8, 9, 127, 128, 129, 255, 480, 1000, 4097])
def test_blockwise_totals_equal_numpys_sums(n):
    """sum_tree's plan with _block_sums_paid sums Japan's and the US's parts as numpy's sum does."""
    from xlspv.summary_kernel import _block_sums_paid, _tree_sum, sum_tree

    rng = np.random.default_rng(n)
    v = rng.uniform(-1e3, 1e3, size=n) * (rng.random(n) < 0.9)
    japan = np.where(v > 0, v * rng.uniform(0, 1, size=n), 0.0)
    size = n // 32 + 2
    blocks_lo, blocks_n = np.empty(size, dtype=np.int64), np.empty(size, dtype=np.int64)
    ops = np.empty(2 * size, dtype=np.int64)
    n_blocks, n_ops = sum_tree(n, blocks_lo, blocks_n, ops)
    sums = [_block_sums_paid(v, japan, blocks_lo[k], blocks_n[k]) for k in range(n_blocks)]
    stack = np.empty(max(64, size))
    assert _tree_sum(ops, n_ops, np.array([a for a, _ in sums]), stack) == japan.sum()
    assert (
        _tree_sum(ops, n_ops, np.array([b for _, b in sums]), stack) == np.where(v > 0, v - japan, 0.0).sum()
    )


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("form", ["per_scenario", "shared", "per_scenario_dates"])
def test_summary_refuses_values_that_are_not_finite(bad, form):
    """The kernel checks the values as it reads them (no separate pass): same message as before."""
    values, dates = _scenarios(70, 24, seed=1), _monthly(24)
    kwargs: dict = {}
    if form == "shared":
        values, kwargs = values[0], {"deemed_rates": np.linspace(0, 0.1, 70)}
    elif form == "per_scenario_dates":
        dates = np.broadcast_to(dates, values.shape)
    values = values.copy()
    values[..., 13] = bad
    with pytest.raises(SpvInputError, match="values: every value must be a finite number"):
        xlspv.waterfall_summary(values, dates, Terms(0.05), xirr=True, **kwargs)


@pytest.mark.parametrize("threads", [1, 2])
def test_summary_blocks_with_a_short_last_group_equal_the_full_batch(threads):
    """133 scenarios: two full blocks of 64 and one of 5, whose last group of four lanes repeats its
    last scenario; on one thread and on two, every figure is the full batch's."""
    rng = np.random.default_rng(133)
    values, dates = _random_case(rng, 133, 90, "daily")
    terms = [_random_terms(rng) for _ in range(133)]
    summary = xlspv.waterfall_summary(values, dates, terms, balance_at=[5, -1], xirr=True, threads=threads)
    batch = xlspv.waterfall_batch(values, dates, terms)
    _assert_summary_equals_batch(summary, batch, [5, -1])
    EQ(summary.xirr_japan, batch.xirr("japan"))


def test_no_total_is_ever_inf_and_zero_scenarios_give_empty_figures():
    """Two distributions of 1e308 add up past a float: the US's total would be inf, and is refused as
    every other overflowing total is; no scenarios give empty figures as ``waterfall_batch`` does
    (both found by review: an inf ``us_received``, and a message about a ``chunk`` never given)."""
    days = np.array(["2025-01-01", "2026-01-01", "2027-01-01"], dtype="datetime64[D]")
    with pytest.raises(SpvInputError, match="overflows"):
        xlspv.waterfall_summary(np.array([[-1.0, 1e308, 1e308]]), days, Terms(0.05))
    empty = xlspv.waterfall_summary(np.zeros((0, 3)), days, Terms(0.05))
    assert empty.unrecovered.shape == (0,) and empty.threshold_days.shape == (0,)

"""The sensitivity grid on the summary pass, against the block path it replaced.

The grid used to run, per grid point and block of SPVs, a full :func:`xlspv.waterfall_batch` and then
``party_flows("japan")``, :func:`xlspv.xirr_many`, ``japan.sum`` and :func:`add_by_day`. It now runs
:func:`xlspv.waterfall_summary` with ``xirr=True`` and ``day_sums=`` (Japan's flows summed by day in
the same pass). The reference below is that block path, kept here as it was. Per SPV the XIRR and the
threshold are the same bits (the same rule, the same XIRR search on the same flows), the day sums too
(added in the same order: SPV by SPV, each SPV's rows on one date in input order), so the program's
XIRR is the same bits. Japan's receipts are the same bits where an SPV's rows are in date order (the
usual file); where they are not, the summary adds them in date order (numpy's pairwise order over the
date-ordered rows), so they may differ in the last bits: compared there to 1e-14 relative.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xlspv
from xlspv import Terms
from xlspv.dates import to_datetime64, years_of
from xlspv.errors import SpvInputError
from xlspv.portfolio import Portfolio, analyse, sensitivity
from xlspv.portfolio.sensitivity import _GridTerms, day_span
from xlspv.summary_kernel import add_by_day
from xlspv.xirr import xirr_many

EQ = np.testing.assert_array_equal


def _reference(p: Portfolio, terms: Terms, rates: list[float], scales: list[float], max_cells: int) -> dict:
    """The block path as ``sensitivity`` ran it before the summary pass (no reuse of a known point)."""
    values, days = p.padded
    n, width = values.shape
    rate_grid = np.asarray(rates, dtype=np.float64)
    grid = _GridTerms.of(p.terms_for(terms), rate_grid)
    n_r, n_grid = len(rates), len(rates) * len(scales)
    xirr, received = np.empty((n_grid, n)), np.empty((n_grid, n))
    threshold = np.empty((n_grid, n), dtype=np.int64)
    first, unique = day_span(days)
    sums = np.zeros((n_grid, int(unique[-1]) - first + 1))
    dates64 = to_datetime64(days)
    block = max(1, max_cells // width)
    for g in range(n_grid):
        r_j, scale = g % n_r, float(scales[g // n_r])
        for lo in range(0, n, block):
            hi = min(n, lo + block)
            vals = values[lo:hi]
            if scale != 1.0:
                vals = np.where(vals > 0.0, vals * scale, vals)
            terms_arg, rates_arg = grid.for_block(r_j, lo, hi)
            batch = xlspv.waterfall_batch(vals, dates64[lo:hi], terms_arg, deemed_rates=rates_arg)
            flows = batch.party_flows("japan")
            xirr[g, lo:hi] = xirr_many(flows, days[lo:hi])
            threshold[g, lo:hi] = batch.threshold_days
            received[g, lo:hi] = batch.japan.sum(axis=1)
            add_by_day(sums[g], days[lo:hi], first, flows)
    shape = (len(scales), n_r, n)
    year = np.full(threshold.shape, np.nan)
    year[threshold >= 0] = years_of(threshold[threshold >= 0])
    per_spv = lambda a: np.moveaxis(a.reshape(shape), 2, 0)  # noqa: E731
    return {
        "xirr": per_spv(xirr),
        "year": per_spv(year),
        "received": per_spv(received),
        "program_xirr": xirr_many(sums[:, unique - first], unique[None, :]).reshape(shape[:2]),
        "reached": (threshold >= 0).sum(axis=1).reshape(shape[:2]),
    }


def _program(seed: int, n_spvs: int, *, own_terms: bool, shuffle: bool) -> Portfolio:
    """SPVs of 1 to 30 rows of irregular dates (short schedules padded; fundings first, some later,
    zeros, repeated dates), rows shuffled within and across SPVs if asked; with ``own_terms`` some SPVs
    carry their own deemed rate, shares, compounding, day count and partner share."""
    rng = np.random.default_rng(seed)
    spvs, ids, dates, values = [], [], [], []
    for i in range(n_spvs):
        spv: dict = {"id": f"S{i}", "name": f"N{i}", "sector": "energy", "notice_date": dt.date(2025, 1, 1)}
        spv["committed"] = 1
        if own_terms and rng.random() < 0.5:
            spv["deemed_rate"] = float(rng.choice([0.0, 0.03, 0.08]))
            spv["japan_share_before"] = float(rng.choice([0.5, 0.6]))
            spv["japan_share_after"] = float(rng.choice([0.1, 0.2]))
            spv["compounding"] = str(rng.choice(["annual", "monthly", "simple"]))
            spv["day_count"] = str(rng.choice(["ACT/365F", "30/360"]))
            spv["partner_share"] = float(rng.choice([0.0, 0.25]))
        spvs.append(spv)
        n = int(rng.integers(1, 31))
        start = np.datetime64("2025-03-31") + int(rng.integers(0, 700))
        days = start + np.sort(rng.integers(0, 40 * n, size=n) * (rng.random(n) < 0.9))
        v = rng.uniform(0.5, 3.0, size=n).round(2) * (rng.random(n) < 0.93)
        v[: max(1, n // 4)] *= -4
        v[rng.random(n) < 0.08] *= -1
        ids += [spv["id"]] * n
        dates += [d.item() for d in np.sort(days)]
        values += v.tolist()
    order = rng.permutation(len(ids)) if shuffle else np.arange(len(ids))
    flows = {"spv_id": [ids[k] for k in order], "date": [dates[k] for k in order]}
    flows["value"] = [values[k] for k in order]
    return Portfolio.from_tables(spvs, flows, terms=Terms(0.05))


def _assert_same(result, old, p: Portfolio) -> None:
    EQ(result.xirr_japan, old["xirr"])
    EQ(result.threshold_year, old["year"])
    EQ(result.program_xirr_japan, old["program_xirr"])
    EQ(result.program_reached, old["reached"])
    sorted_rows = (np.diff(p.padded[1], axis=1) >= 0).all(axis=1)
    EQ(result.japan_received[sorted_rows], old["received"][sorted_rows])
    np.testing.assert_allclose(result.japan_received, old["received"], rtol=1e-14, atol=0)
    program = old["received"].sum(axis=0)
    np.testing.assert_allclose(result.program_japan_received, program, rtol=1e-14, atol=0)
    if sorted_rows.all():
        EQ(result.program_japan_received, program)


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_spvs=st.integers(1, 70),
    own_terms=st.booleans(),
    shuffle=st.booleans(),
    scales=st.sampled_from([[1.0], [0.7, 1.0], [1.3], [0.0, 1.0, 2.5]]),
    max_cells=st.sampled_from([90, 600, 1_000_000]),
)
def test_the_sensitivity_equals_the_block_path(seed, n_spvs, own_terms, shuffle, scales, max_cells):
    """Random programs (padded short schedules, per-SPV terms, scales, blocks of any size): the
    summary pass gives the block path's figures (see the module's note for the receipts)."""
    p = _program(seed, n_spvs, own_terms=own_terms, shuffle=shuffle)
    rates = [0.0, 0.05, 0.11]
    old = _reference(p, Terms(0.05), rates, scales, max_cells)
    _assert_same(sensitivity(p, Terms(0.05), rates, scales, max_cells=max_cells), old, p)


@pytest.mark.parametrize("own_terms", [False, True], ids=["shared-terms", "own-terms"])
def test_the_sensitivity_reusing_the_programs_point_equals_the_block_path(own_terms):
    """Through ``analyse`` (the default-rate point reused from the program view) on 100 SPVs: the
    summary runs on threads (64 SPVs and more) and the figures are the block path's."""
    p = _program(11, 100, own_terms=own_terms, shuffle=True)
    rates, scales = [0.03, 0.05, 0.07], [0.8, 1.0]
    old = _reference(p, Terms(0.05), rates, scales, 1_000_000)
    result = analyse(p, Terms(0.05), rates=rates, scales=scales).sensitivity
    assert result is not None
    _assert_same(result, old, p)


# ---- waterfall_summary(day_sums=...) against add_by_day of the full batch's flows ------------------


def _case(seed: int, n_scen: int, n_rows: int, *, unsorted: bool):
    rng = np.random.default_rng(seed)
    values = rng.uniform(-100, 150, size=(n_scen, n_rows)) * (rng.random((n_scen, n_rows)) < 0.9)
    values[:, 0] = -rng.uniform(1, 200, size=n_scen)
    gaps = rng.integers(0, 60, size=(n_scen, n_rows)) * (rng.random((n_scen, n_rows)) < 0.9)
    days = np.datetime64("2024-02-29") + rng.integers(0, 300, size=(n_scen, 1)) + np.cumsum(gaps, axis=1)
    if unsorted:  # some scenarios' rows out of date order (repeated dates among them)
        for s in range(0, n_scen, 3):
            days[s] = rng.permutation(days[s])
            values[s] = rng.permutation(values[s])
    return values, days.astype("datetime64[D]")


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_scen=st.integers(1, 200),
    n_rows=st.integers(1, 90),
    unsorted=st.booleans(),
    threads=st.sampled_from([1, None]),
    chunk=st.sampled_from([None, 5, 13, 64]),
    start=st.floats(0.0, 50.0),
)
def test_day_sums_equal_add_by_day_of_the_batch(seed, n_scen, n_rows, unsorted, threads, chunk, start):
    """The summary's day sums are the full batch's Japan flows added by :func:`add_by_day`, the same
    bits, on one thread and on many (64 scenarios and more run the threaded kernel), in any chunks;
    they are added into what the array already holds."""
    values, dates = _case(seed, n_scen, n_rows, unsorted=unsorted)
    terms = Terms(0.06, compounding="monthly", partner_share=0.3)
    batch = xlspv.waterfall_batch(values, dates, terms)
    ordinals = np.ascontiguousarray(np.broadcast_to(batch.days, batch.values.shape))
    first = int(ordinals.min()) - 2
    expected = np.full(int(ordinals.max()) - first + 3, start)
    add_by_day(expected, ordinals, first, batch.party_flows("japan"))
    got = np.full(expected.size, start)
    summary = xlspv.waterfall_summary(
        values, dates, terms, day_sums=got, first_day=first, threads=threads, chunk=chunk
    )
    EQ(got, expected)
    EQ(summary.threshold_days, batch.threshold_days)


@pytest.mark.parametrize("threads", [1, None])
def test_day_sums_on_shared_dates_and_shared_values(threads):
    """Shared dates with per-scenario rates (the kernel reads one row of days), and one shared
    schedule under many rates: the same bits as the batch's flows added by day."""
    values, dates = _case(3, 150, 40, unsorted=False)
    rates = np.linspace(-0.2, 0.4, 150)
    for vals in (values, values[0]):
        batch = xlspv.waterfall_batch(vals, dates[0], Terms(0.05), deemed_rates=rates)
        first = int(batch.days.min())
        expected = np.zeros(int(batch.days.max()) - first + 1)
        days = np.ascontiguousarray(np.broadcast_to(batch.days, batch.values.shape))
        add_by_day(expected, days, first, batch.party_flows("japan"))
        got = np.zeros_like(expected)
        xlspv.waterfall_summary(
            vals, dates[0], Terms(0.05), deemed_rates=rates, day_sums=got, first_day=first, threads=threads
        )
        EQ(got, expected)


def test_day_sums_worked_by_hand():
    """Japan funds 100, then 60 and 200 come back a year apart (the spec's worked example at 10%):
    Japan's flows are -100, 30 and 90.4; at 0%: -100, 30 and 76. Two scenarios added by day."""
    d = [dt.date(2025, 1, 1), dt.date(2026, 1, 1), dt.date(2027, 1, 1)]
    first = d[0].toordinal()
    sums = np.zeros(d[2].toordinal() - first + 1)
    xlspv.waterfall_summary(
        [-100, 60, 200], d, Terms(0.1), deemed_rates=[0.0, 0.1], day_sums=sums, first_day=first
    )
    at = [x.toordinal() - first for x in d]
    np.testing.assert_allclose(sums[at], [-200.0, 60.0, 166.4], rtol=1e-15)
    assert np.count_nonzero(sums) == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"day_sums": np.zeros(10, dtype=np.float32)}, "day_sums: give a writeable, contiguous 1-D float64"),
        ({"day_sums": np.zeros((2, 800))}, "day_sums: give a writeable, contiguous 1-D float64"),
        ({"day_sums": np.zeros(1600)[::2]}, "day_sums: give a writeable, contiguous 1-D float64"),
        ({"day_sums": [0.0] * 800}, "day_sums: give a writeable, contiguous 1-D float64"),
        ({"day_sums": np.zeros(800)}, "day_sums: the dates run from ordinal"),  # first_day 0
        ({"day_sums": np.zeros(10), "first_day": dt.date(2025, 1, 1).toordinal()}, "at least 731 entries"),
        ({"day_sums": np.zeros(800), "first_day": 2.5}, "first_day: 2.5 is not a day ordinal"),
    ],
)
def test_day_sums_refused_with_the_fix(kwargs, message):
    d = [dt.date(2025, 1, 1), dt.date(2026, 1, 1), dt.date(2027, 1, 1)]
    with pytest.raises(SpvInputError, match=message):
        xlspv.waterfall_summary([-100, 60, 200], d, Terms(0.1), deemed_rates=[0.0, 0.1], **kwargs)


# ---- the program view's batch on the summary pass (japan_rows=) ---------------------------------------


@pytest.mark.parametrize("seed", [21, 22, 23])
@pytest.mark.parametrize("own_terms", [False, True], ids=["shared-terms", "own-terms"])
def test_the_program_batch_equals_the_full_batch(seed, own_terms):
    """The program view's per-row payouts, threshold, unrecovered balance and partner shares are the
    full batch's bits (rows in and out of date order, per-SPV terms and partner shares; 100 SPVs run
    on threads)."""
    from xlspv.portfolio.analyse import _program_batch

    p = _program(seed, 100, own_terms=own_terms, shuffle=True)
    values, days = p.padded
    term_list = p.terms_for(Terms(0.05))
    first, unique = day_span(days)
    sums = np.zeros(int(unique[-1]) - first + 1)
    ours, japan_xirr = _program_batch(values, days, term_list, sums, first)
    full = xlspv.waterfall_batch(values, to_datetime64(days), term_list)
    for name in ("values", "days", "japan", "us", "threshold_days", "unrecovered", "partner_share"):
        EQ(getattr(ours, name), getattr(full, name))
    japan_flows = full.party_flows("japan")  # Japan's XIRR and day sums: what the program view took before
    EQ(japan_xirr, xlspv.xirr_many(japan_flows, np.broadcast_to(full.days, japan_flows.shape)))
    expected = np.zeros_like(sums)
    add_by_day(expected, days, first, japan_flows)
    EQ(sums, expected)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_scen=st.integers(1, 150),
    n_rows=st.integers(1, 60),
    unsorted=st.booleans(),
    shared=st.sampled_from(["none", "dates", "values"]),
    threads=st.sampled_from([1, None]),
    chunk=st.sampled_from([None, 7, 64]),
)
def test_japan_rows_equal_the_full_batch(seed, n_scen, n_rows, unsorted, shared, threads, chunk):
    """``japan_rows`` holds ``Batch.japan`` to the bit, in input order, on any form and thread count."""
    values, dates = _case(seed, n_scen, n_rows, unsorted=unsorted)
    kwargs: dict = {}
    if shared != "none":
        dates = dates[0]
        kwargs["deemed_rates"] = np.linspace(-0.1, 0.3, n_scen)
        values = values[0] if shared == "values" else values
    terms = Terms(0.06, japan_share_before=0.6, partner_share=0.2)
    full = xlspv.waterfall_batch(values, dates, terms, **kwargs)
    rows = np.full(full.japan.shape, np.nan)
    xlspv.waterfall_summary(values, dates, terms, japan_rows=rows, threads=threads, chunk=chunk, **kwargs)
    EQ(rows, full.japan)


@pytest.mark.parametrize(
    "rows",
    [np.zeros((2, 3), dtype=np.float32), np.zeros((3, 3)), np.zeros((2, 6))[:, ::2], [[0.0] * 3] * 2],
)
def test_japan_rows_refused_with_the_fix(rows):
    d = [dt.date(2025, 1, 1), dt.date(2026, 1, 1), dt.date(2027, 1, 1)]
    with pytest.raises(SpvInputError, match=r"japan_rows: give a contiguous float64 array shaped \(2, 3\)"):
        xlspv.waterfall_summary([-100, 60, 200], d, Terms(0.1), deemed_rates=[0.0, 0.1], japan_rows=rows)
    frozen = np.zeros((2, 3))
    frozen.flags.writeable = False
    with pytest.raises(SpvInputError, match="japan_rows: the array is read-only"):
        xlspv.waterfall_summary([-100, 60, 200], d, Terms(0.1), deemed_rates=[0.0, 0.1], japan_rows=frozen)


def test_no_scenarios_leave_the_day_sums_and_give_empty_rows():
    d = [dt.date(2025, 1, 1), dt.date(2026, 1, 1), dt.date(2027, 1, 1)]
    sums, rows = np.full(800, 1.5), np.empty((0, 3))
    xlspv.waterfall_summary(
        np.zeros((0, 3)), d, Terms(0.05), day_sums=sums, first_day=d[0].toordinal(), japan_rows=rows
    )
    EQ(sums, np.full(800, 1.5))


def test_day_sums_on_threads_keep_memory_bounded_with_shared_dates():
    """A deemed-rate grid (shared values and dates) is one range of scenarios; with ``day_sums`` on
    threads each scenario's flows wait in a chunk's scratch, so the range is cut to chunks of about
    32 MiB (review: 200,000 rates x 480 rows made an 810 MB scratch)."""
    import tracemalloc

    n = 480
    days = (np.datetime64("2025-01-31") + np.arange(n) * 30).astype("datetime64[D]")
    values = np.full(n, 5.0)
    values[:24] = -40.0
    rates = np.linspace(0.0, 0.1, 40_000)  # one scratch of every scenario: 154 MB
    first = dt.date(2025, 1, 31).toordinal()
    sums = np.zeros(n * 30 + 1)
    tracemalloc.start()
    try:
        xlspv.waterfall_summary(
            values, days, Terms(0.05), deemed_rates=rates, threads=2, day_sums=sums, first_day=first
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 80 * 2**20, peak
    expected = np.zeros_like(sums)
    batch = xlspv.waterfall_batch(values, days, Terms(0.05), deemed_rates=rates[:100])
    add_by_day(
        expected, np.broadcast_to(days.astype(np.int64) + 719163, (100, n)), first, batch.party_flows("japan")
    )
    part = np.zeros_like(sums)
    xlspv.waterfall_summary(
        values, days, Terms(0.05), deemed_rates=rates[:100], threads=2, day_sums=part, first_day=first
    )
    EQ(part, expected)


@pytest.mark.parametrize("threads", [1, 2])
def test_day_sums_are_unchanged_when_the_run_stops_with_an_error(threads):
    """The span is checked chunk by chunk: a later scenario's date outside it stops the run after
    earlier chunks were added; the caller's sums are put back as they were."""
    values, dates = _case(5, 100, 12, unsorted=False)
    dates = dates.copy()
    dates[70, -1] = np.datetime64("2090-01-01")  # past the sums' span
    first = int(dates[:69].astype(np.int64).min()) + 719163
    size = int(dates[:69].astype(np.int64).max()) + 719163 - first + 1
    sums = np.arange(size, dtype=np.float64)  # the caller's running totals
    with pytest.raises(SpvInputError, match=r"day_sums: the dates run from ordinal"):
        xlspv.waterfall_summary(
            values, dates, Terms(0.05), threads=threads, chunk=8, day_sums=sums, first_day=first
        )
    EQ(sums, np.arange(size, dtype=np.float64))


def test_the_day_sums_hint_counts_from_the_first_date_when_first_day_is_too_late():
    values, dates = _case(6, 3, 5, unsorted=False)
    ordinals = dates.astype(np.int64) + 719163
    lo, hi = int(ordinals.min()), int(ordinals.max())
    with pytest.raises(SpvInputError) as caught:
        xlspv.waterfall_summary(values, dates, Terms(0.05), day_sums=np.zeros(5000), first_day=lo + 1)
    assert f"give first_day <= {lo} and at least {hi - lo + 1} entries." in str(caught.value)

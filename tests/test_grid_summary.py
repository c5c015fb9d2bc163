"""Several flat deemed rates in one summary pass (:func:`xlspv.batch.waterfall_summary_grid`) against
one :func:`xlspv.waterfall_summary` call per rate, the form the sensitivity grid ran before.

The grid pass converts each chunk of scenarios and makes its accrual plan once, then runs the same
kernel at each rate with that rate's annual exponents, so every figure and every day sum must be the
per-rate call's to the last bit: compared with ``assert_array_equal`` (NaN equal to NaN), never a
tolerance.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xlspv
from xlspv import Terms
from xlspv.batch import waterfall_summary_grid
from xlspv.errors import SpvInputError, TermsError
from xlspv.portfolio import Portfolio, analyse, sensitivity

EQ = np.testing.assert_array_equal
FIELDS = ("threshold_row", "threshold_days", "unrecovered", "japan_received", "us_received", "japan_funded")


def _case(seed: int, n_scen: int, n_rows: int, *, unsorted: bool, shared_dates: bool):
    """Random schedules: fundings first, gaps of 0-59 days (repeated dates), some rows out of order."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(-100, 150, size=(n_scen, n_rows)) * (rng.random((n_scen, n_rows)) < 0.9)
    values[:, 0] = -rng.uniform(1, 200, size=n_scen)
    gaps = rng.integers(0, 60, size=(n_scen, n_rows)) * (rng.random((n_scen, n_rows)) < 0.9)
    days = np.datetime64("2024-02-29") + rng.integers(0, 300, size=(n_scen, 1)) + np.cumsum(gaps, axis=1)
    if unsorted:
        for s in range(0, n_scen, 3):
            days[s] = rng.permutation(days[s])
            values[s] = rng.permutation(values[s])
    days = days.astype("datetime64[D]")
    return values, days[0] if shared_dates else days


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_scen=st.integers(1, 160),
    n_rows=st.integers(1, 70),
    unsorted=st.booleans(),
    shared_dates=st.booleans(),
    threads=st.sampled_from([1, None]),
    chunk=st.sampled_from([None, 7, 64]),
    rates=st.lists(st.floats(-0.5, 0.4), min_size=1, max_size=4),
    compounding=st.sampled_from(["annual", "monthly", "continuous", "simple"]),
    day_count=st.sampled_from(["ACT/365F", "ACT/360", "30/360"]),
    as_ordinals=st.booleans(),
)
def test_grid_pass_equals_one_summary_per_rate(
    seed, n_scen, n_rows, unsorted, shared_dates, threads, chunk, rates, compounding, day_count, as_ordinals
):
    """Per scenario every figure and XIRR, and each rate's day sums, equal one
    ``waterfall_summary(deemed_rates=np.full(S, rate))`` per rate bit for bit, on one thread and on
    many (64 scenarios and more run the threaded kernel), in any chunks, dates shared or per
    scenario (or per scenario as day ordinals, ``days=``), in date order or not."""
    values, dates = _case(
        seed, n_scen, n_rows, unsorted=unsorted and not shared_dates, shared_dates=shared_dates
    )
    terms = Terms(0.05, compounding=compounding, day_count=day_count, partner_share=0.2)
    ordinals = xlspv.dates.to_ordinals(np.ravel(dates))
    first = int(ordinals.min()) - 1
    width = int(ordinals.max()) - first + 2
    start = np.random.default_rng(seed).uniform(-5, 5, size=width)  # added into what the arrays hold
    got_sums = [start.copy() for _ in rates]
    ordinals = as_ordinals and not shared_dates
    grid = waterfall_summary_grid(
        values,
        None if ordinals else dates,
        terms,
        rates,
        xirr=True,
        day_sums=got_sums,
        first_day=first,
        threads=threads,
        chunk=chunk,
        days=xlspv.dates.to_ordinals(dates.ravel()).reshape(dates.shape) if ordinals else None,
    )
    assert len(grid) == len(rates)
    for k, rate in enumerate(rates):
        sums = start.copy()
        one = xlspv.waterfall_summary(
            values,
            dates,
            terms,
            deemed_rates=np.full(n_scen, rate),
            xirr=True,
            day_sums=sums,
            first_day=first,
            threads=threads,
            chunk=chunk,
        )
        for field in (*FIELDS, "xirr_japan"):
            EQ(getattr(grid[k], field), getattr(one, field), err_msg=f"{field} at rate {rate}")
        EQ(got_sums[k], sums, err_msg=f"day sums at rate {rate}")


def test_grid_pass_without_day_sums_or_xirr():
    """No accumulators and no XIRR: the figures alone, still the per-rate calls' bits."""
    values, dates = _case(4, 90, 30, unsorted=True, shared_dates=False)
    grid = waterfall_summary_grid(values, dates, Terms(0.05), [0.0, 0.07])
    for k, rate in enumerate([0.0, 0.07]):
        one = xlspv.waterfall_summary(values, dates, Terms(0.05), deemed_rates=np.full(90, rate))
        assert grid[k].xirr_japan is None
        for field in FIELDS:
            EQ(getattr(grid[k], field), getattr(one, field))


def test_grid_pass_refusals_name_the_argument_and_leave_the_sums_alone():
    """A bad rate, a count of accumulators that does not match, several Terms: one clear message; a
    refused run leaves the caller's day sums as they were."""
    values, dates = _case(1, 5, 6, unsorted=False, shared_dates=False)
    with pytest.raises(TermsError, match="deemed_rates"):
        waterfall_summary_grid(values, dates, Terms(0.05), [0.03, -1.5])
    with pytest.raises(TermsError, match="one Terms"):
        waterfall_summary_grid(values, dates, [Terms(0.05)] * 5, [0.03])
    with pytest.raises(SpvInputError, match="day_sums: 1 arrays for 2 rates"):
        waterfall_summary_grid(values, dates, Terms(0.05), [0.03, 0.04], day_sums=[np.zeros(10)])
    sums = [np.full(3, 7.0), np.full(3, 7.0)]  # too short for the dates: refused, untouched
    with pytest.raises(SpvInputError, match="day_sums"):
        waterfall_summary_grid(values, dates, Terms(0.05), [0.03, 0.04], day_sums=sums, first_day=738_000)
    EQ(sums[0], 7.0)
    EQ(sums[1], 7.0)
    with pytest.raises(SpvInputError, match="not both"):
        waterfall_summary_grid(values, dates, Terms(0.05), [0.03], days=np.zeros((5, 6), dtype=np.int64))
    with pytest.raises(SpvInputError, match="days: give int64 day ordinals"):
        waterfall_summary_grid(values, None, Terms(0.05), [0.03], days=np.zeros((5, 5), dtype=np.int64))


def _portfolio(seed: int, n: int, *, own_rate: bool) -> Portfolio:
    rng = np.random.default_rng(seed)
    spvs, flows = [], {"spv_id": [], "date": [], "value": []}
    start = np.datetime64("2026-01-31")
    for i in range(n):
        sid = f"S{i}"
        spv = {
            "id": sid,
            "name": f"n{i}",
            "sector": "energy",
            "notice_date": (start - 90).item(),
            "committed": 50,
        }
        if own_rate and i % 4 == 0:
            spv["deemed_rate"] = 0.08
        spvs.append(spv)
        rows = int(rng.integers(3, 40))
        days = start + np.cumsum(rng.integers(1, 45, size=rows))
        vals = rng.uniform(1, 30, size=rows)
        vals[: max(1, rows // 5)] *= -1
        flows["spv_id"] += [sid] * rows
        flows["date"] += [d.item() for d in days]
        flows["value"] += vals.tolist()
    return Portfolio.from_tables(spvs, flows)


@pytest.mark.parametrize("own_rate", [False, True], ids=["shared-terms", "own-terms"])
def test_sensitivity_with_the_program_view_point_equals_the_grid_alone(own_rate, monkeypatch):
    """The analyse path (the program view's pass running the other scale-1 rates with it, reused by
    the sensitivity) gives the sensitivity computed on its own to the bit, and the program view's
    own figures are those of a run without a sensitivity: shared terms run one grid pass (the program
    view's rate first), an SPV with its own rate keeps the per-point path."""
    calls = []
    for name in (
        "xlspv.portfolio.analyse",
        "xlspv.portfolio.sensitivity",
    ):  # (the package's names are functions)
        module = importlib.import_module(name)
        real = module.waterfall_summary_grid
        record = lambda *a, _real=real, _name=name, **k: calls.append((_name[16:], a[3])) or _real(*a, **k)  # noqa: E731
        monkeypatch.setattr(module, "waterfall_summary_grid", record)
    p = _portfolio(2, 150, own_rate=own_rate)
    rates, scales = [0.03, 0.05, 0.06], [1.0, 0.8]
    result = analyse(p, Terms(0.05), rates=rates, scales=scales)
    assert calls == ([] if own_rate else [("analyse", [0.05, 0.03, 0.06])])
    alone = sensitivity(p, Terms(0.05), rates, scales)
    assert result.sensitivity is not None
    for name in (
        "xirr_japan",
        "threshold_year",
        "japan_received",
        "program_xirr_japan",
        "program_threshold_year",
        "program_japan_received",
        "program_reached",
    ):
        EQ(getattr(result.sensitivity, name), getattr(alone, name), err_msg=name)
    bare = analyse(p, Terms(0.05), rates=())
    assert bare.sensitivity is None
    for table in ("spvs", "years", "sectors"):
        got, want = getattr(result, table), getattr(bare, table)
        assert list(got.columns) == list(want.columns)
        for column in want.columns:
            EQ(got[column].to_numpy(), want[column].to_numpy(), err_msg=f"{table}.{column}")
    assert result.program == bare.program
    assert result.values.program == bare.values.program


def test_shared_rates_are_the_grid_rates_one_pass_can_run():
    """Shared flat terms at scale 1: the other grid rates (each once); none for per-SPV terms or a
    grid without scale 1; rates the grid refuses are left to it."""
    from xlspv.portfolio.sensitivity import shared_rates

    t = Terms(0.05)
    assert shared_rates(t, [t, t], [0.03, 0.05, 0.06, 0.03], [1.0]) == [Terms(0.03), Terms(0.06)]
    assert shared_rates(t, [t, Terms(0.05)], [0.03], [1.0]) == []
    assert shared_rates(t, [t], [0.03], [0.8]) == []
    assert shared_rates(t, [t], [float("nan"), -2.0, 0.04], [0.8, 1.0]) == [Terms(0.04)]
    # a guarantee fee is added once, as the grid adds it (review: it was added twice)
    fee = Terms(0.05, guarantee_fee=0.01)
    assert [float(x.flat_rate) for x in shared_rates(fee, [fee], [0.03, 0.04], [1.0])] == [0.04, 0.05]


@pytest.mark.parametrize("rates", [["5%"], [[0.03, 0.05]], [], ["0.05"], [None]])
def test_grid_rates_that_are_not_a_list_of_numbers_are_refused_in_one_line(rates):
    # review: ["5%"] gave numpy's ValueError traceback; a nested list was flattened
    with pytest.raises(TermsError, match="a list of flat deemed rates"):
        waterfall_summary_grid([[-100.0, 60.0]], [["2025-01-01", "2026-01-01"]], Terms(0.05), rates)


def test_the_sensitivity_with_a_guarantee_fee_equals_the_grid_alone():
    """Review: with a fee, the program view's pass tagged its grid points with the fee added twice, so
    the sensitivity took one rate's figures for another (the 0.03 column repeated the 0.02 one)."""
    p = _portfolio(5, 40, own_rate=False)
    terms = Terms(0.01, guarantee_fee=0.01)
    rates = [0.0, 0.01, 0.02, 0.03, 0.04]
    inside = analyse(p, terms, rates=rates).sensitivity
    alone = sensitivity(p, terms, rates)
    assert inside is not None
    for name in ("xirr_japan", "threshold_year", "japan_received", "program_xirr_japan", "program_reached"):
        EQ(getattr(inside, name), getattr(alone, name), err_msg=name)


def test_a_long_grid_rides_along_the_program_view_only_within_its_memory_budget(monkeypatch):
    """Review: every scale-1 rate ran inside the program view's pass (the command's memory peak), so the
    peak grew with --rates; rates past GRID_PASS_BYTES now run later, in passes of that size."""
    sens = importlib.import_module("xlspv.portfolio.sensitivity")
    program_view = importlib.import_module("xlspv.portfolio.analyse")
    p = _portfolio(6, 30, own_rate=False)
    rates = [0.01 * k for k in range(1, 9)]
    reference = analyse(p, Terms(0.05), rates=rates).sensitivity
    days = p.padded[1]
    monkeypatch.setattr(sens, "GRID_PASS_BYTES", 3 * (72 * 30 + 16 * (int(days.max() - days.min()) + 1)))
    seen: list[int] = []

    def counted(*args, **kwargs):
        seen.append(len(args[3]))  # the pass's rates
        return waterfall_summary_grid(*args, **kwargs)

    monkeypatch.setattr(sens, "waterfall_summary_grid", counted)
    monkeypatch.setattr(program_view, "waterfall_summary_grid", counted)
    bounded = analyse(p, Terms(0.05), rates=rates).sensitivity
    assert reference is not None and bounded is not None
    assert seen and max(seen) == 3 and sum(seen) == len(rates)  # the program view's rate is one of them
    for name in ("xirr_japan", "threshold_year", "japan_received", "program_xirr_japan"):
        EQ(getattr(bounded, name), getattr(reference, name), err_msg=name)


@pytest.mark.parametrize("n_scen", [5, 1024 + 63, 2 * 1024 + 1])
@pytest.mark.parametrize("shared_dates", [False, True], ids=["own-dates", "shared-dates"])
def test_batch_xirr_in_blocks_equals_one_call(n_scen, shared_dates):
    """Batch.xirr searches blocks of scenarios (no short tail block): each party's rates are one
    ``xirr_many`` call's over the whole batch, bit for bit."""
    from xlspv.xirr import xirr_many

    values, dates = _case(7, n_scen, 12, unsorted=False, shared_dates=shared_dates)
    values = np.abs(values)
    values[:, :3] *= -1.0  # fundings, then distributions: one sign change, a quick search per series
    batch = xlspv.waterfall_batch(values, dates, Terms(0.05, partner_share=0.25))
    for party in ("japan", "partner", "project"):
        flows = batch.party_flows(party)
        EQ(batch.xirr(party), xirr_many(flows, np.broadcast_to(batch.days, flows.shape)), err_msg=party)

"""One chunk of scenarios: generate them, run the core's batch on them, keep only their summaries.

What leaves a chunk (:class:`ChunkResult`) is per-scenario figures (threshold day, unrecovered amount,
Japan's XIRR: a few numbers a scenario) and, for chunk 0 only, the deemed balance of the first
:data:`FAN_SCENARIOS` scenarios at yearly dates (the fan chart's sample). No per-row array leaves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..dates import to_datetime64
from ..xirr import xirr_many
from . import fast
from .fast import runs_fast
from .model import RiskModel
from .scenarios import (
    RATE_HORIZON_DAYS,
    YEAR_DAYS,
    Problem,
    Schedule,
    add_months,
    benchmark_shifts,
    cash_factors,
    delays,
    draws,
    month_parts,
    rate_paths,
    reset_days,
    scenario_flows,
)

#: Scenarios of chunk 0 whose deemed balance is kept at yearly dates for the fan chart.
FAN_SCENARIOS = 2000


@dataclass(frozen=True)
class ChunkResult:
    """Per-scenario figures of one chunk, shaped (scenarios, SPVs) (+1 column, the program, if any).

    ``threshold_days`` are ordinals (-1: not recovered); ``fan`` is (fan scenarios, ``fan_days``) of the
    total deemed balance, present in chunk 0 only.
    """

    chunk: int
    threshold_days: np.ndarray
    unrecovered: np.ndarray
    xirr_japan: np.ndarray
    fan: np.ndarray | None


def fan_days(problem: Problem) -> np.ndarray:
    """Yearly dates from the origin to two years past the last scheduled row: the fan chart's x axis."""
    months, dom = month_parts(np.array([problem.origin]))
    years = (problem.last_day - problem.origin) // 365 + 3
    return add_months(months, dom, np.arange(years) * 12)


# ---- the core, called once per SPV and chunk --------------------------------------------------------


def _summary(
    spv: Schedule, values: np.ndarray, days: np.ndarray, paths: tuple | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(threshold day, unrecovered, Japan's XIRR) per scenario, from the core's batch summary mode."""
    from ..batch import waterfall_summary  # on first use, as before: importing it loads numba

    rate_dates, rates = paths if paths is not None else (None, None)
    res = waterfall_summary(
        values,
        to_datetime64(days),
        spv.terms,
        deemed_rates=rates,
        rate_dates=None if rate_dates is None else to_datetime64(rate_dates),
        xirr=True,
    )
    assert res.xirr_japan is not None  # asked for with xirr=True
    return res.threshold_days, res.unrecovered, res.xirr_japan


def _rows(
    spv: Schedule, values: np.ndarray, days: np.ndarray, paths: tuple | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(Japan's flows, balance) per scenario and row, threshold day, unrecovered: the full batch."""
    from ..batch import waterfall_batch

    rate_dates, rates = paths if paths is not None else (None, None)
    b = waterfall_batch(
        values,
        to_datetime64(days),
        spv.terms,
        deemed_rates=rates,
        rate_dates=None if rate_dates is None else to_datetime64(rate_dates),
    )
    return b.party_flows("japan"), b.balance, b.threshold_days, b.unrecovered


# ---- one chunk ------------------------------------------------------------------------------------


def run_chunk(
    problem: Problem, model: RiskModel, seed: int, chunk: int, n: int, threads: int = 1
) -> ChunkResult:
    """Simulate scenarios ``chunk * CHUNK`` to ``chunk * CHUNK + n`` and summarise them.

    The compiled fast path (:mod:`xlspv.risk.fast`, ranges of scenarios on ``threads`` threads) when
    every SPV's day count allows it, else the general path (:func:`run_general`); both give the same
    figures for the same draws.
    """
    inputs = _inputs(problem, model, seed, chunk, n)
    if not GENERAL_ONLY and runs_fast(problem):
        factor, delay, stop, shifts = inputs
        fan_n = min(n, FAN_SCENARIOS) if chunk == 0 else 0
        threshold, unrecovered, xirr, fan = fast.run(
            problem, model, factor, delay, stop * YEAR_DAYS, shifts, fan_days(problem), fan_n, threads
        )
        _program_columns(problem, threshold, unrecovered)
        return ChunkResult(chunk, threshold, unrecovered, xirr, fan if fan_n else None)
    return run_general(problem, model, chunk, n, inputs)


#: Tests set this to run the general path only (the fast path's reference).
GENERAL_ONLY = False


def _inputs(
    problem: Problem, model: RiskModel, seed: int, chunk: int, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Cash factors, delays (months), stop times (years) (scenarios x SPVs) and benchmark shifts."""
    d = draws(seed, chunk, n, len(problem.spvs))
    factor = cash_factors(model, d.cash_normals)
    delay = delays(model, d.delay_uniforms)
    with np.errstate(divide="ignore"):
        stop = (
            d.stop_exponentials / model.stop_hazard
            if model.stop_hazard > 0.0
            else np.full(d.stop_exponentials.shape, math.inf)
        )
    shifts = None
    if model.rate_vol != 0.0:
        resets = reset_days(problem.origin, problem.last_day + RATE_HORIZON_DAYS)
        shifts = benchmark_shifts(model, d.rate_normals, n, resets.size)
    return factor, delay, stop, shifts


def _program_columns(problem: Problem, threshold: np.ndarray, unrecovered: np.ndarray) -> None:
    """The program's threshold (the last SPV's, when every SPV recovers) and unrecovered (the sum)."""
    if problem.program:
        k = len(problem.spvs)
        recovered = (threshold[:, :k] >= 0).all(axis=1)
        threshold[:, k] = np.where(recovered, threshold[:, :k].max(axis=1), -1)
        unrecovered[:, k] = unrecovered[:, :k].sum(axis=1)


def run_general(
    problem: Problem,
    model: RiskModel,
    chunk: int,
    n: int,
    inputs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None],
) -> ChunkResult:
    """The general path: each scenario's rows as arrays, then the core's batch (any day count)."""
    factor, delay, stop, shifts = inputs
    k = len(problem.spvs)
    resets = reset_days(problem.origin, problem.last_day + RATE_HORIZON_DAYS)
    columns = k + (1 if problem.program else 0)
    threshold = np.empty((n, columns), dtype=np.int64)
    unrecovered = np.empty((n, columns))
    xirr = np.empty((n, columns))
    fan_n = min(n, FAN_SCENARIOS) if chunk == 0 else 0
    grid = fan_days(problem)
    fan = np.zeros((fan_n, grid.size)) if fan_n else None
    flows = []
    for i, spv in enumerate(problem.spvs):
        values, days = scenario_flows(spv, factor[:, i], delay[:, i], stop[:, i])
        path = None if shifts is None else rate_paths(spv.terms, resets, shifts)
        flows.append((values, spv.days if model.delay_months == 0.0 else days, path))
    program_flows = _ProgramFlows(n, [(v, d) for v, d, _ in flows]) if problem.program else None
    for i, (spv, (values, days, path)) in enumerate(zip(problem.spvs, flows, strict=True)):
        if program_flows is not None:  # a program: each SPV's rows feed the program's XIRR
            japan, balance, threshold[:, i], unrecovered[:, i] = _rows(spv, values, days, path)
            xirr[:, i] = xirr_many(japan, days)
            program_flows.add(japan, days)
        else:
            threshold[:, i], unrecovered[:, i], xirr[:, i] = _summary(spv, values, days, path)
        if fan is not None:
            sample_days = np.broadcast_to(days, values.shape)[:fan_n]
            if not problem.program:
                _, balance, _, _ = _rows(spv, values[:fan_n], sample_days, _subset(path, fan_n))
            fan += _balance_at(balance[:fan_n], sample_days, grid)
    _program_columns(problem, threshold, unrecovered)
    if program_flows is not None:
        xirr[:, k] = program_flows.xirr()
    return ChunkResult(chunk, threshold, unrecovered, xirr, fan)


def _subset(paths: tuple | None, n: int) -> tuple | None:
    return None if paths is None else (paths[0], paths[1][:n])


def _balance_at(balance: np.ndarray, days: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Deemed balance after the last row on or before each grid day (0 before the first row)."""
    out = np.zeros((balance.shape[0], grid.size))
    for g, day in enumerate(grid):
        pos = (days <= day).sum(axis=1) - 1
        out[:, g] = np.where(pos >= 0, balance[np.arange(balance.shape[0]), np.maximum(pos, 0)], 0.0)
    return out


class _ProgramFlows:
    """Japan's flows of every SPV, summed per date per scenario on the chunk's own dates (exact)."""

    def __init__(self, n: int, flows: list[tuple[np.ndarray, np.ndarray]]) -> None:
        self.grid = np.unique(np.concatenate([np.unique(days) for _, days in flows]))
        self.total = np.zeros(n * self.grid.size)
        self.offset = (np.arange(n) * self.grid.size)[:, None]

    def add(self, japan: np.ndarray, days: np.ndarray) -> None:
        where = np.searchsorted(self.grid, days) + self.offset
        self.total += np.bincount(where.ravel(), japan.ravel(), self.total.size)

    def xirr(self) -> np.ndarray:
        return xirr_many(self.total.reshape(-1, self.grid.size), self.grid[None, :], multiple_first=True)

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
from .grid import monthly_grid, place, stop_accrual
from .model import RiskModel
from .scenarios import (
    RATE_HORIZON_DAYS,
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


def run_chunk(problem: Problem, model: RiskModel, seed: int, chunk: int, n: int) -> ChunkResult:
    """Simulate scenarios ``chunk * CHUNK`` to ``chunk * CHUNK + n`` and summarise them."""
    k = len(problem.spvs)
    d = draws(seed, chunk, n, k)
    factor = cash_factors(model, d.cash_normals)
    delay = delays(model, d.delay_uniforms)
    with np.errstate(divide="ignore"):
        stop = (
            d.stop_exponentials / model.stop_hazard
            if model.stop_hazard > 0.0
            else np.full(d.stop_exponentials.shape, math.inf)
        )
    paths_of = _rate_path_maker(problem, model, d.rate_normals, n)
    flows, paths = [], []
    for i, spv in enumerate(problem.spvs):
        v, days, path = _spv_flows(problem, model, spv, factor[:, i], delay[:, i], stop[:, i], paths_of(spv))
        flows.append((v, days))
        paths.append(path)
    columns = k + (1 if problem.program else 0)
    threshold = np.empty((n, columns), dtype=np.int64)
    unrecovered = np.empty((n, columns))
    xirr = np.empty((n, columns))
    fan_n = min(n, FAN_SCENARIOS) if chunk == 0 else 0
    grid = fan_days(problem)
    fan = np.zeros((fan_n, grid.size)) if fan_n else None
    program_flows = _ProgramFlows(n, flows) if problem.program else None
    for i, (spv, (values, days), path) in enumerate(zip(problem.spvs, flows, paths, strict=True)):
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
    if program_flows is not None:
        recovered = (threshold[:, :k] >= 0).all(axis=1)
        threshold[:, k] = np.where(recovered, threshold[:, :k].max(axis=1), -1)
        unrecovered[:, k] = unrecovered[:, :k].sum(axis=1)
        xirr[:, k] = program_flows.xirr()
    return ChunkResult(chunk, threshold, unrecovered, xirr, fan)


def _spv_flows(
    problem: Problem,
    model: RiskModel,
    spv: Schedule,
    factor: np.ndarray,
    delay: np.ndarray,
    stop: np.ndarray,
    path: tuple | None,
) -> tuple[np.ndarray, np.ndarray, tuple | None]:
    """One SPV's scenarios: values, dates ((rows,) when shared by every scenario) and rate paths.

    Without delays every scenario keeps the schedule's dates; with delays a (nearly) monthly schedule
    goes on a shared grid (:mod:`xlspv.risk.grid`), any other keeps per-scenario dates.
    """
    if model.delay_months > 0.0:
        g = monthly_grid(spv, int(delay.max()) if delay.size else 0)
        if g is not None:
            values, last = place(g, factor, delay, stop)
            if path is None:  # the terms' own rate, as a path that can stop at each scenario's end
                path = rate_paths(spv.terms, np.array([problem.origin]), np.zeros((factor.size, 1)))
            return values, g.days, stop_accrual(g, last, *path)
    values, days = scenario_flows(spv, factor, delay, stop)
    return values, (spv.days if model.delay_months == 0.0 else days), path


def _subset(paths: tuple | None, n: int) -> tuple | None:
    return None if paths is None else (paths[0], paths[1][:n])


def _rate_path_maker(problem: Problem, model: RiskModel, rng: np.random.Generator, n: int):  # type: ignore[no-untyped-def]
    """A function giving each SPV's rate paths (or None when the benchmark does not move)."""
    if model.rate_vol == 0.0:
        return lambda spv: None
    resets = reset_days(problem.origin, problem.last_day + RATE_HORIZON_DAYS)
    shifts = benchmark_shifts(model, rng, n, resets.size)
    return lambda spv: rate_paths(spv.terms, resets, shifts)


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
        return xirr_many(self.total.reshape(-1, self.grid.size), self.grid[None, :])

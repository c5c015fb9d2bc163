"""Delays on a shared date grid: every scenario of a chunk on the same dates, so the core plans once.

A delay of whole months moves a distribution from its date ``d`` to ``EDATE(d, k)``. On a schedule
whose distributions are (nearly) monthly, every such date is a month of one grid: the schedule's own
months, then one more per month of the chunk's longest delay. Each scenario's values are placed on
that grid (zeros elsewhere), so the dates are shared by every scenario ``(rows,)`` and the core's
summary mode computes the accrual plan once instead of once per scenario.

The grid changes nothing but rounding: a zero row splits the accrual span it falls in (the growth
over the two pieces multiplies to the growth over the span), and rows after a scenario's own last
row accrue at rate 0 (:func:`stop_accrual`), so ``unrecovered`` is still the balance after that
scenario's last row. Which rows the grid has before the schedule's last date does not depend on the
draws (only how far it runs past it), so a scenario's figures do not depend on its chunk-mates.

On a shared date, the fixed rows (fundings, zero rows) come before the distributions moved there.
Schedules that are not nearly monthly (a quarterly schedule would triple its rows) keep per-scenario
dates (:func:`xlspv.risk.scenarios.scenario_flows`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._jit import njit
from .scenarios import YEAR_DAYS, Schedule, add_months, month_parts

#: The grid is used when its rows up to the last distribution are at most this many times the
#: distributions (1: monthly; a few irregular dates allowed).
MAX_GROWTH = 1.25


@dataclass(frozen=True)
class Grid:
    """One SPV's rows on a chunk's shared dates.

    ``days`` (G,) ordinals in row order; ``fixed_pos`` the grid row of each fixed row (value <= 0) of
    the schedule and ``fixed_values`` their values; ``moving_values`` the distributions (schedule
    order) and ``slot`` (distributions, longest delay + 1) the grid row of distribution ``i`` delayed
    ``k`` months; ``slot_offset`` (G,) each row's days since the SPV's first funding (for the stop
    time); ``end`` the first grid row after the schedule's last date.
    """

    days: np.ndarray
    fixed_pos: np.ndarray
    fixed_values: np.ndarray
    moving_values: np.ndarray
    slot: np.ndarray
    slot_offset: np.ndarray
    end: int


def _moved(months: np.ndarray, dom: np.ndarray, most: int) -> np.ndarray:
    """``EDATE`` of every distribution by 0 to ``most`` months, shape (distributions, most + 1)."""
    return add_months(months[:, None], dom[:, None], np.arange(most + 1)[None, :])


def monthly_grid(spv: Schedule, longest: int) -> Grid | None:
    """The grid for delays of up to ``longest`` months, or None when the schedule is not nearly monthly."""
    moving = spv.values > 0.0
    if not moving.any():
        return None
    months, dom = month_parts(spv.days[moving])
    span = int(months[-1] - months[0])
    last = int(spv.days[-1])
    # every date a distribution can be moved to up to the schedule's last date: draws-independent
    inside = np.unique(_moved(months, dom, span))
    inside = inside[inside <= last]
    if inside.size > MAX_GROWTH * moving.sum() + 2:
        return None
    table = _moved(months, dom, longest)
    slots = np.union1d(inside, table[table > last])
    fixed_days = spv.days[~moving]
    # rows: fixed rows (kind 0) before moved distributions (kind 1) on a date; fixed rows keep order
    day = np.concatenate([fixed_days, slots])
    kind = np.concatenate([np.zeros(fixed_days.size, np.int64), np.ones(slots.size, np.int64)])
    order = np.lexsort((np.arange(day.size), kind, day))
    position = np.empty(day.size, dtype=np.int64)
    position[order] = np.arange(day.size)
    days = day[order]
    slot = position[fixed_days.size + np.searchsorted(slots, table)]
    return Grid(
        days=days,
        fixed_pos=position[: fixed_days.size],
        fixed_values=spv.values[~moving],
        moving_values=spv.values[moving],
        slot=np.ascontiguousarray(slot),
        slot_offset=(days - spv.start).astype(np.float64),
        end=int(np.searchsorted(days, last, side="right")),
    )


@njit(cache=True, nogil=True)
def _fill(
    fixed_pos,
    fixed_values,
    moving_values,
    slot,
    slot_offset,
    factor,
    delay,
    stop_days,
    values,
    last,
):
    """Each scenario's values on the grid and the grid row of its last row (see :func:`place`)."""
    top = -1
    for f in range(fixed_pos.size):
        top = max(top, fixed_pos[f])
    for s in range(values.shape[0]):
        row = values[s]
        row[:] = 0.0
        for f in range(fixed_pos.size):
            row[fixed_pos[f]] += fixed_values[f]
        k = delay[s]
        end = top
        for i in range(moving_values.size):
            p = slot[i, k]
            end = max(end, p)
            if not slot_offset[p] >= stop_days[s]:  # dropped from the stop time on
                row[p] += moving_values[i] * factor[s]
        last[s] = end


def place(
    grid: Grid, factor: np.ndarray, delay: np.ndarray, stop_years: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Values (scenarios x grid rows) and each scenario's last row (its own last date's grid row).

    As :func:`xlspv.risk.scenarios.scenario_flows`: distributions scaled by ``factor``, moved
    ``delay`` months later, dropped from ``stop_years`` after the first funding on.
    """
    n = factor.size
    values = np.empty((n, grid.days.size))
    last = np.empty(n, dtype=np.int64)
    _fill(
        grid.fixed_pos,
        grid.fixed_values,
        grid.moving_values,
        grid.slot,
        grid.slot_offset,
        np.ascontiguousarray(factor, dtype=np.float64),
        np.ascontiguousarray(delay, dtype=np.int64),
        np.ascontiguousarray(stop_years * YEAR_DAYS, dtype=np.float64),
        values,
        last,
    )
    return values, last


def stop_accrual(
    grid: Grid, last: np.ndarray, rate_dates: np.ndarray, rates: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rate paths that are 0 from each scenario's own last row on (nothing accrues after it).

    The rate dates gain every grid date from the schedule's last row on; ``rates`` (scenarios, K) on
    ``rate_dates`` are carried to them and set to 0 on and after ``grid.days[last]``.
    """
    tail = grid.days[max(grid.end - 1, 0) :]
    dates = np.union1d(rate_dates, tail)
    period = np.searchsorted(rate_dates, dates, side="right") - 1
    out = rates[:, period]
    out[dates[None, :] >= grid.days[last][:, None]] = 0.0
    return dates, np.ascontiguousarray(out)

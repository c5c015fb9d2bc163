"""Japan's XIRR, threshold year and receipts over a grid of deemed rates and cash scalings.

Each grid point is a summary pass (:func:`xlspv.waterfall_summary`, scenarios = SPVs) through the
batch's rule: per SPV Japan's XIRR, threshold and receipts, and Japan's flows summed by day for the
program's XIRR (``day_sums``), with no array of SPVs x rows made (a scaled grid point scales its values
in blocks of SPVs). The scale-1 points of terms shared by every SPV run together in one pass
(:func:`xlspv.batch.waterfall_summary_grid`: each chunk of SPVs converted and its accrual plan made
once for all their rates; the same bits as one pass per point). The figures are those of the full
batch (:func:`xlspv.waterfall_batch`) to the bit, except Japan's receipts of an SPV whose rows are
not in date order: the summary adds them in date order, which may differ in the last bits from adding
them in the rows' order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._jit import njit
from ..batch import waterfall_summary, waterfall_summary_grid
from ..dates import to_datetime64, years_of
from ..errors import SpvInputError, TermsError
from ..progress import Progress, say
from ..summary_kernel import add_by_day
from ..terms import Terms, rates_around
from ..xirr import xirr_many
from .model import Portfolio
from .results import Sensitivity


def default_rates(terms: Terms) -> np.ndarray:
    """The default sensitivity grid: :func:`xlspv.terms.rates_around` the default deemed rate.

    >>> from xlspv import Terms
    >>> default_rates(Terms(0.055)).tolist()
    [0.035, 0.045, 0.055, 0.065, 0.075]
    """
    return np.array(rates_around(terms), dtype=np.float64)


def sensitivity(
    portfolio: Portfolio,
    terms: Terms | None,
    rates: Sequence[float] | np.ndarray,
    scales: Sequence[float] | np.ndarray = (1.0,),
    *,
    progress: Progress | None = None,
    max_cells: int = 1_000_000,
    known: GridRun | Sequence[GridRun] | None = None,
) -> Sensitivity:
    """Japan's XIRR, threshold year and receipts over a grid of deemed rates and cash scalings.

    Parameters
    ----------
    portfolio : Portfolio
    terms : Terms or None
        Default terms (each SPV's own columns apply; each grid rate replaces every SPV's deemed rate).
    rates : sequence of float
        Flat deemed rates (decimals, above -100%).
    scales : sequence of float, default (1.0,)
        Factors applied to every distribution (positive value); fundings are not scaled. >= 0.
    progress : callable, optional
        Called with a one-line message per batch.
    max_cells : int, default 1,000,000
        SPV x row cells scaled at a time (a memory bound): a grid point with a scale other than 1 runs
        in blocks of SPVs, never one SPV at a time; at scale 1 one summary pass covers every SPV (it
        keeps no array of SPVs x rows).
    known : GridRun or sequence of GridRun, optional
        Grid points already computed (the program view's own pass, and the rates it ran with it:
        :func:`shared_rates`): each reused where its terms are the grid point's and the scale is 1,
        not rerun.

    Returns
    -------
    Sensitivity

    Examples
    --------
    One SPV: Japan funds 100, then 60 and 200 come back a year apart. At 0% Japan's balance of 100 is
    cleared inside the last row (70 left after 30 paid, cleared by 140 of the 200); at 10% later in it.

    >>> import datetime as dt
    >>> from xlspv import Terms
    >>> D = dt.date
    >>> p = Portfolio.from_tables(
    ...     [{"id": "A", "name": "Plant", "sector": "energy", "notice_date": D(2024, 11, 1),
    ...       "committed": 100}],
    ...     {"spv_id": ["A"] * 3, "date": [D(2025, 1, 1), D(2026, 1, 1), D(2027, 1, 1)],
    ...      "value": [-100, 60, 200]})
    >>> s = sensitivity(p, Terms(0.10), [0.0, 0.10])
    >>> s.japan_received[0, 0].round(6).tolist()
    [106.0, 120.4]
    >>> s.threshold_year[0, 0].tolist()
    [2027.0, 2027.0]
    """
    rate_grid = np.asarray(rates, dtype=np.float64).ravel()
    scale_grid = np.asarray(scales, dtype=np.float64).ravel()
    if rate_grid.size == 0 or not np.isfinite(rate_grid).all() or (rate_grid <= -1.0).any():
        raise TermsError("rates: give one or more finite deemed rates above -100% (e.g. 0.03, 0.05, 0.07).")
    if scale_grid.size == 0 or not np.isfinite(scale_grid).all() or (scale_grid < 0).any():
        raise SpvInputError("scales: give one or more finite scaling factors >= 0 (e.g. 0.8, 1, 1.2).")
    spv_terms = portfolio.terms_for(terms)
    values, days = portfolio.padded
    n, width = values.shape
    n_r, n_s = rate_grid.size, scale_grid.size
    n_grid = n_r * n_s
    grid = _GridTerms.of(spv_terms, rate_grid)
    xirr = np.empty((n_grid, n))
    threshold = np.empty((n_grid, n), dtype=np.int64)
    received = np.empty((n_grid, n))
    runs = [known] if isinstance(known, GridRun) else list(known or ())
    first, unique = day_span(days) if not runs else (runs[0].first_day, runs[0].unique)
    program_sums = np.zeros((n_grid, int(unique[-1]) - first + 1))  # by day from the first
    block = max(1, max_cells // max(width, 1))
    # per rate, the first known run with the grid point's terms (-1: none)
    source = np.full(n_r, -1)
    for k, run in reversed(list(enumerate(runs))):
        source[grid.same_as(run.terms)] = k
    reused = [source[g % n_r] >= 0 and scale_grid[g // n_r] == 1.0 for g in range(n_grid)]
    # shared terms at scale 1: one pass over the SPVs for every such rate, each chunk's plan made once
    together = [g for g in range(n_grid) if grid.shared and scale_grid[g // n_r] == 1.0 and not reused[g]]
    # the dates as the batch takes them, made only when some point runs (the program view's reuse all)
    dates64 = to_datetime64(days) if not all(reused) else days
    step = rates_per_pass(n, program_sums.shape[1])
    for k in range(0, len(together), step):  # (in passes of a bounded number of rates)
        part = together[k : k + step]
        summaries = waterfall_summary_grid(
            values,
            dates64,
            grid.terms[0, part[0] % n_r],
            [float(grid.terms[0, g % n_r].flat_rate) for g in part],
            xirr=True,
            day_sums=[program_sums[g] for g in part],
            first_day=first,
        )
        for g, summary in zip(part, summaries, strict=True):
            xirr[g], threshold[g], received[g] = (
                summary.xirr_japan,
                summary.threshold_days,
                summary.japan_received,
            )
    for g in range(n_grid):
        r_j, s_j = g % n_r, g // n_r  # grid point = scale-major, then rate
        scale = float(scale_grid[s_j])
        if reused[g]:
            run = runs[source[r_j]]
            xirr[g], threshold[g], received[g] = run.xirr_japan, run.threshold_days, run.japan_received
            program_sums[g] = run.day_sums
        elif g not in together:
            # scale 1: one summary pass over every SPV; else blocks, each scaled copy bounded
            step = n if scale == 1.0 else block
            for lo in range(0, n, step):
                hi = min(n, lo + step)
                vals = values[lo:hi]
                if scale != 1.0:  # distributions scaled, fundings not
                    vals = np.where(vals > 0.0, vals * scale, vals)
                terms_arg, rates_arg = grid.for_block(r_j, lo, hi)
                summary = waterfall_summary(
                    vals,
                    dates64[lo:hi],
                    terms_arg,
                    deemed_rates=rates_arg,
                    xirr=True,
                    day_sums=program_sums[g],
                    first_day=first,
                )
                xirr[g, lo:hi] = summary.xirr_japan
                threshold[g, lo:hi] = summary.threshold_days
                received[g, lo:hi] = summary.japan_received
                del summary, vals
        say(
            progress,
            f"sensitivity: grid point {g + 1} of {n_grid} (deemed rate {rate_grid[r_j]:g}, scale {scale:g}; "
            f"{n:,} SPVs)",
        )
    shape = (n_s, n_r, n)
    per_spv = lambda a: np.moveaxis(a.reshape(shape), 2, 0)  # noqa: E731  (SPVs, scales, rates)
    thr = threshold.reshape(shape)
    year = np.full(thr.shape, -1, dtype=np.int64)
    year[thr >= 0] = years_of(thr[thr >= 0])
    reached = (thr >= 0).sum(axis=2)
    program_year = np.where(reached == n, year.max(axis=2), -1).astype(np.float64)
    # shared days as one row: the kernel gets the same array types for any number of grid points (the
    # warm-up's one point then loads the kernel every grid loads; (1, D) days broadcast read-only)
    program_xirr = xirr_many(program_sums[:, unique - first], unique)
    return Sensitivity(
        rates=rate_grid,
        scales=scale_grid,
        spv_ids=tuple(portfolio.ids),
        xirr_japan=per_spv(xirr),
        threshold_year=per_spv(np.where(year >= 0, year, np.nan).astype(np.float64)),
        japan_received=per_spv(received),
        program_xirr_japan=program_xirr.reshape(n_s, n_r),
        program_threshold_year=np.where(program_year >= 0, program_year, np.nan),
        program_japan_received=received.reshape(shape).sum(axis=2),
        program_reached=reached,
    )


#: Bytes a summary pass over several grid rates may hold for their figures at once (per rate and
#: SPV, seven figures and an annual exponent; per rate and day, a by-day sum and its copy kept to
#: restore it after an error); the rest of a grid runs in later passes.
GRID_PASS_BYTES = 32 * 2**20


def rates_per_pass(n_spvs: int, n_days: int) -> int:
    """Grid rates one summary pass over ``n_spvs`` SPVs spanning ``n_days`` days runs together within
    :data:`GRID_PASS_BYTES` (at least one): 10,000 SPVs over 40 years, 35 rates.

    >>> rates_per_pass(10_000, 14_610), rates_per_pass(10**7, 100)
    (35, 1)
    """
    return max(1, GRID_PASS_BYTES // max(1, 72 * n_spvs + 16 * n_days))


def shared_rates(terms: Terms, spv_terms: Sequence[Terms], rates: Any, scales: Any) -> list[Terms]:
    """The terms of the grid's scale-1 points that a summary pass over the SPVs at ``terms`` (shared by
    every SPV: ``spv_terms`` all that one object, a flat rate) can run with it in one pass
    (:func:`xlspv.batch.waterfall_summary_grid`), other than its own; none when the terms are not
    shared or scale 1 is not on the grid. Each exactly as the grid runs it (``terms.with_rate(r)``:
    a guarantee fee is added to ``r`` there, once; the pass takes each one's ``flat_rate``)."""
    scale_grid = np.asarray(scales, dtype=np.float64).ravel()
    if terms.flat_rate is None or not (scale_grid == 1.0).any() or any(t is not terms for t in spv_terms):
        return []
    out: list[Terms] = []
    for r in np.asarray(rates, dtype=np.float64).ravel().tolist():
        if not (math.isfinite(r) and r > -1.0):  # refused by the sensitivity itself, in its words
            continue
        t = terms.with_rate(r)
        if t.flat_rate is not None and t != terms and t not in out:
            out.append(t)
    return out


@dataclass(frozen=True)
class GridRun:
    """One grid point the program view has already computed (its own batch), to be reused, not rerun.

    ``terms`` are the per-SPV terms it ran with (scale 1); per SPV ``xirr_japan``, ``threshold_days``
    (ordinals, -1 where not reached) and ``japan_received`` (``Batch.japan.sum(axis=1)``); ``day_sums``
    are Japan's flows summed over SPVs per day from ``first_day`` (:func:`add_by_day`, in its order),
    ``unique`` the days the padded schedules hold (:func:`day_span`).
    """

    terms: Sequence[Terms]
    xirr_japan: np.ndarray
    threshold_days: np.ndarray
    japan_received: np.ndarray
    day_sums: np.ndarray
    first_day: int
    unique: np.ndarray


@dataclass(frozen=True)
class _GridTerms:
    """Each SPV's terms at each grid rate, built once per distinct SPV terms (not per scenario)."""

    codes: np.ndarray  # per SPV: its distinct terms' index
    terms: np.ndarray  # (distinct terms, rates) of Terms
    shared: bool  # one distinct terms with flat grid rates: the batch takes them as deemed_rates

    @classmethod
    def of(cls, spv_terms: Sequence[Terms], rates: np.ndarray) -> _GridTerms:
        distinct = list({id(t): t for t in spv_terms}.values())
        code_of = {id(t): k for k, t in enumerate(distinct)}
        codes = np.array([code_of[id(t)] for t in spv_terms], dtype=np.int64)
        table = np.empty((len(distinct), rates.size), dtype=object)
        for k, t in enumerate(distinct):
            for j, r in enumerate(rates.tolist()):
                table[k, j] = t.with_rate(r)
        shared = len(distinct) == 1 and all(t.flat_rate is not None for t in table[0])
        return cls(codes, table, shared)

    def for_block(self, j: int, lo: int, hi: int) -> tuple[Terms | list[Terms], np.ndarray | None]:
        """Terms (and flat rates) for SPVs ``lo:hi`` at grid rate ``j``: the same rule either way (the
        batch reads a flat rate per scenario as those terms with that rate), no Python per scenario
        when the terms are shared."""
        if self.shared:
            t = self.terms[0, j]
            return t, np.full(hi - lo, float(t.flat_rate))
        return self.terms[self.codes[lo:hi], j].tolist(), None

    def same_as(self, spv_terms: Sequence[Terms]) -> np.ndarray:
        """Per grid rate, whether it gives every SPV exactly the terms ``spv_terms`` (the pairs of
        distinct grid terms and given terms found once, then compared at each rate)."""
        if len(spv_terms) != self.codes.size:
            return np.zeros(self.terms.shape[1], dtype=bool)
        one = spv_terms[0] if len(spv_terms) else None
        if self.shared and all(t is one for t in spv_terms):  # one Terms for all: one pair
            return np.array([t == one for t in self.terms[0].tolist()], dtype=bool)
        pairs = {(int(c), id(t)): t for c, t in zip(self.codes.tolist(), spv_terms, strict=True)}
        return np.array(
            [all(self.terms[c, j] == t for (c, _), t in pairs.items()) for j in range(self.terms.shape[1])]
        )


@njit(cache=True, nogil=True)
def _present(days, first, span):  # type: ignore[no-untyped-def]
    present = np.zeros(span, dtype=np.bool_)
    for d in days.ravel():
        present[d - first] = True
    return present


def day_span(days: np.ndarray) -> tuple[int, np.ndarray]:
    """The first day (ordinal) of ``days`` and the distinct days they hold, sorted (one pass, no sort)."""
    first = int(days.min())
    present = _present(np.ascontiguousarray(days), first, int(days.max()) - first + 1)
    return first, np.flatnonzero(present) + first


__all__ = [
    "GridRun",
    "add_by_day",
    "day_span",
    "default_rates",
    "rates_per_pass",
    "sensitivity",
    "shared_rates",
]

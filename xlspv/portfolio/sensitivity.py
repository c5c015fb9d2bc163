"""Japan's XIRR, threshold year and receipts over a grid of deemed rates and cash scalings.

The grid runs on the same batch path as :func:`~xlspv.portfolio.analyse` (scenarios = SPVs x grid
points), in as few batch calls as a memory bound allows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..dates import distinct_days, to_datetime64, years_of
from ..errors import SpvInputError, TermsError
from ..progress import Progress, say
from ..terms import Terms, rates_around
from ..waterfall import waterfall_batch
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
        Scenario x row cells per batch call: the grid runs in as few calls as this allows (a memory
        bound; each call covers many SPVs and grid points, never one SPV at a time).

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
    total = n * n_grid
    # each (SPV terms, grid rate) pair is built once; scenarios pick theirs by array indexing
    unique_terms = list({id(t): t for t in spv_terms}.values())
    code_of = {id(t): k for k, t in enumerate(unique_terms)}
    spv_code = np.array([code_of[id(t)] for t in spv_terms], dtype=np.int64)
    grid_terms = np.empty((len(unique_terms), n_r), dtype=object)
    for k, t in enumerate(unique_terms):
        for j, r in enumerate(rate_grid.tolist()):
            grid_terms[k, j] = t.with_rate(r)
    xirr = np.empty(total)
    threshold = np.empty(total, dtype=np.int64)
    received = np.empty(total)
    unique, inverse = distinct_days(days)
    program_sums = np.zeros(n_grid * unique.size)
    dates64 = to_datetime64(days)
    chunk = max(1, max_cells // max(width, 1))
    calls = -(-total // chunk)
    for c, lo in enumerate(range(0, total, chunk)):
        hi = min(total, lo + chunk)
        scen = np.arange(lo, hi)
        spv_i = scen % n
        grid_i = scen // n  # grid point = scale-major, then rate
        r_i, s_i = grid_i % n_r, grid_i // n_r
        vals = values[spv_i]
        vals = np.where(vals > 0.0, vals * scale_grid[s_i][:, None], vals)
        batch = waterfall_batch(vals, dates64[spv_i], grid_terms[spv_code[spv_i], r_i].tolist())
        japan_flows = batch.party_flows("japan")
        xirr[lo:hi] = xirr_many(japan_flows, days[spv_i])
        threshold[lo:hi] = batch.threshold_days
        received[lo:hi] = batch.japan.sum(axis=1)
        key = (grid_i[:, None] * unique.size + inverse[spv_i]).ravel()
        program_sums += np.bincount(key, weights=japan_flows.ravel(), minlength=program_sums.size)
        del batch, japan_flows, vals
        say(
            progress,
            f"sensitivity: batch {c + 1} of {calls} ({hi - lo:,} scenarios of {total:,} = "
            f"{n:,} SPVs x {n_r} rate{'s' * (n_r != 1)} x {n_s} scale{'s' * (n_s != 1)})",
        )
    shape = (n_s, n_r, n)
    per_spv = lambda a: np.moveaxis(a.reshape(shape), 2, 0)  # noqa: E731  (SPVs, scales, rates)
    thr = threshold.reshape(shape)
    year = np.full(thr.shape, -1, dtype=np.int64)
    year[thr >= 0] = years_of(thr[thr >= 0])
    reached = (thr >= 0).sum(axis=2)
    program_year = np.where(reached == n, year.max(axis=2), -1).astype(np.float64)
    program_xirr = xirr_many(program_sums.reshape(n_grid, unique.size), unique[None, :])
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


__all__ = ["default_rates", "sensitivity"]

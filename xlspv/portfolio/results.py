"""What the program view computes: the result types of :func:`~xlspv.portfolio.analyse`.

Money is in the portfolio's unit; rates and XIRRs are decimals; dates are ``datetime.date``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..terms import Terms
from .agreement import JAPAN_2025, Program
from .model import Portfolio


@dataclass(frozen=True)
class CapStatus:
    """Commitments against the program's cap, fundings against its deadline and yearly cap (``unit``).

    ``deadline`` is ``None`` for a program that states none; ``annual_cap`` is the yearly cap in
    ``unit`` (``None``: none), and ``by_year`` then has ``annual_cap`` and ``over_annual_cap``
    columns; ``years_over_annual_cap`` counts the calendar years over it.
    """

    unit: str
    cap: float
    committed: float
    headroom: float
    used: float
    funded: float
    deadline: dt.date | None
    min_notice_days: int
    funded_after_deadline: float
    fundings_after_deadline: int
    fundings_short_notice: int
    late_notices: int
    by_year: pd.DataFrame
    program: Program = JAPAN_2025
    annual_cap: float | None = None
    years_over_annual_cap: int = 0


@dataclass(frozen=True)
class ProgramSummary:
    """Headline figures of the whole program (money in ``unit``; rates as decimals).

    ``threshold_date`` is the date every SPV has recovered its deemed allocation (the latest SPV
    threshold), ``None`` while any SPV has not; ``xirr_japan`` is the XIRR of Japan's flows summed over
    every SPV by date.
    """

    spvs: int
    flow_rows: int
    committed: float
    funded: float
    distributed: float
    japan_received: float
    us_received: float
    partner_received: float
    unrecovered: float
    reached: int
    threshold_date: dt.date | None
    xirr_japan: float | None
    first_date: dt.date
    last_date: dt.date


@dataclass(frozen=True)
class Sensitivity:
    """Japan's XIRR and threshold year over a grid of deemed rates and cash scalings.

    Per-SPV arrays are shaped (SPVs, scales, rates); program arrays (scales, rates). ``threshold_year``
    is NaN where the threshold is not reached; the program's is the year the last SPV reaches it (NaN
    while any SPV does not). ``xirr_japan`` is NaN where Japan's flows have no IRR. A scale multiplies
    every distribution (positive value); fundings are not scaled.
    """

    rates: np.ndarray
    scales: np.ndarray
    spv_ids: tuple[str, ...]
    xirr_japan: np.ndarray
    threshold_year: np.ndarray
    japan_received: np.ndarray
    program_xirr_japan: np.ndarray
    program_threshold_year: np.ndarray
    program_japan_received: np.ndarray
    program_reached: np.ndarray

    def table(self) -> pd.DataFrame:
        """Long table: one row per (SPV or "PROGRAM", scale, rate)."""
        n_spv, n_s, n_r = self.xirr_japan.shape
        ids = np.array([*self.spv_ids, "PROGRAM"], dtype=object)
        stack = lambda spv, prog: np.concatenate([spv, prog[None]], axis=0).ravel()  # noqa: E731
        return pd.DataFrame(
            {
                "spv_id": np.repeat(ids, n_s * n_r),
                "scale": np.tile(np.repeat(self.scales, n_r), n_spv + 1),
                "deemed_rate": np.tile(self.rates, (n_spv + 1) * n_s),
                "xirr_japan": stack(self.xirr_japan, self.program_xirr_japan),
                "threshold_year": stack(self.threshold_year, self.program_threshold_year),
                "japan_received": stack(self.japan_received, self.program_japan_received),
            }
        )


@dataclass(frozen=True, eq=False)
class PortfolioResult:
    """Everything the program view computes (see :func:`analyse`); money in ``unit``.

    - ``spvs``: one row per SPV (pandas DataFrame; dates are ``datetime.date`` or ``None``).
    - ``years``: cash by calendar year for the whole program (``japan_funded``, ``distributed``,
      ``japan_received``, ``partner_received``, ``us_received``).
    - ``sectors``: the sector breakdown; ``flags``: every flag with its reason; ``cap``: the cap and the
      deadline; ``program``: headline figures; ``sensitivity``: the rate grid, if computed;
      ``readings``: the readings of the deemed allocation side by side, if computed;
      ``values``: present values (:class:`xlspv.portfolio.value.ProgramValues`), if computed;
      ``pooled``: the pooled reading (:class:`xlspv.portfolio.pooled.Pooled`), if computed;
      ``declined``: a declined-funding scenario (:class:`xlspv.portfolio.declined.Declined`), if asked;
      ``recovery_odds``: the probabilities of recovery within the review period
      (:class:`xlspv.portfolio.odds.RecoveryOdds`), if given.
    """

    portfolio: Portfolio
    terms: Terms
    unit: str
    spvs: pd.DataFrame
    years: pd.DataFrame
    sectors: pd.DataFrame
    flags: pd.DataFrame
    cap: CapStatus
    program: ProgramSummary
    sensitivity: Sensitivity | None = None
    readings: Readings | None = None
    values: Any = None
    pooled: Any = None
    declined: Any = None
    recovery_odds: Any = None


@dataclass(frozen=True)
class Readings:
    """The same flows under both readings of the deemed allocation, per SPV and for the program.

    ``spvs`` has one row per SPV, in the portfolio's order: ``id``, ``name``, ``useful_life`` (years, the
    scheduled reading's), ``useful_life_from`` ("SPV table", "terms" or "default: the terms give none"),
    ``cumulative_<figure>`` and ``scheduled_<figure>`` for each of :data:`READING_FIGURES` (money in
    the portfolio's unit; XIRRs as decimals, NaN where none; threshold dates ``None`` where not
    reached), and ``note`` ("" or why the SPV's scheduled reading could not be computed).

    ``program`` has one row per reading (index "cumulative", "scheduled"): the threshold date (the
    latest SPV's, ``None`` while any SPV has not reached it), Japan's XIRR over its flows summed over
    every SPV by date, the money figures summed, and ``reached`` (SPVs past their threshold). A
    reading some SPV could not be computed under has NaN (``None``) program figures: never a partial
    total.
    """

    unit: str
    default_useful_life: int
    spvs: pd.DataFrame
    program: pd.DataFrame


__all__ = ["CapStatus", "PortfolioResult", "ProgramSummary", "Readings", "Sensitivity"]

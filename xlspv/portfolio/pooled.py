"""The pooled reading: one deemed balance for the whole program (``allocation_basis = "pooled"``).

Some analysts read the MOU's recovery as program-wide: Japan's distributions from every SPV pay down
one deemed balance. The rule is the default reading's (``docs/waterfall.md``, "The rule, event by
event"), run once over the program's rows merged in date order: rows on one date in the order of the
SPV table, then in input order. Fundings of any SPV add to the one balance; every distribution is split
against it. This module does not restate the rule: it orders the rows and runs the core's cumulative
rule (:func:`xlspv.waterfall.waterfall_batch`) on them as one schedule, then attributes each row's
payouts back to its SPV. The program's default terms apply to every SPV, so an SPV with its own terms
is an error naming it.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..dates import distinct_days, to_date, to_datetime64
from ..errors import TermsError
from ..terms import Terms
from ..waterfall import waterfall_batch
from ..xirr import xirr_many
from .model import Portfolio, default_terms


@dataclass(frozen=True, eq=False)
class Pooled:
    """The pooled reading of a portfolio (money in the portfolio's unit).

    Per flow row, in input order: ``japan``, ``us``, ``interest``, ``balance`` (the program balance
    after the row) and ``tier`` codes (:mod:`xlspv.rows`); ``order`` is the pooled row order (indices
    of flow rows). ``spvs`` has one row per SPV: ``id``, ``japan_received``, ``us_received``,
    ``partner_received``, ``xirr_japan`` (of the SPV's own fundings and pooled payouts). Program
    figures: ``threshold_date`` (``None`` if not reached), ``unrecovered``, ``xirr_japan``,
    ``japan_received``, ``us_received``.
    """

    terms: Terms
    order: np.ndarray
    japan: np.ndarray
    us: np.ndarray
    interest: np.ndarray
    balance: np.ndarray
    tier: np.ndarray
    spvs: pd.DataFrame
    threshold_date: dt.date | None
    unrecovered: float
    xirr_japan: float | None
    japan_received: float
    us_received: float


def pooled_order(portfolio: Portfolio) -> np.ndarray:
    """The flow rows in pooled order: by date, then the SPV table's order, then input order."""
    rows = np.arange(portfolio.flow_values.size)
    return np.lexsort((rows, portfolio.flow_spv, portfolio.flow_days))


def own_terms_error(portfolio: Portfolio) -> str | None:
    """Why the pooled reading cannot run (an SPV with its own terms), or ``None``."""
    for spv in portfolio.spvs:
        if spv.terms:
            names = ", ".join(name for name, _ in spv.terms)
            return (
                f"{spv.where} (SPV {spv.id!r}): its own terms ({names}) under allocation_basis 'pooled'; "
                "the pooled reading has one balance under the program's terms: clear the SPV's term "
                "columns or use the cumulative basis."
            )
    return None


def pooled(portfolio: Portfolio, terms: Terms | None = None) -> Pooled:
    """The pooled reading: one deemed balance across every SPV, split at the program level.

    Parameters
    ----------
    portfolio : Portfolio
        The program (no SPV may carry its own terms).
    terms : Terms, optional
        The program's terms (default: the portfolio's own). Their basis may be "cumulative" or
        "pooled": the rule run is the cumulative one, on the merged rows.

    Raises
    ------
    TermsError
        An SPV has its own terms (the message names it), or no terms are given.

    Examples
    --------
    Two SPVs at 10%: A funds 100 on 1 Jan 2025; B funds 50 on 1 Jan 2026 and distributes 100 the same
    day (after its funding: input order); A distributes 200 on 1 Jan 2027. On 1 Jan 2026 the pooled
    balance is 110 (a year's interest) + 50 = 160; B's 100 pays Japan 50 (half, below the balance),
    leaving 110; it grows to 121 and A's 200 pays Japan 100, still before the split: 21 unrecovered.

    >>> import datetime as dt
    >>> D = dt.date
    >>> p = Portfolio.from_tables(
    ...     [{"id": "A", "name": "", "sector": "energy", "notice_date": D(2024, 11, 1), "committed": 100},
    ...      {"id": "B", "name": "", "sector": "metals", "notice_date": D(2025, 11, 1), "committed": 50}],
    ...     {"spv_id": ["A", "A", "B", "B"], "date": [D(2025, 1, 1), D(2027, 1, 1), D(2026, 1, 1),
    ...      D(2026, 1, 1)], "value": [-100, 200, -50, 100]})
    >>> r = pooled(p, Terms(0.10))
    >>> r.japan.round(6).tolist(), round(r.unrecovered, 6), r.threshold_date
    ([0.0, 100.0, 0.0, 50.0], 21.0, None)
    """
    problem = own_terms_error(portfolio)
    if problem:
        raise TermsError(problem)
    base = default_terms(portfolio, terms)
    order = pooled_order(portfolio)
    values = portfolio.flow_values[order]
    days = portfolio.flow_days[order]
    batch = waterfall_batch(values[None, :], to_datetime64(days), base)  # the core's rule, once
    n_rows, n_spv = values.size, len(portfolio)
    back = np.empty(n_rows, dtype=np.int64)
    back[order] = np.arange(n_rows)
    japan, us = batch.japan[0][back], batch.us[0][back]
    spv = portfolio.flow_spv
    japan_flows = np.where(portfolio.flow_values < 0.0, portfolio.flow_values, japan)
    per_spv = pd.DataFrame(
        {
            "id": portfolio.ids,
            "japan_received": np.bincount(spv, weights=japan, minlength=n_spv),
            "us_received": np.bincount(spv, weights=us, minlength=n_spv),
            "partner_received": base.partner_share * np.bincount(spv, weights=japan, minlength=n_spv),
            "xirr_japan": _spv_xirrs(portfolio, japan_flows),
        }
    )
    thr = int(batch.threshold_days[0])
    unique, inverse = distinct_days(portfolio.flow_days)
    sums = np.bincount(inverse, weights=japan_flows, minlength=unique.size)
    program_xirr = float(xirr_many(sums[None, :], unique[None, :])[0])
    return Pooled(
        terms=base,
        order=order,
        japan=japan,
        us=us,
        interest=batch.interest[0][back],
        balance=batch.balance[0][back],
        tier=batch.tier[0][back],
        spvs=per_spv,
        threshold_date=to_date(thr) if thr >= 0 else None,
        unrecovered=float(batch.unrecovered[0]),
        xirr_japan=None if math.isnan(program_xirr) else program_xirr,
        japan_received=float(japan.sum()),
        us_received=float(us.sum()),
    )


def _spv_xirrs(portfolio: Portfolio, japan_flows: np.ndarray) -> np.ndarray:
    """Japan's XIRR per SPV over its own fundings and its pooled payouts (NaN where none)."""
    n = len(portfolio)
    order = np.argsort(portfolio.flow_spv, kind="stable")
    counts = np.bincount(portfolio.flow_spv, minlength=n)
    width = int(counts.max())
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    pos = np.arange(order.size) - np.repeat(starts, counts)
    flows = np.zeros((n, width))
    days = np.repeat(portfolio.flow_days[order][starts][:, None], width, axis=1)
    spv = portfolio.flow_spv[order]
    flows[spv, pos] = japan_flows[order]
    days[spv, pos] = portfolio.flow_days[order]
    return xirr_many(flows, days)


__all__ = ["Pooled", "own_terms_error", "pooled", "pooled_order"]

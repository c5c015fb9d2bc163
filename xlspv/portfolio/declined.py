"""A declined funding: the investor's distributions redirected to the US until the unpaid amount is covered.

The Korea-US MOU of 14 November 2025 provides that if Korea does not fund a selected project, the US
takes Korea's distributions until the unpaid amount is covered (Yonhap and Korea JoongAng Daily
reports of the MOU text, 14-16 November 2025). Modelled as a scenario for one SPV, beside its base
case:

1. one of the SPV's fundings is declined: the US funds it instead, so it is not the investor's and
   does not add to the investor's deemed balance (the row becomes a zero row: nothing but accrual);
2. the SPV's waterfall is computed on the other rows by the core's rule;
3. the investor's payouts, in date order from the declined funding's date on, go to the US until
   they add up to the declined amount (the row that covers it is split); the rest stay the investor's.

The US's receipts grow by exactly what the investor's shrink, row by row (cash is conserved).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..dates import to_date, to_datetime64
from ..errors import SpvInputError
from ..terms import Terms
from ..waterfall import compute
from .model import Portfolio


@dataclass(frozen=True, eq=False)
class Declined:
    """A declined-funding scenario for one SPV, beside its base case (money in the portfolio's unit).

    ``rows`` is a per-row table of the SPV (date, value, base and scenario payouts, redirected);
    ``table`` compares the two cases (index "base", "declined"): the investor's funding and receipts,
    the US's receipts, redirected, threshold date, unrecovered, the investor's XIRR.
    """

    spv_id: str
    declined_date: dt.date
    declined_amount: float
    covered_date: dt.date | None
    redirected: float
    rows: pd.DataFrame
    table: pd.DataFrame


def redirect(japan: np.ndarray, days: np.ndarray, since: int, amount: float) -> np.ndarray:
    """How much of each payout goes to the US: payouts dated ``since`` or later, in date order (then
    row order), until ``amount`` is covered; rows are in any order.

    >>> redirect(np.array([5.0, 10.0, 10.0]), np.array([1, 2, 3]), 2, 12.0).tolist()
    [0.0, 10.0, 2.0]
    """
    order = np.lexsort((np.arange(days.size), days))
    eligible = np.where(days[order] >= since, japan[order], 0.0)
    before = np.concatenate(([0.0], np.cumsum(eligible)[:-1]))
    taken = np.clip(amount - before, 0.0, eligible)
    out = np.empty_like(taken)
    out[order] = taken
    return out


def declined_funding(
    portfolio: Portfolio, spv_id: str, terms: Terms | None = None, *, funding_date: dt.date | None = None
) -> Declined:
    """The declined-funding scenario for SPV ``spv_id`` beside its base case.

    Parameters
    ----------
    portfolio : Portfolio
        The program.
    spv_id : str
        The SPV whose funding is declined.
    terms : Terms, optional
        The program's default terms (the SPV's own columns apply on top).
    funding_date : date, optional
        The declined funding's date (all the SPV's fundings that day); default its first funding.

    Examples
    --------
    At 10%: the investor funds 100 (1 Jan 2025) and declines 50 (1 Jul 2025); distributions of 80 on
    1 Jan 2026 and 2027. Without the 50 its balance is 110 on 1 Jan 2026: it is paid 40 (all
    redirected, 10 short of the 50); on 1 Jan 2027 the balance is 77, it is paid 40, of which 10 is
    redirected: 50 in all, the investor keeps 30.

    >>> import datetime as dt
    >>> D = dt.date
    >>> p = Portfolio.from_tables(
    ...     [{"id": "K", "name": "", "sector": "energy", "notice_date": D(2024, 9, 1), "committed": 150}],
    ...     {"spv_id": ["K"] * 4, "date": [D(2025, 1, 1), D(2025, 7, 1), D(2026, 1, 1), D(2027, 1, 1)],
    ...      "value": [-100, -50, 80, 80]})
    >>> d = declined_funding(p, "K", Terms(0.10), funding_date=D(2025, 7, 1))
    >>> d.rows["redirected"].round(6).tolist(), d.covered_date
    ([0.0, 0.0, 40.0, 10.0], datetime.date(2027, 1, 1))
    """
    index = {s.id: i for i, s in enumerate(portfolio.spvs)}
    if spv_id not in index:
        raise SpvInputError(f"declined SPV: {spv_id!r} is not in the SPV table; give one of its ids.")
    i = index[spv_id]
    spv_terms = portfolio.terms_for(terms)[i]
    rows = np.flatnonzero(portfolio.flow_spv == i)
    values, days = portfolio.flow_values[rows], portfolio.flow_days[rows]
    fundings = np.flatnonzero(values < 0.0)
    if not fundings.size:
        raise SpvInputError(f"declined SPV {spv_id!r}: it has no funding to decline.")
    day = int(days[fundings].min()) if funding_date is None else funding_date.toordinal()
    declined = fundings[days[fundings] == day]
    if not declined.size:
        raise SpvInputError(
            f"declined funding of SPV {spv_id!r}: no funding on {to_date(day)}; give the date of one of "
            f"its fundings ({', '.join(str(to_date(int(d))) for d in sorted(set(days[fundings])))})."
        )
    amount = float(-values[declined].sum())
    dates = to_datetime64(days)
    base = compute(values, dates, spv_terms)
    kept = values.copy()
    kept[declined] = 0.0  # the US funds it: not the investor's funding
    scenario = compute(kept, dates, spv_terms)
    taken = redirect(scenario.japan, days, day, amount)
    japan = scenario.japan - taken
    us = scenario.us + taken
    covered = np.flatnonzero(np.cumsum(taken[np.argsort(days, kind="stable")]) >= amount * (1 - 1e-12))
    covered_date = to_date(int(np.sort(days, kind="stable")[covered[0]])) if covered.size else None
    table = pd.DataFrame(
        [
            _case(values, days, base.japan, base.us, 0.0, base.threshold_date, base.unrecovered),
            _case(kept, days, japan, us, float(taken.sum()), scenario.threshold_date, scenario.unrecovered),
        ],
        index=pd.Index(["base", "declined"], name="case"),
    )
    return Declined(
        spv_id=spv_id,
        declined_date=to_date(day),
        declined_amount=amount,
        covered_date=covered_date,
        redirected=float(taken.sum()),
        rows=pd.DataFrame(
            {
                "date": [to_date(int(d)) for d in days],
                "value": values,
                "base_japan": base.japan,
                "base_us": base.us,
                "declined_japan": japan,
                "declined_us": us,
                "redirected": taken,
            }
        ),
        table=table,
    )


def _case(
    values: np.ndarray,
    days: np.ndarray,
    japan: np.ndarray,
    us: np.ndarray,
    redirected: float,
    threshold: dt.date | None,
    unrecovered: float,
) -> dict[str, object]:
    from ..xirr import xirr_many

    flows = np.where(values < 0.0, values, japan)
    rate = float(xirr_many(flows[None, :], days[None, :])[0])
    return {
        "japan_funded": float(-values[values < 0.0].sum()),
        "japan_received": float(japan.sum()),
        "us_received": float(us.sum()),
        "redirected": redirected,
        "threshold_date": threshold,
        "unrecovered": unrecovered,
        "xirr_japan": None if math.isnan(rate) else rate,
    }


__all__ = ["Declined", "declined_funding", "redirect"]

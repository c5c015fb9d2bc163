"""Present values per SPV and for the program (the rule: :mod:`xlspv.value`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..dates import to_date
from ..terms import Terms
from ..value import VALUE_FIGURES, check_discount_rate, default_discount_rate, group_values
from .model import Portfolio


@dataclass(frozen=True, eq=False)
class ProgramValues:
    """Present values at ``discount_rate`` (money in the portfolio's unit).

    ``spvs``: one row per SPV (``id``, ``start`` = its first funding date, then
    :data:`xlspv.value.VALUE_FIGURES`), each SPV discounted to its own first funding; ``program``: the
    same figures for the whole program discounted to the program's first funding (a mapping).
    ``rate_from`` says where the rate came from ("--discount-rate" or "deemed rate").
    """

    discount_rate: float
    rate_from: str
    spvs: pd.DataFrame
    program: dict[str, object]


def program_values(
    portfolio: Portfolio,
    terms: Terms,
    japan: np.ndarray,
    us: np.ndarray,
    discount_rate: float | None = None,
) -> ProgramValues:
    """Present values of every SPV and of the program, from per-flow-row payouts (input order).

    ``japan`` and ``us`` are the payouts of each flow row under the reading computed (cumulative or
    pooled); the counterfactual uses each SPV's ``japan_share_before``.
    """
    rate = (
        default_discount_rate(terms)
        if discount_rate is None
        else check_discount_rate(discount_rate, "--discount-rate")
    )
    share = np.array([t.japan_share_before for t in portfolio.terms_for(terms)])
    args = (portfolio.flow_values, portfolio.flow_days, japan, us)
    per_spv = group_values(
        *args, portfolio.flow_spv, len(portfolio), rate=rate, day_count=terms.day_count, share_before=share
    )
    whole = _program_sums(portfolio, japan, us, rate, terms.day_count, share)
    table = pd.DataFrame({"id": portfolio.ids, "start": [to_date(int(d)) for d in per_spv["start"]]})
    for name in VALUE_FIGURES:
        table[name] = per_spv[name]
    return ProgramValues(
        discount_rate=rate,
        rate_from="deemed rate" if discount_rate is None else "--discount-rate",
        spvs=table,
        program={"start": to_date(int(whole["start"][0])), **{n: float(whole[n][0]) for n in VALUE_FIGURES}},
    )


def _program_sums(
    portfolio: Portfolio, japan: np.ndarray, us: np.ndarray, rate: float, day_count: str, share: np.ndarray
) -> dict[str, np.ndarray]:
    """The program's present values: every row in one group; the before-share is each row's SPV's.

    The counterfactual's before-shares differ by SPV, so it is computed with a per-row share (scaled
    into the distributions) and a unit share.
    """
    values = portfolio.flow_values
    row_share = share[portfolio.flow_spv]
    scaled = np.where(values > 0.0, values * row_share, values)  # Japan's counterfactual part
    one = group_values(
        values,
        portfolio.flow_days,
        japan,
        us,
        np.zeros(values.size, dtype=np.int64),
        1,
        rate=rate,
        day_count=day_count,
        share_before=1.0,
    )
    cf = group_values(
        scaled,
        portfolio.flow_days,
        japan,
        us,
        np.zeros(values.size, dtype=np.int64),
        1,
        rate=rate,
        day_count=day_count,
        share_before=1.0,
    )
    # one["japan_received_no_switch"] is PV of all distributions; cf's is PV of Japan's counterfactual part
    one["us_received_no_switch"] = one["japan_received_no_switch"] - cf["japan_received_no_switch"]
    one["japan_received_no_switch"] = cf["japan_received_no_switch"]
    one["switch_value_japan"] = one["japan_received_no_switch"] - one["japan_received"]
    one["switch_value_us"] = one["us_received"] - one["us_received_no_switch"]
    return one


__all__ = ["ProgramValues", "program_values"]

"""Present values per SPV and for the program (the rule: :mod:`xlspv.value`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._jit import njit
from ..dates import to_date, to_datetime64
from ..daycount import canonical_day_count, year_fraction
from ..terms import Terms
from ..value import VALUE_FIGURES, check_discount_rate, default_discount_rate
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
    *,
    spv_terms: Sequence[Terms] | None = None,
    funding: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> ProgramValues:
    """Present values of every SPV and of the program, from the payouts of each flow row.

    ``japan`` and ``us`` are the payouts under the reading computed (cumulative or pooled), per flow
    row in input order, or shaped like :attr:`Portfolio.padded` (the batch's layout, read in place);
    the counterfactual uses each SPV's ``japan_share_before``. ``spv_terms``: each SPV's terms when the
    caller has them (``portfolio.terms_for(terms)``, not made again); ``funding`` likewise
    (:func:`funding_days`).

    Notes
    -----
    The figures are :func:`xlspv.value.group_values`' (per SPV, and for the program as one group with
    per-row before-shares), computed in one compiled pass (:func:`_value_sums`) over blocks of rows
    that adds the same products in the same order as its ``np.bincount`` calls: the same bits,
    without its temporaries of every row.
    """
    rate = (
        default_discount_rate(terms)
        if discount_rate is None
        else check_discount_rate(discount_rate, "--discount-rate")
    )
    spv_terms = portfolio.terms_for(terms) if spv_terms is None else spv_terms
    one = spv_terms[0] if len(spv_terms) else None
    if one is not None and all(
        t is one for t in spv_terms
    ):  # one Terms for every SPV: its share, no Python per SPV
        share = np.full(len(spv_terms), float(one.japan_share_before))
    else:
        share = np.array([t.japan_share_before for t in spv_terms], dtype=np.float64)
    values, days, spv = portfolio.flow_values, portfolio.flow_days, portfolio.flow_spv
    n = len(portfolio)
    start, _, first_day = funding_days(portfolio) if funding is None else funding
    funded = start[start < NEVER]
    program_start = int(funded.min()) if funded.size else int(days.min())
    start = np.where(start == NEVER, first_day, start)
    japan_flat, us_flat = np.ascontiguousarray(japan).ravel(), np.ascontiguousarray(us).ravel()
    # the program's discount factor depends on the row's day only: one per day spanned, looked up per
    # row (the same year fraction and exp of the same day, so the same bits; a few thousand days
    # instead of every row)
    lo_day = int(days.min())
    by_day = _discount(
        year_fraction(terms.day_count, np.array(program_start), np.arange(lo_day, days.max() + 1)), rate
    )
    per_spv, whole = np.zeros((n, 5)), np.zeros(5)
    padded = np.ndim(japan) == 2
    if canonical_day_count(terms.day_count) in SPAN_ONLY and values.size:
        # each SPV's discount factor depends on the days since its start only: one per span, looked up
        # per row in the pass (the same year fraction and exp of the same span, so the same bits; no
        # array of every row's factor); the spans run from each SPV's first day less its start to at
        # most the last day less the earliest start
        lo_span = int((first_day - start).min())
        spans = np.arange(lo_span, int(days.max()) - int(start.min()) + 1)
        by_span = _discount(year_fraction(terms.day_count, np.array(0), spans), rate)
        at = portfolio.padded_at if padded else np.arange(values.size)
        _value_sums(
            values,
            japan_flat,
            us_flat,
            at,
            spv,
            share,
            days,
            start,
            True,
            lo_span,
            by_span,
            lo_day,
            by_day,
            per_spv,
            whole,
        )
        rows_left = 0
    else:
        rows_left = values.size
    for lo in range(0, rows_left, _ROWS):  # rows in order, a block at a time: bounded temporaries
        rows = slice(lo, min(values.size, lo + _ROWS))
        d, g = days[rows], spv[rows]
        # each row's place in the payouts (the padded layout, or per flow row)
        at = portfolio.padded_at[rows] if padded else np.arange(lo, rows.stop)
        factor = _discount(year_fraction(terms.day_count, start[g], d), rate)  # one per row
        _value_sums(
            values[rows],
            japan_flat,
            us_flat,
            at,
            g,
            share,
            d,
            start,
            False,
            0,
            factor,
            lo_day,
            by_day,
            per_spv,
            whole,
        )
    # the dates (datetime.date objects) from numpy's datetime64 conversion, one C loop
    table = pd.DataFrame(  # built at once: a column set at a time costs pandas a block each
        {"id": portfolio.ids, "start": to_datetime64(start).astype(object).tolist(), **_figures(per_spv)}
    )
    return ProgramValues(
        discount_rate=rate,
        rate_from="deemed rate" if discount_rate is None else "--discount-rate",
        spvs=table,
        program={"start": to_date(program_start), **_program_figures(whole)},
    )


#: The first funding day of an SPV that never funds (after every day).
NEVER = np.iinfo(np.int64).max


def funding_days(portfolio: Portfolio) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each SPV's first and last funding day and its first day (ordinals; :data:`NEVER` and -1 for an
    SPV that never funds), in one compiled pass over the flow rows."""
    return _funding_days(portfolio.flow_values, portfolio.flow_days, portfolio.flow_spv, len(portfolio))


@njit(cache=True, nogil=True)
def _funding_days(values, days, spv, n):  # type: ignore[no-untyped-def]
    first_funding = np.full(n, NEVER, dtype=np.int64)
    last_funding = np.full(n, -1, dtype=np.int64)
    first = np.full(n, NEVER, dtype=np.int64)
    for i in range(values.size):
        g = spv[i]
        d = days[i]
        if d < first[g]:
            first[g] = d
        if values[i] < 0.0:
            if d < first_funding[g]:
                first_funding[g] = d
            if d > last_funding[g]:
                last_funding[g] = d
    return first_funding, last_funding, first


def _discount(t: np.ndarray, rate: float) -> np.ndarray:
    """``1 / (1 + rate) ** t`` as :func:`xlspv.value.group_values` computes it (``exp(-t log1p(rate))``:
    ``t * -x`` is ``-t * x`` bit for bit), in place in ``t`` (a new array: no temporaries of the rows)."""
    np.multiply(t, -np.log1p(rate), out=t)
    return np.exp(t, out=t)


#: Columns of :func:`_value_sums`' per-SPV sums (present values of each row's flow).
_JAPAN, _FUNDED, _US, _JAPAN_NO_SWITCH, _US_NO_SWITCH = range(5)


#: Day counts whose year fraction depends on the days between the dates only (not on the dates), so
#: a factor per span serves every SPV (tests/test_value.py checks it of each).
SPAN_ONLY = frozenset({"ACT/365F", "ACT/360"})

#: Flow rows discounted at a time (the discount factors of a block exist at once, not of every row).
_ROWS = 1 << 20


@njit(cache=True, nogil=True)
def _value_sums(
    values,
    japan,
    us,
    at,
    spv,
    share,
    days,
    start,
    by_span,
    lo_span,
    factor,
    lo_day,
    program_factor,
    per_spv,
    whole,
):  # type: ignore[no-untyped-def]  # noqa: E501
    """One pass over flow rows in input order, added to the discounted sums per SPV ``per_spv``
    (columns ``_JAPAN`` ... ``_US_NO_SWITCH``) and for the program ``whole`` (the same, then Japan's
    counterfactual at each row's SPV's before-share), each product and each addition as
    :func:`xlspv.value.group_values` makes them (so blocks of rows added in order give its bits).

    Each row's factor is ``factor[days - start[spv] - lo_span]`` (one per span of days from the SPV's
    start) with ``by_span``, else ``factor[i]`` (one per row); the program's is
    ``program_factor[days - lo_day]``."""
    # the sums in locals, not in memory (a chain of additions through memory waits on each store):
    # the program's for the whole pass, an SPV's while its rows run (each written back when its run
    # ends), the same additions in the same order
    w0, w1, w2, w3, w4 = whole[0], whole[1], whole[2], whole[3], whole[4]
    cur = -1
    a0 = a1 = a2 = a3 = a4 = 0.0
    for i in range(values.size):
        v = values[i]
        g = spv[i]
        if g != cur:
            if cur >= 0:
                per_spv[cur, 0], per_spv[cur, 1], per_spv[cur, 2] = a0, a1, a2
                per_spv[cur, 3], per_spv[cur, 4] = a3, a4
            cur = g
            a0, a1, a2, a3, a4 = per_spv[g, 0], per_spv[g, 1], per_spv[g, 2], per_spv[g, 3], per_spv[g, 4]
        f = factor[days[i] - start[g] - lo_span] if by_span else factor[i]
        p = program_factor[days[i] - lo_day]
        j = japan[at[i]]
        u = us[at[i]]
        funded = -v if v < 0.0 else 0.0
        distributed = v if v > 0.0 else 0.0
        before = share[g]
        a0 += j * f  # _JAPAN ... _US_NO_SWITCH
        a1 += funded * f
        a2 += u * f
        a3 += before * distributed * f
        a4 += (1.0 - before) * distributed * f
        scaled = v * before if v > 0.0 else v  # Japan's counterfactual part of the row
        w0 += j * p
        w1 += funded * p
        w2 += u * p
        w3 += 1.0 * distributed * p  # every distribution (a before-share of 1)
        w4 += 1.0 * (scaled if scaled > 0.0 else 0.0) * p
    if cur >= 0:
        per_spv[cur, 0], per_spv[cur, 1], per_spv[cur, 2], per_spv[cur, 3], per_spv[cur, 4] = (
            a0,
            a1,
            a2,
            a3,
            a4,
        )
    whole[0], whole[1], whole[2], whole[3], whole[4] = w0, w1, w2, w3, w4


def _figures(sums: np.ndarray) -> dict[str, np.ndarray]:
    """:data:`VALUE_FIGURES` from the per-SPV sums, as :func:`xlspv.value.group_values` derives them."""
    japan, funded, us = sums[:, _JAPAN], sums[:, _FUNDED], sums[:, _US]
    japan_ns, us_ns = sums[:, _JAPAN_NO_SWITCH], sums[:, _US_NO_SWITCH]
    out = {
        "japan_received": japan,
        "japan_funded": funded,
        "npv_japan": japan - funded,
        "us_received": us,
        "japan_received_no_switch": japan_ns,
        "us_received_no_switch": us_ns,
        "switch_value_japan": japan_ns - japan,
        "switch_value_us": us - us_ns,
    }
    return {name: out[name] for name in VALUE_FIGURES}


def _program_figures(whole: np.ndarray) -> dict[str, object]:
    """The program's figures: its before-shares differ by SPV, so the counterfactual is Japan's part
    summed row by row (``whole[_US_NO_SWITCH]`` holds it) and the US's the rest of every distribution."""
    japan, funded, us = whole[_JAPAN], whole[_FUNDED], whole[_US]
    every, japan_ns = whole[_JAPAN_NO_SWITCH], whole[_US_NO_SWITCH]
    us_ns = every - japan_ns
    out = {
        "japan_received": japan,
        "japan_funded": funded,
        "npv_japan": japan - funded,
        "us_received": us,
        "japan_received_no_switch": japan_ns,
        "us_received_no_switch": us_ns,
        "switch_value_japan": japan_ns - japan,
        "switch_value_us": us - us_ns,
    }
    return {name: float(out[name]) for name in VALUE_FIGURES}


__all__ = ["ProgramValues", "program_values"]

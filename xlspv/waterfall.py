"""The SPV waterfall: how each row's distributable cash splits between Japan and the US.

The rule (``shared/spec/waterfall.md``, "The rule, event by event"), for the default reading
(``allocation_basis = "cumulative"``), keeps one number, Japan's outstanding deemed balance ``B``:

1. between two dates ``B`` grows by the terms' accrual factor (nothing accrues while ``B`` is 0);
2. a funding ``F`` adds ``F`` to ``B`` (after the threshold it reopens the balance);
3. a distribution ``C`` with ``B > 0``: Japan gets ``japan_share_before * C`` while that is below
   ``B``; otherwise the row is the threshold row: ``x = B / japan_share_before`` is split at the
   before-shares (clearing ``B`` exactly) and ``C - x`` at the after-shares;
4. a distribution with ``B == 0`` is split at the after-shares;
5. the US gets ``C`` less Japan's part.

:func:`_cumulative_scenario` is that rule, once, for one or many scenarios; everything else (single
schedules, batches, summaries, the Excel functions, the workbooks) calls it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._jit import njit, prange
from .accrual import exponent, span_exponents
from .dates import to_date, to_datetime64, to_ordinals
from .daycount import year_fraction
from .errors import SpvInputError, TermsError
from .inputs import Flows, prepare
from .rows import AFTER, BEFORE, FUNDING, THRESHOLD, TIER_NAMES, Rows
from .terms import Terms, TermsLike, as_terms
from .xirr import xirr_many

#: A distribution whose before-share falls short of the balance by less than this (relative) clears it:
#: cash computed to clear the balance "exactly" is often one unit in the last place short, and leaving
#: 1e-14 of a balance unrecovered would report the threshold as not reached.
CLEAR_TOLERANCE = 1e-12


@njit(cache=True, nogil=True)
def _cumulative_scenario(s, values, growth, simple, before, after, japan, us, interest, balance, tier, threshold):  # type: ignore[no-untyped-def]  # noqa: E501
    """The default rule for scenario ``s`` of ``values`` (scenarios x rows, date order), in place.

    ``growth[g, r]`` is the accrual over the span ending at row ``r`` per unit of balance: ``exp(E) - 1``
    when compounding, the simple rate-time ``E`` when ``simple[s]`` (see :mod:`xlspv.accrual`); ``g`` is
    the scenario, or 0 for every scenario when ``growth`` has one row. Simple interest is tracked apart
    from principal and paid first. ``threshold[s]`` is the position of the row where the balance last
    becomes 0 and stays 0, or -1.
    """
    n_rows = values.shape[1]
    g_row = s % growth.shape[0]  # growth has one row per scenario, or one shared row
    sb = before[s]
    sa = after[s]
    is_simple = simple[s]
    principal = 0.0  # when compounding, the whole balance B; when simple, principal only
    accrued = 0.0  # simple only: interest accrued and not yet paid
    last_threshold = -1
    for r in range(n_rows):
        # rule 1: the balance grows between dates (nothing accrues while it is 0)
        grown = principal * growth[g_row, r]
        cleared_by_accrual = False
        if is_simple:
            if grown < 0.0 and principal + accrued + grown <= 0.0:
                # a negative simple rate can eat the whole balance: it stops at 0, never below
                grown = -(principal + accrued)
                principal = 0.0
                accrued = 0.0
                cleared_by_accrual = grown < 0.0
            else:
                accrued += grown
        else:
            principal += grown
        interest[s, r] = grown
        owed = principal + accrued
        c = values[s, r]
        if c < 0.0:  # rule 2: a funding adds to the balance (and reopens it)
            principal -= c
            japan[s, r] = 0.0
            us[s, r] = 0.0
            tier[s, r] = FUNDING
        elif owed > 0.0 and sb * c < owed * (1.0 - CLEAR_TOLERANCE):  # rule 3: before the threshold
            paid = sb * c
            japan[s, r] = paid
            us[s, r] = c - paid
            from_interest = min(paid, accrued)
            accrued -= from_interest
            principal -= paid - from_interest
            tier[s, r] = BEFORE
        elif owed > 0.0:  # rule 3: the threshold inside this row; x = owed / sb clears it
            paid = owed + sa * max(c - owed / sb, 0.0)
            japan[s, r] = paid
            us[s, r] = c - paid
            principal = 0.0
            accrued = 0.0
            tier[s, r] = THRESHOLD
            last_threshold = r
        else:  # rule 4: after the threshold
            paid = sa * c
            japan[s, r] = paid
            us[s, r] = c - paid
            tier[s, r] = AFTER
            if cleared_by_accrual:
                tier[s, r] = THRESHOLD
                last_threshold = r
        balance[s, r] = principal + accrued
    threshold[s] = last_threshold if principal + accrued == 0.0 else -1


@njit(cache=True, nogil=True)
def _cumulative_serial(values, growth, simple, before, after, japan, us, interest, balance, tier, threshold):  # type: ignore[no-untyped-def]  # noqa: E501
    for s in range(values.shape[0]):
        _cumulative_scenario(s, values, growth, simple, before, after, japan, us, interest, balance, tier,
                             threshold)


@njit(cache=True, nogil=True, parallel=True)
def _cumulative_parallel(values, growth, simple, before, after, japan, us, interest, balance, tier, threshold):  # type: ignore[no-untyped-def]  # noqa: E501
    for s in prange(values.shape[0]):
        _cumulative_scenario(s, values, growth, simple, before, after, japan, us, interest, balance, tier,
                             threshold)


#: Below this many scenarios, threads cost more than they save.
PARALLEL_FROM = 64


def growth_of(exps: np.ndarray, terms: Sequence[Terms]) -> np.ndarray:
    """Per-unit accrual from accrual exponents: ``expm1`` when compounding, ``E`` itself when simple."""
    simple = np.array([t.compounding == "simple" for t in terms])
    if exps.shape[0] == 1:
        return exps if simple[0] else np.expm1(exps)
    return np.where(simple[:, None], exps, np.expm1(exps))


def cumulative_rows(values: np.ndarray, exps: np.ndarray, terms: Sequence[Terms]) -> Rows:
    """Run the default rule on sorted ``values`` (scenarios x rows) and accrual exponents.

    ``exps`` has one row per scenario, or a single row shared by all (then every scenario must have
    the same compounding).
    """
    rows, _ = _run_cumulative(values, exps, terms)
    return rows


def _run_cumulative(values: np.ndarray, exps: np.ndarray, terms: Sequence[Terms]) -> tuple[Rows, np.ndarray]:
    values = np.ascontiguousarray(values, dtype=np.float64)
    growth = np.ascontiguousarray(growth_of(np.atleast_2d(exps), terms), dtype=np.float64)
    shape = values.shape
    japan, us = np.empty(shape), np.empty(shape)
    interest, balance = np.empty(shape), np.empty(shape)
    tier = np.empty(shape, dtype=np.int8)
    threshold = np.empty(shape[0], dtype=np.int64)
    simple = np.array([t.compounding == "simple" for t in terms])
    before = np.array([t.japan_share_before for t in terms])
    after = np.array([t.japan_share_after for t in terms])
    run = _cumulative_parallel if shape[0] >= PARALLEL_FROM else _cumulative_serial
    run(values, growth, simple, before, after, japan, us, interest, balance, tier, threshold)
    if not (np.isfinite(balance[:, -1]).all() and np.isfinite(japan.sum())):
        raise SpvInputError(
            "values: the deemed balance or a payout overflows (is not finite); check the sizes of the "
            "values and the deemed rate."
        )
    rows = Rows(
        japan=japan,
        interest=interest,
        balance=balance,
        tier=tier,
        threshold_pos=threshold,
        unrecovered=balance[:, -1].copy(),
    )
    return rows, us


@dataclass(frozen=True)
class Summary:
    """Headline figures of one SPV's waterfall (money in the input's unit; rates as decimals).

    ``threshold_date`` is ``None`` when the threshold is not reached; then ``unrecovered`` is the
    deemed allocation Japan has not recovered. XIRRs are ``None`` where a party's flows have no IRR
    (the US never funds, so it has none). Multiples are received / funded, ``None`` without funding.
    """

    threshold_date: Any
    years_to_threshold: float | None
    unrecovered: float
    japan_funded: float
    japan_received: float
    us_received: float
    partner_funded: float
    partner_received: float
    distributed: float
    xirr_japan: float | None
    xirr_us: float | None
    xirr_partner: float | None
    xirr_project: float | None
    multiple_japan: float | None
    multiple_partner: float | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Waterfall:
    """The computed waterfall of one SPV: per-row table, headline summary, and party cash flows."""

    def __init__(self, flows: Flows, terms: Terms, rows: Rows) -> None:
        self.flows = flows
        self.terms = terms
        inverse = np.empty_like(flows.order)
        inverse[flows.order] = np.arange(flows.order.size)
        self._inverse = inverse  # input position -> date-order position
        self._rows = rows
        v = flows.values
        self.japan = rows.japan[0][inverse]
        self.us = np.where(v > 0.0, v - self.japan, 0.0)
        self.partner = terms.partner_share * self.japan
        self.interest = rows.interest[0][inverse]
        self.balance = rows.balance[0][inverse]
        self.tier_codes = rows.tier[0][inverse]
        pos = int(rows.threshold_pos[0])
        self.threshold_row = int(flows.order[pos]) if pos >= 0 else None
        self.unrecovered = float(rows.unrecovered[0])
        self.schedule = rows.schedule

    @property
    def threshold_date(self) -> Any:
        """Date (``datetime.date``) the deemed allocation is recovered for good, or ``None``."""
        if self.threshold_row is None:
            return None
        return to_date(self.flows.days[self.threshold_row])

    @property
    def tiers(self) -> np.ndarray:
        return TIER_NAMES[self.tier_codes]

    def table(self) -> Any:
        """One row per input row, in input order (a ``pandas.DataFrame``)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "date": to_datetime64(self.flows.days),
                "value": self.flows.values,
                "interest": self.interest,
                "japan": self.japan,
                "us": self.us,
                "partner": self.partner,
                "balance": self.balance,
                "tier": self.tiers,
            }
        )

    def party_flows(self, party: str) -> np.ndarray:
        """Cash flows of a party per input row: 'japan', 'us', 'partner' or 'project'.

        Japan: minus its fundings plus its payouts; the partner: the same scaled by its share; the US:
        its payouts; the project: the SPV's own values.
        """
        v = self.flows.values
        key = party.strip().lower()
        if key == "japan":
            return np.where(v < 0.0, v, self.japan)
        if key == "partner":
            return self.terms.partner_share * np.where(v < 0.0, v, self.japan)
        if key == "us":
            return self.us
        if key == "project":
            return v
        raise SpvInputError(f"party: {party!r} is not a party; use Japan, US, Partner or Project.")

    def xirr(self, party: str, guess: float = 0.1) -> float | None:
        """XIRR of a party's flows (see :func:`xlspv.xirr`); ``None`` where it has none."""
        rate = xirr_many(self.party_flows(party)[None, :], self.flows.days[None, :], guess)[0]
        return None if math.isnan(rate) else float(rate)

    def summary(self) -> Summary:
        v = self.flows.values
        funded = float(-v[v < 0.0].sum())
        received = float(self.japan.sum())
        partner = self.terms.partner_share
        rates = xirr_many(
            np.stack([self.party_flows(p) for p in ("japan", "us", "partner", "project")]),
            self.flows.days[None, :],
        )
        rate = [None if math.isnan(r) else float(r) for r in rates]
        when = self.threshold_date
        start = to_date(self.flows.days.min())
        return Summary(
            threshold_date=when,
            years_to_threshold=None if when is None else (when - start).days / 365.25,
            unrecovered=self.unrecovered,
            japan_funded=funded,
            japan_received=received,
            us_received=float(self.us.sum()),
            partner_funded=partner * funded,
            partner_received=partner * received,
            distributed=float(v[v > 0.0].sum()),
            xirr_japan=rate[0],
            xirr_us=rate[1],
            xirr_partner=rate[2] if partner > 0.0 else None,
            xirr_project=rate[3],
            multiple_japan=received / funded if funded > 0.0 else None,
            multiple_partner=received / funded if funded > 0.0 and partner > 0.0 else None,
        )


def _rows_for(flows: Flows, terms: Terms) -> Rows:
    if terms.allocation_basis == "scheduled":
        from .scheduled import scheduled_rows

        return scheduled_rows(flows, terms)
    exps = span_exponents(terms, flows.sorted_days)
    return cumulative_rows(flows.sorted_values[None, :], exps[None, :], [terms])


def compute(values: Any, dates: Any, terms: TermsLike) -> Waterfall:
    """Compute one SPV's waterfall; see :class:`Waterfall` for what it holds.

    Parameters
    ----------
    values : sequence of float
        The SPV's cash flows: negative = a Japan funding, positive = distributable cash, 0 = nothing.
    dates : sequence of dates
        One per value, any order (``datetime.date``, datetimes, numpy/pandas dates, Excel serials).
    terms : Terms, float or mapping
        The SPV's terms, or just the deemed rate (every other term at its default).

    Examples
    --------
    Japan funds 100 and the SPV distributes 60 a year later, then 200 a year after that, at a 10%
    deemed rate: the balance grows to 110, 30 is paid, 80 is left; it grows to 88 and is cleared by
    the first 176 of the last row; Japan also gets 10% of the other 24.

    >>> import datetime as dt
    >>> w = compute([-100, 60, 200], [dt.date(2025, 1, 1), dt.date(2026, 1, 1), dt.date(2027, 1, 1)], 0.10)
    >>> w.japan.round(6).tolist()
    [0.0, 30.0, 90.4]
    >>> w.threshold_date
    datetime.date(2027, 1, 1)
    """
    t = as_terms(terms)
    flows = prepare(values, dates)
    return Waterfall(flows, t, _rows_for(flows, t))


def waterfall(values: Any, dates: Any, terms: TermsLike) -> Any:
    """Per-row waterfall table (``pandas.DataFrame``) in input order.

    Columns: ``date``, ``value``, ``interest``, ``japan``, ``us``, ``partner``, ``balance``, ``tier``.
    """
    return compute(values, dates, terms).table()


def summary(values: Any, dates: Any, terms: TermsLike) -> Summary:
    """Headline figures (threshold date, unrecovered amount, totals, XIRRs, multiples)."""
    return compute(values, dates, terms).summary()


@dataclass(frozen=True)
class Batch:
    """Many scenarios' waterfalls: arrays shaped (scenarios, rows) in input order.

    ``days`` are ordinals, shared (shape ``(rows,)``) or per scenario; ``threshold_days`` are ordinals,
    -1 where the threshold is not reached.
    """

    values: np.ndarray
    days: np.ndarray
    japan: np.ndarray
    us: np.ndarray
    interest: np.ndarray
    balance: np.ndarray
    tier: np.ndarray
    threshold_days: np.ndarray
    unrecovered: np.ndarray
    partner_share: np.ndarray

    @property
    def partner(self) -> np.ndarray:
        """The partner's payouts: its share of Japan's."""
        return self.partner_share[:, None] * self.japan

    def party_flows(self, party: str) -> np.ndarray:
        """Cash flows of a party per scenario and row (as :meth:`Waterfall.party_flows`)."""
        key = party.strip().lower()
        if key in ("japan", "partner"):
            side = np.where(self.values < 0.0, self.values, self.japan)
            return side if key == "japan" else self.partner_share[:, None] * side
        if key == "us":
            return self.us
        if key == "project":
            return self.values
        raise SpvInputError(f"party: {party!r} is not a party; use Japan, US, Partner or Project.")

    def xirr(self, party: str, guess: float = 0.1) -> np.ndarray:
        """XIRR per scenario (NaN where there is none)."""
        return xirr_many(self.party_flows(party), np.broadcast_to(self.days, self.values.shape), guess)


def waterfall_batch(
    values: Any,
    dates: Any,
    terms: Terms | Sequence[Terms],
    *,
    deemed_rates: Any = None,
) -> Batch:
    """Waterfalls of many scenarios in one compiled pass (no Python loop per scenario).

    Parameters
    ----------
    values : array_like, shape (scenarios, rows) or (rows,)
        Cash flows per scenario; a 1-D schedule is shared by every scenario (with ``deemed_rates``).
    dates : array_like, shape (rows,) or (scenarios, rows)
        Shared dates, or one row of dates per scenario (pad short schedules with zero values on
        their last date: a zero row changes nothing).
    terms : Terms or sequence of Terms
        Shared terms, or one per scenario (cumulative basis only).
    deemed_rates : array_like, shape (scenarios,), optional
        A flat deemed rate per scenario, replacing the terms' rate (a deemed-rate grid).

    Examples
    --------
    >>> import datetime as dt
    >>> b = waterfall_batch([-100, 60, 200], [dt.date(2025, 1, 1), dt.date(2026, 1, 1),
    ...                     dt.date(2027, 1, 1)], Terms(0.1), deemed_rates=[0.0, 0.1])
    >>> b.japan.round(6).tolist()
    [[0.0, 30.0, 76.0], [0.0, 30.0, 90.4]]
    """
    vals = np.asarray(values, dtype=np.float64)
    rates = None if deemed_rates is None else np.asarray(deemed_rates, dtype=np.float64).ravel()
    n_scen = vals.shape[0] if vals.ndim == 2 else (rates.size if rates is not None else 1)
    vals = np.ascontiguousarray(
        np.broadcast_to(vals if vals.ndim == 2 else vals[None, :], (n_scen, vals.shape[-1]))
    )
    if not np.isfinite(vals).all():
        raise SpvInputError("values: every value must be a finite number.")
    raw = dates if isinstance(dates, np.ndarray) else np.asarray(dates)
    if raw.ndim == 2:
        days = to_ordinals(raw.ravel(), name="dates").reshape(raw.shape)
    else:
        days = to_ordinals(dates, name="dates")
    if days.shape[-1] != vals.shape[-1] or (days.ndim == 2 and days.shape[0] != n_scen):
        raise SpvInputError(f"values are {vals.shape} (scenarios, rows) but dates are {days.shape}.")
    term_list = [terms] * n_scen if isinstance(terms, Terms) else list(terms)
    if len(term_list) != n_scen:
        raise TermsError(f"terms: {len(term_list)} terms for {n_scen} scenarios; give one per scenario.")
    if any(t.allocation_basis != "cumulative" for t in term_list):
        raise TermsError("allocation_basis: the batch path computes the cumulative basis only.")
    if rates is not None and (rates.size != n_scen or not np.isfinite(rates).all() or (rates <= -1).any()):
        raise TermsError("deemed_rates: give one finite rate above -100% per scenario.")

    order = None if (np.diff(days, axis=-1) >= 0).all() else np.argsort(days, axis=-1, kind="stable")
    if order is None:  # already in date order (the usual case): nothing to sort or to put back
        sorted_days, sorted_vals = days, vals
    elif days.ndim == 1:  # shared dates: sort once, by columns
        sorted_days, sorted_vals = days[order], vals[:, order]
    else:
        sorted_days = np.take_along_axis(days, order, axis=1)
        sorted_vals = np.take_along_axis(vals, order, axis=1)
    exps = _batch_exponents(sorted_days, term_list, rates)
    rows, us = _run_cumulative(sorted_vals, exps, term_list)
    thr = rows.threshold_pos
    at = np.maximum(thr, 0)
    when = sorted_days[at] if sorted_days.ndim == 1 else sorted_days[np.arange(n_scen), at]
    back = _unsort(order)
    return Batch(
        values=vals,
        days=days,
        japan=back(rows.japan),
        us=back(us),
        interest=back(rows.interest),
        balance=back(rows.balance),
        tier=back(rows.tier),
        threshold_days=np.where(thr >= 0, when, -1),
        unrecovered=rows.unrecovered,
        partner_share=np.array([t.partner_share for t in term_list]),
    )


def _unsort(order: np.ndarray | None) -> Any:
    """The function that puts date-ordered columns back in input order."""
    if order is None:
        return lambda a: a
    if order.ndim == 1:
        inverse = np.argsort(order)
        return lambda a: a[:, inverse]
    inverse = np.argsort(order, axis=1)
    return lambda a: np.take_along_axis(a, inverse, axis=1)


def _batch_exponents(sorted_days: np.ndarray, terms: list[Terms], rates: np.ndarray | None) -> np.ndarray:
    """Accrual exponents: one shared row when dates and terms are shared, else one row per scenario.

    Scenarios with a flat rate are computed together per (day count, compounding) group; only dated
    rate schedules are computed one scenario at a time.
    """
    n_scen = len(terms)
    if sorted_days.ndim == 1 and rates is None and all(t == terms[0] for t in terms):
        return span_exponents(terms[0], sorted_days)[None, :]
    days = np.broadcast_to(sorted_days, (n_scen, sorted_days.shape[-1]))
    flat = np.array([rates is not None or t.flat_rate is not None for t in terms])
    rate = rates if rates is not None else np.array([t.flat_rate or 0.0 for t in terms])
    out = np.zeros(days.shape)
    groups: dict[tuple[str, str], list[int]] = {}
    for s in np.flatnonzero(flat):
        groups.setdefault((terms[s].day_count, terms[s].compounding), []).append(int(s))
    for members in groups.values():
        idx = np.asarray(members)
        group_days = days[idx] if sorted_days.ndim == 2 else sorted_days[None, :]
        t = year_fraction(terms[idx[0]].day_count, group_days[:, :-1], group_days[:, 1:])
        out[idx, 1:] = exponent(terms[idx[0]], rate[idx, None], t)
    for s in np.flatnonzero(~flat):
        out[s] = span_exponents(terms[s], days[s])
    return out

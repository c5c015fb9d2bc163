"""A batch's inputs made ready for the compiled rule: per-scenario conventions, checked rates and
each chunk's accrual (the growth rows, or the plan and annual exponents the kernels compute them from).

:mod:`xlspv.batch` runs the kernels over these; a plan depends on the dates and the day count only,
so several flat rates share one (:func:`xlspv.batch.waterfall_summary_grid`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .accrual import AccrualPlan, annual_exponent, check_path_start, growth_row, plan, rate_path
from .cumulative import growth_rows
from .dates import to_ordinals
from .errors import TermsError
from .inputs import BatchChunk, BatchFlows, numeric_array, prepare_batch
from .summary_kernel import plan_keys
from .terms import Terms

#: Distinct one-piece spans (year fraction, rate period) a plan row indexes for the summary's growth
#: (:func:`xlspv.summary_kernel.plan_keys`); spans past these are computed row by row.
SPAN_KEYS = 16


@dataclass(frozen=True)
class _Conventions:
    """Per-scenario conventions as arrays (one entry when shared) and the accrual inputs."""

    simple: np.ndarray
    before: np.ndarray
    after: np.ndarray
    partner: np.ndarray
    day_counts: np.ndarray  # day count per scenario (one when shared)
    changes: np.ndarray | None  # shared rate-change ordinals, or None
    annual: np.ndarray | None  # (1 or S, K) annual exponents, or None when growth comes per group
    terms: list[Terms] | None  # per-scenario terms when they carry their own rate schedules


def _conventions(
    terms: Terms | Sequence[Terms], n_scen: int, rates: np.ndarray | None, rate_dates: np.ndarray | None
) -> _Conventions:
    if isinstance(terms, Terms):
        term_list = [terms]
    else:
        term_list = list(terms)
        if len(term_list) != n_scen:
            raise TermsError(f"terms: {len(term_list)} terms for {n_scen} scenarios; give one per scenario.")
        if not all(isinstance(t, Terms) for t in term_list):
            raise TermsError("terms: give one Terms, or one Terms per scenario.")
    if any(t.allocation_basis != "cumulative" for t in term_list):
        raise TermsError("allocation_basis: the batch path computes the cumulative basis only.")
    compounding = np.array([t.compounding for t in term_list])
    simple = compounding == "simple"
    before = np.array([t.japan_share_before for t in term_list])
    after = np.array([t.japan_share_after for t in term_list])
    partner = np.array([t.partner_share for t in term_list])
    day_counts = np.array([t.day_count for t in term_list])
    if rates is not None:
        annual = np.empty(rates.shape)
        for name in np.unique(compounding):
            rows = slice(None) if compounding.size == 1 else compounding == name
            annual[rows] = annual_exponent(str(name), rates[rows])
        return _Conventions(simple, before, after, partner, day_counts, rate_dates, annual, None)
    if len(term_list) == 1:
        changes, own = rate_path(term_list[0])
        annual = annual_exponent(term_list[0].compounding, own)[None, :]
        return _Conventions(simple, before, after, partner, day_counts, changes, annual, None)
    if all(t.flat_rate is not None for t in term_list):
        flat = np.array([t.flat_rate for t in term_list])[:, None]
        annual = np.empty(flat.shape)
        for name in np.unique(compounding):
            rows = compounding == name
            annual[rows] = annual_exponent(str(name), flat[rows])
        return _Conventions(simple, before, after, partner, day_counts, None, annual, None)
    return _Conventions(simple, before, after, partner, day_counts, None, None, term_list)


def _rates(deemed_rates: Any, rate_dates: Any, n_values: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per-scenario rates as ``(S, K)`` and the shared change ordinals (``None`` for flat rates)."""
    if deemed_rates is None:
        if rate_dates is not None:
            raise TermsError("rate_dates: give deemed_rates (scenarios x dates) with rate_dates.")
        return None, None
    rates = numeric_array(deemed_rates)
    if rates.dtype.kind not in "iuf":
        raise TermsError(
            "deemed_rates: give numbers (decimals such as 0.05), one per scenario or a path each."
        )
    rates = rates.astype(np.float64, copy=False)
    if rates.ndim == 1:
        rates = rates[:, None]
        if rate_dates is not None:
            raise TermsError("rate_dates: with rate dates, give deemed_rates as (scenarios, dates).")
    if rates.ndim != 2 or rates.size == 0 or not np.isfinite(rates).all() or (rates <= -1.0).any():
        raise TermsError("deemed_rates: give one finite rate above -100% per scenario (and date).")
    if n_values > 1 and rates.shape[0] != n_values:
        raise TermsError(
            f"deemed_rates: {rates.shape[0]} scenarios of rates for {n_values} scenarios of values; "
            "give one finite rate above -100% per scenario."
        )
    if rate_dates is None:
        if rates.shape[1] != 1:
            raise TermsError("deemed_rates: a rate path (scenarios x dates) needs rate_dates.")
        return rates, None
    changes = to_ordinals(np.asarray(rate_dates).ravel(), name="rate_dates")
    if changes.size != rates.shape[1]:
        raise TermsError(
            f"rate_dates: {changes.size} dates for {rates.shape[1]} rates a scenario; give one per rate."
        )
    if (np.diff(changes) <= 0).any():
        raise TermsError("rate_dates: the dates must increase; sort them and drop repeats.")
    return np.ascontiguousarray(rates), changes


def _setup(
    values: Any,
    dates: Any,
    terms: Any,
    deemed_rates: Any,
    rate_dates: Any,
) -> tuple[BatchFlows, _Conventions]:
    n_values = np.shape(values)[0] if np.ndim(values) == 2 else 1
    rates, changes = _rates(deemed_rates, rate_dates, n_values)
    flows = prepare_batch(values, dates, None if rates is None or n_values > 1 else rates.shape[0])
    conv = _conventions(terms, flows.n_scenarios, rates, changes)
    if conv.changes is not None and flows.shared_days is not None:
        check_path_start(conv.changes, flows.shared_days, _path_name(deemed_rates))
    return flows, conv


def _path_name(deemed_rates: Any) -> str:
    return "deemed_rate: the rate schedule" if deemed_rates is None else "rate_dates: the rate path"


_NONE_F = np.zeros((1, 1))
_NONE_I = np.zeros((1, 1), dtype=np.int64)
_NO_KEYS = np.zeros((0, 1), dtype=np.int64)
_NO_COUNTS = np.zeros((0, 2), dtype=np.int64)


@dataclass(frozen=True)
class _Accrual:
    """Kernel inputs for the accrual of one chunk (see :mod:`xlspv.cumulative`)."""

    growth: np.ndarray
    fractions: np.ndarray
    period: np.ndarray
    ends: np.ndarray
    annual: np.ndarray
    keys: np.ndarray = field(default_factory=lambda: _NO_KEYS)  # the plan's distinct spans, or none
    key_f: np.ndarray = field(default_factory=lambda: _NONE_F)
    key_p: np.ndarray = field(default_factory=lambda: _NONE_I)
    key_n: np.ndarray = field(default_factory=lambda: _NO_COUNTS)


def _accrual(chunk: BatchChunk, conv: _Conventions, deemed_rates: Any, span_keys: bool = False) -> _Accrual:
    """Growth rows, or the plan and annual exponents the kernel computes them from, for a chunk
    (with the plan's distinct spans when ``span_keys``: the summary kernel's growth look-up)."""
    lo, hi = chunk.lo, chunk.hi
    if conv.terms is not None:  # per-scenario terms with their own rate schedules: growth per group
        return _Accrual(_group_growth(chunk, conv.terms[lo:hi]), _NONE_F, _NONE_I, _NONE_I, _NONE_F)
    if conv.changes is not None and chunk.days.shape[0] > 1:
        check_path_start(conv.changes, chunk.days[:, 0], _path_name(deemed_rates))
    day_counts = _rows_of(conv.day_counts, lo, hi)
    names = np.unique(day_counts)
    p = plan(str(names[0]), chunk.days, conv.changes)
    fractions = p.fractions
    if names.size > 1:  # per-scenario day counts: the pieces' fractions differ, not their places
        fractions = np.empty((hi - lo, p.fractions.shape[1]))
        for name in names:
            rows = day_counts == name
            fractions[rows] = plan(
                str(name), chunk.days if chunk.days.shape[0] == 1 else chunk.days[rows], conv.changes
            ).fractions
    assert conv.annual is not None
    annual = _rows_of(conv.annual, lo, hi)
    simple = _rows_of(conv.simple, lo, hi)
    if p.period.shape[0] == 1 and fractions.shape[0] == 1 and annual.shape[0] == 1:  # all shared
        growth = np.empty((1, chunk.days.shape[1]))
        growth_row(fractions[0], p.period[0], p.ends[0], annual[0], bool(simple[0]), growth[0])
        return _Accrual(growth, _NONE_F, _NONE_I, _NONE_I, _NONE_F)
    annual = np.ascontiguousarray(annual)
    if not span_keys or fractions.shape[0] != p.period.shape[0]:  # (per-scenario day counts: per row)
        return _Accrual(np.empty((0, 1)), fractions, p.period, p.ends, annual)
    g, n = p.ends.shape
    keys, key_n = np.empty((g, n), dtype=np.int64), np.empty((g, 2), dtype=np.int64)
    key_f, key_p = np.empty((g, SPAN_KEYS)), np.empty((g, SPAN_KEYS), dtype=np.int64)
    plan_keys(fractions, p.period, p.ends, keys, key_f, key_p, key_n)
    return _Accrual(np.empty((0, 1)), fractions, p.period, p.ends, annual, keys, key_f, key_p, key_n)


def _rows_of(a: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """A per-scenario convention's rows for scenarios ``lo:hi``, or the array itself when it holds one
    entry shared by every scenario."""
    return a if a.shape[0] == 1 else a[lo:hi]


def _group_growth(chunk: BatchChunk, terms: list[Terms]) -> np.ndarray:
    """Growth rows of scenarios whose terms carry their own schedules: one plan per group of terms."""
    n = chunk.days.shape[1]
    out = np.empty((len(terms), n))
    groups: dict[Terms, list[int]] = {}
    for s, t in enumerate(terms):
        groups.setdefault(t, []).append(s)
    for t, members in groups.items():
        idx = np.asarray(members)
        days = chunk.days if chunk.days.shape[0] == 1 else chunk.days[idx]
        changes, rates = rate_path(t)
        if changes is not None:
            check_path_start(changes, days[:, 0], "deemed_rate: the rate schedule")
        p: AccrualPlan = plan(t.day_count, days, changes)
        annual = annual_exponent(t.compounding, rates)[None, :]
        rows = np.empty((idx.size, n))
        growth_rows(p.fractions, p.period, p.ends, annual, np.array([t.compounding == "simple"]), rows)
        out[idx] = rows
    return out

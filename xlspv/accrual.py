"""Deemed-interest accrual between consecutive dates, under the terms' rate, day count and compounding.

Every convention is expressed as an *accrual exponent* ``E`` over a span of year fraction ``t``:
``E = t * a``, where ``a`` is the rate's *annual exponent*:

- periodic compounding (m per year): ``a = m ln(1 + r/m)``, growth factor ``exp(E)``
  (= ``(1 + r/m) ** (m t)``);
- continuous: ``a = r``, growth factor ``exp(E)``;
- simple: ``a = r``, ``E`` is the interest per unit of principal (interest does not earn interest).

Exponents add over sub-spans, which is how a span crossing a rate change is split at the change date
(each piece at its own rate and its own day-count fraction). An :class:`AccrualPlan` holds the pieces
(their year fractions and which rate period each falls in) for rows whose dates are known; the
compiled :func:`growth_row` turns a plan and one scenario's annual exponents into the per-row growth
the waterfall applies. Every path (one SPV, a batch, a summary) goes through these two steps, so the
numbers are the same to the last bit whichever path computed them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._jit import njit
from .dates import to_date
from .daycount import year_fraction
from .errors import RateScheduleError
from .terms import COMPOUNDINGS, RateSchedule, Terms


def annual_exponent(compounding: str, rate: np.ndarray | float) -> np.ndarray:
    """Annual exponent ``a`` of rate(s) ``rate`` (decimals above -1) under ``compounding``."""
    m = COMPOUNDINGS[compounding]
    rate = np.asarray(rate, dtype=np.float64)
    if m is None:
        return rate.copy()
    return m * np.log1p(rate / m)


def exponent(terms: Terms, rate: np.ndarray | float, t: np.ndarray) -> np.ndarray:
    """Accrual exponent of rate(s) ``rate`` over year fraction(s) ``t`` (broadcasting)."""
    return np.asarray(t) * annual_exponent(terms.compounding, rate)


@dataclass(frozen=True)
class AccrualPlan:
    """The accrual pieces of rows in date order, for one or many scenarios (``G`` plan rows).

    ``fractions[g, j]`` is the year fraction of piece ``j`` (day count applied), ``period[g, j]`` the
    index of the rate in force over it (0 without rate changes); the pieces of row ``r``'s span (from
    the previous row's date) are ``ends[g, r - 1] <= j < ends[g, r]``. Row 0 has no span.
    """

    fractions: np.ndarray
    period: np.ndarray
    ends: np.ndarray


def plan(day_count: str, days: np.ndarray, changes: np.ndarray | None = None) -> AccrualPlan:
    """Pieces of the spans between sorted ``days`` (``(N,)`` or ``(G, N)`` ordinals), split at ``changes``.

    ``changes`` are the increasing effective-from ordinals of a rate path (its first must be on or
    before every first row: see :func:`check_path_start`); every change is kept as a piece boundary,
    moved to the nearest row date when it lies outside the rows (a piece of length 0 adds nothing).
    """
    days = np.atleast_2d(np.asarray(days, dtype=np.int64))
    g, n = days.shape
    if changes is None or len(changes) <= 1:
        fractions = np.zeros((g, max(n - 1, 1)))
        if n > 1:
            fractions[:] = year_fraction(day_count, days[:, :-1], days[:, 1:])
        ends = np.broadcast_to(np.maximum(np.arange(n, dtype=np.int64), 0), (g, n)).copy()
        return AccrualPlan(fractions, np.zeros(fractions.shape, dtype=np.int64), ends)
    changes = np.asarray(changes, dtype=np.int64)
    k = changes.size
    inside = np.clip(changes[None, :], days[:, :1], days[:, -1:])
    timeline = np.concatenate([days, inside], axis=1)
    order = np.argsort(timeline, axis=1, kind="stable")  # rows first on ties: a 0-length piece either way
    timeline = np.take_along_axis(timeline, order, axis=1)
    position = np.empty_like(order)
    np.put_along_axis(position, order, np.arange(n + k, dtype=np.int64)[None, :].repeat(g, axis=0), axis=1)
    fractions = year_fraction(day_count, timeline[:, :-1], timeline[:, 1:])
    period = np.maximum(np.searchsorted(changes, timeline[:, :-1], side="right") - 1, 0)
    return AccrualPlan(np.ascontiguousarray(fractions, dtype=np.float64), period, position[:, :n].copy())


_GROWTH_CACHE = 8


@njit(cache=True, nogil=True)
def growth_row(fractions, period, ends, annual, simple, out):  # type: ignore[no-untyped-def]
    """Per-row growth of one scenario into ``out``: ``expm1(E)`` when compounding, ``E`` when simple.

    ``fractions``, ``period``, ``ends`` are one plan row, ``annual`` the scenario's annual exponents
    (one per rate period). Spans of one piece with a fraction and period already seen reuse that
    growth (a monthly schedule has about four distinct spans), so a row usually costs no ``expm1``.
    """
    keys_f = np.empty(_GROWTH_CACHE)
    keys_p = np.empty(_GROWTH_CACHE, dtype=np.int64)
    values = np.empty(_GROWTH_CACHE)
    cached = 0
    slot = 0
    out[0] = 0.0
    for r in range(1, out.size):
        lo = ends[r - 1]
        hi = ends[r]
        if hi - lo == 1:
            f = fractions[lo]
            p = period[lo]
            hit = -1
            for c in range(cached):
                if keys_f[c] == f and keys_p[c] == p:
                    hit = c
                    break
            if hit >= 0:
                out[r] = values[hit]
                continue
            g = _span_growth(f, annual[p], simple)
            keys_f[slot] = f
            keys_p[slot] = p
            values[slot] = g
            slot = (slot + 1) % _GROWTH_CACHE
            cached = min(cached + 1, _GROWTH_CACHE)
            out[r] = g
        else:
            out[r] = _pieces_growth(fractions, period, annual, lo, hi, simple)


@njit(cache=True, nogil=True)
def _span_growth(fraction, annual, simple):  # type: ignore[no-untyped-def]
    """Growth over one piece: the exponent ``fraction * annual``, or its ``expm1`` when compounding."""
    e = 0.0 + fraction * annual
    return e if simple else math.expm1(e)


@njit(cache=True, nogil=True)
def _pieces_growth(fractions, period, annual, lo, hi, simple):  # type: ignore[no-untyped-def]
    """Growth over a span of pieces ``lo`` to ``hi`` (it crosses a rate change): exponents summed."""
    e = 0.0
    for j in range(lo, hi):
        e += fractions[j] * annual[period[j]]
    return e if simple else math.expm1(e)


#: Slots per rate period of :func:`growth_row_shared`'s table (a power of two).
SHARED_SLOTS = 64


@njit(cache=True, nogil=True)
def growth_row_shared(  # type: ignore[no-untyped-def]
    fractions, period, ends, annual, simple, basis, table_f, table_g, table_key, key, out
):
    """:func:`growth_row` with a table kept between calls: the same numbers, fewer ``expm1``.

    Many schedules accruing on one rate path (a program's SPVs in one scenario) meet the same spans:
    the same rate period and the same number of days. ``table_*`` (one row per rate period, as
    ``annual``; :data:`SHARED_SLOTS` columns) keep each one-piece span's fraction and growth under
    ``key``, which the caller changes whenever ``annual`` or ``simple`` does (e.g. ``2 * scenario +
    simple``; ``table_key`` starts at -1). A span's slot is its whole days (``fraction * basis``)
    modulo the slots; the stored fraction is compared, so a slot taken by another span is recomputed
    and replaced, never misread. Each growth is :func:`_span_growth` or :func:`_pieces_growth`, as
    in :func:`growth_row`, so every value is bitwise the same.
    """
    out[0] = 0.0
    for r in range(1, out.size):
        lo = ends[r - 1]
        hi = ends[r]
        if hi - lo == 1:
            f = fractions[lo]
            p = period[lo]
            slot = int(f * basis + 0.5) & (SHARED_SLOTS - 1)
            if table_key[p, slot] == key and table_f[p, slot] == f:
                out[r] = table_g[p, slot]
            else:
                g = _span_growth(f, annual[p], simple)
                table_f[p, slot] = f
                table_g[p, slot] = g
                table_key[p, slot] = key
                out[r] = g
        else:
            out[r] = _pieces_growth(fractions, period, annual, lo, hi, simple)


def rate_path(terms: Terms) -> tuple[np.ndarray | None, np.ndarray]:
    """The terms' deemed rate as (change ordinals or ``None``, rates)."""
    rate = terms.deemed_rate
    if isinstance(rate, RateSchedule):
        return np.asarray(rate.dates, dtype=np.int64), np.asarray(rate.rates, dtype=np.float64)
    return None, np.array([rate], dtype=np.float64)


def span_exponents(terms: Terms, days: np.ndarray) -> np.ndarray:
    """Accrual exponent of each span between consecutive sorted ``days``; 0 for the first row."""
    days = np.asarray(days, dtype=np.int64)
    check_schedule_start(terms, days)
    changes, rates = rate_path(terms)
    p = plan(terms.day_count, days, changes)
    annual = annual_exponent(terms.compounding, rates)
    out = np.zeros(days.size)
    for r in range(1, days.size):
        for j in range(p.ends[0, r - 1], p.ends[0, r]):
            out[r] += p.fractions[0, j] * annual[p.period[0, j]]
    return out


def check_schedule_start(terms: Terms, days: np.ndarray) -> None:
    rate = terms.deemed_rate
    if isinstance(rate, RateSchedule) and days.size:
        check_path_start(np.asarray(rate.dates), days, "deemed_rate: the rate schedule")


def check_path_start(changes: np.ndarray, days: np.ndarray, what: str) -> None:
    """A rate path must be in force from the first row on: its first date on or before every row."""
    first = int(np.min(days)) if np.size(days) else None
    if first is not None and changes.size and changes[0] > first:
        raise RateScheduleError(
            f"{what} starts on {to_date(changes[0])}, after the first cash flow on {to_date(first)}; "
            f"add a rate effective on or before {to_date(first)}."
        )

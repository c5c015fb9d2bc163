"""Many scenarios at once: every row's outputs (:func:`waterfall_batch`) or per-scenario figures only
(:func:`waterfall_summary`), both through the one compiled rule of :mod:`xlspv.cumulative`.

A batch is the default reading (``allocation_basis = "cumulative"``) over scenarios that share the rows'
count: a deemed-rate grid, Monte Carlo paths, a program's SPVs. No Python runs per scenario when one
:class:`~xlspv.terms.Terms` is shared; the deemed rate may be replaced per scenario by a flat rate or
by a rate path on shared reset dates.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._jit import default_threads, shared_work, thread_count
from .accrual import AccrualPlan, annual_exponent, check_path_start, growth_row, plan, rate_path
from .cumulative import BLOCK, _rows_parallel, _rows_serial, growth_rows
from .dates import to_datetime64, to_ordinals
from .errors import SpvInputError, TermsError
from .inputs import BatchChunk, BatchFlows, numeric_array, prepare_batch
from .rows import Rows, party_flows
from .summary_kernel import _summary_parallel, _summary_serial, add_by_day, plan_keys
from .terms import Terms
from .xirr import _check_rate, xirr_many

#: Below this many scenarios, threads cost more than they save.
PARALLEL_FROM = 64

#: From this many scenarios, :func:`waterfall_summary` on the default threads times probes on all
#: threads and on one, then runs the rest on the faster (its results do not depend on threads).
PROBE_FROM = 8192

#: Probes run, alternating threaded and one-thread, each mode judged by its faster probe (one probe
#: a mode is at the mercy of a moment's load on a shared machine).
PROBES = 4

#: Threads must take less than this share of one thread's time on the probes to be chosen (the
#: probes are short and the machine's load moves; the threaded probe runs first and pays for any
#: start-up of the thread pool).
THREADS_MARGIN = 0.8

#: Scratch a chunk of scenarios may use when per-scenario arrays must be made (values converted,
#: dates, accrual plans), in bytes.
CHUNK_BYTES = 32 * 2**20

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
    day_counts = conv.day_counts if conv.day_counts.size == 1 else conv.day_counts[lo:hi]
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
    annual = conv.annual if conv.annual.shape[0] == 1 else conv.annual[lo:hi]
    simple = conv.simple if conv.simple.size == 1 else conv.simple[lo:hi]
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


def _chunks(flows: BatchFlows, conv: _Conventions, chunk: int | None) -> list[tuple[int, int]]:
    """Scenario ranges to run: one when nothing per scenario must be made, else bounded by memory.

    Per-scenario rates on shared dates make nothing per scenario: the plan is shared and the annual
    exponents are already one row per scenario (sliced, not copied), so they run as one range (a risk
    chunk's rate paths: one plan instead of ~10, and the thread probe gets its full-size ranges).
    """
    n_scen = flows.n_scenarios
    per_scenario = (
        flows.dates.ndim == 2
        or (
            flows.values.shape[0] > 1
            and (
                flows.values.dtype != np.float64
                or flows.shared_order is not None
                or not flows.values.flags.c_contiguous
            )
        )
        or conv.terms is not None
    )
    if chunk is None:
        k = 1 if conv.changes is None else conv.changes.size
        chunk = max(n_scen, 1) if not per_scenario else max(64, CHUNK_BYTES // (8 * 7 * (flows.n_rows + k)))
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise SpvInputError(f"chunk: {chunk!r} is not a number of scenarios; give a whole number >= 1.")
    return [(lo, min(lo + int(chunk), n_scen)) for lo in range(0, n_scen, int(chunk))]


def _threads(threads: int | None, n_scen: int) -> int:
    if threads is None:
        threads = default_threads()
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise SpvInputError(f"threads: {threads!r} is not a thread count; give a whole number >= 1.")
    return 1 if n_scen < PARALLEL_FROM else int(threads)


def _check_finite(ok: bool) -> None:
    if not ok:
        raise SpvInputError(
            "values: the deemed balance or a payout overflows (is not finite); check the sizes of the "
            "values and the deemed rate."
        )


def cumulative_rows(values: np.ndarray, days: np.ndarray, terms: Terms) -> Rows:
    """The default rule over one schedule's rows in date order (``values`` float64, ``days`` ordinals)."""
    conv = _conventions(terms, 1, None, None)
    if conv.changes is not None:
        check_path_start(conv.changes, days, _path_name(None))
    part = BatchChunk(0, 1, np.ascontiguousarray(values, dtype=np.float64)[None, :], days[None, :], None)
    acc = _accrual(part, conv, None)
    japan, interest, balance, tier, threshold = _rule_rows(_rows_serial, part, acc, conv)
    return Rows(japan, interest, balance, tier, threshold, balance[:, -1].copy())


def _rule_rows(run: Any, chunk: BatchChunk, acc: Any, conv: Any) -> tuple[np.ndarray, ...]:
    """The rule's per-row outputs (japan, interest, balance, tier) and each scenario's threshold row
    for ``chunk``, computed by the kernel ``run`` (serial or parallel) and checked for overflow."""
    n_scen, n = chunk.hi - chunk.lo, chunk.values.shape[1]
    japan, interest, balance = np.empty((n_scen, n)), np.empty((n_scen, n)), np.empty((n_scen, n))
    tier = np.empty((n_scen, n), dtype=np.int8)
    threshold = np.empty(n_scen, dtype=np.int64)
    run(
        chunk.values,
        acc.growth,
        acc.fractions,
        acc.period,
        acc.ends,
        acc.annual,
        conv.simple,
        conv.before,
        conv.after,
        japan,
        interest,
        balance,
        tier,
        threshold,
    )
    _check_finite(bool(np.isfinite(balance[:, -1]).all() and np.isfinite(japan.sum())))
    return japan, interest, balance, tier, threshold


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
        """Cash flows of a party per scenario and row (see :func:`xlspv.rows.party_flows`)."""
        return party_flows(party, self.values, self.japan, self.partner_share[:, None])

    def xirr(self, party: str, guess: float = 0.1) -> np.ndarray:
        """XIRR per scenario (NaN where there is none)."""
        return xirr_many(self.party_flows(party), np.broadcast_to(self.days, self.values.shape), guess)


def waterfall_batch(
    values: Any,
    dates: Any,
    terms: Terms | Sequence[Terms],
    *,
    deemed_rates: Any = None,
    rate_dates: Any = None,
    threads: int | None = None,
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
    deemed_rates : array_like, shape (scenarios,) or (scenarios, K), optional
        A flat deemed rate per scenario, or a rate path per scenario on the ``K`` shared
        ``rate_dates``, replacing the terms' rate.
    rate_dates : array_like of K dates, optional
        Increasing effective-from dates of the rate paths (the first on or before the first row).
    threads : int, optional
        Most threads to use (default: numba's thread count).

    Examples
    --------
    >>> import datetime as dt
    >>> b = waterfall_batch([-100, 60, 200], [dt.date(2025, 1, 1), dt.date(2026, 1, 1),
    ...                     dt.date(2027, 1, 1)], Terms(0.1), deemed_rates=[0.0, 0.1])
    >>> b.japan.round(6).tolist()
    [[0.0, 30.0, 76.0], [0.0, 30.0, 90.4]]
    """
    flows, conv = _setup(values, dates, terms, deemed_rates, rate_dates)
    n_scen, n = flows.n_scenarios, flows.n_rows
    chunk = flows.chunk(0, n_scen)
    acc = _accrual(chunk, conv, deemed_rates)
    run = _rows_parallel if _threads(threads, n_scen) > 1 else _rows_serial
    with thread_count(threads):
        japan, interest, balance, tier, threshold = _rule_rows(run, chunk, acc, conv)
    vals = np.broadcast_to(chunk.values, (n_scen, n))
    days = chunk.days if chunk.days.shape[0] > 1 else chunk.days[0]
    at = np.maximum(threshold, 0)
    when = days[at] if days.ndim == 1 else days[np.arange(n_scen), at]
    unrecovered = balance[:, -1].copy()
    back = _unsort(chunk.order)
    japan = back(japan)
    vals_in = back(vals) if chunk.order is not None else vals
    return Batch(
        values=np.ascontiguousarray(vals_in),
        days=back(days[None, :])[0] if days.ndim == 1 else back(days),
        japan=japan,
        us=party_flows("us", vals_in, japan, 0.0),
        interest=back(interest),
        balance=back(balance),
        tier=back(tier),
        threshold_days=np.where(threshold >= 0, when, -1),
        unrecovered=unrecovered,
        partner_share=np.broadcast_to(conv.partner, (n_scen,)).copy(),
    )


def _unsort(order: np.ndarray | None) -> Any:
    """The function that puts date-ordered columns back in input order."""
    if order is None:
        return lambda a: a
    if order.ndim == 1:
        inverse = np.argsort(order)
        return lambda a: a[:, inverse]
    inverse = np.argsort(order, axis=1)
    return lambda a: np.take_along_axis(np.broadcast_to(a, inverse.shape), inverse, axis=1)


@dataclass(frozen=True)
class BatchSummary:
    """Per-scenario figures of many waterfalls (see :func:`waterfall_summary`); arrays of length S.

    ``threshold_row`` is the input-order position of the threshold row and ``threshold_days`` its date
    (an ordinal), both -1 where the threshold is not reached; ``unrecovered`` is what is still owed
    after the last row; ``japan_received`` (the whole Japanese side's payouts) and ``us_received``
    equal ``Batch.japan.sum(1)`` and ``Batch.us.sum(1)``; ``japan_funded`` is Japan's fundings as a
    positive amount. ``xirr_japan`` (NaN where none) is ``None`` unless asked for; ``balance_at``
    ``(S, P)`` is the deemed balance after the rows ``positions``, ``None`` unless asked for.
    """

    threshold_row: np.ndarray
    threshold_days: np.ndarray
    unrecovered: np.ndarray
    japan_received: np.ndarray
    us_received: np.ndarray
    japan_funded: np.ndarray
    xirr_japan: np.ndarray | None
    balance_at: np.ndarray | None
    positions: np.ndarray | None

    @property
    def threshold_dates(self) -> np.ndarray:
        """Threshold dates as ``datetime64[D]``, NaT where the threshold is not reached."""
        out = to_datetime64(np.maximum(self.threshold_days, 0))
        out[self.threshold_days < 0] = np.datetime64("NaT")
        return out


def _positions(balance_at: Any, n_rows: int) -> np.ndarray | None:
    if balance_at is None:
        return None
    pos = np.asarray(balance_at).ravel()
    if pos.dtype.kind not in "iu" or ((pos < -n_rows) | (pos >= n_rows)).any():
        raise SpvInputError(
            f"balance_at: give whole row positions between {-n_rows} and {n_rows - 1} (0 = the first row)."
        )
    return np.where(pos < 0, pos + n_rows, pos).astype(np.int64)


def waterfall_summary(
    values: Any,
    dates: Any,
    terms: Terms | Sequence[Terms],
    *,
    deemed_rates: Any = None,
    rate_dates: Any = None,
    xirr: bool = False,
    guess: float = 0.1,
    balance_at: Any = None,
    chunk: int | None = None,
    threads: int | None = None,
    day_sums: np.ndarray | None = None,
    first_day: int = 0,
    japan_rows: np.ndarray | None = None,
) -> BatchSummary:
    """Per-scenario figures of many waterfalls, in bounded memory: no array of scenarios x rows is kept.

    Takes what :func:`waterfall_batch` takes and gives, per scenario, exactly what its arrays would
    sum to (totals in date order, which is input order when the dates are sorted).

    Parameters
    ----------
    values, dates, terms, deemed_rates, rate_dates
        As :func:`waterfall_batch`.
    xirr : bool, default False
        Also compute Japan's XIRR per scenario (fundings negative, payouts positive).
    guess : float, default 0.1
        The XIRR's starting guess.
    balance_at : sequence of int, optional
        Row positions (input order, 0-based; negative from the end) at which to report the deemed
        balance after the row (for fan charts).
    chunk : int, optional
        Scenarios converted and run at a time (default: about 32 MiB of scratch a chunk, or all of
        them when nothing per scenario needs converting).
    threads : int, optional
        Most threads to use. By default, from :data:`PROBE_FROM` scenarios, probes of about 1/64
        of them each run alternately on numba's threads and on one (:data:`PROBES`), and the rest
        runs on the faster, so the default is not slower than one thread (on fewer scenarios:
        numba's threads).
    day_sums : ndarray of float64, shape (D,), optional
        The caller's accumulator of Japan's flows by day, over every scenario: each row's flow
        (``Batch.party_flows("japan")``: its fundings as negatives, else its payouts; money) is
        added into ``day_sums[day - first_day]`` (``day`` the row's date as an ordinal), so a
        program's flows by date come from the same pass, with no array of scenarios x rows kept.
        Rows are added scenario by scenario in input order, each scenario's in date order, on one
        thread or on many (threads write their scenarios' flows to a chunk's scratch, added in that
        order after), so the sums equal :func:`xlspv.summary_kernel.add_by_day` over the full
        batch's flows to the last bit. Every date must fall on ``first_day`` to
        ``first_day + D - 1``.
    first_day : int, default 0
        The ordinal (days since 0001-01-01, day 1) of ``day_sums[0]``.
    japan_rows : ndarray of float64, shape (scenarios, rows), optional
        The caller's array to receive Japan's payouts per row (``Batch.japan``: the whole Japanese
        side's share of each distribution, 0 on fundings; money), in input order, the same bits as
        the full batch's, without its other per-row arrays (interest, balance, tier).

    Returns
    -------
    BatchSummary

    Examples
    --------
    A deemed-rate grid over one schedule: when is the allocation recovered at 0%, 10% and 40%?

    >>> import datetime as dt
    >>> s = waterfall_summary([-100, 60, 200], [dt.date(2025, 1, 1), dt.date(2026, 1, 1),
    ...                       dt.date(2027, 1, 1)], Terms(0.1), deemed_rates=[0.0, 0.1, 0.4], xirr=True)
    >>> s.threshold_row.tolist(), s.japan_received.round(6).tolist()
    ([2, 2, -1], [106.0, 120.4, 130.0])
    >>> s.unrecovered.round(6).tolist()
    [0.0, 0.0, 54.0]
    """
    flows, conv = _setup(values, dates, terms, deemed_rates, rate_dates)
    n_scen, n = flows.n_scenarios, flows.n_rows
    positions = _positions(balance_at, n)
    g = _check_rate(guess)
    threshold = np.empty(n_scen, dtype=np.int64)
    threshold_days = np.empty(n_scen, dtype=np.int64)
    unrecovered, received = np.empty(n_scen), np.empty(n_scen)
    us_received, funded = np.empty(n_scen), np.empty(n_scen)
    rate = np.empty(n_scen if xirr else 0)
    balance = np.empty((n_scen, 0 if positions is None else positions.size))
    if flows.values.shape[0] == 1:  # shared values: checked once here, not by the kernel per scenario
        flows.check_values()
    many = _threads(threads, n_scen) > 1
    ranges = _chunks(flows, conv, chunk)
    sums = _day_sums(day_sums)
    if sums.size and many:  # threads leave each scenario's flows in a chunk's scratch: bounded too
        cap = max(PARALLEL_FROM, CHUNK_BYTES // (8 * max(n, 1)))
        ranges = [(a, min(a + cap, hi)) for lo, hi in ranges for a in range(lo, hi, cap)]
    widest = max((hi - lo for lo, hi in ranges), default=0)
    sides = np.empty((widest if many and sums.size else 0, n))
    rows_out = _japan_rows(japan_rows, n_scen, n)
    unsorted_rows = np.empty((widest if rows_out.shape[0] else 0, n))
    probe = threads is None and many and n_scen >= PROBE_FROM
    if probe:
        ranges = _probe_ranges(ranges, n_scen)
    run = _summary_parallel if many else _summary_serial
    took = [np.inf, np.inf]  # seconds per scenario of the threaded and the one-thread probes
    before = sums.copy()  # the caller's sums, put back if the run stops with an error
    try:
        with thread_count(threads), shared_work():  # blocks of scenarios to whichever thread is free
            for i, (lo, hi) in enumerate(ranges):
                if probe and i < PROBES:  # threaded, one thread, threaded, ...; then the faster
                    run = _summary_parallel if i % 2 == 0 else _summary_serial
                    started = time.perf_counter()
                elif probe and i == PROBES:  # threads only when clearly faster: one thread is never slower
                    run = _summary_parallel if took[0] < THREADS_MARGIN * took[1] else _summary_serial
                part = flows.chunk(lo, hi, check=False)  # the kernel checks the values it reads
                acc = _accrual(part, conv, deemed_rates, span_keys=True)
                at = _sorted_positions(part, positions)
                first = _check_span(part, sums, first_day)
                out = sides[: hi - lo] if run is _summary_parallel else sides[:0]
                japan_at = rows_out[lo:hi] if part.order is None else unsorted_rows[: hi - lo]
                k = slice(lo, hi)
                sub = slice(lo, hi) if conv.simple.size > 1 else slice(None)
                run(
                    part.values,
                    part.days,
                    acc.growth,
                    acc.fractions,
                    acc.period,
                    acc.ends,
                    acc.annual,
                    acc.keys,
                    acc.key_f,
                    acc.key_p,
                    acc.key_n,
                    conv.simple[sub],
                    conv.before[sub],
                    conv.after[sub],
                    bool(xirr),
                    g,
                    at,
                    threshold[k],
                    unrecovered[k],
                    received[k],
                    us_received[k],
                    funded[k],
                    rate[k] if xirr else rate,
                    balance[k],
                    sums,
                    first,
                    out,
                    japan_at,
                )
                if out.shape[0]:  # the threads' flows, added in scenario order
                    add_by_day(sums, part.days, first, out)
                if rows_out.shape[0] and part.order is not None:  # date order back to input order
                    rows_out[lo:hi] = _unsort(part.order)(japan_at)
                _input_rows(part, threshold[k], threshold_days[k])
                if part.values.shape[0] == 1:  # shared values: one sum of their fundings for all
                    row = part.values[0]
                    funded[k] = -row[row < 0.0].sum()
                if probe and i < PROBES:
                    took[i % 2] = min(took[i % 2], (time.perf_counter() - started) / (hi - lo))
        totals = (unrecovered, received, us_received, funded)
        if not all(np.isfinite(t).all() for t in totals):  # never an inf total (xlspv.compute refuses too)
            flows.check_values()  # a value that is not finite is named as such; else the totals overflow
            _check_finite(False)
    except BaseException:
        sums[:] = before
        raise
    return BatchSummary(
        threshold_row=threshold,
        threshold_days=threshold_days,
        unrecovered=unrecovered,
        japan_received=received,
        us_received=us_received,
        japan_funded=funded,
        xirr_japan=rate if xirr else None,
        balance_at=balance if positions is not None else None,
        positions=positions,
    )


def _day_sums(day_sums: Any) -> np.ndarray:
    """The caller's day-sum accumulator, checked (an empty array when not asked for)."""
    if day_sums is None:
        return np.empty(0)
    ok = isinstance(day_sums, np.ndarray) and day_sums.dtype == np.float64 and day_sums.ndim == 1
    if not (ok and day_sums.flags.c_contiguous and day_sums.flags.writeable and day_sums.size):
        raise SpvInputError(
            "day_sums: give a writeable, contiguous 1-D float64 array (e.g. np.zeros(last - first + 1)) "
            "to add Japan's flows into by day."
        )
    return day_sums


def _japan_rows(japan_rows: Any, n_scen: int, n_rows: int) -> np.ndarray:
    """The caller's array for Japan's per-row payouts, checked (no rows when not asked for)."""
    if japan_rows is None:
        return np.empty((0, n_rows))
    ok = isinstance(japan_rows, np.ndarray) and japan_rows.dtype == np.float64
    if not (ok and japan_rows.shape == (n_scen, n_rows) and japan_rows.flags.c_contiguous):
        raise SpvInputError(
            f"japan_rows: give a contiguous float64 array shaped ({n_scen}, {n_rows}) (scenarios, rows), "
            f"e.g. np.empty(({n_scen}, {n_rows}))."
        )
    if not japan_rows.flags.writeable:
        raise SpvInputError("japan_rows: the array is read-only; give a writeable one.")
    return japan_rows


def _check_span(part: BatchChunk, sums: np.ndarray, first_day: Any) -> int:
    """``first_day`` as an int, refused unless it and ``sums`` cover every date of ``part`` (date
    order: each scenario's first and last columns bound its dates)."""
    if not sums.size:
        return 0
    if isinstance(first_day, bool) or not isinstance(first_day, (int, np.integer)):
        raise SpvInputError(f"first_day: {first_day!r} is not a day ordinal; give a whole number.")
    lo, hi = int(part.days[:, 0].min()), int(part.days[:, -1].max())
    if lo < first_day or hi >= first_day + sums.size:
        raise SpvInputError(
            f"day_sums: the dates run from ordinal {lo} to {hi} but day_sums covers {first_day} to "
            f"{first_day + sums.size - 1}; give first_day <= {lo} and at least "
            f"{hi - min(lo, int(first_day)) + 1} entries."
        )
    return int(first_day)


def _probe_ranges(ranges: list[tuple[int, int]], n_scen: int) -> list[tuple[int, int]]:
    """The ranges with :data:`PROBES` equal probes of about 1/64 of the scenarios first (whole blocks).

    On a shared 2-core machine threads can lose to one thread (other processes hold the cores, or
    the pass is bound by memory); which one wins is measured on the probes, not assumed.
    """
    size = max(PROBE_FROM // 8, (n_scen // 64) // BLOCK * BLOCK)
    lo0, hi0 = ranges[0]
    if hi0 - lo0 >= PROBES * size:
        probes = [(lo0 + j * size, lo0 + (j + 1) * size) for j in range(PROBES)]
        return [*probes, (lo0 + PROBES * size, hi0), *ranges[1:]]
    return ranges


def _sorted_positions(part: BatchChunk, positions: np.ndarray | None) -> np.ndarray:
    """Date-order positions of the requested input rows, shaped (1 or chunk scenarios, P)."""
    if positions is None:
        return np.zeros((1, 0), dtype=np.int64)
    if part.order is None:
        return positions[None, :]
    inverse = np.argsort(part.order, axis=-1)
    return np.ascontiguousarray(inverse[..., positions].reshape(-1, positions.size))


def _input_rows(part: BatchChunk, threshold: np.ndarray, threshold_days: np.ndarray) -> None:
    """Date-order threshold positions to input rows (in place) and their dates; -1 where none."""
    hit = threshold >= 0
    at = np.maximum(threshold, 0)
    rows = np.arange(threshold.size)
    days = part.days[0, at] if part.days.shape[0] == 1 else part.days[rows, at]
    threshold_days[:] = np.where(hit, days, -1)
    if part.order is not None:
        original = part.order[at] if part.order.ndim == 1 else part.order[rows, at]
        threshold[:] = np.where(hit, original, -1)


__all__ = ["Batch", "BatchSummary", "waterfall_batch", "waterfall_summary"]

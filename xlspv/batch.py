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
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._jit import default_threads, shared_work, thread_count
from .accrual import check_path_start
from .batch_setup import SPAN_KEYS as SPAN_KEYS  # (re-exported: the summary's span table)
from .batch_setup import _Accrual, _accrual, _Conventions, _conventions, _path_name, _rates, _rows_of, _setup
from .cumulative import BLOCK, _rows_parallel, _rows_serial
from .dates import to_datetime64
from .errors import SpvInputError, TermsError
from .inputs import BatchChunk, BatchFlows, numeric_array, ordinal_batch, prepare_batch
from .rows import Rows, party_flows
from .summary_kernel import _summary_parallel, _summary_serial, add_by_day
from .terms import Terms
from .xirr import _check_rate, xirr_many

#: Scenarios whose XIRRs :meth:`Batch.xirr` searches at a time (a bound on its temporaries).
XIRR_BLOCK = 1024

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
        """XIRR per scenario (NaN where there is none).

        In blocks of at least :data:`XIRR_BLOCK` scenarios (or all of them, when fewer): each series'
        rate is its own search, so the blocks give the bits of one call, while the party's flows and
        :func:`~xlspv.xirr.xirr_many`'s checks exist for a block at a time, not for the whole batch
        (on a 10,000 x 480 program, about 40 MB less at the program view's peak)."""
        n = self.values.shape[0]
        starts = list(range(0, n, XIRR_BLOCK)) or [0]
        if len(starts) > 1 and n - starts[-1] < XIRR_BLOCK:  # no short tail: it would run another kernel
            starts.pop()
        out = np.empty(n)
        days = self.days if self.days.ndim == 1 else None
        for lo, hi in zip(starts, [*starts[1:], n], strict=True):
            values = self.values[lo:hi]
            flows = party_flows(party, values, self.japan[lo:hi], self.partner_share[lo:hi, None])
            out[lo:hi] = xirr_many(
                flows, np.broadcast_to(self.days[lo:hi] if days is None else days, values.shape), guess
            )
        return out


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
    positions = _positions(balance_at, flows.n_rows)
    point = _Point.of(conv, flows, positions, xirr, _day_sums(day_sums), japan_rows)
    _run_points(
        flows, [point], deemed_rates, (bool(xirr), _check_rate(guess)), positions, chunk, threads, first_day
    )
    return point.summary(xirr, positions)


def waterfall_summary_grid(
    values: Any,
    dates: Any,
    terms: Terms,
    rates: Any,
    *,
    xirr: bool = False,
    guess: float = 0.1,
    chunk: int | None = None,
    threads: int | None = None,
    day_sums: Sequence[np.ndarray] | None = None,
    first_day: int = 0,
    japan_rows: Sequence[np.ndarray | None] | None = None,
    days: np.ndarray | None = None,
) -> list[BatchSummary]:
    """:func:`waterfall_summary` at each of several flat deemed rates, in one pass over the scenarios.

    Equals ``[waterfall_summary(values, dates, terms, deemed_rates=np.full(S, r), xirr=xirr,
    day_sums=day_sums[k], ...) for k, r in enumerate(rates)]`` to the last bit (S scenarios), but each
    chunk of scenarios is converted and its accrual plan (and the plan's distinct spans) made once
    and run at every rate: only the annual exponents depend on the rate. Memory stays bounded (one
    chunk's plan at a time, plus S figures per rate).

    Parameters
    ----------
    values, dates, terms, xirr, guess, chunk, threads, first_day
        As :func:`waterfall_summary` (one shared Terms; its rate is replaced by each of ``rates``).
    rates : sequence of float
        Flat deemed rates (decimals above -1), one pass each.
    day_sums : sequence of ndarray, optional
        One accumulator per rate, as :func:`waterfall_summary`'s ``day_sums``.
    japan_rows : sequence of (ndarray or None), optional
        One per rate: an array for Japan's per-row payouts at that rate, as
        :func:`waterfall_summary`'s ``japan_rows``, or ``None``.
    days : ndarray of int64, shape (scenarios, rows), optional
        Instead of ``dates`` (then ``None``): the rows' dates as day ordinals the caller has already
        checked (a program's padded schedules, :attr:`xlspv.portfolio.Portfolio.padded`, with float64
        ``values`` of the same shape; only their type and shape are checked here), copied a chunk at a
        time rather than converted from dates (:func:`xlspv.inputs.ordinal_batch`).

    Returns
    -------
    list of BatchSummary
        One per rate, in order.

    Examples
    --------
    >>> import datetime as dt
    >>> d = [dt.date(2025, 1, 1), dt.date(2026, 1, 1), dt.date(2027, 1, 1)]
    >>> s = waterfall_summary_grid([[-100, 60, 200]], [d], Terms(0.1), [0.0, 0.1])
    >>> [x.japan_received.round(6).tolist() for x in s]
    [[106.0], [120.4]]
    """
    grid = numeric_array(rates)  # (a text such as "5%" is refused, not converted)
    if not isinstance(terms, Terms) or grid.ndim != 1 or grid.size == 0 or grid.dtype.kind not in "iuf":
        raise TermsError("waterfall_summary_grid: give one Terms and a list of flat deemed rates (decimals).")
    grid = grid.astype(np.float64)
    sums = [None] * grid.size if day_sums is None else list(day_sums)
    rows = [None] * grid.size if japan_rows is None else list(japan_rows)
    for name, given in (("day_sums", sums), ("japan_rows", rows)):
        if len(given) != grid.size:
            raise SpvInputError(
                f"{name}: {len(given)} arrays for {grid.size} rates; give one per rate (or None)."
            )
    if days is not None and dates is not None:
        raise SpvInputError("dates: give the dates or their day ordinals (days=), not both.")
    flows = prepare_batch(values, dates, None) if days is None else ordinal_batch(values, days)
    n_scen = flows.n_scenarios
    points = []
    for r, acc, out in zip(grid.tolist(), sums, rows, strict=True):  # each rate checked as deemed_rates is
        conv = _conventions(terms, n_scen, _rates(np.full(n_scen, r), None, n_scen)[0], None)
        points.append(_Point.of(conv, flows, None, xirr, _day_sums(acc), out))
    _run_points(flows, points, np.empty(0), (bool(xirr), _check_rate(guess)), None, chunk, threads, first_day)
    return [p.summary(xirr, None) for p in points]


@dataclass(frozen=True)
class _Point:
    """One summary pass's conventions and outputs: per-scenario figures, the caller's day sums and
    Japan's per-row payouts (when asked for)."""

    conv: _Conventions
    threshold: np.ndarray
    threshold_days: np.ndarray
    unrecovered: np.ndarray
    received: np.ndarray
    us_received: np.ndarray
    funded: np.ndarray
    rate: np.ndarray
    balance: np.ndarray
    sums: np.ndarray
    rows_out: np.ndarray

    @classmethod
    def of(
        cls, conv: _Conventions, flows: BatchFlows, positions: Any, xirr: bool, sums: Any, japan_rows: Any
    ) -> _Point:
        n_scen, n = flows.n_scenarios, flows.n_rows
        return cls(
            conv,
            np.empty(n_scen, dtype=np.int64),
            np.empty(n_scen, dtype=np.int64),
            np.empty(n_scen),
            np.empty(n_scen),
            np.empty(n_scen),
            np.empty(n_scen),
            np.empty(n_scen if xirr else 0),
            np.empty((n_scen, 0 if positions is None else positions.size)),
            sums,
            _japan_rows(japan_rows, n_scen, n),
        )

    def summary(self, xirr: bool, positions: np.ndarray | None) -> BatchSummary:
        return BatchSummary(
            threshold_row=self.threshold,
            threshold_days=self.threshold_days,
            unrecovered=self.unrecovered,
            japan_received=self.received,
            us_received=self.us_received,
            japan_funded=self.funded,
            xirr_japan=self.rate if xirr else None,
            balance_at=self.balance if positions is not None else None,
            positions=positions,
        )


def _run_points(
    flows: BatchFlows,
    points: list[_Point],
    deemed_rates: Any,
    want: tuple[bool, float],
    positions: np.ndarray | None,
    chunk: int | None,
    threads: int | None,
    first_day: Any,
) -> None:
    """The summary passes of ``points`` (conventions that differ in the rate only), chunk by chunk:
    each chunk converted and its plan made once, then the kernel run for each point in turn."""
    n_scen, n = flows.n_scenarios, flows.n_rows
    conv = points[0].conv
    if flows.values.shape[0] == 1:  # shared values: checked once here, not by the kernel per scenario
        flows.check_values()
    many = _threads(threads, n_scen) > 1
    ranges = _chunks(flows, conv, chunk)
    summed = any(p.sums.size for p in points)
    if summed and many:  # threads leave each scenario's flows in a chunk's scratch: bounded too
        cap = max(PARALLEL_FROM, CHUNK_BYTES // (8 * max(n, 1)))
        ranges = [(a, min(a + cap, hi)) for lo, hi in ranges for a in range(lo, hi, cap)]
    widest = max((hi - lo for lo, hi in ranges), default=0)
    sides = np.empty((widest if many and summed else 0, n))
    unsorted_rows = np.empty((widest if any(p.rows_out.shape[0] for p in points) else 0, n))
    probe = threads is None and many and n_scen >= PROBE_FROM
    if probe:
        ranges = _probe_ranges(ranges, n_scen)
    run = _summary_parallel if many else _summary_serial
    took = [np.inf, np.inf]  # seconds per scenario of the threaded and the one-thread probes
    before = [p.sums.copy() for p in points]  # the caller's sums, put back if the run stops with an error
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
                for p in points:
                    acc = acc if p is points[0] else _accrual_at(acc, part, p.conv, deemed_rates)
                    out = sides[: hi - lo] if run is _summary_parallel else sides[:0]
                    japan_at = p.rows_out[lo:hi] if part.order is None else unsorted_rows[: hi - lo]
                    first = _check_span(part, p.sums, first_day)
                    _run_chunk(run, part, acc, p, want, (at, first, out, japan_at))
                if probe and i < PROBES:
                    took[i % 2] = min(took[i % 2], (time.perf_counter() - started) / (hi - lo))
        for p in points:
            totals = (p.unrecovered, p.received, p.us_received, p.funded)
            if not all(np.isfinite(t).all() for t in totals):  # never an inf total (xlspv.compute refuses)
                flows.check_values()  # a value that is not finite is named as such; else the totals overflow
                _check_finite(False)
    except BaseException:
        for p, sums in zip(points, before, strict=True):
            p.sums[:] = sums
        raise


def _accrual_at(acc: _Accrual, part: BatchChunk, conv: _Conventions, deemed_rates: Any) -> _Accrual:
    """The chunk's accrual ``acc`` at another rate's conventions ``conv``: the plan and its distinct
    spans depend on the dates and the day count only, so only the annual exponents change (sliced as
    :func:`_accrual` slices them); growth rows made before the kernel depend on the rate: made again."""
    if acc.growth.shape[0] or conv.annual is None:
        return _accrual(part, conv, deemed_rates, span_keys=True)
    annual = _rows_of(conv.annual, part.lo, part.hi)
    return _Accrual(
        acc.growth, acc.fractions, acc.period, acc.ends, np.ascontiguousarray(annual), *_keys(acc)
    )


def _keys(acc: _Accrual) -> tuple[np.ndarray, ...]:
    return acc.keys, acc.key_f, acc.key_p, acc.key_n


def _run_chunk(
    run: Any, part: BatchChunk, acc: _Accrual, p: _Point, want: tuple[bool, float], at: Any
) -> None:
    """The summary kernel ``run`` over one chunk for one point (its scenarios ``part.lo:part.hi``),
    then the threads' flows by day, Japan's rows in input order and the threshold rows and dates.

    ``at`` is (date-order positions of ``balance_at``, ``first_day``, the threads' scratch of flows,
    where Japan's rows go in date order)."""
    lo, hi = part.lo, part.hi
    k = slice(lo, hi)
    positions, first, out, japan_at = at
    run(
        part.values,
        part.days,
        acc.growth,
        acc.fractions,
        acc.period,
        acc.ends,
        acc.annual,
        *_keys(acc),
        _rows_of(p.conv.simple, lo, hi),
        _rows_of(p.conv.before, lo, hi),
        _rows_of(p.conv.after, lo, hi),
        want[0],
        want[1],
        positions,
        p.threshold[k],
        p.unrecovered[k],
        p.received[k],
        p.us_received[k],
        p.funded[k],
        p.rate[k] if want[0] else p.rate,
        p.balance[k],
        p.sums,
        first,
        out,
        japan_at,
    )
    if out.shape[0]:  # the threads' flows, added in scenario order
        add_by_day(p.sums, part.days, first, out)
    if p.rows_out.shape[0] and part.order is not None:  # date order back to input order
        p.rows_out[lo:hi] = _unsort(part.order)(japan_at)
    _input_rows(part, p.threshold[k], p.threshold_days[k])
    if part.values.shape[0] == 1:  # shared values: one sum of their fundings for all
        row = part.values[0]
        p.funded[k] = -row[row < 0.0].sum()


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


__all__ = ["Batch", "BatchSummary", "waterfall_batch", "waterfall_summary", "waterfall_summary_grid"]

"""Scenario generation: each chunk's cash flows, dates and deemed-rate accrual, vectorised.

A chunk is a fixed block of scenarios whose random numbers come from ``SeedSequence(seed,
spawn_key=(chunk,))`` alone, so a scenario's numbers do not depend on which worker runs it or when.
Each source of uncertainty has its own child stream, so switching one source off leaves the others'
draws unchanged (common random numbers: more ``stop_hazard`` never raises a scenario's recovery).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..accrual import exponent
from ..dates import NUMPY_EPOCH_ORDINAL, to_datetime64
from ..daycount import year_fraction
from ..errors import RiskModelError, TermsError
from ..terms import RateSchedule, Terms
from .kernel import ou_paths
from .model import RiskModel

#: Scenarios per chunk. Fixed, so the same seed gives the same figures however chunks are scheduled.
CHUNK = 8192
#: Days per year when a stop time or a threshold is measured in years.
YEAR_DAYS = 365.25
#: The benchmark resets every six months.
RESET_MONTHS = 6
#: The benchmark is simulated to this many days past the schedule's last row and held after it (rows a
#: long delay moves further out accrue at its last level; with the default 12-month mean delay, a delay
#: over ten years has probability (12/13)**120, under 1e-4).
RATE_HORIZON_DAYS = 3653


@dataclass(frozen=True)
class Schedule:
    """One SPV's schedule in date order: ``values`` (negative = Japan funding), ``days`` (ordinals)."""

    name: str
    values: np.ndarray
    days: np.ndarray
    terms: Terms

    @property
    def start(self) -> int:
        """The first funding's day (the project's start; the first row when nothing is funded)."""
        funded = self.days[self.values < 0.0]
        return int(funded[0]) if funded.size else int(self.days[0])


@dataclass(frozen=True)
class Problem:
    """What a risk run simulates: one SPV, or a program of several (``program`` True)."""

    spvs: tuple[Schedule, ...]
    program: bool

    @property
    def origin(self) -> int:
        """Day the benchmark starts from (``rate_start``): the earliest row of any SPV."""
        return min(int(s.days[0]) for s in self.spvs)

    @property
    def start(self) -> int:
        """The program's first funding: the 20-year review counts from it."""
        return min(s.start for s in self.spvs)

    @property
    def last_day(self) -> int:
        return max(int(s.days[-1]) for s in self.spvs)


def problem(schedules: list[Schedule], program: bool) -> Problem:
    """Check that the batch path can run every schedule; the :class:`Problem`."""
    for s in schedules:
        if s.terms.allocation_basis != "cumulative":
            raise TermsError(
                f"allocation_basis: {s.name}: the risk run uses the batch path, which computes the "
                "cumulative basis only; set allocation_basis to cumulative."
            )
    return Problem(tuple(schedules), program)


# ---- months ---------------------------------------------------------------------------------------


def month_parts(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(months since 1970-01, day of month from 1) of ordinals."""
    d64 = to_datetime64(days)
    months = d64.astype("datetime64[M]")
    dom = (d64 - months.astype("datetime64[D]")).astype(np.int64) + 1
    return months.astype(np.int64), dom


def add_months(months: np.ndarray, dom: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Ordinals ``shift`` months later, the day clamped to the month's end (Excel's EDATE)."""
    target = months + shift
    first = target.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    length = (target + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - first
    return first + np.minimum(dom, length) - 1 + NUMPY_EPOCH_ORDINAL


def reset_days(origin: int, until: int) -> np.ndarray:
    """The benchmark's reset days: the origin and every six months after it, up to past ``until``."""
    months, dom = month_parts(np.array([origin]))
    count = max(1, (until - origin) // 181 + 2)
    out = add_months(months, dom, np.arange(count) * RESET_MONTHS)
    while out[-1] <= until:  # a few days short after month-end clamping: one more
        count += 1
        out = add_months(months, dom, np.arange(count) * RESET_MONTHS)
    return out


# ---- draws ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draws:
    """One chunk's random inputs; shapes (scenarios, SPVs) except ``rate_normals`` (periods, scenarios)."""

    cash_normals: np.ndarray
    delay_uniforms: np.ndarray
    stop_exponentials: np.ndarray
    rate_normals: np.random.Generator


def draws(seed: int, chunk: int, n: int, n_spvs: int) -> Draws:
    """The chunk's draws, from its own seed sequence (one child stream per source)."""
    cash, delay, stop, rate = np.random.SeedSequence(seed, spawn_key=(chunk,)).spawn(4)
    return Draws(
        cash_normals=np.random.default_rng(cash).standard_normal((n, n_spvs)),
        delay_uniforms=np.random.default_rng(delay).random((n, n_spvs)),
        stop_exponentials=np.random.default_rng(stop).standard_exponential((n, n_spvs)),
        rate_normals=np.random.default_rng(rate),
    )


def cash_factors(model: RiskModel, normals: np.ndarray) -> np.ndarray:
    """Lognormal cash factors with mean 1, equicorrelated across SPVs (one common factor).

    ``Z = sqrt(1 - rho) e + c sum(e)`` with ``2 c sqrt(1 - rho) + n c^2 = rho`` has unit variances and
    correlation ``rho`` between any two SPVs; it needs ``rho >= -1 / (n - 1)``.
    """
    n = normals.shape[1]
    rho, vol = model.correlation, model.cash_vol
    if n > 1 and 1.0 + (n - 1) * rho < 0.0:
        raise RiskModelError(
            f"correlation: {rho!r} is below -1/{n - 1}, the least {n} SPVs can share; enter a correlation "
            f"of at least {-1.0 / (n - 1):.4g}."
        )
    if n > 1 and rho != 0.0:
        root = math.sqrt(1.0 - rho)
        c = (-root + math.sqrt(1.0 + (n - 1) * rho)) / n
        normals = root * normals + c * normals.sum(axis=1, keepdims=True)
    return np.exp(vol * normals - 0.5 * vol * vol)


def delays(model: RiskModel, uniforms: np.ndarray) -> np.ndarray:
    """Whole-month delays, geometric on 0, 1, 2, ... with mean ``delay_months`` (by inversion)."""
    mean = model.delay_months
    if mean == 0.0:
        return np.zeros(uniforms.shape, dtype=np.int64)
    q = mean / (1.0 + mean)  # P(delay >= k) = q ** k
    return np.floor(np.log1p(-uniforms) / math.log(q)).astype(np.int64)


def benchmark_shifts(model: RiskModel, rng: np.random.Generator, n: int, periods: int) -> np.ndarray:
    """The benchmark's change since the start in each six-month period, shape (scenarios, periods).

    Exact Ornstein-Uhlenbeck transition over h = 0.5 years; period 0 is the start (change 0).
    """
    out = np.zeros((n, periods))
    if model.rate_vol == 0.0 or periods < 2:
        return out
    h = RESET_MONTHS / 12.0
    k, level = model.rate_reversion, model.rate_level
    a = math.exp(-k * h)
    sd = model.rate_vol * (math.sqrt((1.0 - a * a) / (2.0 * k)) if k > 0.0 else math.sqrt(h))
    normals = rng.standard_normal((n, periods - 1))  # scenario by scenario: a chunk's prefix is stable
    ou_paths(normals, model.rate_start, level, a, sd, out)  # compiled: the recursion along the periods
    return out


# ---- one SPV's scenarios ----------------------------------------------------------------------------


def scenario_flows(
    spv: Schedule,
    factor: np.ndarray,
    delay: np.ndarray,
    stop_years: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Values and days (scenarios x rows, date order per scenario) of one SPV's scenarios.

    Distributions are scaled by ``factor``, moved ``delay`` months later, and dropped from the stop
    time on (``stop_years`` after the SPV's first funding); fundings stay as scheduled.
    """
    n = factor.size
    dist = np.flatnonzero(spv.values > 0.0)
    values = np.repeat(spv.values[None, :], n, axis=0)
    days = np.repeat(spv.days[None, :], n, axis=0)
    if dist.size == 0:
        return values, days
    values[:, dist] *= factor[:, None]
    if delay.any():
        months, dom = month_parts(spv.days[dist])
        shifts, where = np.unique(delay, return_inverse=True)
        table = add_months(months[None, :], dom[None, :], shifts[:, None])
        days[:, dist] = table[where.ravel()]
    stopped = days[:, dist] - spv.start >= (stop_years * YEAR_DAYS)[:, None]
    values[:, dist] = np.where(stopped, 0.0, values[:, dist])
    unsorted = np.flatnonzero((np.diff(days, axis=1) < 0).any(axis=1))
    if unsorted.size:  # a delayed distribution passed a later funding: date order again (stable)
        order = np.argsort(days[unsorted], axis=1, kind="stable")
        days[unsorted] = np.take_along_axis(days[unsorted], order, axis=1)
        values[unsorted] = np.take_along_axis(values[unsorted], order, axis=1)
    return values, days


def rate_paths(terms: Terms, resets: np.ndarray, shifts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each scenario's deemed rate as a dated path: (rate dates (K,), rates (scenarios, K)).

    The rate is the terms' deemed rate (flat or scheduled: spread and steps kept) plus the benchmark's
    change since the start, ``shifts[:, k]`` from reset day ``resets[k]`` on; the dates are the resets
    and the schedule's own change dates after the first reset.
    """
    base = terms.deemed_rate
    changes = resets
    if isinstance(base, RateSchedule):
        sched = np.asarray(base.dates, dtype=np.int64)
        changes = np.union1d(resets, sched[sched > resets[0]])
        base_rate = base.rate_on(changes)
    else:
        base_rate = np.full(changes.size, float(base))
    period = np.searchsorted(resets, changes, side="right") - 1
    rates = base_rate[None, :] + shifts[:, period]
    if (rates <= -1.0).any():
        raise RiskModelError(
            "rate_vol: a simulated deemed rate falls to -100% or below; lower rate_vol or raise rate_start."
        )
    return changes, rates


def accrual_exponents(
    terms: Terms, days: np.ndarray, rate_dates: np.ndarray, rates: np.ndarray
) -> np.ndarray:
    """Accrual exponent of each span (scenarios x rows; 0 for the first row) on per-scenario rate paths.

    Scenario ``s`` accrues at ``rates[s, k]`` from ``rate_dates[k]`` on, exactly as a
    :class:`~xlspv.terms.RateSchedule` does in :func:`xlspv.accrual.span_exponents`: a span crossing a
    change is split there, each piece at its own rate and day-count fraction. (Bridge until the core's
    summary mode takes rate paths itself.)
    """
    changes = rate_dates
    # the accrual exponent is linear in the year fraction (m t ln(1 + r/m), or r t): one per unit time
    unit = exponent(terms, rates, np.ones(1))
    piece_years = year_fraction(terms.day_count, changes[:-1], changes[1:])
    cumulative = np.zeros_like(unit)
    cumulative[:, 1:] = np.cumsum(unit[:, :-1] * piece_years, axis=1)
    days2 = np.broadcast_to(days, (rates.shape[0], days.shape[-1]))
    a, b = days2[:, :-1], days2[:, 1:]
    ja = np.searchsorted(changes, a, side="right") - 1
    jb = np.searchsorted(changes, b, side="right") - 1
    out = np.zeros(days2.shape)
    out[:, 1:] = np.take_along_axis(unit, ja, axis=1) * year_fraction(terms.day_count, a, b)
    rows, cols = np.nonzero(ja != jb)
    if rows.size:
        ra, rb = ja[rows, cols], jb[rows, cols]
        out[rows, cols + 1] = (
            unit[rows, ra] * year_fraction(terms.day_count, a[rows, cols], changes[ra + 1])
            + cumulative[rows, rb]
            - cumulative[rows, ra + 1]
            + unit[rows, rb] * year_fraction(terms.day_count, changes[rb], b[rows, cols])
        )
    return out

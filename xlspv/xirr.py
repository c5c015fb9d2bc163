"""Excel-compatible XIRR (one series, or many at once); XNPV, IRR and NPV are in :mod:`xlspv.returns`.

Conventions (Excel's): a flow on day ``d`` is discounted by ``(1 + rate) ** ((d - d0) / 365)`` where
``d0`` is the earliest date; rows may come in any order; flows on one date are summed first; a series
without both a negative and a positive flow has no IRR.

The search is Newton's method from ``guess``, as Excel's. Where Newton converges to a root above -100%,
that root is returned. Where it fails (a step to -100% or below, no convergence in 100 steps), xlspv
scans ``s = ln(1 + rate)`` for sign changes over [-20, 20] (rates from -99.99999998% to 4.85e8) in steps
of 0.01 and beyond, as far as the flows' own bounds on a root reach (an earliest flow of 1e-6 against
later ones of 1 can have an IRR of 1e15), in steps of 0.1% of ``s``. Each sign change is bisected; where
NPV comes closer to 0 at a scan point than at both neighbours without changing sign, the lowest point
between them is found and, if NPV changes sign there, both roots are bisected. The root nearest
``guess`` is returned. Where no root exists, the result is ``None`` (``#NUM!`` in Excel), never a wrong
number.

Differences from Excel
----------------------
- Excel stops at its tolerance (about 1e-8); xlspv iterates to machine precision, so it agrees with
  Excel and LibreOffice to better than 1e-9 relative on every case where they converge.
- Excel returns ``#NUM!`` where Newton fails even if a root exists; xlspv returns that root.
- A series can have several roots (flows that change sign more than once). Newton from ``guess``
  decides which one; the fallback returns the one nearest ``guess``. Roots where NPV touches 0
  without changing sign are returned only where XNPV there is 0 to 1e-9 of the flows' size.
"""

from __future__ import annotations

import datetime as _dt
import marshal
import math
import struct
from collections.abc import Callable
from typing import Any

import numpy as np

from ._jit import njit, prange
from .cells import as_float
from .dates import NUMPY_EPOCH_ORDINAL
from .errors import SpvInputError
from .inputs import numeric_array, prepare

_MAX_NEWTON = 100
_DAY = np.dtype("datetime64[D]")
_NAT = np.iinfo(np.int64).min
_TICKS_PER_DAY = {"[D": 1, "ns": 86_400 * 10**9, "us": 86_400 * 10**6, "ms": 86_400_000, "[s": 86_400}
_SCAN_LO, _SCAN_HI = -20.0, 20.0


@njit(cache=True, nogil=True)
def _aggregate(values: np.ndarray, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum flows on the same day; whole days since the earliest day (days sorted ascending).

    Times stay in whole days (as floats) so that equal gaps between dates compare equal; the kernels
    divide by 365 (Excel's XIRR year).
    """
    n = values.size
    v = np.empty(n)
    t = np.empty(n)
    k = -1
    last = -1
    d0 = days[0]
    for i in range(n):
        if k < 0 or days[i] != last:
            k += 1
            v[k] = values[i]
            t[k] = float(days[i] - d0)
            last = days[i]
        else:
            v[k] += values[i]
    return v[: k + 1], t[: k + 1]


#: Slots of the gap-factor cache (a power of two: a gap of ``d`` whole days uses slot ``d mod 16``).
_GAP_CACHE = 16


@njit(cache=True, nogil=True)
def _gap_factor(gap: float, per_day: float, gaps: np.ndarray, factors: np.ndarray) -> float:
    """``exp(per_day * gap)``, from a direct-mapped cache of the gaps seen in this evaluation.

    A regular schedule has a few distinct gaps (28 to 31 days for monthly flows: slots 12 to 15), so a
    long schedule costs a few ``exp``; a gap that meets another in its slot replaces it. Either way the
    factor is the same ``exp``, so the cache changes the time, never a bit of the result. ``gaps``
    must start at -1 (no gap) for each new ``per_day``.
    """
    slot = int(gap) & (_GAP_CACHE - 1)
    if gaps[slot] == gap:
        return factors[slot]
    factor = math.exp(per_day * gap)
    gaps[slot] = gap
    factors[slot] = factor
    return factor


@njit(cache=True, nogil=True)
def _npv_and_slope(rate: float, v: np.ndarray, t: np.ndarray, work: np.ndarray) -> tuple[float, float, float]:
    """XNPV at ``rate``, its derivative, and the sum of absolute discounted flows (the scale)."""
    f, df, _, scale = _npv_slope_curve(rate, v, t, work)
    return f, df, scale


@njit(cache=True, nogil=True)
def _npv_slope_curve(
    rate: float, v: np.ndarray, t: np.ndarray, work: np.ndarray
) -> tuple[float, float, float, float]:
    """XNPV at ``rate``, its first and second derivatives, and the sum of absolute discounted flows.

    ``t`` are whole days since the earliest date. Each discount factor is the previous one times the
    factor of the gap between the two dates; the factors of the few distinct gaps of a regular
    schedule (28 to 31 days for monthly flows) are each computed once, so a long schedule costs a few
    ``exp`` and one product per flow. The products keep the factors to within n units in the last
    place of ``exp(-t ln(1 + rate))``.
    """
    lg = math.log1p(rate) / 365.0  # per day
    gaps = work[0]  # scratch space for the gap factors, (2, _GAP_CACHE), reused between calls
    factors = work[1]
    gaps[:] = -1.0
    disc = math.exp(-t[0] * lg)
    f = 0.0
    df = 0.0
    d2f = 0.0
    scale = 0.0
    for i in range(v.size):
        if i > 0:
            disc *= _gap_factor(t[i] - t[i - 1], -lg, gaps, factors)
        d = v[i] * disc
        f += d
        df -= t[i] * d
        d2f += t[i] * (t[i] + 365.0) * d
        scale += abs(d)
    grow = 365.0 * (1.0 + rate)
    return f, df / grow, d2f / (grow * grow), scale


@njit(cache=True, nogil=True)
def _sign_at(s: float, v: np.ndarray, t: np.ndarray) -> float:
    """Sign-preserving, overflow-free value of sum v_i exp(-s t_i), scaled so its largest term is 1."""
    top = -np.inf
    for i in range(v.size):
        if v[i] != 0.0:
            w = math.log(abs(v[i])) - s * t[i] / 365.0
            if w > top:
                top = w
    total = 0.0
    for i in range(v.size):
        if v[i] != 0.0:
            w = math.log(abs(v[i])) - s * t[i] / 365.0 - top
            total += math.copysign(math.exp(w), v[i])
    return total


@njit(cache=True, nogil=True)
def _newton(v: np.ndarray, t: np.ndarray, guess: float) -> float:
    work = np.empty((2, _GAP_CACHE))
    rate = guess
    for _ in range(_MAX_NEWTON):
        if not rate > -1.0 or not math.isfinite(rate):
            return np.nan
        f, df, scale = _npv_and_slope(rate, v, t, work)
        if f == 0.0:
            return rate
        if df == 0.0 or not math.isfinite(df):
            return np.nan
        step = f / df
        new = rate - step
        if abs(step) <= 1e-13 * max(1.0, abs(new)):
            # converged in the rate; accept it only where the NPV is zero to the flows' scale
            return new if new > -1.0 and abs(f) <= 1e-9 * scale else np.nan
        rate = new
    return np.nan


@njit(cache=True, nogil=True)
def _halley(v: np.ndarray, t: np.ndarray, start: float) -> float:
    """The root by Halley's method from ``start`` (cubic convergence: about half Newton's steps).

    Used only where the root is unique (one sign change), so the method cannot pick another root
    than Newton would; it stops and accepts as :func:`_newton` does. NaN where it fails.
    """
    work = np.empty((2, _GAP_CACHE))
    rate = start
    for _ in range(_MAX_NEWTON):
        if not rate > -1.0 or not math.isfinite(rate):
            return np.nan
        f, df, d2f, scale = _npv_slope_curve(rate, v, t, work)
        if f == 0.0:
            return rate
        if df == 0.0 or not math.isfinite(df):
            return np.nan
        step = f / df
        bend = 1.0 - 0.5 * step * d2f / df
        if 0.5 < bend < 2.0:  # near the root: Halley's correction; else a plain Newton step
            step /= bend
        new = rate - step
        if abs(step) <= 1e-13 * max(1.0, abs(new)):
            return new if new > -1.0 and abs(f) <= 1e-9 * scale else np.nan
        rate = new
    return np.nan


@njit(cache=True, nogil=True)
def _bounds(v: np.ndarray, t: np.ndarray) -> tuple[float, float]:
    """Bounds on ``s = ln(1 + rate)`` outside which the flows cannot sum to zero.

    For ``s > 0`` the earliest flow ``v_a`` outweighs the rest once ``|v_a| e^(-s t_a)`` exceeds
    ``(V - |v_a|) e^(-s (t_a + d))`` (``V`` the sum of sizes, ``d`` the gap to the next flow), i.e.
    above ``s = ln((V - |v_a|) / |v_a|) / d``; for ``s < 0`` the last flow does, by the same argument.
    The scan covers at least [-20, 20] and these bounds (one unit wider).
    """
    first = -1
    last = -1
    total = 0.0
    for i in range(v.size):
        if v[i] != 0.0:
            if first < 0:
                first = i
            last = i
            total += abs(v[i])
    lo, hi = _SCAN_LO, _SCAN_HI
    if first < 0 or first == last:
        return lo, hi
    after = first + 1
    while v[after] == 0.0:
        after += 1
    before = last - 1
    while v[before] == 0.0:
        before -= 1
    rest = total - abs(v[first])
    if rest > 0.0:
        hi = max(hi, math.log(rest / abs(v[first])) / ((t[after] - t[first]) / 365.0) + 1.0)
    rest = total - abs(v[last])
    if rest > 0.0:
        lo = min(lo, -math.log(rest / abs(v[last])) / ((t[last] - t[before]) / 365.0) - 1.0)
    return lo, hi


@njit(cache=True, nogil=True)
def _scan_step(s: float) -> float:
    """Scan step at ``s``: 0.01 within [-20, 20], then 0.1% of ``|s|`` (the bounds can be far out)."""
    return 0.01 if abs(s) <= _SCAN_HI else 0.001 * abs(s)


@njit(cache=True, nogil=True)
def _bisect(a: float, b: float, fa: float, v: np.ndarray, t: np.ndarray) -> float:
    """The sign change of NPV between ``a`` and ``b`` (in ``s``), to the last bit."""
    for _ in range(200):
        mid = 0.5 * (a + b)
        if mid in (a, b):
            break
        fm = _sign_at(mid, v, t)
        if fm == 0.0:
            return mid
        if (fm < 0.0) == (fa < 0.0):
            a, fa = mid, fm
        else:
            b = mid
    return 0.5 * (a + b)


@njit(cache=True, nogil=True)
def _lowest(a: float, b: float, sign: float, v: np.ndarray, t: np.ndarray) -> float:
    """Where ``sign * NPV`` is lowest between ``a`` and ``b`` (golden-section search)."""
    ratio = 0.6180339887498949
    c = b - ratio * (b - a)
    d = a + ratio * (b - a)
    fc = sign * _sign_at(c, v, t)
    fd = sign * _sign_at(d, v, t)
    for _ in range(80):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = sign * _sign_at(c, v, t)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = sign * _sign_at(d, v, t)
    return c if fc < fd else d


#: ``ln`` of the largest float: ``expm1`` past it overflows.
_LOG_MAX = math.log(np.finfo(np.float64).max)


@njit(cache=True, nogil=True)
def _rate_at(s: float) -> float:
    """The rate ``e**s - 1`` of ``s = ln(1 + rate)``; inf past a float's range, compiled or not.

    Compiled, ``expm1`` overflows to inf; in plain Python (xlwings Lite) it raises ``OverflowError``.
    """
    return math.expm1(s) if s <= _LOG_MAX else math.inf


@njit(cache=True, nogil=True)
def _accept(root_s: float, best: float, guess: float, v: np.ndarray, t: np.ndarray, bracketed: bool) -> float:
    """``best`` or the root at ``root_s`` (polished by Newton), whichever is nearer ``guess``.

    A root between two signs of NPV (``bracketed``) is a root; any other is kept only where XNPV is
    zero to the flows' scale (never a wrong number). A rate that rounds to -100% or overflows is not
    a number xlspv can return.
    """
    root = _rate_at(root_s)
    if not (root > -1.0 and math.isfinite(root)):
        return best
    polished = _newton(v, t, root)
    if math.isfinite(polished) and abs(polished - root) <= 1e-6 * max(1.0, abs(root)):
        root = polished
    else:  # Newton cannot polish it (a root where NPV only touches 0): keep it where XNPV is ~0
        f, _, scale = _npv_and_slope(root, v, t, np.empty((2, _GAP_CACHE)))
        if not abs(f) <= 1e-9 * scale and not bracketed:
            return best
    if math.isnan(best) or abs(root - guess) < abs(best - guess):
        return root
    return best


@njit(cache=True, nogil=True)
def _scan(v: np.ndarray, t: np.ndarray, guess: float) -> float:
    """Every root of NPV over ``s = ln(1 + rate)`` within the flows' bounds; the one nearest ``guess``.

    Sign changes between scan points are bisected. Where NPV keeps its sign but comes closer to 0 at a
    point than at both neighbours, two roots may lie between them (closer than a step): the lowest
    point of ``|NPV|`` there is found, and if NPV changes sign at it, both roots are bisected.
    """
    best = np.nan
    lo, hi = _bounds(v, t)
    s0 = lo
    f0 = _sign_at(s0, v, t)
    prev_s = np.nan
    prev_f = np.nan
    while s0 < hi:
        s1 = min(s0 + _scan_step(s0), hi)
        f1 = _sign_at(s1, v, t)
        if f0 == 0.0:  # a root on the scan point; NPV's sign just after it brackets any next root
            best = _accept(s0, best, guess, v, t, True)
            f0 = _sign_at(s0 + 1e-6 * (s1 - s0), v, t)
            prev_f = np.nan
        if f0 == 0.0:
            pass
        elif f1 != 0.0 and (f0 < 0.0) != (f1 < 0.0):
            best = _accept(_bisect(s0, s1, f0, v, t), best, guess, v, t, True)
        elif (
            f1 != 0.0
            and not math.isnan(prev_f)
            and (prev_f < 0.0) == (f0 < 0.0)
            and abs(f0) < abs(prev_f)
            and abs(f0) < abs(f1)
        ):  # NPV dips towards 0 between neighbours of one sign: two close roots?
            sign = 1.0 if f0 > 0.0 else -1.0
            m = _lowest(prev_s, s1, sign, v, t)
            fm = _sign_at(m, v, t)
            if fm == 0.0:
                best = _accept(m, best, guess, v, t, False)
            elif (fm < 0.0) != (f0 < 0.0):
                best = _accept(_bisect(prev_s, m, prev_f, v, t), best, guess, v, t, True)
                best = _accept(_bisect(m, s1, fm, v, t), best, guess, v, t, True)
        prev_s, prev_f = s0, f0
        s0, f0 = s1, f1
    if f0 == 0.0:
        best = _accept(s0, best, guess, v, t, True)
    return best


@njit(cache=True, nogil=True)
def _xirr_sorted(values: np.ndarray, days: np.ndarray, guess: float) -> float:
    """XIRR of flows sorted by day; NaN where there is none."""
    return _xirr_search(values, days, guess, False)


@njit(cache=True, nogil=True)
def _xirr_search(values: np.ndarray, days: np.ndarray, guess: float, multiple_first: bool) -> float:
    """:func:`_xirr_sorted`; with ``multiple_first``, where Newton from ``guess`` fails, Halley from
    the money multiple's rate before the scan.

    Every series Newton solves from the guess gets the same bits either way. The second start is for
    series with many sign changes (a program's flows: one SPV distributes while another still funds)
    whose Newton fails: the scan for the root nearest the guess costs about a second on 4,000 flows,
    Halley from the money multiple microseconds. Where such a series has several roots, the root found
    may be another than the scan's (Excel's XIRR gives no root there: ``#NUM!``).
    """
    v, t = _aggregate(values, days)
    changes = 0  # sign changes in date order (zeros skipped)
    last = 0.0
    paid = received = paid_t = received_t = 0.0
    for i in range(v.size):
        if v[i] != 0.0:
            if last != 0.0 and (v[i] < 0.0) != (last < 0.0):
                changes += 1
            last = v[i]
        if v[i] < 0.0:
            paid -= v[i]
            paid_t -= v[i] * t[i]
        else:
            received += v[i]
            received_t += v[i] * t[i]
    if changes == 0:
        return np.nan
    if changes == 1 and received_t * paid != paid_t * received:
        # One sign change: exactly one root (Descartes' rule for exponential sums), so any start that
        # converges finds the root Newton from the guess would. Start from the money multiple spread
        # over the mean gap between paying and receiving: a few steps fewer on long schedules.
        growth = math.log(received / paid) / ((received_t / received - paid_t / paid) / 365.0)
        start = math.expm1(growth) if growth < 700.0 else math.inf  # no overflow, compiled or not
        if math.isfinite(start) and start > -1.0:
            rate = _halley(v, t, start)
            if math.isfinite(rate) and rate > -1.0:
                return rate
        # Far from the start (a project that stops early): the one root found directly, wherever it
        # lies, instead of Newton from the guess and the scan (microseconds, not ~50 ms)
        rate = _one_change_root(v, t)
        if not math.isnan(rate):
            return rate
    rate = _newton(v, t, guess)
    if math.isfinite(rate) and rate > -1.0:
        return rate
    if multiple_first and paid > 0.0 and received > 0.0:
        gap = (received_t / received - paid_t / paid) / 365.0
        growth = math.log(received / paid) / gap if gap > 0.0 else math.nan
        if -5.0 < growth < 5.0:
            rate = _halley(v, t, math.expm1(growth))
            if math.isfinite(rate) and rate > -1.0:
                return rate
    return _scan(v, t, guess)


#: What :func:`_xirr_any_order` returns for a non-finite value or a missing date (NaT); no rate is
#: ever below -1, so the caller tells these from rates by ``rate < -1``.
_NOT_FINITE = -2.0


@njit(cache=True, nogil=True)
def _xirr_any_order(values: np.ndarray, ticks: np.ndarray, per_day: int, guess: float) -> float:
    """XIRR of flows in any order (sorted here when they are not); NaN where there is none.

    ``ticks`` are dates as whole days (``per_day`` 1: ordinals or days since any epoch) or as
    datetime64 ticks, ``per_day`` to a day (a time of day is dropped: floor, so a time before 1970
    stays on its own day); only differences between days matter. Returns ``_NOT_FINITE`` when a value
    is NaN or infinite or a date is NaT, for the caller to report with the careful path. One compiled
    call does all of it: a second call would cost as much as the search on short series.
    """
    n = values.size
    for i in range(n):
        if not math.isfinite(values[i]) or ticks[i] == _NAT:
            return _NOT_FINITE
    days = ticks
    if per_day != 1:
        days = np.empty(n, dtype=np.int64)
        for i in range(n):
            days[i] = ticks[i] // per_day
    for i in range(1, n):
        if days[i] < days[i - 1]:
            order = np.argsort(days, kind="mergesort")
            return _xirr_sorted(values[order], days[order], guess)
    return _xirr_sorted(values, days, guess)


def _check_rate(value: Any, name: str = "guess") -> float:
    """A finite rate above -100%, or an input error naming the argument."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise SpvInputError(f"{name}: {value!r} is not a number; enter a rate such as 0.1.")
    rate = as_float(value, name)
    if not math.isfinite(rate) or rate <= -1.0:
        raise SpvInputError(f"{name}: {value!r} must be a finite rate above -100%; enter e.g. 0.1.")
    return rate


def xirr(values: Any, dates: Any, guess: float = 0.1) -> float | None:
    """Internal rate of return of dated cash flows, as Excel's ``XIRR``.

    Parameters
    ----------
    values : sequence of float
        Cash flows; negative = paid out (a funding), positive = received.
    dates : sequence of dates
        One date per value (``datetime.date``, datetimes, numpy/pandas dates or Excel serials), any order.
    guess : float, default 0.1
        Starting rate of Newton's method, as a decimal (0.1 = 10%).

    Returns
    -------
    float or None
        The annual rate as a decimal, or ``None`` where no rate sets the XNPV to zero (for example a
        series without both signs).

    Examples
    --------
    What return does $1,000 paid on 1 Jan 2025 earn if $1,100 comes back a year later (365 days)?

    >>> import datetime as dt
    >>> round(xirr([-1000, 1100], [dt.date(2025, 1, 1), dt.date(2026, 1, 1)]), 12)
    0.1
    >>> xirr([100, 200], [dt.date(2025, 1, 1), dt.date(2026, 1, 1)]) is None
    True
    """
    g = guess if type(guess) is float and -1.0 < guess < math.inf else _check_rate(guess)
    rate = _NOT_PLAIN
    if type(values) is list and type(dates) is list:  # the usual call from Python: see _xirr_packed
        try:
            packed = _MARSHAL(values, 2)
            days = _packed_days(dates)
        except (ValueError, TypeError):  # not plain numbers (unmarshallable) or not dates
            pass
        else:
            rate = _list_kernel(packed, days, g)
    if rate == _NOT_PLAIN:  # any other form, or a list that is not plainly numbers and dates
        v, (d, per_day) = _fast_values(values), _fast_ticks(dates)
        rate = _NOT_FINITE
        if v is not None and d is not None and v.size == d.size and v.size:
            rate = _xirr_any_order(v, d, per_day, g)
    if rate < -1.0:  # the careful path: converts anything, names any bad row
        flows = prepare(values, dates)
        rate = _xirr_any_order(flows.values, flows.days, 1, g)
    return None if rate != rate else rate


#: What :func:`_xirr_packed` returns for a list that is not plainly numbers: the values rule decides.
_NOT_PLAIN = -3.0
_MARSHAL_LIST, _MARSHAL_FLOAT, _MARSHAL_INT = ord("["), ord("g"), ord("i")


@njit(cache=True, nogil=True)
def _little_endian(data: bytes, start: int, size: int) -> np.uint64:
    """The unsigned integer in ``size`` bytes of ``data`` from ``start``, least significant first."""
    x = np.uint64(0)
    for j in range(size):
        x |= np.uint64(data[start + j]) << np.uint64(8 * j)
    return x


@njit(cache=True, nogil=True)
def _xirr_packed(packed: bytes, days: bytes, guess: float) -> float:
    """:func:`_xirr_any_order` of values packed by ``marshal.dumps(values, 2)`` and days by
    :func:`_packed_days`; ``_NOT_PLAIN`` unless every value is an exact float or a 32-bit int.

    A recogniser, not a second values rule: marshal writes an exact ``float`` as ``g`` and its 8 bytes,
    an exact ``int`` of 32 bits as ``i`` and its 4, and anything else (booleans, larger ints, numpy
    scalars and other subclasses, ``Decimal``, ``Fraction``, complex, text, ``None``, nested lists)
    with another code or not at all (``ValueError``). The values rule reads such a list as exactly
    these float64 numbers; any other list goes to the rule. The conversion costs half of
    ``np.asarray``. Should marshal's version 2 ever change, lists would only be slower.
    """
    n = len(days) // 8
    if n == 0 or len(packed) < 5 or packed[0] != _MARSHAL_LIST or _little_endian(packed, 1, 4) != n:
        return _NOT_PLAIN
    bits = np.empty(n, np.uint64)
    exact = bits.view(np.float64)
    pos = 5
    for i in range(n):
        code = packed[pos] if pos < len(packed) else 0
        if code == _MARSHAL_FLOAT and pos + 9 <= len(packed):
            bits[i] = _little_endian(packed, pos + 1, 8)
            pos += 9
        elif code == _MARSHAL_INT and pos + 5 <= len(packed):
            small = np.int64(_little_endian(packed, pos + 1, 4))
            exact[i] = float(small - 2**32 if small >= 2**31 else small)
            pos += 5
        else:
            return _NOT_PLAIN
    if pos != len(packed):
        return _NOT_PLAIN
    return _xirr_any_order(exact, np.frombuffer(days, np.int64).copy(), 1, guess)


def _list_entry(packed: bytes, days: bytes, g: float) -> float:
    """The list path's first call, through numba's dispatcher, keeping the compiled entry: numba
    types every argument on every call (about 0.3 us, a tenth of a 40-flow XIRR), and the list path
    always passes the same types. Without numba (xlwings Lite) the kernel is plain Python."""
    global _list_kernel
    rate = _xirr_packed(packed, days, g)
    overloads = getattr(_xirr_packed, "overloads", None)
    if overloads is not None:
        from numba import typeof

        compiled = overloads.get(tuple(typeof(a) for a in (packed, days, g)))
        if compiled is not None:
            _list_kernel = compiled.entry_point
    return rate  # type: ignore[no-any-return]


#: The list path's kernel: :func:`_list_entry`, then (with numba) the compiled :func:`_xirr_packed`.
_list_kernel: Callable[[bytes, bytes, float], float] = _list_entry
_MARSHAL, _TO_ORDINAL, _I8, _F8 = marshal.dumps, _dt.date.toordinal, np.dtype(np.int64), np.dtype(np.float64)
_PACKERS: dict[int, struct.Struct] = {}  # by length; lists longer than _PACK_MAX stream (np.fromiter)
_PACK_MAX = 1024


def _packed_days(dates: list[Any]) -> bytes:
    """The date rule for a list: ordinals of dates or datetimes (pandas Timestamps too; a time of day
    is ignored) as int64 bytes (native order); ``TypeError`` for anything else (a serial, a text)."""
    n = len(dates)
    packer = _PACKERS.get(n)
    if packer is None:
        if n > _PACK_MAX:
            return np.fromiter(map(_TO_ORDINAL, dates), _I8, n).tobytes()
        packer = _PACKERS[n] = struct.Struct(f"={n}q")
    return packer.pack(*map(_TO_ORDINAL, dates))


def _fast_values(values: Any) -> np.ndarray | None:
    """Float64 values when they are plainly numbers (a numeric array or Series, a list of numbers).

    As everywhere in numpy, a boolean mixed with numbers in a Python list counts as 1 or 0; the Excel
    functions and the workbook readers refuse booleans (they go through :func:`xlspv.inputs.prepare`).
    """
    kind = type(values)
    if kind is list:  # numbers give a numeric dtype; a text, a blank, a Decimal or a nested list not
        values = numeric_array(values)
    elif kind is not np.ndarray:
        values = _backing_array(values)
        if values is None:
            return None
    if values.ndim == 1 and values.dtype.kind in "if":
        return values if values.dtype is _F8 else values.astype(_F8)
    return None


def _backing_array(series: Any) -> np.ndarray | None:
    """The numpy array behind a pandas Series or Index of a numpy dtype, without a copy; else ``None``.

    ``Series.values`` costs about 2 us (it builds a new view each time), as much as the whole search
    on 40 flows; pandas keeps the array in ``_values`` (a ``DatetimeArray`` around it for dates, its
    ``_ndarray``). Only a numpy dtype is taken (not categorical, nor dates with a time zone, whose
    array holds UTC times), and the array found must have that dtype; anything else goes to
    ``.values`` and, failing that, the careful path.
    """
    dtype = getattr(series, "dtype", None)
    if not isinstance(dtype, np.dtype) or not hasattr(series, "to_numpy"):
        return None
    arr = getattr(series, "_values", None)
    if type(arr) is not np.ndarray:
        arr = getattr(arr, "_ndarray", None)
    if type(arr) is not np.ndarray or arr.dtype != dtype:
        arr = series.values
    return arr if type(arr) is np.ndarray else None


def _fast_ticks(dates: Any) -> tuple[np.ndarray | None, int]:
    """Dates as ``(ticks, ticks a day)`` when they are plainly dates: dates or datetimes in a list
    (ordinals, 1 a day), datetime64 arrays and pandas datetime Series or Index without a time zone
    (their int64 ticks, no copy); ``(None, 1)`` for anything else (the careful path)."""
    if type(dates) is list:
        try:
            return np.frombuffer(_packed_days(dates), _I8).copy(), 1
        except TypeError:
            return None, 1
    if type(dates) is not np.ndarray:
        dates = _backing_array(dates)  # with a time zone there is none: the careful path
        if dates is None:
            return None, 1
    if dates.ndim != 1 or dates.dtype.kind != "M":
        return None, 1
    per_day = _TICKS_PER_DAY.get(dates.dtype.str[-3:-1])
    if per_day is None:  # hours, minutes, months, years: numpy's own conversion to days
        if np.isnat(dates).any():
            return None, 1
        return dates.astype(_DAY).view(np.int64) + NUMPY_EPOCH_ORDINAL, 1
    return dates.view(np.int64), per_day


@njit(cache=True, nogil=True)
def _log_pv_gap(s: float, v: np.ndarray, t: np.ndarray, work: np.ndarray) -> tuple[float, float]:
    """``h(s) = ln PV(received) - ln PV(paid)`` at ``s = ln(1 + rate)``, and its slope ``h'(s)``.

    Each present value is taken relative to an anchor flow of its own side (the earliest when
    ``s >= 0``, the latest when ``s < 0``), so every discount factor is at most 1: no overflow at any
    ``s``, and each sum is at least its anchor's size (its log is finite). Factors are chained along the
    flows with the few distinct gaps' factors computed once (as :func:`_npv_and_slope`).
    """
    n = v.size
    gaps = work[0]
    factors = work[1]
    gaps[:] = -1.0
    step = 1 if s >= 0.0 else -1
    i = 0 if s >= 0.0 else n - 1
    a = -abs(s) / 365.0  # per day away from the anchor
    size = np.zeros(2)  # [received, paid]: sum of |v| times the factor from the side's anchor
    moment = np.zeros(2)  # the same weighted by t (for the slope)
    anchor = np.full(2, np.nan)
    disc = np.ones(2)
    last = np.zeros(2)
    for _ in range(n):
        x = v[i]
        if x != 0.0:
            k = 0 if x > 0.0 else 1
            if math.isnan(anchor[k]):
                anchor[k] = t[i]
            else:
                disc[k] *= _gap_factor(abs(t[i] - last[k]), a, gaps, factors)
            last[k] = t[i]
            w = abs(x) * disc[k]
            size[k] += w
            moment[k] += w * t[i]
        i += step
    h = (math.log(size[0]) - s * anchor[0] / 365.0) - (math.log(size[1]) - s * anchor[1] / 365.0)
    slope = (moment[1] / size[1] - moment[0] / size[0]) / 365.0
    return h, slope


@njit(cache=True, nogil=True)
def _one_change_root(v: np.ndarray, t: np.ndarray) -> float:
    """The IRR of aggregated flows whose sign changes once (exactly one root); NaN if it rounds to -100%.

    Newton on ``h(s)`` (see :func:`_log_pv_gap`), which is monotone when the sign changes once and
    nearly linear (its slope is minus the payback gap between the two sides, weighted by present
    value), kept inside a bracket that shrinks with every step (bisection when a step leaves it), so it
    cannot diverge however far the root lies from any guess. Its first step from ``s = 0`` is the
    start rule of :func:`_xirr_sorted` (the money multiple over the mean payback gap). The root is then
    polished by Newton on XNPV itself, as the scan polishes its roots.
    """
    work = np.empty((2, _GAP_CACHE))
    lo, hi = _bounds(v, t)
    s = min(max(0.0, lo), hi)
    for _ in range(200):
        h, slope = _log_pv_gap(s, v, t, work)
        if h == 0.0 or slope == 0.0 or not math.isfinite(h):
            break
        if (h > 0.0) == (slope < 0.0):  # the root lies above s
            lo = s
        else:
            hi = s
        new = s - h / slope
        if not lo < new < hi:
            new = 0.5 * (lo + hi)
        if abs(new - s) <= 1e-9 * max(1.0, abs(s)):  # close enough for the polish to finish
            s = new
            break
        s = new
    root = _rate_at(s)
    if not (root > -1.0 and math.isfinite(root)):
        return np.nan
    polished = _newton(v, t, root)
    if math.isfinite(polished) and abs(polished - root) <= 1e-6 * max(1.0, abs(root)):
        return polished
    return root


@njit(cache=True, nogil=True)
def _xirr_many_serial(values: np.ndarray, days: np.ndarray, guess: np.ndarray, multiple: bool) -> np.ndarray:
    out = np.empty(values.shape[0])
    for s in range(values.shape[0]):
        out[s] = _xirr_search(values[s], days[s % days.shape[0]], guess[s % guess.size], multiple)
    return out


@njit(cache=True, nogil=True, parallel=True)
def _xirr_many_parallel(
    values: np.ndarray, days: np.ndarray, guess: np.ndarray, multiple: bool
) -> np.ndarray:
    out = np.empty(values.shape[0])
    for s in prange(values.shape[0]):
        out[s] = _xirr_search(values[s], days[s % days.shape[0]], guess[s % guess.size], multiple)
    return out


def _guesses(guess: Any, n: int) -> np.ndarray:
    """One guess for every series, or one per series, as a float64 array (validated)."""
    if np.ndim(guess) == 0:
        return np.array([_check_rate(guess)])
    g = np.asarray(guess)
    if g.ndim != 1 or g.size != n or g.dtype.kind not in "iuf" or not (np.isfinite(g) & (g > -1.0)).all():
        raise SpvInputError(
            f"guess: give one rate, or {n} finite rates above -100% (one per series); enter e.g. 0.1."
        )
    return np.ascontiguousarray(g, dtype=np.float64)


def xirr_many(
    values: np.ndarray, days: np.ndarray, guess: Any = 0.1, *, multiple_first: bool = False
) -> np.ndarray:
    """XIRR of many series at once: ``values`` (scenarios x flows), ``days`` ordinals of the same shape
    (or one row of days shared by every series).

    Days need not be sorted; the result has NaN where a series has no IRR. Zero flows may pad series
    of unequal length (a zero changes nothing). ``guess`` is one starting rate, or one per series.

    Each series' rate is the one :func:`xirr` gives it (the same bits where Newton from the start
    converges; else to about 1e-13 relative): a series whose sign changes once (one root) that Newton
    does not solve goes to a bracketed Newton search that converges wherever the root lies (Monte
    Carlo series whose project stops early have rates far below any guess), not to the slow scan.
    ``multiple_first``: where Newton from the guess fails, try the money multiple's rate before the
    scan (see :func:`_xirr_search`; the risk run's program XIRR).
    """
    values = np.ascontiguousarray(values, dtype=np.float64)
    g = _guesses(guess, values.shape[0])
    days = np.asarray(days, dtype=np.int64)
    if days.ndim == 1 and days.size == values.shape[1] and (np.diff(days) >= 0).all():
        v, d = values, days[None, :]  # shared days in date order: no per-series copy
    else:
        days = np.broadcast_to(days, values.shape)
        if (np.diff(days, axis=1) >= 0).all():  # already in date order (the usual case)
            v, d = values, np.ascontiguousarray(days)
        else:
            order = np.argsort(days, axis=1, kind="stable")
            v = np.ascontiguousarray(np.take_along_axis(values, order, axis=1))
            d = np.ascontiguousarray(np.take_along_axis(days, order, axis=1))
    run = _xirr_many_parallel if v.shape[0] >= 64 else _xirr_many_serial  # threads pay off from ~64
    return run(v, d, g, multiple_first)

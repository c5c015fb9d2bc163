"""The risk run's compiled kernel: every scenario of a chunk, every SPV, from draws to figures.

Per scenario and SPV the kernel builds the scenario's own rows in scratch (fundings as scheduled,
each distribution scaled, moved its whole-month delay later and dropped from the stop time on, in
date order with the schedule's order on a shared date, exactly as
:func:`xlspv.risk.scenarios.scenario_flows` orders them), the accrual plan of those rows (as
:func:`xlspv.accrual.plan` builds it: the spans split at the rate path's change dates), and then
calls the core's own compiled steps: :func:`xlspv.accrual.growth_row_shared` (each span's growth,
kept for the scenario's other SPVs), the rule :func:`xlspv.cumulative.rule_row`, and Japan's XIRR
:func:`xlspv.xirr._xirr_sorted`. No array of
scenarios x rows exists, nothing goes back to Python per scenario, and the kernel holds no lock
(``nogil``), so ranges of scenarios run on several threads at once.

For a program each scenario's Japan flows of every SPV are summed per day (a day-indexed scratch
row) over the days of that scenario's rows, then one XIRR per scenario.

The year fraction of a piece is ``(end - start) / basis`` (ACT/365F: 365, ACT/360: 360), the same
operation :mod:`xlspv.daycount` does in numpy (tests check the two agree bitwise); other day counts
run the general path (:mod:`xlspv.risk.engine`).
"""

from __future__ import annotations

import numpy as np

from .._jit import njit
from ..accrual import SHARED_SLOTS, growth_row, growth_row_shared
from ..cumulative import rule_row
from ..xirr import _xirr_search, _xirr_sorted


@njit(cache=True, nogil=True)
def ou_paths(normals, start, level, a, sd, out):  # type: ignore[no-untyped-def]
    """Ornstein-Uhlenbeck benchmark changes since the start: ``out[s, p]``, period 0 = 0.

    ``r_p = level + (r_(p-1) - level) a + sd z_p`` from ``r_0 = start``, per scenario (row).
    """
    for s in range(out.shape[0]):
        rate = start
        out[s, 0] = 0.0
        for p in range(1, out.shape[1]):
            rate = level + (rate - level) * a + sd * normals[s, p - 1]
            out[s, p] = rate - start


@njit(cache=True, nogil=True)
def _edate(month, dom, k, month0, month_first):  # type: ignore[no-untyped-def]
    """Ordinal ``k`` months after the date (month index, day of month), clamped to the month's end."""
    t = month + k - month0
    first = month_first[t]
    length = month_first[t + 1] - first
    return first + min(dom, length) - 1


@njit(cache=True, nogil=True)
def _scenario_rows(
    fx_day,
    fx_val,
    fx_idx,
    mv_month,
    mv_dom,
    mv_val,
    mv_idx,
    start,
    factor,
    k,
    stop_days,
    month0,
    month_first,
    cv,
    cd,
    src,
):  # type: ignore[no-untyped-def]
    """One SPV's rows for one scenario into ``cv``/``cd`` (values, ordinals); their count.

    Fixed rows and the moved distributions merge by (date, schedule position): a stable sort by date.
    ``src[r]`` is where row ``r`` comes from: distribution ``j`` (``j >= 0``) or fixed row ``-1 - i``.
    """
    nf = fx_day.size
    nm = mv_val.size
    i = 0
    j = 0
    r = 0
    mday = _edate(mv_month[0], mv_dom[0], k, month0, month_first) if nm > 0 else 0
    while i < nf or j < nm:
        take_fixed = j >= nm or (
            i < nf and (fx_day[i] < mday or (fx_day[i] == mday and fx_idx[i] < mv_idx[j]))
        )
        if take_fixed:
            cv[r] = fx_val[i]
            cd[r] = fx_day[i]
            src[r] = -1 - i
            i += 1
        else:
            # dropped from the stop time on (compared in float, as the general path does)
            cv[r] = 0.0 if float(mday - start) >= stop_days else mv_val[j] * factor
            cd[r] = mday
            src[r] = j
            j += 1
            if j < nm:
                mday = _edate(mv_month[j], mv_dom[j], k, month0, month_first)
        r += 1
    return r


@njit(cache=True, nogil=True)
def _plan_row(cd, n, changes, basis, fractions, period, ends):  # type: ignore[no-untyped-def]
    """The accrual plan of rows ``cd[:n]`` split at ``changes``, as :func:`xlspv.accrual.plan` makes it.

    Changes are clipped to the rows' span, rows come first on a tie; a piece's period is the last
    change on or before its start (0 before the first). Returns the number of pieces.
    """
    k = changes.size
    if k <= 1:
        for r in range(1, n):
            fractions[r - 1] = float(cd[r] - cd[r - 1]) / basis
            period[r - 1] = 0
            ends[r] = r
        ends[0] = 0
        if n <= 1:
            fractions[0] = 0.0
            period[0] = 0
            return 1
        return n - 1
    lo = cd[0]
    hi = cd[n - 1]
    i = 0  # next row
    j = 0  # next change
    pos = 0
    prev = 0
    seen = 0  # changes on or before the previous point
    while i < n or j < k:
        c = min(max(changes[j], lo), hi) if j < k else 0
        if j >= k or (i < n and cd[i] <= c):
            day = cd[i]
            ends[i] = pos
            i += 1
        else:
            day = c
            j += 1
        if pos > 0:
            fractions[pos - 1] = float(day - prev) / basis
            period[pos - 1] = max(seen - 1, 0)
        while seen < k and changes[seen] <= day:
            seen += 1
        prev = day
        pos += 1
    return pos - 1


@njit(cache=True, nogil=True)
def build_plans(
    fx_off,
    fx_day,
    fx_val,
    fx_idx,
    mv_off,
    mv_month,
    mv_dom,
    mv_val,
    mv_idx,
    start,
    basis,
    group,
    ch_off,
    ch_day,
    month0,
    month_first,
    keep,
    row_base,
    piece_base,
    pieces,
    c_cd,
    c_src,
    c_ends,
    c_fr,
    c_pe,
):  # type: ignore[no-untyped-def]
    """The rows' dates and order and the accrual plan of SPV ``i`` delayed ``k < keep[i]`` months.

    They depend on the delay only (not on the cash factor, the stop time or the rates), so a chunk
    builds them once per SPV and delay and each scenario only fills its values. Entry ``(i, k)``
    holds rows ``row_base[i] + k n_i`` on (``n_i`` rows) and pieces ``piece_base[i] + k pieces[i]``.
    """
    for i in range(start.size):
        f0, f1 = fx_off[i], fx_off[i + 1]
        m0, m1 = mv_off[i], mv_off[i + 1]
        n = f1 - f0 + m1 - m0
        g = group[i]
        for k in range(keep[i]):
            rb = row_base[i] + k * n
            pb = piece_base[i] + k * pieces[i]
            cv = np.empty(n)
            _scenario_rows(
                fx_day[f0:f1],
                fx_val[f0:f1],
                fx_idx[f0:f1],
                mv_month[m0:m1],
                mv_dom[m0:m1],
                mv_val[m0:m1],
                mv_idx[m0:m1],
                start[i],
                1.0,
                k,
                np.inf,
                month0,
                month_first,
                cv,
                c_cd[rb : rb + n],
                c_src[rb : rb + n],
            )
            _plan_row(
                c_cd[rb : rb + n],
                n,
                ch_day[ch_off[g] : ch_off[g + 1]],
                basis[i],
                c_fr[pb : pb + pieces[i]],
                c_pe[pb : pb + pieces[i]],
                c_ends[rb : rb + n],
            )


@njit(cache=True, nogil=True)
def run_range(
    lo,
    hi,
    fx_off,
    fx_day,
    fx_val,
    fx_idx,
    mv_off,
    mv_month,
    mv_dom,
    mv_val,
    mv_idx,
    start,
    simple,
    before,
    after,
    basis,
    group,
    ch_off,
    ch_day,
    annual,
    month0,
    month_first,
    factor,
    delay,
    stop_days,
    guess,
    fan_days,
    fan_n,
    program,
    day0,
    keep,
    row_base,
    piece_base,
    pieces_of,
    c_cd,
    c_src,
    c_ends,
    c_fr,
    c_pe,
    threshold,
    unrecovered,
    xirr,
    fan,
):
    """Scenarios ``lo`` to ``hi`` of a chunk: per SPV (and the program) threshold day, unrecovered, XIRR.

    Per SPV ``i`` the ragged inputs run from ``*_off[i]`` to ``*_off[i + 1]``: fixed rows (``fx_*``:
    ordinal, value, schedule position) and distributions (``mv_*``: month index, day of month, value,
    schedule position). Rate group ``g = group[i]``'s change dates are ``ch_day[ch_off[g]:ch_off[g+1]]``
    and scenario ``s``'s annual exponents the same columns of ``annual[s % annual.shape[0]]``.
    ``fan`` (first ``fan_n`` scenarios) sums every SPV's deemed balance at ``fan_days``. Delays of
    less than ``keep[i]`` months take their rows' dates and plan from :func:`build_plans`.
    """
    k_spv = start.size
    most = 1
    for i in range(k_spv):
        most = max(most, fx_off[i + 1] - fx_off[i] + mv_off[i + 1] - mv_off[i])
    most_changes = 1
    for g in range(ch_off.size - 1):
        most_changes = max(most_changes, ch_off[g + 1] - ch_off[g])
    cv = np.empty(most)
    cd = np.empty(most, dtype=np.int64)
    grow = np.empty(most)
    japan = np.empty(most)
    interest = np.empty(most)
    balance = np.empty(most)
    tier = np.empty(most, dtype=np.int8)
    side = np.empty(most)
    fractions = np.empty(most + most_changes)
    period = np.empty(most + most_changes, dtype=np.int64)
    ends = np.empty(most, dtype=np.int64)
    src = np.empty(most, dtype=np.int64)
    span = month_first[month_first.size - 1] - month_first[0] + 1 if program else 1
    total = np.zeros(span)
    touched = np.zeros(span, dtype=np.bool_)
    pv = np.empty(span)
    pd = np.empty(span, dtype=np.int64)
    # one table of spans' growth per rate group, shared by the SPVs of a scenario (a program's SPVs
    # meet the same spans on the same rate path): far fewer expm1, the same numbers
    table_f = np.empty((ch_off[ch_off.size - 1], SHARED_SLOTS))
    table_g = np.empty((ch_off[ch_off.size - 1], SHARED_SLOTS))
    table_key = np.full((ch_off[ch_off.size - 1], SHARED_SLOTS), -1, dtype=np.int64)
    for s in range(lo, hi):
        row_annual = annual[s % annual.shape[0]]
        first_touch = span
        last_touch = -1
        for i in range(k_spv):
            f0, f1 = fx_off[i], fx_off[i + 1]
            m0, m1 = mv_off[i], mv_off[i + 1]
            g = group[i]
            k = delay[s, i]
            if k < keep[i]:  # the rows' dates and plan built for this delay: fill the values only
                n = f1 - f0 + m1 - m0
                rb = row_base[i] + k * n
                pb = piece_base[i] + k * pieces_of[i]
                dd = c_cd[rb : rb + n]
                order = c_src[rb : rb + n]
                for r in range(n):
                    q = order[r]
                    if q < 0:
                        cv[r] = fx_val[f0 - 1 - q]
                    else:  # dropped from the stop time on, as _scenario_rows
                        cv[r] = (
                            0.0
                            if float(dd[r] - start[i]) >= stop_days[s, i]
                            else mv_val[m0 + q] * factor[s, i]
                        )
                fr = c_fr[pb : pb + pieces_of[i]]
                pe = c_pe[pb : pb + pieces_of[i]]
                en = c_ends[rb : rb + n]
            else:
                n = _scenario_rows(
                    fx_day[f0:f1],
                    fx_val[f0:f1],
                    fx_idx[f0:f1],
                    mv_month[m0:m1],
                    mv_dom[m0:m1],
                    mv_val[m0:m1],
                    mv_idx[m0:m1],
                    start[i],
                    factor[s, i],
                    k,
                    stop_days[s, i],
                    month0,
                    month_first,
                    cv,
                    cd,
                    src,
                )
                pieces = _plan_row(
                    cd, n, ch_day[ch_off[g] : ch_off[g + 1]], basis[i], fractions, period, ends
                )
                dd = cd[:n]
                fr = fractions[:pieces]
                pe = period[:pieces]
                en = ends[:n]
            c0, c1 = ch_off[g], ch_off[g + 1]
            if k_spv == 1:  # nothing to share: the core's small cache is faster than the table
                growth_row(fr, pe, en, row_annual[c0:c1], simple[i], grow[:n])
            else:
                growth_row_shared(
                    fr,
                    pe,
                    en,
                    row_annual[c0:c1],
                    simple[i],
                    basis[i],
                    table_f[c0:c1],
                    table_g[c0:c1],
                    table_key[c0:c1],
                    2 * s + (1 if simple[i] else 0),
                    grow[:n],
                )
            row = rule_row(cv[:n], grow[:n], simple[i], before[i], after[i], japan, interest, balance, tier)
            threshold[s, i] = dd[row] if row >= 0 else -1
            unrecovered[s, i] = balance[n - 1]
            upto = 0  # rows up to the last flow: trailing zeros (a stopped project) add nothing to the XIRR
            for r in range(n):
                side[r] = cv[r] if cv[r] < 0.0 else japan[r]
                if side[r] != 0.0:
                    upto = r + 1
            xirr[s, i] = _xirr_sorted(side[: max(upto, 1)], dd[: max(upto, 1)], guess)
            if s < fan_n:
                r = -1
                for f in range(fan_days.size):
                    while r + 1 < n and dd[r + 1] <= fan_days[f]:
                        r += 1
                    if r >= 0:
                        fan[s, f] += balance[r]
            if program:  # the rows are in date order: the first and the last bound the days touched
                first_touch = min(first_touch, dd[0] - day0)
                last_touch = max(last_touch, dd[n - 1] - day0)
                for r in range(n):
                    at = dd[r] - day0
                    total[at] += side[r]
                    touched[at] = True
        if program:
            m = 0
            for at in range(first_touch, last_touch + 1):
                if touched[at]:
                    pv[m] = total[at]
                    pd[m] = at + day0
                    m += 1
                    total[at] = 0.0
                    touched[at] = False
            xirr[s, k_spv] = _xirr_search(pv[:m], pd[:m], guess, True)  # as the general path's

"""The summary mode's compiled driver: per-scenario figures of the default reading, no per-row outputs.

:func:`xlspv.batch.waterfall_summary` runs :func:`_summary_serial` or :func:`_summary_parallel` over
blocks of :data:`~xlspv.cumulative.BLOCK` scenarios. Each block runs the rule of
:mod:`xlspv.cumulative` (its :func:`~xlspv.cumulative._rule_step`, the same arithmetic as
:func:`~xlspv.cumulative.rule_row`) over four scenarios at once and sums each scenario's payouts in
numpy's pairwise order, so every figure equals the full batch's to the last bit. The inputs are those
of the cumulative drivers, plus the plan's distinct spans (:func:`plan_keys`) from which a scenario's
growth costs one ``expm1`` per distinct span.
"""

from __future__ import annotations

import math

import numpy as np

from ._jit import njit, prange
from .cumulative import BLOCK, _growth_for, _rule_step, pairwise_sum
from .rows import THRESHOLD
from .xirr import _xirr_sorted

#: Scenarios the rule runs at once, interleaved (see :func:`_rule_lanes`).
LANES = 4


@njit(cache=True, nogil=True)
def _rule_lanes(v0, v1, v2, v3, g0, g1, g2, g3, simple, before, after, japan, balance, keep, last, owed):  # type: ignore[no-untyped-def]
    """:func:`rule_row` over four scenarios at once, keeping Japan's parts (and the balance if ``keep``).

    The rule is a chain of dependent arithmetic along the rows (each row waits for the balance the
    previous one left), so one scenario leaves most of the processor idle; four interleaved chains
    run in about the time of two. Lane ``j`` has values ``vj``, growth ``gj`` and conventions
    ``simple[j]``, ``before[j]``, ``after[j]``; its Japan's parts go to ``japan[j]``, its balances to
    ``balance[j]`` when ``keep``, its threshold position (as :func:`rule_row` returns it) to
    ``last[j]`` and its final balance to ``owed[j]``. The arithmetic is :func:`_rule_step`'s, so the
    numbers are :func:`rule_row`'s to the last bit.
    """
    lanes = (v0, v1, v2, v3, g0, g1, g2, g3, before, after, japan, balance, keep)
    if simple[0] or simple[1] or simple[2] or simple[3]:
        _lanes_loop(lanes, simple[0], simple[1], simple[2], simple[3], last, owed)
    else:  # compounding only (the usual case): the simple-interest branches compile away
        _lanes_loop(lanes, False, False, False, False, last, owed)


@njit(cache=True, nogil=True, inline="always")
def _lanes_loop(lanes, m0, m1, m2, m3, last, owed):  # type: ignore[no-untyped-def]
    v0, v1, v2, v3, g0, g1, g2, g3, before, after, japan, balance, keep = lanes
    b0, b1, b2, b3 = before[0], before[1], before[2], before[3]
    a0, a1, a2, a3 = after[0], after[1], after[2], after[3]
    p0 = p1 = p2 = p3 = 0.0
    i0 = i1 = i2 = i3 = 0.0
    t0 = t1 = t2 = t3 = -1
    j0, j1, j2, j3 = japan[0], japan[1], japan[2], japan[3]
    for r in range(v0.size):
        p0, i0, x0, _, c0 = _rule_step(v0[r], g0[r], m0, b0, a0, p0, i0)
        p1, i1, x1, _, c1 = _rule_step(v1[r], g1[r], m1, b1, a1, p1, i1)
        p2, i2, x2, _, c2 = _rule_step(v2[r], g2[r], m2, b2, a2, p2, i2)
        p3, i3, x3, _, c3 = _rule_step(v3[r], g3[r], m3, b3, a3, p3, i3)
        j0[r] = x0
        j1[r] = x1
        j2[r] = x2
        j3[r] = x3
        if keep:
            balance[0, r] = p0 + i0
            balance[1, r] = p1 + i1
            balance[2, r] = p2 + i2
            balance[3, r] = p3 + i3
        if c0 == THRESHOLD:
            t0 = r
        if c1 == THRESHOLD:
            t1 = r
        if c2 == THRESHOLD:
            t2 = r
        if c3 == THRESHOLD:
            t3 = r
    owed[0], owed[1], owed[2], owed[3] = p0 + i0, p1 + i1, p2 + i2, p3 + i3
    last[0] = t0 if owed[0] == 0.0 else -1
    last[1] = t1 if owed[1] == 0.0 else -1
    last[2] = t2 if owed[2] == 0.0 else -1
    last[3] = t3 if owed[3] == 0.0 else -1


@njit(cache=True, nogil=True)
def plan_keys(fractions, period, ends, keys, key_f, key_p, key_n):  # type: ignore[no-untyped-def]
    """Index the distinct one-piece spans of each plan row, so growth is one ``expm1`` per distinct span.

    For plan row ``g`` and row ``r`` whose span is one piece, ``keys[g, r]`` is the index ``u`` of its
    (fraction, rate period) among ``key_f[g, u]``, ``key_p[g, u]`` (``key_n[g, 0]`` of them, at most
    ``key_f.shape[1]``); -1 for the first row, spans of several pieces and distinct spans past the
    last slot (their growth is computed per row). ``key_n[g, 1]`` is 1 when every span after the
    first row has a key (a plain look-up then). A monthly schedule has four distinct spans.
    """
    cap = key_f.shape[1]
    for g in range(ends.shape[0]):
        count = 0
        complete = 1
        keys[g, 0] = -1
        for r in range(1, ends.shape[1]):
            lo = ends[g, r - 1]
            keys[g, r] = -1
            if ends[g, r] - lo != 1:
                complete = 0
                continue
            f = fractions[g, lo]
            p = period[g, lo]
            for u in range(count):
                if key_f[g, u] == f and key_p[g, u] == p:
                    keys[g, r] = u
                    break
            if keys[g, r] < 0 and count < cap:
                key_f[g, count] = f
                key_p[g, count] = p
                keys[g, r] = count
                count += 1
            if keys[g, r] < 0:
                complete = 0
        key_n[g, 0] = count
        key_n[g, 1] = complete


@njit(cache=True, nogil=True)
def _growth_keyed(s, fractions, period, ends, annual, simple, keys, key_f, key_p, key_n, table, out):  # type: ignore[no-untyped-def]
    """Scenario ``s``'s growth row into ``out``, as :func:`xlspv.accrual.growth_row` computes it, from
    the plan's distinct spans (:func:`plan_keys`): one ``expm1`` per distinct span, then a look-up."""
    g = s % period.shape[0]
    a = annual[s % annual.shape[0]]
    is_simple = simple[s % simple.shape[0]]
    kf, kp, kr = key_f[g], key_p[g], keys[g]
    for u in range(key_n[g, 0]):
        e = 0.0 + kf[u] * a[kp[u]]
        table[u] = e if is_simple else math.expm1(e)
    out[0] = 0.0
    if key_n[g, 1]:  # every span from the table: a plain gather (compiles to a tight loop)
        for r in range(1, out.size):
            out[r] = table[kr[r]]
        return out
    fr, pr, er = fractions[g], period[g], ends[g]
    for r in range(1, out.size):
        k = kr[r]
        if k >= 0:
            out[r] = table[k]
        else:
            e = 0.0
            for j in range(er[r - 1], er[r]):
                e += fr[j] * a[pr[j]]
            out[r] = e if is_simple else math.expm1(e)
    return out


@njit(cache=True, nogil=True, inline="always")
def _lane_growth(s, growth, fractions, period, ends, annual, simple, keys, key_f, key_p, key_n, table, out):  # type: ignore[no-untyped-def]
    """Scenario ``s``'s growth row: given, from the plan's distinct spans, or from the plan."""
    if growth.shape[0] == 0 and keys.shape[0] > 0:
        return _growth_keyed(
            s, fractions, period, ends, annual, simple, keys, key_f, key_p, key_n, table, out
        )
    return _growth_for(s, growth, fractions, period, ends, annual, simple, out)


@njit(cache=True, nogil=True)
def sum_tree(n, blocks_lo, blocks_n, ops):  # type: ignore[no-untyped-def]
    """numpy's pairwise summation of ``n`` values as a plan: the same for every row of ``n`` values.

    Writes the blocks of at most 128 values numpy sums with :func:`_block_sum` (``blocks_lo``,
    ``blocks_n``, left to right) and the order it adds their sums as a postfix program ``ops``
    (``k >= 0``: block ``k``'s sum; -1: add the last two sums, left + right); returns the counts
    (blocks, ops). The arrays need ``n // 32 + 2`` entries. See :func:`pairwise_sum`.
    """
    if n <= 128:
        blocks_lo[0] = 0
        blocks_n[0] = n
        ops[0] = 0
        return 1, 1
    task_lo = np.empty(128, dtype=np.int64)
    task_n = np.empty(128, dtype=np.int64)
    tasks = 1
    task_lo[0] = 0
    task_n[0] = n
    nb = 0
    no = 0
    while tasks > 0:
        tasks -= 1
        lo = task_lo[tasks]
        m = task_n[tasks]
        if m < 0:
            ops[no] = -1
            no += 1
        elif m <= 128:
            blocks_lo[nb] = lo
            blocks_n[nb] = m
            ops[no] = nb
            nb += 1
            no += 1
        else:
            half = m // 2
            half -= half % 8
            task_lo[tasks] = 0
            task_n[tasks] = -1
            task_lo[tasks + 1] = lo + half
            task_n[tasks + 1] = m - half
            task_lo[tasks + 2] = lo
            task_n[tasks + 2] = half
            tasks += 3
    return nb, no


@njit(cache=True, nogil=True, inline="always")
def _tree_sum(ops, n_ops, block_sums, stack):  # type: ignore[no-untyped-def]
    """Add block sums in the order of a :func:`sum_tree` program."""
    top = 0
    for i in range(n_ops):
        k = ops[i]
        if k >= 0:
            stack[top] = block_sums[k]
            top += 1
        else:
            top -= 1
            stack[top - 1] = stack[top - 1] + stack[top]
    return stack[0]


@njit(cache=True, nogil=True, inline="always")
def _block_sums_paid(v, japan, lo, n):  # type: ignore[no-untyped-def]
    """:func:`_block_sum` of Japan's parts and of the US's (``v - japan`` where ``v > 0``, else 0)
    over rows ``lo`` to ``lo + n``, in one pass (the US's parts are never stored)."""
    if n < 8:
        res = 0.0
        us = 0.0
        for i in range(lo, lo + n):
            res += japan[i]
            us += v[i] - japan[i] if v[i] > 0.0 else 0.0
        return res, us
    r0, r1, r2, r3 = japan[lo], japan[lo + 1], japan[lo + 2], japan[lo + 3]
    r4, r5, r6, r7 = japan[lo + 4], japan[lo + 5], japan[lo + 6], japan[lo + 7]
    u0 = v[lo] - japan[lo] if v[lo] > 0.0 else 0.0
    u1 = v[lo + 1] - japan[lo + 1] if v[lo + 1] > 0.0 else 0.0
    u2 = v[lo + 2] - japan[lo + 2] if v[lo + 2] > 0.0 else 0.0
    u3 = v[lo + 3] - japan[lo + 3] if v[lo + 3] > 0.0 else 0.0
    u4 = v[lo + 4] - japan[lo + 4] if v[lo + 4] > 0.0 else 0.0
    u5 = v[lo + 5] - japan[lo + 5] if v[lo + 5] > 0.0 else 0.0
    u6 = v[lo + 6] - japan[lo + 6] if v[lo + 6] > 0.0 else 0.0
    u7 = v[lo + 7] - japan[lo + 7] if v[lo + 7] > 0.0 else 0.0
    i = lo + 8
    stop = lo + n - (n % 8)
    while i < stop:
        r0 += japan[i]
        r1 += japan[i + 1]
        r2 += japan[i + 2]
        r3 += japan[i + 3]
        r4 += japan[i + 4]
        r5 += japan[i + 5]
        r6 += japan[i + 6]
        r7 += japan[i + 7]
        u0 += v[i] - japan[i] if v[i] > 0.0 else 0.0
        u1 += v[i + 1] - japan[i + 1] if v[i + 1] > 0.0 else 0.0
        u2 += v[i + 2] - japan[i + 2] if v[i + 2] > 0.0 else 0.0
        u3 += v[i + 3] - japan[i + 3] if v[i + 3] > 0.0 else 0.0
        u4 += v[i + 4] - japan[i + 4] if v[i + 4] > 0.0 else 0.0
        u5 += v[i + 5] - japan[i + 5] if v[i + 5] > 0.0 else 0.0
        u6 += v[i + 6] - japan[i + 6] if v[i + 6] > 0.0 else 0.0
        u7 += v[i + 7] - japan[i + 7] if v[i + 7] > 0.0 else 0.0
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    us = ((u0 + u1) + (u2 + u3)) + ((u4 + u5) + (u6 + u7))
    while i < lo + n:
        res += japan[i]
        us += v[i] - japan[i] if v[i] > 0.0 else 0.0
        i += 1
    return res, us


@njit(cache=True, nogil=True, inline="always")
def _summary_finish(
    s, v, japan, balance, days, want_xirr, guess, row_at, own_funds, funds, tree, scratch, outs, by_day
):  # type: ignore[no-untyped-def]
    """Scenario ``s``'s totals from its values ``v`` and Japan's parts ``japan`` (date order).

    ``tree`` is :func:`sum_tree`'s plan for the rows (blocks_lo, blocks_n, ops, counts); ``scratch``
    holds the block sums and the pairwise stacks. The values are checked and Japan's fundings summed
    only when ``own_funds`` (per-scenario values; shared values are checked and summed once by the
    caller). ``by_day`` is (day_sums, first, sides, japan_rows): Japan's flows go to row ``s`` of
    ``sides`` when it has rows (the threaded driver), else are added into ``day_sums[day - first]``
    when it has entries (the one-thread driver, scenarios in order); Japan's parts go to row ``s`` of
    ``japan_rows`` when it has rows. Returns False when a value is not finite
    (then nothing else is trusted: the caller says so).
    """
    threshold, unrecovered, received, us_received, funded, rate, balance_at = outs
    blocks_lo, blocks_n, ops, counts = tree
    japan_sums, us_sums, stack, stacks = scratch
    n = v.size
    for k in range(counts[0]):
        japan_sums[k], us_sums[k] = _block_sums_paid(v, japan, blocks_lo[k], blocks_n[k])
    received[s] = _tree_sum(ops, counts[1], japan_sums, stack)
    us_received[s] = _tree_sum(ops, counts[1], us_sums, stack)
    finite = True
    if own_funds:
        for r in range(n):  # (a loop of its own: compiled to vector instructions)
            finite &= v[r] - v[r] == 0.0  # NaN for inf and NaN
        m = 0
        for r in range(n):  # Japan's fundings, in date order, for numpy's sum of values[values < 0]
            if v[r] < 0.0:
                funds[m] = v[r]
                m += 1
        funded[s] = -pairwise_sum(funds, m, stacks[0], stacks[1], stack)
    for j in range(row_at.size):
        balance_at[s, j] = balance[row_at[j]]
    day_sums, first, sides, japan_rows = by_day
    if japan_rows.shape[0] > 0:
        japan_rows[s, :] = japan
    if (want_xirr and finite) or day_sums.size > 0 or sides.shape[0] > 0:
        side = funds  # Japan's flows (xlspv.rows.party_flows "japan"): fundings, else its payouts
        for r in range(n):
            side[r] = v[r] if v[r] < 0.0 else japan[r]
        if sides.shape[0] > 0:  # threads: each scenario's own row, summed by day after (no race)
            sides[s, :] = side
        elif day_sums.size > 0:  # one thread: scenarios in order, as add_by_day adds them
            add_row_by_day(day_sums, days, first, side)
        if want_xirr and finite:
            rate[s] = _xirr_sorted(side, days, guess)
    return finite


@njit(cache=True, nogil=True)
def _summary_block(
    b,
    values,
    days,
    growth,
    fractions,
    period,
    ends,
    annual,
    keys,
    key_f,
    key_p,
    key_n,
    simple,
    before,
    after,
    want_xirr,
    guess,
    at,
    threshold,
    unrecovered,
    received,
    us_received,
    funded,
    rate,
    balance_at,
    day_sums,
    first,
    sides,
    japan_rows,
):
    n_scen = threshold.shape[0]
    n = values.shape[1]
    keep = at.shape[1] > 0
    grow = np.empty((LANES, n))
    japan = np.empty((LANES, n))
    balance = np.empty((LANES, n if keep else 1))
    lane = np.empty(LANES, dtype=np.int64)
    lane_simple = np.empty(LANES, dtype=np.bool_)
    lane_before = np.empty(LANES)
    lane_after = np.empty(LANES)
    last = np.empty(LANES, dtype=np.int64)
    owed = np.empty(LANES)
    table = np.empty(max(1, key_f.shape[1]))
    funds = np.empty(n)
    size = n // 32 + 2
    blocks_lo = np.empty(size, dtype=np.int64)
    blocks_n = np.empty(size, dtype=np.int64)
    ops = np.empty(2 * size, dtype=np.int64)
    counts = np.empty(2, dtype=np.int64)
    counts[0], counts[1] = sum_tree(n, blocks_lo, blocks_n, ops)
    tree = (blocks_lo, blocks_n, ops, counts)
    scratch = (np.empty(size), np.empty(size), np.empty(max(64, size)), np.empty((2, 128), dtype=np.int64))
    outs = (threshold, unrecovered, received, us_received, funded, rate, balance_at)
    hi = min((b + 1) * BLOCK, n_scen)
    for s0 in range(b * BLOCK, hi, LANES):
        for j in range(LANES):  # a block's last lanes may repeat its last scenario: same figures twice
            s = min(s0 + j, hi - 1)
            k = s % simple.shape[0]
            lane[j] = s
            lane_simple[j] = simple[k]
            lane_before[j] = before[k]
            lane_after[j] = after[k]
        g0 = _lane_growth(
            lane[0],
            growth,
            fractions,
            period,
            ends,
            annual,
            simple,
            keys,
            key_f,
            key_p,
            key_n,
            table,
            grow[0],
        )
        g1 = _lane_growth(
            lane[1],
            growth,
            fractions,
            period,
            ends,
            annual,
            simple,
            keys,
            key_f,
            key_p,
            key_n,
            table,
            grow[1],
        )
        g2 = _lane_growth(
            lane[2],
            growth,
            fractions,
            period,
            ends,
            annual,
            simple,
            keys,
            key_f,
            key_p,
            key_n,
            table,
            grow[2],
        )
        g3 = _lane_growth(
            lane[3],
            growth,
            fractions,
            period,
            ends,
            annual,
            simple,
            keys,
            key_f,
            key_p,
            key_n,
            table,
            grow[3],
        )
        rows = values.shape[0]
        _rule_lanes(
            values[lane[0] % rows],
            values[lane[1] % rows],
            values[lane[2] % rows],
            values[lane[3] % rows],
            g0,
            g1,
            g2,
            g3,
            lane_simple,
            lane_before,
            lane_after,
            japan,
            balance,
            keep,
            last,
            owed,
        )
        for j in range(LANES):
            s = lane[j]
            if j > 0 and s == lane[j - 1]:
                break
            threshold[s] = last[j]
            unrecovered[s] = owed[j]
            ok = _summary_finish(
                s,
                values[s % rows],
                japan[j],
                balance[j],
                days[s % days.shape[0]],
                want_xirr,
                guess,
                at[s % at.shape[0]],
                rows > 1,
                funds,
                tree,
                scratch,
                outs,
                (day_sums, first, sides, japan_rows),
            )
            if not ok:
                unrecovered[s] = np.nan


@njit(cache=True, nogil=True)
def _summary_serial(
    values,
    days,
    growth,
    fractions,
    period,
    ends,
    annual,
    keys,
    key_f,
    key_p,
    key_n,
    simple,
    before,
    after,
    want_xirr,
    guess,
    at,
    threshold,
    unrecovered,
    received,
    us_received,
    funded,
    rate,
    balance_at,
    day_sums,
    first,
    sides,
    japan_rows,
):
    for b in range((threshold.shape[0] + BLOCK - 1) // BLOCK):
        _summary_block(
            b,
            values,
            days,
            growth,
            fractions,
            period,
            ends,
            annual,
            keys,
            key_f,
            key_p,
            key_n,
            simple,
            before,
            after,
            want_xirr,
            guess,
            at,
            threshold,
            unrecovered,
            received,
            us_received,
            funded,
            rate,
            balance_at,
            day_sums,
            first,
            sides,
            japan_rows,
        )


@njit(cache=True, nogil=True, parallel=True)
def _summary_parallel(
    values,
    days,
    growth,
    fractions,
    period,
    ends,
    annual,
    keys,
    key_f,
    key_p,
    key_n,
    simple,
    before,
    after,
    want_xirr,
    guess,
    at,
    threshold,
    unrecovered,
    received,
    us_received,
    funded,
    rate,
    balance_at,
    day_sums,
    first,
    sides,
    japan_rows,
):
    for b in prange((threshold.shape[0] + BLOCK - 1) // BLOCK):
        _summary_block(
            b,
            values,
            days,
            growth,
            fractions,
            period,
            ends,
            annual,
            keys,
            key_f,
            key_p,
            key_n,
            simple,
            before,
            after,
            want_xirr,
            guess,
            at,
            threshold,
            unrecovered,
            received,
            us_received,
            funded,
            rate,
            balance_at,
            day_sums,
            first,
            sides,
            japan_rows,
        )


@njit(cache=True, nogil=True)
def add_by_day(sums, days, first, flows):  # type: ignore[no-untyped-def]
    """``sums[days[s, r] - first] += flows[s, r]`` over the rows in order (``days`` one row per
    scenario, or one row shared by all): each day's sum adds what ``np.bincount`` over the distinct
    days would, in its order (blocks of scenarios added one after another give one bincount's bits),
    without an array of each row's day index. The summary's one-thread driver adds in this order too.
    """
    for s in range(flows.shape[0]):
        add_row_by_day(sums, days[s % days.shape[0]], first, flows[s])


@njit(cache=True, nogil=True)
def add_row_by_day(sums, days, first, flows):  # type: ignore[no-untyped-def]
    """One scenario's row of :func:`add_by_day`: ``sums[days[r] - first] += flows[r]``, rows in order."""
    for r in range(flows.size):
        sums[days[r] - first] += flows[r]

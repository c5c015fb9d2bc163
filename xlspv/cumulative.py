"""The default reading (``allocation_basis = "cumulative"``), compiled: the rule once, for any scenarios.

The rule (``docs/waterfall.md``, "The rule, event by event") keeps one number, Japan's outstanding
deemed balance ``B``:

1. between two dates ``B`` grows by the terms' accrual factor (nothing accrues while ``B`` is 0);
2. a funding ``F`` adds ``F`` to ``B`` (after the threshold it reopens the balance);
3. a distribution ``C`` with ``B > 0``: Japan gets ``japan_share_before * C`` while that is below
   ``B``; otherwise the row is the threshold row (:func:`xlspv.rows.threshold_split`);
4. a distribution with ``B == 0`` is split at the after-shares;
5. the US gets ``C`` less Japan's part.

:func:`rule_row` is that rule for one scenario's rows, one :func:`_rule_step` per row. Two drivers
run the step over many scenarios: :func:`_rows_serial` / :func:`_rows_parallel` here keep every row's
outputs; those of :mod:`xlspv.summary_kernel` keep per-scenario figures only (no array the size of the
scenarios times the rows). Both take the same inputs, each with one row per scenario or one row shared
by all (a row ``s`` of an input with ``G`` rows is row ``s % G``):

- ``values`` (date order), ``days`` (ordinals, date order; used for the XIRR only);
- the accrual: either ``growth`` (per-row growth, see :func:`xlspv.accrual.growth_row`) or, when
  ``growth`` has no rows, a plan (``fractions``; ``period`` and ``ends``, which have the same number
  of rows) and ``annual`` exponents from which each scenario's growth is computed in the kernel;
- ``simple``, ``before``, ``after``: per-scenario conventions and shares.
"""

from __future__ import annotations

import numpy as np

from ._jit import njit, prange
from .accrual import growth_row
from .rows import AFTER, BEFORE, FUNDING, THRESHOLD, threshold_split

#: A distribution whose before-share falls short of the balance by less than this (relative) clears it:
#: cash computed to clear the balance "exactly" is often one unit in the last place short, and leaving
#: 1e-14 of a balance unrecovered would report the threshold as not reached.
CLEAR_TOLERANCE = 1e-12

#: Scenarios per block of the threaded drivers: each block reuses one set of scratch rows.
BLOCK = 64


@njit(cache=True, nogil=True, inline="always")
def _rule_step(c, g, is_simple, sb, sa, principal, accrued):  # type: ignore[no-untyped-def]
    """One row of the rule: the row's value ``c`` and growth ``g`` applied to the balance so far.

    Takes and returns the balance as ``principal`` and ``accrued`` (see :func:`rule_row`); also
    returns Japan's part of the row, the interest accrued over its span and its tier code.
    """
    # rule 1: the balance grows between dates (nothing accrues while it is 0)
    grown = principal * g
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
    owed = principal + accrued
    if c < 0.0:  # rule 2: a funding adds to the balance (and reopens it)
        return principal - c, accrued, 0.0, grown, FUNDING
    if owed > 0.0 and sb * c < owed * (1.0 - CLEAR_TOLERANCE):  # rule 3: before the threshold
        paid = sb * c
        from_interest = min(paid, accrued)
        return principal - (paid - from_interest), accrued - from_interest, paid, grown, BEFORE
    if owed > 0.0:  # rule 3: the threshold inside this row
        return 0.0, 0.0, threshold_split(c, owed, sb, sa), grown, THRESHOLD
    # rule 4: after the threshold
    return principal, accrued, sa * c, grown, THRESHOLD if cleared_by_accrual else AFTER


@njit(cache=True, nogil=True)
def rule_row(v, growth, is_simple, sb, sa, japan, interest, balance, tier):  # type: ignore[no-untyped-def]
    """The default rule over one scenario's rows ``v`` (date order), writing the per-row outputs.

    ``growth[r]`` is the accrual over the span ending at row ``r`` per unit of balance: ``exp(E) - 1``
    when compounding, the simple rate-time ``E`` when ``is_simple``. Simple interest is tracked apart
    from principal and paid first. The US's part of a row is ``v - japan`` for a distribution.
    Returns the position of the row where the balance last becomes 0 and stays 0, or -1.
    """
    principal = 0.0  # when compounding, the whole balance B; when simple, principal only
    accrued = 0.0  # simple only: interest accrued and not yet paid
    last_threshold = -1
    for r in range(v.size):
        principal, accrued, paid, grown, code = _rule_step(
            v[r], growth[r], is_simple, sb, sa, principal, accrued
        )
        japan[r] = paid
        interest[r] = grown
        tier[r] = code
        balance[r] = principal + accrued
        if code == THRESHOLD:
            last_threshold = r
    return last_threshold if principal + accrued == 0.0 else -1


@njit(cache=True, nogil=True)
def _growth_for(s, growth, fractions, period, ends, annual, simple, scratch):  # type: ignore[no-untyped-def]
    """Scenario ``s``'s growth row: the given one, or computed into ``scratch`` from the plan."""
    if growth.shape[0] > 0:
        return growth[s % growth.shape[0]]
    g = s % period.shape[0]
    growth_row(
        fractions[s % fractions.shape[0]],
        period[g],
        ends[g],
        annual[s % annual.shape[0]],
        simple[s % simple.shape[0]],
        scratch,
    )
    return scratch


@njit(cache=True, nogil=True)
def _block_sum(a, lo, n):  # type: ignore[no-untyped-def]
    """numpy's sum of at most 128 values: sequential below 8, else 8 accumulators then the rest."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - (n % 8):
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(cache=True, nogil=True)
def pairwise_sum(a, n, tasks_lo, tasks_n, sums):  # type: ignore[no-untyped-def]
    """``a[:n].sum()`` exactly as numpy computes it, so per-scenario totals equal ``sum(axis=1)`` bitwise.

    numpy halves the range (at a multiple of 8) until a piece has at most 128 values, sums each piece
    with :func:`_block_sum` and adds the halves. Written with explicit stacks (numba cannot cache a
    recursive function): tasks are (start, count) to sum, or -1 to add the last two sums. The stacks
    (``tasks_lo``, ``tasks_n``: 128 entries each; ``sums``: 64) are the caller's scratch, reused.
    """
    if n <= 128:
        return _block_sum(a, 0, n)
    task_lo = tasks_lo
    task_n = tasks_n
    tasks = 1
    task_lo[0] = 0
    task_n[0] = n
    done = 0
    while tasks > 0:
        tasks -= 1
        lo = task_lo[tasks]
        m = task_n[tasks]
        if m < 0:  # both halves are summed: add them (left + right, as numpy)
            done -= 1
            sums[done - 1] = sums[done - 1] + sums[done]
        elif m <= 128:
            sums[done] = _block_sum(a, lo, m)
            done += 1
        else:
            half = m // 2
            half -= half % 8
            task_lo[tasks] = 0  # after both halves: add them
            task_n[tasks] = -1
            task_lo[tasks + 1] = lo + half  # right half, summed second
            task_n[tasks + 1] = m - half
            task_lo[tasks + 2] = lo  # left half, summed first
            task_n[tasks + 2] = half
            tasks += 3
    return sums[0]


@njit(cache=True, nogil=True)
def _rows_block(
    b,
    values,
    growth,
    fractions,
    period,
    ends,
    annual,
    simple,
    before,
    after,
    japan,
    interest,
    balance,
    tier,
    threshold,
):
    n_scen = japan.shape[0]
    scratch = np.empty(values.shape[1])
    for s in range(b * BLOCK, min((b + 1) * BLOCK, n_scen)):
        k = s % simple.shape[0]
        g = _growth_for(s, growth, fractions, period, ends, annual, simple, scratch)
        threshold[s] = rule_row(
            values[s % values.shape[0]],
            g,
            simple[k],
            before[k],
            after[k],
            japan[s],
            interest[s],
            balance[s],
            tier[s],
        )


@njit(cache=True, nogil=True)
def _rows_serial(
    values,
    growth,
    fractions,
    period,
    ends,
    annual,
    simple,
    before,
    after,
    japan,
    interest,
    balance,
    tier,
    threshold,
):
    for b in range((japan.shape[0] + BLOCK - 1) // BLOCK):
        _rows_block(
            b,
            values,
            growth,
            fractions,
            period,
            ends,
            annual,
            simple,
            before,
            after,
            japan,
            interest,
            balance,
            tier,
            threshold,
        )


@njit(cache=True, nogil=True, parallel=True)
def _rows_parallel(
    values,
    growth,
    fractions,
    period,
    ends,
    annual,
    simple,
    before,
    after,
    japan,
    interest,
    balance,
    tier,
    threshold,
):
    for b in prange((japan.shape[0] + BLOCK - 1) // BLOCK):
        _rows_block(
            b,
            values,
            growth,
            fractions,
            period,
            ends,
            annual,
            simple,
            before,
            after,
            japan,
            interest,
            balance,
            tier,
            threshold,
        )


@njit(cache=True, nogil=True)
def growth_rows(fractions, period, ends, annual, simple, out):  # type: ignore[no-untyped-def]
    """Growth rows of every scenario into ``out`` (scenarios x rows), from a plan and annual exponents."""
    for s in range(out.shape[0]):
        g = s % period.shape[0]
        growth_row(
            fractions[s % fractions.shape[0]],
            period[g],
            ends[g],
            annual[s % annual.shape[0]],
            simple[s % simple.shape[0]],
            out[s],
        )

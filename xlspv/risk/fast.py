"""The fast path of a chunk: lay the SPVs out for :func:`xlspv.risk.kernel.run_range` and run it.

Every SPV whose day count is an actual-days one (ACT/365F, ACT/360) runs here; what the kernel
returns is exactly what the general path (:func:`xlspv.risk.engine.run_general`: the scenarios'
rows as arrays, then the core's batch) returns for the same draws (tests check it bitwise). Ranges
of a chunk's scenarios run on several threads at once (the kernel releases the GIL); each range
writes its own rows of the outputs, so the figures do not depend on the threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from ..accrual import annual_exponent, check_schedule_start, rate_path
from ..dates import NUMPY_EPOCH_ORDINAL
from ..daycount import canonical_day_count
from .kernel import build_plans, run_range
from .model import RiskModel
from .pool import in_order
from .scenarios import RATE_HORIZON_DAYS, Problem, month_parts, rate_paths, reset_days

#: Days per year of the actual-days conventions the kernel computes: ``(end - start) / basis``.
BASIS = {"ACT/365F": 365.0, "ACT/360": 360.0}

#: Bytes a chunk may spend on the rows' dates and plans built once per SPV and delay.
PLAN_BYTES = 96 * 2**20

#: Scenarios per range handed to a thread: small enough to balance two threads on a busy machine.
RANGE = 256


def runs_fast(problem: Problem) -> bool:
    """Whether every SPV's day count is one the kernel computes."""
    return all(canonical_day_count(s.terms.day_count) in BASIS for s in problem.spvs)


@dataclass(frozen=True)
class Layout:
    """The SPVs' schedules as the kernel's ragged arrays (see :func:`xlspv.risk.kernel.run_range`)."""

    fx_off: np.ndarray
    fx_day: np.ndarray
    fx_val: np.ndarray
    fx_idx: np.ndarray
    mv_off: np.ndarray
    mv_month: np.ndarray
    mv_dom: np.ndarray
    mv_val: np.ndarray
    mv_idx: np.ndarray
    start: np.ndarray
    simple: np.ndarray
    before: np.ndarray
    after: np.ndarray
    basis: np.ndarray


def layout(problem: Problem) -> Layout:
    """Fixed rows (fundings and zeros, value <= 0) and distributions (value > 0) of every SPV."""
    fx, mv = [], []
    for s in problem.spvs:
        moving = s.values > 0.0
        idx = np.arange(s.values.size, dtype=np.int64)
        months, dom = month_parts(s.days[moving])
        fx.append((s.days[~moving].astype(np.int64), s.values[~moving], idx[~moving]))
        mv.append((months, dom, s.values[moving], idx[moving]))

    def cat(parts: list, j: int, dtype: type) -> np.ndarray:
        return np.ascontiguousarray(np.concatenate([p[j] for p in parts]), dtype=dtype)

    def offsets(parts: list) -> np.ndarray:
        return np.concatenate([[0], np.cumsum([p[0].size for p in parts])]).astype(np.int64)

    t = [s.terms for s in problem.spvs]
    return Layout(
        fx_off=offsets(fx),
        fx_day=cat(fx, 0, np.int64),
        fx_val=cat(fx, 1, np.float64),
        fx_idx=cat(fx, 2, np.int64),
        mv_off=offsets(mv),
        mv_month=cat(mv, 0, np.int64),
        mv_dom=cat(mv, 1, np.int64),
        mv_val=cat(mv, 2, np.float64),
        mv_idx=cat(mv, 3, np.int64),
        start=np.array([s.start for s in problem.spvs], dtype=np.int64),
        simple=np.array([x.compounding == "simple" for x in t]),
        before=np.array([x.japan_share_before for x in t], dtype=np.float64),
        after=np.array([x.japan_share_after for x in t], dtype=np.float64),
        basis=np.array([BASIS[canonical_day_count(x.day_count)] for x in t], dtype=np.float64),
    )


@dataclass(frozen=True)
class Rates:
    """Each SPV's rate group, the groups' change dates (ragged) and the annual exponents per scenario."""

    group: np.ndarray
    ch_off: np.ndarray
    ch_day: np.ndarray
    annual: np.ndarray  # (1 or scenarios, all groups' changes)


def rates(problem: Problem, model: RiskModel, shifts: np.ndarray | None) -> Rates:
    """The deemed rates: the terms' own (``shifts`` None) or plus the benchmark's simulated change.

    SPVs whose terms share a deemed rate and compounding share a group (one set of exponents).
    As the general path: the terms' own rate path, or :func:`xlspv.risk.scenarios.rate_paths`.
    """
    keys: dict[tuple[str, str], int] = {}
    group = np.empty(len(problem.spvs), dtype=np.int64)
    changes, annual = [], []
    resets = reset_days(problem.origin, problem.last_day + RATE_HORIZON_DAYS) if shifts is not None else None
    for i, s in enumerate(problem.spvs):
        key = (repr(s.terms.deemed_rate), s.terms.compounding)
        if shifts is None:  # the terms' own schedule must be in force from each SPV's first row on
            check_schedule_start(s.terms, s.days)
        if key not in keys:
            keys[key] = len(keys)
            if shifts is None or resets is None:
                own, r = rate_path(s.terms)
                # no changes: one dummy date, so the group keeps its one rate (the kernel reads k <= 1 flat)
                changes.append(np.array([s.days[0]], dtype=np.int64) if own is None else own)
                annual.append(annual_exponent(s.terms.compounding, r)[None, :])
            else:
                dates, path = rate_paths(s.terms, resets, shifts)
                changes.append(dates.astype(np.int64))
                annual.append(annual_exponent(s.terms.compounding, path))
        group[i] = keys[key]
    ch_off = np.concatenate([[0], np.cumsum([c.size for c in changes])]).astype(np.int64)
    joined = annual[0] if len(annual) == 1 else np.concatenate(annual, axis=1)  # one group: no copy
    return Rates(group, ch_off, np.concatenate(changes), np.ascontiguousarray(joined))


def month_table(problem: Problem, longest: int) -> tuple[int, np.ndarray]:
    """(first month index, first-day ordinals of every month a row can fall in, plus one)."""
    first, _ = month_parts(np.array([min(int(s.days[0]) for s in problem.spvs)]))
    last, _ = month_parts(np.array([problem.last_day]))
    months = np.arange(int(first[0]), int(last[0]) + longest + 2)
    return int(first[0]), months.astype("datetime64[M]").astype("datetime64[D]").astype(
        np.int64
    ) + NUMPY_EPOCH_ORDINAL


def run(
    problem: Problem,
    model: RiskModel,
    factor: np.ndarray,
    delay: np.ndarray,
    stop_days: np.ndarray,
    shifts: np.ndarray | None,
    fan_days: np.ndarray,
    fan_n: int,
    threads: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(threshold days, unrecovered, XIRR) (scenarios x SPVs, + the program) and the fan sample."""
    lay = layout(problem)
    rt = rates(problem, model, shifts)
    n, k = factor.shape
    month0, month_first = month_table(problem, int(delay.max()) if delay.size else 0)
    columns = k + (1 if problem.program else 0)
    threshold = np.empty((n, columns), dtype=np.int64)
    unrecovered = np.empty((n, columns))
    xirr = np.empty((n, columns))
    fan = np.zeros((fan_n, fan_days.size))
    factor = np.ascontiguousarray(factor, dtype=np.float64)
    delay = np.ascontiguousarray(delay, dtype=np.int64)
    stop_days = np.ascontiguousarray(stop_days, dtype=np.float64)

    plans = _plans(lay, rt, delay, month0, month_first)

    def part(lo: int, hi: int) -> None:
        run_range(
            lo,
            hi,
            lay.fx_off,
            lay.fx_day,
            lay.fx_val,
            lay.fx_idx,
            lay.mv_off,
            lay.mv_month,
            lay.mv_dom,
            lay.mv_val,
            lay.mv_idx,
            lay.start,
            lay.simple,
            lay.before,
            lay.after,
            lay.basis,
            rt.group,
            rt.ch_off,
            rt.ch_day,
            rt.annual,
            month0,
            month_first,
            factor,
            delay,
            stop_days,
            0.1,
            fan_days.astype(np.int64),
            fan_n,
            problem.program,
            int(month_first[0]),
            *plans,
            threshold,
            unrecovered,
            xirr,
            fan,
        )

    ranges = [(lo, min(lo + RANGE, n)) for lo in range(0, n, RANGE)]
    for _ in in_order([partial(part, lo, hi) for lo, hi in ranges], [hi - lo for lo, hi in ranges], threads):
        pass  # each range writes its own rows of the outputs
    return threshold, unrecovered, xirr, fan


def _plans(lay: Layout, rt: Rates, delay: np.ndarray, month0: int, month_first: np.ndarray) -> tuple:
    """The rows' dates and plans of every SPV for the chunk's commonest delays (within :data:`PLAN_BYTES`).

    Returns the kernel's (keep, row_base, piece_base, pieces, c_cd, c_src, c_ends, c_fr, c_pe).
    """
    rows = np.diff(lay.fx_off) + np.diff(lay.mv_off)
    changes = np.diff(rt.ch_off)[rt.group]
    pieces = np.where(changes > 1, rows + changes - 1, np.maximum(rows - 1, 1)).astype(np.int64)
    entry = int((24 * rows + 16 * pieces).sum())
    longest = delay.max(axis=0) + 1 if delay.size else np.zeros(rows.size, dtype=np.int64)
    keep = np.minimum(longest, PLAN_BYTES // max(entry, 1)).astype(np.int64)
    row_base = np.concatenate([[0], np.cumsum(keep * rows)[:-1]]).astype(np.int64)
    piece_base = np.concatenate([[0], np.cumsum(keep * pieces)[:-1]]).astype(np.int64)
    n_rows, n_pieces = int((keep * rows).sum()), int((keep * pieces).sum())
    c_cd, c_src, c_ends = (np.empty(n_rows, dtype=np.int64) for _ in range(3))
    c_fr, c_pe = np.empty(n_pieces), np.empty(n_pieces, dtype=np.int64)
    build_plans(
        lay.fx_off,
        lay.fx_day,
        lay.fx_val,
        lay.fx_idx,
        lay.mv_off,
        lay.mv_month,
        lay.mv_dom,
        lay.mv_val,
        lay.mv_idx,
        lay.start,
        lay.basis,
        rt.group,
        rt.ch_off,
        rt.ch_day,
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
    )
    return keep, row_base, piece_base, pieces, c_cd, c_src, c_ends, c_fr, c_pe

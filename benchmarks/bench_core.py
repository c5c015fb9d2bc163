"""Core speed, measured side by side in one run (numbers go to the README and the issue notes).

- Batch waterfall, 10,000 scenarios x 480 monthly rows, against a bare numpy cumulative sum over the
  same array (the floor for any pass over that much data).
- Summary mode (:func:`xlspv.waterfall_summary`), 100,000 x 480: the whole call against the compiled
  loop alone (the rule over prepared inputs, every row written, default threads), the summary's own
  kernel alone (prepared inputs, default threads) and numpy's cumsum of the same array, on the default
  threads and on one; and 1,000,000 scenarios x 480 rows (a deemed rate each, shared
  values) in a fresh process, with its peak memory.
- XIRR of 40 and 480 flows as lists, numpy arrays and pandas Series, against ``pyxirr.xirr`` (Rust);
  IRR of 40 periodic flows against ``numpy_financial.irr``.
- The scheduled reading, 1,000 / 10,000 / 100,000 daily rows, against the cumulative reading and
  the row-at-a-time reading it replaced (kept in ``tests/scheduled_reference.py``).

Run: ``make bench`` (or ``.venv/bin/python benchmarks/bench_core.py``; ``--quick`` skips the 100,000-row
scheduled reading and the 1,000,000-scenario run; ``--summary`` runs the summary mode's lines only).
Figures are medians of several repeats after a warm-up call that also compiles the numba kernels
(``best_of`` gives the best, for older figures).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import timeit
from collections.abc import Callable

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import xlspv  # noqa: E402


def best_of(func: Callable[[], object], repeats: int = 5, number: int = 1) -> float:
    """Best time per call over ``repeats`` runs of ``number`` calls, in seconds."""
    func()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            func()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def median_of(func: Callable[[], object], repeats: int = 7, number: int = 1) -> float:
    """Median time per call over ``repeats`` runs of ``number`` calls, in seconds (after a warm-up)."""
    func()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            func()
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


def medians_interleaved(funcs: dict[str, Callable[[], object]], repeats: int = 9) -> dict[str, float]:
    """Median seconds per call of each function, run in turns (one call of each per round, after a
    warm-up round), so that a shared machine's changing load falls on all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for round_ in range(repeats + 1):
        for name, func in funcs.items():
            start = time.perf_counter()
            func()
            if round_:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def monthly_dates(n: int, start: dt.date = dt.date(2026, 1, 31)) -> np.ndarray:
    months = np.arange(n) + (start.year - 1970) * 12 + start.month - 1
    return (months + 1).astype("datetime64[M]").astype("datetime64[D]") - 1  # month ends


def scenarios(n_scen: int, n_rows: int, seed: int = 7) -> np.ndarray:
    """Fundings in the first 24 months, then noisy distributions that ramp up."""
    rng = np.random.default_rng(seed)
    values = np.empty((n_scen, n_rows))
    values[:, :24] = -rng.uniform(50, 150, size=(n_scen, 24))
    ramp = np.minimum(1.0, np.arange(n_rows - 24) / 60.0)
    values[:, 24:] = rng.uniform(5, 40, size=(n_scen, n_rows - 24)) * ramp
    return values


def bench_batch() -> dict[str, float]:
    n_scen, n_rows = 10_000, 480
    values = scenarios(n_scen, n_rows)
    dates = monthly_dates(n_rows)
    terms = xlspv.Terms(0.05)
    batch = best_of(lambda: xlspv.waterfall_batch(values, dates, terms))
    cumsum = best_of(lambda: np.cumsum(values, axis=1))
    rates = np.linspace(0.0, 0.12, n_scen)
    grid = best_of(lambda: xlspv.waterfall_batch(values[0], dates, terms, deemed_rates=rates))
    return {"batch_s": batch, "cumsum_s": cumsum, "ratio": batch / cumsum, "rate_grid_s": grid}


def bench_summary() -> dict[str, float]:
    """Summary mode 100,000 x 480 against the compiled loop and numpy's cumsum, medians (run in turns)."""
    from xlspv.batch import _accrual, _conventions
    from xlspv.cumulative import _rows_parallel
    from xlspv.inputs import prepare_batch
    from xlspv.summary_kernel import _summary_parallel

    n_scen, n_rows = 100_000, 480
    values = scenarios(n_scen, n_rows)
    dates = monthly_dates(n_rows)
    terms = xlspv.Terms(0.05)
    part = prepare_batch(values, dates).chunk(0, n_scen)
    conv = _conventions(terms, n_scen, None, None)
    acc = _accrual(part, conv, None, span_keys=True)
    outs = [np.empty((n_scen, n_rows)) for _ in range(3)]
    tier, thr = np.empty((n_scen, n_rows), dtype=np.int8), np.empty(n_scen, dtype=np.int64)

    def loop() -> None:
        _rows_parallel(
            part.values,
            acc.growth,
            acc.fractions,
            acc.period,
            acc.ends,
            acc.annual,
            conv.simple,
            conv.before,
            conv.after,
            *outs,
            tier,
            thr,
        )

    sums = [np.empty(n_scen) for _ in range(4)]
    at, balance = np.zeros((1, 0), dtype=np.int64), np.empty((n_scen, 0))

    def summary_loop() -> None:  # the summary's own kernel on prepared inputs (one pass, all threads)
        _summary_parallel(
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
            conv.simple,
            conv.before,
            conv.after,
            False,
            0.1,
            at,
            thr,
            *sums,
            np.empty(0),
            balance,
            np.empty(0),  # no day sums asked for (waterfall_summary without day_sums=)
            0,
            np.empty((0, n_rows)),  # no threads' scratch of flows
            np.empty((0, n_rows)),  # no japan_rows=
        )

    m = medians_interleaved(
        {
            "whole": lambda: xlspv.waterfall_summary(values, dates, terms),
            "one": lambda: xlspv.waterfall_summary(values, dates, terms, threads=1),
            "two": lambda: xlspv.waterfall_summary(values, dates, terms, threads=2),
            "loop": loop,
            "kernel": summary_loop,
            "cumsum": lambda: np.cumsum(values, axis=1),
        }
    )
    whole, one, two, compiled, kernel, cumsum = (
        m[k] for k in ("whole", "one", "two", "loop", "kernel", "cumsum")
    )
    xirr = median_of(lambda: xlspv.waterfall_summary(values, dates, terms, xirr=True), repeats=3)
    resets = np.arange(np.datetime64("2025-07"), np.datetime64("2025-07") + 6 * 80, 6).astype("datetime64[D]")
    paths = np.random.default_rng(3).uniform(0.0, 0.1, size=(n_scen, resets.size))

    def with_paths() -> object:
        return xlspv.waterfall_summary(values, dates, terms, deemed_rates=paths, rate_dates=resets)

    path = median_of(with_paths, repeats=3)
    return {
        "whole_s": whole,
        "one_thread_s": one,
        "two_threads_s": two,
        "loop_s": compiled,
        "kernel_s": kernel,
        "cumsum_s": cumsum,
        "xirr_s": xirr,
        "rate_path_s": path,
    }


MILLION = """
import sys, time, json
import numpy as np
sys.path.insert(0, {root!r})
import xlspv
from bench_core import monthly_dates, scenarios
values = scenarios(1, 480)[0]
dates = monthly_dates(480)
rates = np.linspace(0.0, 0.12, 1_000_000)
terms = xlspv.Terms(0.05)
xlspv.waterfall_summary(values, dates, terms, deemed_rates=rates[:1000])  # compile / load the kernels
start = time.perf_counter()
s = xlspv.waterfall_summary(values, dates, terms, deemed_rates=rates)
took = time.perf_counter() - start
# VmHWM, not ru_maxrss: a child keeps the parent's ru_maxrss across exec, VmHWM starts afresh
hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM")][0]
print(json.dumps({{"s": took, "peak_mib": int(hwm.split()[1]) / 1024,
                  "reached": float((s.threshold_row >= 0).mean())}}))
"""


def bench_million() -> dict[str, float]:
    """1,000,000 scenarios x 480 rows in a fresh process: time of the call and the process's peak RSS."""
    here = os.path.dirname(os.path.abspath(__file__))
    script = MILLION.format(root=os.path.join(here, ".."))
    command = [sys.executable, "-c", script]
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=here)
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_xirr() -> dict[str, float]:
    import numpy_financial as npf
    import pyxirr

    dates = [dt.date(2025 + i, 1, 1) for i in range(40)]
    values = [-1000.0] + [80.0 + 2.0 * i for i in range(39)]
    assert abs(xlspv.xirr(values, dates) - pyxirr.xirr(dates, values)) < 1e-9
    ours = median_of(lambda: xlspv.xirr(values, dates), number=2000)
    theirs = median_of(lambda: pyxirr.xirr(dates, values), number=2000)
    npf_irr = median_of(lambda: npf.irr(values), number=200)
    ours_irr = median_of(lambda: xlspv.irr(values), number=2000)
    return {
        "xirr_us": ours * 1e6,
        "pyxirr_us": theirs * 1e6,
        "ratio_vs_pyxirr": ours / theirs,
        "irr_us": ours_irr * 1e6,
        "npf_irr_us": npf_irr * 1e6,
        "npf_over_xirr": npf_irr / ours,
    }


def paired(ours: Callable[[], object], theirs: Callable[[], object], rounds: int = 15, number: int = 2000):
    """(our median, their median, median of the per-round ratios) per call, in seconds.

    The two run in alternating rounds (each round the best of 3 runs of ``number`` calls), so a change
    in the machine's load falls on both sides of a round's ratio alike.
    """
    ours(), theirs()
    a, b, r = [], [], []
    for _ in range(rounds):
        x = min(timeit.repeat(ours, number=number, repeat=3)) / number
        y = min(timeit.repeat(theirs, number=number, repeat=3)) / number
        a.append(x)
        b.append(y)
        r.append(x / y)
    return statistics.median(a), statistics.median(b), statistics.median(r)


def bench_xirr_forms() -> list[tuple[int, str, float, float, float]]:
    """Medians per call of xlspv.xirr and pyxirr.xirr on lists, numpy arrays and pandas Series, and
    the median of their ratios measured round by round (:func:`paired`)."""
    import pandas as pd
    import pyxirr

    rows = []
    for n in (40, 480):
        dates = [dt.date(2025, 1, 1) + dt.timedelta(days=30 * i) for i in range(n)]
        values = [-1000.0] + [1500.0 / n + 0.01 * i for i in range(n - 1)]
        forms = {
            "list": (values, dates),
            "numpy": (np.array(values), np.array(dates, dtype="datetime64[D]")),
            "pandas": (pd.Series(values), pd.Series(pd.to_datetime(dates))),
        }
        for form, (v, d) in forms.items():
            assert abs(xlspv.xirr(v, d) - pyxirr.xirr(d, v)) < 1e-9
            ours, theirs, ratio = paired(
                lambda v=v, d=d: xlspv.xirr(v, d),
                lambda v=v, d=d: pyxirr.xirr(d, v),
                number=2000 if n < 100 else 300,
            )
            rows.append((n, form, ours * 1e6, theirs * 1e6, ratio))
    return rows


def bench_scheduled(sizes: tuple[int, ...]) -> list[tuple[int, float, float, float]]:
    """The scheduled reading against the cumulative reading on the same daily rows (useful life 20),
    and the row-at-a-time scheduled reading it replaced (``tests/scheduled_reference.py``; up to
    10,000 rows, NaN beyond: 16 s at 100,000)."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
    from scheduled_reference import reference_rows

    from xlspv.inputs import prepare

    rows = []
    for n in sizes:
        rng = np.random.default_rng(n)
        dates = np.datetime64("2026-01-01") + np.arange(n).astype("timedelta64[D]")
        values = rng.uniform(0, 10, size=n)
        values[:: max(1, n // 50)] = -rng.uniform(50, 150, size=values[:: max(1, n // 50)].size)
        cumulative = xlspv.Terms(0.05)
        scheduled = xlspv.Terms(0.05, allocation_basis="scheduled", useful_life=20)
        s = median_of(lambda v=values, d=dates, t=scheduled: xlspv.compute(v, d, t), repeats=5)
        c = median_of(lambda v=values, d=dates, t=cumulative: xlspv.compute(v, d, t), repeats=5)
        old = float("nan")
        if n <= 10_000:
            flows = prepare(values, dates)
            old = median_of(lambda f=flows, t=scheduled: reference_rows(f, t), repeats=1)
        rows.append((n, s, c, old))
    return rows


def main() -> None:
    quick = "--quick" in sys.argv
    print(
        f"xlspv {xlspv.__version__}, Python {platform.python_version()}, numpy {np.__version__}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    only_summary = "--summary" in sys.argv
    if not only_summary:
        b = bench_batch()
        print(
            f"batch waterfall 10,000 x 480 (best): {b['batch_s'] * 1e3:8.1f} ms "
            f"(numpy cumsum same array {b['cumsum_s'] * 1e3:.1f} ms; ratio {b['ratio']:.2f}x)"
        )
        print(f"deemed-rate grid 10,000 rates x 480 rows (best): {b['rate_grid_s'] * 1e3:8.1f} ms")
    s = bench_summary()
    print(
        f"summary mode 100,000 x 480 (medians): whole call {s['whole_s'] * 1e3:.0f} ms, one thread "
        f"{s['one_thread_s'] * 1e3:.0f} ms, two threads {s['two_threads_s'] * 1e3:.0f} ms; "
        f"compiled loop alone {s['loop_s'] * 1e3:.0f} ms "
        f"(whole / loop {s['whole_s'] / s['loop_s']:.2f}x); numpy cumsum {s['cumsum_s'] * 1e3:.0f} ms "
        f"(whole / cumsum {s['whole_s'] / s['cumsum_s']:.2f}x); the summary's own kernel alone "
        f"{s['kernel_s'] * 1e3:.0f} ms (whole / kernel {s['whole_s'] / s['kernel_s']:.2f}x)"
    )
    print(
        f"  with Japan's XIRR {s['xirr_s'] * 1e3:.0f} ms; with a rate path (80 resets) each "
        f"{s['rate_path_s'] * 1e3:.0f} ms"
    )
    if not quick:
        m = bench_million()
        print(
            f"summary mode 1,000,000 x 480 (a deemed rate each, fresh process): {m['s']:.2f} s, "
            f"peak RSS {m['peak_mib']:.0f} MiB"
        )
    if only_summary:
        return
    x = bench_xirr()
    print(
        f"xirr 40 annual flows (median): {x['xirr_us']:.2f} us per call; pyxirr {x['pyxirr_us']:.2f} us "
        f"(ratio {x['ratio_vs_pyxirr']:.2f}x)"
    )
    print(
        f"irr 40 periodic flows (median): {x['irr_us']:.2f} us; numpy_financial.irr {x['npf_irr_us']:.1f} us "
        f"(npf / xlspv.xirr = {x['npf_over_xirr']:.0f}x)"
    )
    for n, form, ours, theirs, ratio in bench_xirr_forms():
        print(
            f"xirr {n:3d} flows, {form:6s} (medians): {ours:7.2f} us; pyxirr {theirs:7.2f} us "
            f"(median ratio of alternating rounds {ratio:.2f}x)"
        )
    for n, sched, cum, old in bench_scheduled((1_000, 10_000) if quick else (1_000, 10_000, 100_000)):
        print(
            f"scheduled reading {n:7,d} daily rows (medians): {sched * 1e3:7.1f} ms; cumulative "
            f"{cum * 1e3:6.2f} ms (ratio {sched / cum:.1f}x); the row-at-a-time reading it replaced "
            f"{old * 1e3:7.0f} ms"
        )


if __name__ == "__main__":
    main()

"""Portfolio report speed and memory: 1,000 SPVs x 480 monthly rows, measured side by side in one run.

- The whole report: checking the input tables, :func:`xlspv.portfolio.analyse` (one batch of every SPV),
  the sensitivity over a modest grid (7 deemed rates x 1 scale), and writing the xlsx. Target < 10 s.
- The computation part against the core: ``analyse`` against one bare ``waterfall_batch`` call on the
  same padded data and terms; the sensitivity against one bare ``waterfall_batch`` call over the same
  SPV x grid scenarios. Target: within 5x each. One grid point of the sensitivity against one bare
  ``waterfall_summary(xirr=True)`` of the same SPVs (medians, in turns).
- Peak memory of the report path: the process's maximum resident set (``ru_maxrss``, imports and numba
  included), measured before the core comparisons run, and tracemalloc's peak of Python/numpy
  allocations in a separate untimed pass. Target < 1 GiB.
- For information: reading the same portfolio back from CSV files (480,000 flow rows).
- Separately, off the main path: the readings comparison (:func:`xlspv.portfolio.compare_readings`,
  ``xlspv portfolio --readings``) for 100 SPVs of the same shape. Its scheduled basis runs one SPV at a
  time (the batch path computes the cumulative basis only), so it is timed per SPV, not against a target.

Run: ``.venv/bin/python benchmarks/bench_portfolio.py`` (``--spvs``/``--rows`` change the size). A warm-up
on a small portfolio first loads the compiled numba kernels, so no figure includes compilation.

``--command`` measures instead the phases of ``xlspv portfolio FOLDER --deemed-rate 0.05`` on a CSV
program of ``--spvs`` SPVs x ``--rows`` rows (default here: 10,000 x 480), each run in a fresh process
as the command runs them (reading, analyse with the default sensitivity grid, writing the report),
with its maximum resident set, side by side with ``pandas.read_csv`` of the same two files in the same
run, and the load average. Targets (issue 15): the whole command under 4 s and 800 MiB; reading plus
analyse well under 2 s.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import xlspv  # noqa: E402
from xlspv.dates import to_datetime64  # noqa: E402
from xlspv.portfolio import (  # noqa: E402
    NAMED_SECTORS,
    Portfolio,
    analyse,
    compare_readings,
    sensitivity,
)
from xlspv.workbooks.portfolio_reader import load_portfolio  # noqa: E402
from xlspv.workbooks.portfolio_report import write_portfolio_report  # noqa: E402

RATES = (0.035, 0.045, 0.05, 0.055, 0.06, 0.065, 0.075)


def synthetic(
    n_spvs: int, n_rows: int, seed: int = 11, *, stress_flags: bool = False
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """SPV and flow tables: 24 monthly fundings from two months after notice, then distributions
    ramping up over five years (month-end dates, different per SPV).

    Notices fall in January-November 2026, so every funding is by the deadline; 1% of the SPVs are
    notified only 30 days before their first funding (flagged). With ``stress_flags`` notices run to
    October 2028 instead, and thousands of fundings fall after the deadline (each one a flag row).
    """
    rng = np.random.default_rng(seed)
    notice_month = rng.integers(0, 34 if stress_flags else 11, size=n_spvs)  # months after January 2026
    base = (2026 - 1970) * 12
    months = base + notice_month[:, None] + 2 + np.arange(n_rows)[None, :]
    days = (months + 1).astype("datetime64[M]").astype("datetime64[D]") - 1  # month ends
    values = np.empty((n_spvs, n_rows))
    funding = rng.uniform(5.0, 15.0, size=(n_spvs, 24)).round(1)
    values[:, :24] = -funding
    ramp = np.minimum(1.0, np.arange(1, n_rows - 23) / 60.0)
    values[:, 24:] = (rng.uniform(0.8, 2.4, size=(n_spvs, n_rows - 24)) * ramp).round(2)
    notice = (base + notice_month).astype("datetime64[M]").astype("datetime64[D]") + 14
    short = rng.random(n_spvs) < 0.01
    notice[short] = days[short, 0] - 30
    spvs = [
        {
            "id": f"SPV-{i:04d}",
            "name": f"Synthetic SPV {i}",
            "sector": NAMED_SECTORS[i % len(NAMED_SECTORS)],
            "notice_date": notice[i].item(),
            "committed": float(funding[i].sum().round(1)),
        }
        for i in range(n_spvs)
    ]
    flows = {
        "spv_id": np.repeat(np.array([s["id"] for s in spvs], dtype=object), n_rows),
        "date": days.ravel(),
        "value": values.ravel(),
    }
    return spvs, flows


def timed(func: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = func()
    return time.perf_counter() - start, out


def best_of_pair(ours: Callable[[], Any], core: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Best time of each of two functions, run alternately (the machine's load hits both alike)."""
    a = b = float("inf")
    for _ in range(repeats):
        a = min(a, timed(ours)[0])
        b = min(b, timed(core)[0])
    return a, b


def median_of_pair(ours: Callable[[], Any], core: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Median time of each of two functions, run alternately (the machine's load hits both alike)."""
    import statistics

    a, b = [], []
    for _ in range(repeats):
        a.append(timed(ours)[0])
        b.append(timed(core)[0])
    return statistics.median(a), statistics.median(b)


def report_path(
    spvs: list[dict[str, Any]], flows: dict[str, Any], terms: xlspv.Terms, out: Path
) -> dict[str, Any]:
    t_build, portfolio = timed(lambda: Portfolio.from_tables(spvs, flows, unit="$m", terms=terms))
    t_analyse, result = timed(lambda: analyse(portfolio, terms, rates=()))
    t_sens, sens = timed(lambda: sensitivity(portfolio, terms, RATES))
    import dataclasses

    result = dataclasses.replace(result, sensitivity=sens)
    t_write, _ = timed(lambda: write_portfolio_report(result, out, force=True))
    return {
        "build": t_build,
        "analyse": t_analyse,
        "sensitivity": t_sens,
        "write": t_write,
        "total": t_build + t_analyse + t_sens + t_write,
        "size_mb": out.stat().st_size / 2**20,
        "flags": len(result.flags),
    }


def write_csv(spvs: list[dict[str, Any]], flows: dict[str, Any], folder: Path) -> None:
    with open(folder / "spvs.csv", "w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["id", "name", "sector", "notice_date", "committed"])
        for s in spvs:
            w.writerow([s["id"], s["name"], s["sector"], s["notice_date"].isoformat(), s["committed"]])
    with open(folder / "flows.csv", "w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["spv_id", "date", "value"])
        w.writerows(
            zip(
                flows["spv_id"].tolist(),
                flows["date"].astype(str).tolist(),
                flows["value"].tolist(),
                strict=True,
            )
        )


#: One run of the command's phases in a fresh process: prints seconds of each and the max RSS (MiB).
_PHASES = """
import json, resource, sys, time
from pathlib import Path
start = time.perf_counter()
from xlspv.portfolio import analyse, program_terms
from xlspv.workbooks.portfolio_reader import load_portfolio
from xlspv.workbooks.portfolio_report import write_portfolio_report
rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out = {"import": time.perf_counter() - start}
t = time.perf_counter(); portfolio = load_portfolio(Path(sys.argv[1])); out["read"] = time.perf_counter() - t
out["rss_read"] = rss()
t = time.perf_counter()
result = analyse(portfolio, program_terms(portfolio, {"deemed_rate": 0.05}, readings=False))
out["analyse"] = time.perf_counter() - t
out["rss_analyse"] = rss()
t = time.perf_counter(); write_portfolio_report(result, Path(sys.argv[2]), force=True)
out["write"] = time.perf_counter() - t
out["whole"] = time.perf_counter() - start
out["rss"] = rss()
print(json.dumps(out))
"""


def command_phases(folder: Path, out: Path, python: str = sys.executable) -> dict[str, float]:
    """Seconds of each phase of ``xlspv portfolio`` on ``folder`` in a fresh process, and its max RSS."""
    import json
    import subprocess

    done = subprocess.run([python, "-c", _PHASES, str(folder), str(out)], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"the phases run failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def command(n_spvs: int, n_rows: int, repeats: int) -> None:
    """Phases of the command on a CSV program, alternating with pandas.read_csv of the same files."""
    import statistics
    import subprocess

    here = os.path.dirname(os.path.abspath(__file__))
    # the program is made, and the reference read, in children: a child's maximum resident set starts
    # from its parent's (fork copies the high-water mark), so this process must stay small
    make = "import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; from bench_portfolio "
    make += "import synthetic, write_csv; "
    make += "write_csv(*synthetic(int(sys.argv[2]), int(sys.argv[3])), Path(sys.argv[4]))"
    read = "import sys, time, pandas as pd; t = time.perf_counter(); pd.read_csv(sys.argv[1] + '/spvs.csv'); "
    read += "pd.read_csv(sys.argv[1] + '/flows.csv'); print(time.perf_counter() - t)"
    with tempfile.TemporaryDirectory(prefix="xlspv-bench-") as tmp:
        folder = Path(tmp)
        subprocess.run([sys.executable, "-c", make, here, str(n_spvs), str(n_rows), tmp], check=True)
        command_phases(folder, folder / "warm.xlsx")  # loads or compiles the cached numba kernels once
        runs: list[dict[str, float]] = []
        reference: list[float] = []
        for _ in range(repeats):
            runs.append(command_phases(folder, folder / "report.xlsx"))
            done = subprocess.run(
                [sys.executable, "-c", read, tmp], capture_output=True, text=True, check=True
            )
            reference.append(float(done.stdout.split()[-1]))
        load = os.getloadavg()
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    ref = statistics.median(reference)
    print(
        f"xlspv portfolio, {n_spvs:,} SPVs x {n_rows} rows from CSV (medians of {repeats} fresh processes):"
    )
    print(
        f"  read     {med['read']:6.2f} s   pandas.read_csv of the same files {ref:.2f} s "
        f"-> {med['read'] / ref:.2f}x"
    )
    print(
        f"  analyse  {med['analyse']:6.2f} s   (read + analyse {med['read'] + med['analyse']:.2f} s: "
        "target well under 2 s)"
    )
    print(f"  write    {med['write']:6.2f} s")
    print(f"  whole    {med['whole']:6.2f} s   imports included (target < 4 s)")
    print(
        f"  max RSS after reading {med['rss_read']:.0f} MiB, after analyse {med['rss_analyse']:.0f} MiB, "
        f"whole {med['rss']:.0f} MiB (target < 800 MiB)"
    )
    print(f"  load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spvs", type=int, default=None, help="default 1,000 (10,000 with --command)")
    parser.add_argument("--rows", type=int, default=480)
    parser.add_argument("--command", action="store_true", help="the xlspv portfolio command's phases")
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes with --command")
    parser.add_argument(
        "--stress-flags",
        action="store_true",
        help="notices to Oct 2028: thousands of fundings after the deadline, each a flag row",
    )
    args = parser.parse_args()
    if args.command:
        command(args.spvs or 10000, args.rows, args.repeats)
        return
    args.spvs = args.spvs or 1000
    print(
        f"xlspv {xlspv.__version__}, Python {platform.python_version()}, numpy {np.__version__}, "
        f"{os.cpu_count()} cores"
    )
    terms = xlspv.Terms(0.055)
    with tempfile.TemporaryDirectory(prefix="xlspv-bench-") as tmp:
        folder = Path(tmp)
        small_spvs, small_flows = synthetic(20, 60)
        report_path(small_spvs, small_flows, terms, folder / "warmup.xlsx")  # loads the numba kernels

        spvs, flows = synthetic(args.spvs, args.rows, stress_flags=args.stress_flags)
        n_cells = args.spvs * args.rows
        times = report_path(spvs, flows, terms, folder / "report.xlsx")
        rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        print(
            f"\nportfolio report, {args.spvs:,} SPVs x {args.rows} monthly rows ({n_cells:,} flow rows), "
            f"sensitivity {len(RATES)} rates x 1 scale, {times['flags']:,} flags:"
        )
        print(f"  check input tables     {times['build']:7.2f} s")
        print(f"  analyse (one batch)    {times['analyse']:7.2f} s")
        print(f"  sensitivity            {times['sensitivity']:7.2f} s")
        print(f"  write xlsx             {times['write']:7.2f} s   ({times['size_mb']:.1f} MiB)")
        print(f"  whole report           {times['total']:7.2f} s   (target < 10 s)")
        print(f"  peak RSS of the process so far: {rss_mib:,.0f} MiB (target < 1,024 MiB)")

        portfolio = Portfolio.from_tables(spvs, flows, unit="$m", terms=terms)
        values, days = portfolio.padded
        dates64 = to_datetime64(days)
        term_list = portfolio.terms_for(terms)
        ours, core = best_of_pair(
            lambda: analyse(portfolio, terms, rates=()),
            lambda: xlspv.waterfall_batch(values, dates64, term_list),
            repeats=7,
        )
        g = len(RATES)
        grid_terms = [terms.with_rate(r) for r in RATES for _ in range(args.spvs)]
        ours_grid, core_grid = best_of_pair(
            lambda: sensitivity(portfolio, terms, RATES),
            lambda: xlspv.waterfall_batch(np.tile(values, (g, 1)), np.tile(dates64, (g, 1)), grid_terms),
            repeats=3,
        )
        n_spv = values.shape[0]
        ours_point, bare_point = median_of_pair(
            lambda: sensitivity(portfolio, terms, RATES[:1]),
            lambda: xlspv.waterfall_summary(
                values, dates64, terms, deemed_rates=np.full(n_spv, RATES[0]), xirr=True
            ),
            repeats=7,
        )
        print("\ncomputation against the core's waterfall_batch on the same data (best of repeats):")
        print(
            f"  analyse {ours:6.3f} s vs waterfall_batch {core:6.3f} s: {ours / core:4.1f}x "
            "(target within 5x)"
        )
        print(
            f"  sensitivity {ours_grid:6.3f} s vs waterfall_batch over {g * args.spvs:,} scenarios "
            f"{core_grid:6.3f} s: {ours_grid / core_grid:4.1f}x (target within 5x)"
        )
        print(
            f"  one grid point {ours_point:6.3f} s vs waterfall_summary(xirr=True) of the same SPVs "
            f"{bare_point:6.3f} s: {ours_point / bare_point:4.2f}x (medians, run in turns; the grid point "
            "adds Japan's flows by day and the program's XIRR)"
        )

        tracemalloc.start()
        report_path(spvs, flows, terms, folder / "report2.xlsx")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"\ntracemalloc peak of the report path (separate pass): {peak / 2**20:,.0f} MiB")

        write_csv(spvs, flows, folder)
        t_csv, _ = timed(lambda: load_portfolio(folder))
        print(f"for information: load_portfolio of spvs.csv + flows.csv ({n_cells:,} rows): {t_csv:.2f} s")

        compare_readings(analyse(Portfolio.from_tables(small_spvs, small_flows, terms=terms), rates=()))
        n_read = min(100, args.spvs)
        few = Portfolio.from_tables(*synthetic(n_read, args.rows), unit="$m", terms=terms)
        t_main, base = timed(lambda: analyse(few, terms, rates=()))
        t_read, _ = timed(lambda: compare_readings(base))
        print(
            f"\nreadings (off the main path: xlspv portfolio --readings), {n_read} SPVs x {args.rows} rows: "
            f"{t_read:.2f} s, {1000 * t_read / n_read:.1f} ms per SPV (the scheduled basis one SPV at a "
            f"time; analyse of the same SPVs: {t_main:.3f} s)"
        )
    print(f"\n(dates of the run: {dt.date.today()})")


if __name__ == "__main__":
    main()

"""Risk (issue 17) at scale: one 480-row SPV x 1,000,000 scenarios, 100 SPVs x 10,000, Dask 2 vs 1 worker.

Each measure runs in a fresh subprocess (so peak memory is its own: ``ru_maxrss``), after a warm-up run
in that process (numba compiles once per process; the first-call cost is reported apart). The one-SPV
and program runs are measured on one thread and on the default (every core this process may use):
the default must never be slower. The reference in the same run is numpy doing the least any Monte
Carlo of this size must do: drawing the scenarios' cash factors and scaling the 480 rows of every
scenario, chunk by chunk. The load average (other jobs on the machine) is printed with the results.

Usage: python benchmarks/bench_risk.py [--quick] [--no-dask]
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time

QUICK = "--quick" in sys.argv


def monthly_spv(rows: int = 480):
    """60 monthly fundings of 100, then monthly distributions of 45 growing 1% a year (money in $m)."""
    start = dt.date(2026, 1, 31)
    days, values = [], []
    for k in range(rows):
        y, m = divmod(start.month - 1 + k, 12)
        first = dt.date(start.year + y, m + 1, 1)
        days.append(first)
        values.append(-100.0 if k < 60 else 45.0 * 1.01 ** ((k - 60) // 12))
    return values, days


def _one(kind: str, n: int, threads: int | None = None) -> dict:
    import resource

    import numpy as np

    from xlspv import Terms
    from xlspv.examples import portfolio as example_portfolio
    from xlspv.risk import simulate, simulate_program

    values, days = monthly_spv()
    terms = Terms(0.055)
    out: dict = {}
    if kind == "spv":
        t = time.perf_counter()
        simulate(values, days, terms, scenarios=1000, seed=1)
        out["first_call_s"] = time.perf_counter() - t
        t = time.perf_counter()
        r = simulate(values, days, terms, scenarios=n, seed=1, threads=threads)
        out["seconds"] = time.perf_counter() - t
        out["recovery_probability"] = r.figures["recovery_probability"]
        out["xirr_japan_p50"] = r.figures["xirr_japan_p50"]
    elif kind == "program":
        p = _program(100)
        simulate_program(p, Terms(0.05), scenarios=100, seed=1)
        t = time.perf_counter()
        r = simulate_program(p, Terms(0.05), scenarios=n, seed=1, threads=threads)
        out["seconds"] = time.perf_counter() - t
        out["recovery_probability"] = r.figures["recovery_probability"]
    elif kind == "numpy":
        v = np.asarray(values)
        rng = np.random.default_rng(1)
        t = time.perf_counter()
        total = 0.0
        for lo in range(0, n, 8192):
            m = min(8192, n - lo)
            f = np.exp(0.3 * rng.standard_normal(m) - 0.045)
            total += float((f[:, None] * v[None, :]).sum())
        out["seconds"] = time.perf_counter() - t
    elif kind.startswith("dask"):
        from distributed import LocalCluster

        workers = int(kind[-1])
        with LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster:
            simulate(
                values, days, terms, scenarios=workers * 8192, seed=2, scheduler=cluster.scheduler_address
            )
            t = time.perf_counter()
            simulate(values, days, terms, scenarios=n, seed=1, scheduler=cluster.scheduler_address)
            out["seconds"] = time.perf_counter() - t
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    _ = example_portfolio
    return out


def _program(n_spvs: int):
    """n_spvs copies of the monthly SPV, each shifted by a month, as a Portfolio."""
    from xlspv.portfolio import Portfolio

    values, days = monthly_spv()
    spvs, flows = [], []
    for i in range(n_spvs):
        first = days[0] + dt.timedelta(days=31 * (i % 12))
        spvs.append(
            {
                "id": f"S{i:03d}",
                "name": f"SPV {i}",
                "sector": "energy",
                "notice_date": first - dt.timedelta(days=60),
                "committed": 6000.0,
            }
        )
        flows += [
            {"spv_id": f"S{i:03d}", "date": d + dt.timedelta(days=31 * (i % 12)), "value": v}
            for d, v in zip(days, values, strict=True)
        ]
    return Portfolio.from_tables(spvs, flows)


def measure(kind: str, n: int, threads: int | None = None) -> dict:
    code = (
        "import json, sys; sys.path.insert(0, 'benchmarks'); import bench_risk as b; "
        f"print(json.dumps(b._one({kind!r}, {n}, {threads!r})))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    big = 100_000 if QUICK else 1_000_000
    prog = 1_000 if QUICK else 10_000
    print(f"load average before: {os.getloadavg()}")
    rows = [
        (f"one SPV, 480 rows x {big:,} scenarios, 1 thread", measure("spv", big, 1)),
        (f"one SPV, 480 rows x {big:,} scenarios, default threads", measure("spv", big)),
        ("numpy reference: draw and scale the same scenarios", measure("numpy", big)),
        (f"program, 100 SPVs x {prog:,} scenarios, 1 thread", measure("program", prog, 1)),
        (f"program, 100 SPVs x {prog:,} scenarios, default threads", measure("program", prog)),
    ]
    one = two = None
    if "--no-dask" not in sys.argv:
        dn = 50_000 if QUICK else 200_000
        one, two = measure("dask1", dn), measure("dask2", dn)
        rows += [
            (f"Dask LocalCluster, 1 worker, {dn:,} scenarios", one),
            (f"Dask LocalCluster, 2 workers, {dn:,} scenarios", two),
        ]
    for label, r in rows:
        print(f"{label:<64} {r['seconds']:7.2f} s  peak {r['peak_mib']:7.0f} MiB  {json.dumps(r)}")
    if one is not None and two is not None:
        print(f"Dask throughput ratio, 2 workers / 1: {one['seconds'] / two['seconds']:.2f}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()

"""`xlspv report` on long inputs: time and peak memory, next to openpyxl's write-only mode.

For each size, in ONE run:

1. a CSV of ``n`` daily cash flows (fundings first, then distributions) is generated;
2. ``xlspv report`` runs on it in a fresh process (wall time, peak RSS of that process);
3. the reference: a fresh process reads the report just written (not timed), then writes the same
   cells (values and formulas, every sheet, no styles) with ``openpyxl.Workbook(write_only=True)``
   and saves it (timed; peak RSS reported too, though its untimed read dominates it).

Targets (the performance issue): 20,000 rows under 400 MiB; 100,000 rows under 1 GiB and within
1.5x of the reference's time. Run: ``.venv/bin/python benchmarks/bench_report.py [n ...]``
(default 20000 100000; ``--repeat k`` quotes medians of k runs).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REFERENCE = r"""
import json, sys, time
import openpyxl
src, out = sys.argv[1], sys.argv[2]
wb = openpyxl.load_workbook(src, read_only=True)
sheets = [(ws.title, [list(row) for row in ws.iter_rows(values_only=True)]) for ws in wb.worksheets]
wb.close()
started = time.perf_counter()
wo = openpyxl.Workbook(write_only=True)
for title, rows in sheets:
    ws = wo.create_sheet(title)
    for row in rows:
        ws.append(row)
wo.save(out)
print(json.dumps({"seconds": time.perf_counter() - started,
                  "cells": sum(sum(v is not None for v in r) for _t, rows in sheets for r in rows)}))
"""


def write_csv(path: Path, n: int) -> None:
    """``n`` daily flows from 2000-01-01: the first tenth fundings, the rest distributions."""
    start = dt.date(2000, 1, 1).toordinal()
    fundings = max(1, n // 10)
    with path.open("w", encoding="utf-8") as f:
        f.write("date,value,note\n")
        for i in range(n):
            day = dt.date.fromordinal(start + i).isoformat()
            value = -10.0 - (i % 7) if i < fundings else 1.5 + (i % 11) * 0.25
            note = f"row {i}" if i % 100 == 0 else ""
            f.write(f"{day},{value},{note}\n")


def run_measured(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) and stdout of one child (measured by a wrapper process)."""
    wrapper = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "s = time.perf_counter() - t\n"
        "sys.stderr.write(p.stderr)\n"
        "print(json.dumps({'rc': p.returncode, 'seconds': s, 'out': p.stdout,"
        " 'rss': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))\n"
    )
    done = subprocess.run([sys.executable, "-c", wrapper, *command], capture_output=True, text=True)
    result = json.loads(done.stdout)
    if result["rc"] != 0:
        raise SystemExit(f"{command[:3]} failed ({result['rc']}):\n{done.stderr}")
    return result["seconds"], result["rss"], result["out"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[20_000, 100_000])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    xlspv = [sys.executable, "-m", "xlspv.cli"]
    header = ("rows", "xlspv report s", "peak MiB", "write-only s", "ratio", "cells")
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, (9, 15, 9, 13, 6, 11), strict=True)))
    with tempfile.TemporaryDirectory(prefix="xlspv-bench-report-") as tmp:
        for n in args.sizes:
            csv = Path(tmp) / f"flows_{n}.csv"
            write_csv(csv, n)
            out, ref = Path(tmp) / f"report_{n}.xlsx", Path(tmp) / f"reference_{n}.xlsx"
            ours, peaks, theirs, cells = [], [], [], 0
            for _ in range(args.repeat):
                seconds, rss, _ = run_measured(
                    [*xlspv, "report", str(csv), "--deemed-rate", "0.055", "-o", str(out), "--force", "-q"]
                )
                ours.append(seconds)
                peaks.append(rss)
                _s, _r, text = run_measured([sys.executable, "-c", REFERENCE, str(out), str(ref)])
                measured = json.loads(text)
                theirs.append(measured["seconds"])
                cells = measured["cells"]
            a, b = statistics.median(ours), statistics.median(theirs)
            print(f"{n:>9,} {a:>15.1f} {max(peaks):>9.0f} {b:>13.1f} {a / b:>6.2f} {cells:>11,}", flush=True)


if __name__ == "__main__":
    main()

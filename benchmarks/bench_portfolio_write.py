"""Writing the portfolio report alone, next to openpyxl's write-only mode writing the same cells, in one run.

The program of ``n`` SPVs x 480 monthly rows is the one ``benchmarks/bench_readers.py`` builds for
``xlspv portfolio`` (its synthetic CSV folder), read and analysed exactly as the command does (default
sensitivity grid, no readings). The :class:`~xlspv.portfolio.PortfolioResult` is prepared once and
pickled, then, alternately, each in a fresh process:

1. ours: :func:`~xlspv.workbooks.portfolio_report.write_portfolio_report` from the unpickled result,
   naming the CSV folder as its input as the command does (so the Cover's SHA-256 of the 120 MB
   ``flows.csv`` is part of it); wall time of the call, peak memory;
2. the reference: ``openpyxl.Workbook(write_only=True)`` writing the same cells (values and formulas,
   every sheet, no styles) and saving (timed the same way; the cells were read from our report once,
   untimed, before the runs);
3. with ``--baseline DIR``, an earlier source tree's writer on the same result (before/after);
4. with ``--sequential``, ours with the package deflated on the calling thread, part after part, by
   ``zipfile.ZipFile`` itself (as before :mod:`xlspv.workbooks.zipwriter`): what the second thread buys.

Memory: the child's peak resident set during the write (Linux ``VmHWM``, reset once the input is
loaded) and its growth over the resident set before the write. CPU: the child's processor seconds
during the write (every thread: ours deflates the package on a second thread while the next sheet is
generated, :mod:`xlspv.workbooks.zipwriter`), so that on a shared machine the wall time can be read
against the work done: wall near CPU means the second core was busy elsewhere.

Target (issue 15): at 10,000 SPVs the write takes about 2 s of the command's 4 s, in flat memory.
Run: ``.venv/bin/python benchmarks/bench_portfolio_write.py [n ...]`` (default 1000 10000; ``--repeats
k`` quotes medians of k runs). Prints ``uptime``'s load average: compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

#: A child: unpickle, note the resident set, run the timed part, print seconds and memory.
CHILD = r"""
import json, os, pickle, resource, sys, time
mode, data, out, inputs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith(key))
def reset_peak():
    try:  # Linux: VmHWM (the peak resident set) restarts from the current one
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
if mode in ("ours", "baseline", "sequential"):
    if mode == "baseline":  # an earlier source tree's xlspv, first on the path
        sys.path.insert(0, os.environ["XLSPV_BASELINE"])
    from xlspv.workbooks.portfolio_report import write_portfolio_report
    if mode == "sequential":  # every part deflated on this thread, when it is given
        import zipfile
        from xlspv.workbooks import streamed
        class Sequential:
            def __init__(self, file, compression):
                self.zip = zipfile.ZipFile(file, "w", compression, allowZip64=True)
            def write(self, filename, arcname, *, then=None):
                self.zip.write(filename, arcname)
                if then is not None:
                    then()
            def writestr(self, arcname, data):
                self.zip.writestr(arcname, data)
            def namelist(self):
                return self.zip.namelist()
            def close(self):
                self.zip.close()
            abort = close
        streamed.BackgroundArchive = Sequential
    with open(data, "rb") as f:
        result = pickle.load(f)
    before = status("VmRSS")
    reset_peak()
    t, cpu = time.perf_counter(), time.process_time()
    write_portfolio_report(result, out, force=True, input_path=inputs)  # hashed for the Cover
else:
    import openpyxl
    with open(data, "rb") as f:
        sheets = pickle.load(f)
    before = status("VmRSS")
    reset_peak()
    t, cpu = time.perf_counter(), time.process_time()
    wb = openpyxl.Workbook(write_only=True)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(out)
seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
peak = status("VmHWM")
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak": peak, "growth": peak - before}))
"""


def prepare(folder: Path, n: int) -> Path:
    """The command's result for ``n`` SPVs, pickled."""
    from bench_readers import inputs

    from xlspv.portfolio import analyse, program_terms
    from xlspv.workbooks.portfolio_reader import load_portfolio

    _book, csv_folder = inputs(folder, n, xlsx=False)
    portfolio = load_portfolio(csv_folder)
    terms = program_terms(portfolio, {"deemed_rate": 0.05}, readings=False, progress=None)
    result = analyse(portfolio, terms, None)
    path = folder / f"result{n}.pickle"
    with path.open("wb") as f:
        pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def cells_of(report: Path, folder: Path) -> tuple[Path, int]:
    """Every sheet's rows of ``report`` (values and formulas), pickled; and the count of cells."""
    import openpyxl

    wb = openpyxl.load_workbook(report, read_only=True)
    sheets = [(ws.title, [list(r) for r in ws.iter_rows(values_only=True)]) for ws in wb.worksheets]
    wb.close()
    path = folder / f"{report.stem}.cells.pickle"
    with path.open("wb") as f:
        pickle.dump(sheets, f, protocol=pickle.HIGHEST_PROTOCOL)
    return path, sum(sum(v is not None for v in r) for _t, rows in sheets for r in rows)


def child(mode: str, data: Path, out: Path, baseline: str | None = None) -> dict[str, float]:
    env = dict(os.environ, XLSPV_BASELINE=baseline or "")
    inputs = str(data.parent / f"csv{data.stem.removeprefix('result')}")  # the CSV folder the result is of
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(data), str(out), inputs],
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode:
        raise SystemExit(f"{mode} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--baseline",
        metavar="DIR",
        help="also time an earlier source tree's writer (DIR holds its xlspv/, e.g. from `git archive`)",
    )
    parser.add_argument(
        "--sequential",
        action="store_true",
        help="also time ours with the package deflated on the calling thread (no writer thread)",
    )
    args = parser.parse_args()
    print("load average:", os.getloadavg())
    header = (
        "SPVs",
        "cells",
        "xlspv s",
        "cpu s",
        "peak MiB",
        "growth",
        "write-only s",
        "cpu s",
        "peak MiB",
        "growth",
        "ratio",
    )
    print(" ".join(f"{h:>12}" for h in header))
    with tempfile.TemporaryDirectory(prefix="xlspv-bench-pwrite-") as tmp:
        folder = Path(tmp)
        for n in args.sizes:
            result = prepare(folder, n)
            ours_out, ref_out = folder / f"report{n}.xlsx", folder / f"reference{n}.xlsx"
            child("ours", result, ours_out)  # warm the file cache; its output gives the reference's cells
            cells, count = cells_of(ours_out, folder)
            ours, theirs, base, seq = [], [], [], []
            for _ in range(args.repeats):
                ours.append(child("ours", result, ours_out))
                theirs.append(child("reference", cells, ref_out))
                if args.baseline:
                    base.append(child("baseline", result, folder / "baseline.xlsx", args.baseline))
                if args.sequential:
                    seq.append(child("sequential", result, folder / "sequential.xlsx"))
            a = statistics.median(r["seconds"] for r in ours)
            b = statistics.median(r["seconds"] for r in theirs)
            ca = statistics.median(r["cpu"] for r in ours)
            cb = statistics.median(r["cpu"] for r in theirs)
            pa, ga = max(r["peak"] for r in ours), max(r["growth"] for r in ours)
            pb, gb = max(r["peak"] for r in theirs), max(r["growth"] for r in theirs)
            print(
                f"{n:>12,} {count:>12,} {a:>12.2f} {ca:>12.2f} {pa:>12.0f} {ga:>12.0f} {b:>12.2f} "
                f"{cb:>12.2f} {pb:>12.0f} {gb:>12.0f} {a / b:>12.2f}",
                flush=True,
            )
            for label, runs in (("baseline", base), ("sequential", seq)):
                if not runs:
                    continue
                c = statistics.median(r["seconds"] for r in runs)
                cc = statistics.median(r["cpu"] for r in runs)
                pc, gc = max(r["peak"] for r in runs), max(r["growth"] for r in runs)
                print(
                    f"{'':>12} {label} {c:.2f} s (cpu {cc:.2f} s), peak {pc:.0f} MiB (growth {gc:.0f}): "
                    f"{c / a:.2f}x ours"
                )
    print("load average:", os.getloadavg())


if __name__ == "__main__":
    main()
